"""flowrelease.api"""
