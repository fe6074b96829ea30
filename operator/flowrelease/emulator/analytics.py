"""Flow analytics aggregates (`POST /api/v2/analytics/flows/aggregates/query`) from control-plane counts.

Counts are set per flow and optionally per version. Flow counts are reported for the flow's currently
published version unless that version has counts of its own, so a newly published version is as healthy
as the flow was set to be. Counts do not depend on the query interval. Metrics with no data are left out
and groups with no data are not returned, as the real API does. Filters understand `flowId`,
`flowVersion` and `flowType` predicates (with `and`/`or` and clauses); so does `groupBy`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowrelease.emulator.model import Counts, Flow
from flowrelease.emulator.state import Org
from flowrelease.emulator.vocabulary import FLOW_METRICS
from flowrelease.emulator.wire import JsonObject, bad_request, parse_iso_datetime

Facts = dict[str, str]
GROUP_DIMENSIONS = ("flowId", "flowVersion", "flowType")


def validate_query(body: object) -> tuple[str, list[str], list[str], Callable[[Facts], bool]]:
    if not isinstance(body, dict):
        raise bad_request("The body must be a FlowAggregationQuery object.", field="body")
    interval = body.get("interval")
    if not isinstance(interval, str) or "/" not in interval:
        raise bad_request(
            "interval is required, e.g. 2025-01-01T00:00:00Z/2025-01-02T00:00:00Z.", field="interval"
        )
    start, _, end = interval.partition("/")
    try:
        if parse_iso_datetime(start) >= parse_iso_datetime(end):
            raise bad_request("interval must end after it starts.", field="interval")
    except ValueError:
        raise bad_request(
            f"interval '{interval[:60]}' is not an ISO-8601 interval.", field="interval"
        ) from None
    metrics = body.get("metrics")
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise bad_request("metrics is required: a non-empty list of metric names.", field="metrics")
    unknown = [m for m in metrics if m not in FLOW_METRICS]
    if unknown:
        raise bad_request(f"Unknown metrics {unknown}; valid: {', '.join(FLOW_METRICS)}.", field="metrics")
    group_by = body.get("groupBy", [])
    if not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by):
        raise bad_request("groupBy must be a list of dimension names.", field="groupBy")
    return interval, metrics, group_by, _filter(body.get("filter"))


def _filter(spec: Any) -> Callable[[Facts], bool]:
    if spec is None:
        return lambda _facts: True
    if not isinstance(spec, dict) or spec.get("type") not in {"and", "or"}:
        raise bad_request("filter.type must be 'and' or 'or'.", field="filter")
    parts: list[Callable[[Facts], bool]] = []
    for predicate in spec.get("predicates") or []:
        parts.append(_predicate(predicate))
    for clause in spec.get("clauses") or []:
        parts.append(_filter(clause))
    combine = all if spec["type"] == "and" else any
    return lambda facts: combine(part(facts) for part in parts) if parts else True


def _predicate(spec: Any) -> Callable[[Facts], bool]:
    if not isinstance(spec, dict) or not isinstance(spec.get("dimension"), str):
        raise bad_request("Each predicate needs a dimension.", field="filter.predicates")
    dimension = spec["dimension"]
    operator = spec.get("operator", "matches")
    if operator not in {"matches", "exists", "notExists"}:
        raise bad_request(f"Unknown predicate operator '{operator}'.", field="filter.predicates")
    value = spec.get("value")
    if operator == "exists":
        return lambda facts: dimension in facts
    if operator == "notExists":
        return lambda facts: dimension not in facts
    if dimension not in GROUP_DIMENSIONS:
        return lambda _facts: True  # dimensions the emulator has no data for do not narrow the result
    return lambda facts: facts.get(dimension) == value


def _metric(name: str, counts: Counts) -> JsonObject | None:
    count = {
        "nFlow": counts.n_flow,
        "nFlowOutcome": counts.n_flow_outcome,
        "nFlowOutcomeFailed": counts.n_flow_outcome_failed,
        "nFlowMilestone": counts.n_flow_milestone,
        "tFlow": counts.n_flow if counts.t_flow_ms else 0,
    }.get(name, 0)
    if count <= 0:
        return None
    stats: JsonObject = {"count": count}
    if name == "tFlow":
        stats = {
            "max": counts.t_flow_ms,
            "min": counts.t_flow_ms,
            "count": count,
            "sum": counts.t_flow_ms * count,
        }
    return {"metric": name, "stats": stats}


def _add(total: Counts, more: Counts) -> None:
    total.n_flow += more.n_flow
    total.n_flow_outcome += more.n_flow_outcome
    total.n_flow_outcome_failed += more.n_flow_outcome_failed
    total.n_flow_milestone += more.n_flow_milestone
    total.t_flow_ms = max(total.t_flow_ms, more.t_flow_ms)


def aggregate(org: Org, body: object) -> JsonObject:
    interval, metrics, group_by, keep = validate_query(body)
    groups: dict[tuple[tuple[str, str], ...], Counts] = {}
    for flow in org.flows.values():
        for version_id, counts in _counts_by_version(org, flow):
            facts = {"flowId": flow.id, "flowType": flow.type.lower()}
            if version_id:
                facts["flowVersion"] = version_id
            if not keep(facts):
                continue
            key = tuple((dim, facts[dim]) for dim in group_by if dim in facts)
            _add(groups.setdefault(key, Counts()), counts)
    results: list[JsonObject] = []
    for key, counts in sorted(groups.items()):
        data = [m for name in metrics if (m := _metric(name, counts)) is not None]
        if data:
            results.append({"group": dict(key), "data": [{"interval": interval, "metrics": data}]})
    return {"results": results}


def _counts_by_version(org: Org, flow: Flow) -> list[tuple[str, Counts]]:
    """Counts split by version when a query could tell versions apart; flow counts fill the published one."""
    own = {v: c for (f, v), c in org.version_counts.items() if f == flow.id}
    flow_counts = org.flow_counts.get(flow.id)
    if flow_counts is not None:
        target = flow.published_version_id or ""
        if target not in own:
            own[target] = flow_counts
    return sorted(own.items())
