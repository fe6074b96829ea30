"""Shared pytest wiring: each support module registers its fixtures as a plugin."""

pytest_plugins: list[str] = []
