"""flowrelease.emulator"""
