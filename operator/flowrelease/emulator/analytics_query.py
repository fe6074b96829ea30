"""A `FlowAggregationQuery` body checked and parsed (pure): interval, granularity, metrics, groups, filter.

Filters understand `flowId`, `flowVersion` and `flowType` `matches` predicates, `exists`/`notExists` on
any dimension, `and`/`or` and nested clauses. A predicate on another dimension does not narrow the result
(the emulator has no data for it). `granularity` is an ISO-8601 duration in weeks, days, hours, minutes
and seconds (`PT5M`, `PT1H`, `P1D`); months and years are refused, as are more than `MAX_BUCKETS` buckets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowrelease.emulator.vocabulary import FLOW_METRICS
from flowrelease.emulator.wire import bad_request, parse_iso_datetime

Facts = dict[str, str]
GROUP_DIMENSIONS = ("flowId", "flowVersion", "flowType")
MAX_BUCKETS = 1_000
PERIOD = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
PERIOD_SECONDS = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


@dataclass(frozen=True)
class FlowQuery:
    interval: str
    start: float
    end: float
    bucket_seconds: float | None
    metrics: tuple[str, ...]
    group_by: tuple[str, ...]
    keep: Callable[[Facts], bool]

    def bucket_of(self, moment: float) -> int | None:
        """The index of the granularity bucket holding `moment`, None outside the interval."""
        if not self.start <= moment < self.end:
            return None
        if self.bucket_seconds is None:
            return 0
        return int((moment - self.start) // self.bucket_seconds)

    def bucket_bounds(self, index: int) -> tuple[float, float]:
        if self.bucket_seconds is None:
            return self.start, self.end
        start = self.start + index * self.bucket_seconds
        return start, min(start + self.bucket_seconds, self.end)


def parse_period(text: str) -> float:
    """Seconds in an ISO-8601 duration such as `PT5M`; ValueError for months, years or bad text."""
    match = PERIOD.match(text)
    if match is None or text in {"P", "PT"} or text.endswith("T"):
        raise ValueError(text)
    seconds = sum(float(value) * PERIOD_SECONDS[unit] for unit, value in match.groupdict().items() if value)
    if seconds <= 0:
        raise ValueError(text)
    return seconds


def _interval(body: dict[str, Any]) -> tuple[str, float, float]:
    interval = body.get("interval")
    if not isinstance(interval, str) or "/" not in interval:
        raise bad_request(
            "interval is required, e.g. 2025-01-01T00:00:00Z/2025-01-02T00:00:00Z.", field="interval"
        )
    start_text, _, end_text = interval.partition("/")
    try:
        start, end = parse_iso_datetime(start_text), parse_iso_datetime(end_text)
    except ValueError:
        raise bad_request(
            f"interval '{interval[:60]}' is not an ISO-8601 interval.", field="interval"
        ) from None
    if start >= end:
        raise bad_request("interval must end after it starts.", field="interval")
    return interval, start.timestamp(), end.timestamp()


def _granularity(body: dict[str, Any], start: float, end: float) -> float | None:
    granularity = body.get("granularity")
    if granularity is None:
        return None
    try:
        seconds = parse_period(granularity) if isinstance(granularity, str) else 0.0
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise bad_request(
            f"granularity '{str(granularity)[:40]}' is not a period this emulator supports "
            "(weeks, days, hours, minutes, seconds: PT5M, PT1H, P1D).",
            field="granularity",
        )
    if (end - start) / seconds > MAX_BUCKETS:
        raise bad_request(
            f"granularity {granularity} splits the interval into more than {MAX_BUCKETS} buckets.",
            field="granularity",
        )
    return seconds


def parse_query(body: object) -> FlowQuery:
    """The query in `body`; `ApiError` 400 naming the field when it is not a valid query."""
    if not isinstance(body, dict):
        raise bad_request("The body must be a FlowAggregationQuery object.", field="body")
    interval, start, end = _interval(body)
    bucket_seconds = _granularity(body, start, end)
    metrics = body.get("metrics")
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise bad_request("metrics is required: a non-empty list of metric names.", field="metrics")
    unknown = [m for m in metrics if m not in FLOW_METRICS]
    if unknown:
        raise bad_request(f"Unknown metrics {unknown}; valid: {', '.join(FLOW_METRICS)}.", field="metrics")
    group_by = body.get("groupBy", [])
    if not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by):
        raise bad_request("groupBy must be a list of dimension names.", field="groupBy")
    return FlowQuery(
        interval=interval,
        start=start,
        end=end,
        bucket_seconds=bucket_seconds,
        metrics=tuple(metrics),
        group_by=tuple(group_by),
        keep=_filter(body.get("filter")),
    )


def _filter(spec: Any) -> Callable[[Facts], bool]:
    if spec is None:
        return lambda _facts: True
    if not isinstance(spec, dict) or spec.get("type") not in {"and", "or"}:
        raise bad_request("filter.type must be 'and' or 'or'.", field="filter")
    parts: list[Callable[[Facts], bool]] = []
    predicates, clauses = spec.get("predicates") or [], spec.get("clauses") or []
    if not isinstance(predicates, list) or not isinstance(clauses, list):
        raise bad_request("filter.predicates and filter.clauses must be lists.", field="filter")
    for predicate in predicates:
        parts.append(_predicate(predicate))
    for clause in clauses:
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
