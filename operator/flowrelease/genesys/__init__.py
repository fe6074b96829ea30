"""flowrelease.genesys"""
