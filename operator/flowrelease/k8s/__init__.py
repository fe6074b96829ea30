"""flowrelease.k8s"""
