"""flowrelease.local"""
