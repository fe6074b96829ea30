"""flowrelease.audit"""
