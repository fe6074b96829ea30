"""flowrelease.gitops"""
