"""The version-scoped flow aggregates query a verify stage judges, and reading its answer (pure).

`POST /api/v2/analytics/flows/aggregates/query` (genesys-api.md §9) with an `and` filter on `flowId` AND
`flowVersion` (the published version id, e.g. "22.0"; genesys-realism.md §3) over the stage's own window,
asking for entries (`nFlow`), outcomes (`nFlowOutcome`, `nFlowOutcomeFailed`) and how interactions ended
(`tFlowExit`, `tFlowDisconnect`). The answer is summed over every group, interval and row; `{}` (no
`results`) is no data, not an error.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flowrelease.engine.verification import VersionSample

METRICS = ("nFlow", "nFlowOutcome", "nFlowOutcomeFailed", "tFlowExit", "tFlowDisconnect")


def _iso(moment: datetime) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def version_query(flow_id: str, version: str, since: datetime, until: datetime) -> dict[str, object]:
    return {
        "interval": f"{_iso(since)}/{_iso(until)}",
        "groupBy": ["flowId", "flowVersion"],
        "filter": {
            "type": "and",
            "predicates": [
                {"type": "dimension", "dimension": "flowId", "operator": "matches", "value": flow_id},
                {"type": "dimension", "dimension": "flowVersion", "operator": "matches", "value": version},
            ],
        },
        "metrics": list(METRICS),
    }


def _count(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float) and value.is_integer():
        return max(int(value), 0)
    return 0


def version_sample(body: object, flow_id: str, version: str) -> VersionSample:
    """Sum each metric's `stats.count` over the groups of exactly this flow and version."""
    totals = dict.fromkeys(METRICS, 0)
    results = body.get("results") if isinstance(body, dict) else None
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, dict):
            continue
        group = result.get("group")
        if isinstance(group, dict) and (
            group.get("flowId", flow_id) != flow_id or group.get("flowVersion", version) != version
        ):
            continue  # a group of another flow or version never counts for this one
        data = result.get("data")
        for interval in data if isinstance(data, list) else []:
            metrics = interval.get("metrics") if isinstance(interval, dict) else None
            for metric in metrics if isinstance(metrics, list) else []:
                if not isinstance(metric, dict) or metric.get("metric") not in totals:
                    continue
                stats = metric.get("stats")
                if isinstance(stats, dict):
                    totals[str(metric["metric"])] += _count(stats.get("count"))
    return VersionSample(
        entries=totals["nFlow"],
        outcomes=totals["nFlowOutcome"],
        failed_outcomes=totals["nFlowOutcomeFailed"],
        exits=totals["tFlowExit"],
        disconnects=totals["tFlowDisconnect"],
    )
