"""Traffic on the wire (pure): a seed's or the control plane's traffic object to a `TrafficSource`, and back.

    {"entriesPerMinute": 6, "failureRatio": 0.01, "abandonRatio": 0.02, "flowSeconds": 40,
     "versionFailureRatios": {"3.0": 0.4}}

Every key is optional; a missing one keeps the current value (or the default for a flow without traffic).
Bad values raise `ApiError` 400 naming the field.
"""

from __future__ import annotations

import math
from dataclasses import replace

from flowrelease.emulator.traffic import (
    MAX_ENTRIES_PER_MINUTE,
    TrafficBook,
    TrafficSource,
    VersionTotals,
)
from flowrelease.emulator.wire import JsonObject, bad_request

SOURCE_KEYS = ("entriesPerMinute", "failureRatio", "abandonRatio", "flowSeconds")
TRAFFIC_KEYS = (*SOURCE_KEYS, "versionFailureRatios")
MAX_FLOW_SECONDS = 86_400.0


def _number(value: object, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad_request(f"{where} must be a number from {low:g} to {high:g}.", field=where)
    if not low <= value <= high:
        raise bad_request(f"{where} must be a number from {low:g} to {high:g}.", field=where)
    return float(value)


def ratio(value: object, where: str) -> float:
    return _number(value, where, 0.0, 1.0)


def traffic_source(body: JsonObject, current: TrafficSource | None, where: str = "traffic") -> TrafficSource:
    """The source `body` describes over `current` (defaults when None)."""
    unknown = sorted(set(body) - set(TRAFFIC_KEYS) - {"flowId"})
    if unknown:
        raise bad_request(
            f"{where}.{unknown[0][:40]} is not a traffic key (keys: {', '.join(TRAFFIC_KEYS)}).",
            field=f"{where}.{unknown[0][:40]}",
        )
    source = current or TrafficSource(entries_per_minute=0.0)
    changes: dict[str, float] = {}
    if "entriesPerMinute" in body:
        changes["entries_per_minute"] = _number(
            body["entriesPerMinute"], f"{where}.entriesPerMinute", 0.0, MAX_ENTRIES_PER_MINUTE
        )
    if "failureRatio" in body:
        changes["failure_ratio"] = ratio(body["failureRatio"], f"{where}.failureRatio")
    if "abandonRatio" in body:
        changes["abandon_ratio"] = ratio(body["abandonRatio"], f"{where}.abandonRatio")
    if "flowSeconds" in body:
        changes["flow_seconds"] = _number(body["flowSeconds"], f"{where}.flowSeconds", 0.0, MAX_FLOW_SECONDS)
    return replace(source, **changes)


def version_failure_ratios(body: JsonObject, where: str = "traffic") -> dict[str, float]:
    """`versionFailureRatios`: version id → the ratio of its interactions that fail."""
    value = body.get("versionFailureRatios", {})
    field = f"{where}.versionFailureRatios"
    if not isinstance(value, dict) or not all(isinstance(k, str) and k for k in value):
        raise bad_request(f"{field} must be an object of version id → failure ratio.", field=field)
    return {version: ratio(r, f"{field}.{version[:40]}") for version, r in value.items()}


def _totals_json(totals: VersionTotals) -> JsonObject:
    return {
        "entries": totals.entries,
        "left": totals.left,
        "outcomes": totals.outcomes,
        "outcomesFailed": totals.outcomes_failed,
        "disconnects": totals.disconnects,
    }


def traffic_json(book: TrafficBook, flow_id: str, now: float) -> JsonObject:
    """One flow's traffic: its source, each version's failure ratio and what was drawn for it so far."""
    traffic = book.flows.get(flow_id)
    source = traffic.source if traffic else TrafficSource(entries_per_minute=0.0)
    totals = book.totals(flow_id, now)
    versions = sorted({*totals, *(v for f, v in book.version_failure if f == flow_id)})
    return {
        "flowId": flow_id,
        "entriesPerMinute": source.entries_per_minute,
        "failureRatio": source.failure_ratio,
        "abandonRatio": source.abandon_ratio,
        "flowSeconds": source.flow_seconds,
        "versions": [
            {
                "version": version,
                "failureRatio": book.failure_ratio(flow_id, version),
                **_totals_json(totals.get(version, VersionTotals())),
            }
            for version in versions
        ],
    }
