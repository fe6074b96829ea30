"""Adapters for the external checks of a verify stage: HTTP health/synthetic-monitoring URLs and Prometheus.

`ExternalCheckProbe` implements the engine's `CheckProbe` port: one request per attempt, over one shared
`httpx.AsyncClient`, with bearer tokens and secret headers from `CheckSecrets`. What it reports never
contains a secret (every message is redacted against the values it was given, and no response body is
quoted). Whether a reading passes is the engine's judgement (`flowrelease.engine.checks`).
"""

from flowrelease.checks.probe import CheckSecrets, ExternalCheckProbe

__all__ = ["CheckSecrets", "ExternalCheckProbe"]
