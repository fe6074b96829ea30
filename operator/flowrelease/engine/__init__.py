"""flowrelease.engine"""
