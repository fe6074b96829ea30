"""Flow analytics aggregates (`POST /api/v2/analytics/flows/aggregates/query`) from simulated traffic.

Every interaction of `traffic` contributes its metrics at their own emit time (genesys-realism.md §3):
`nFlow` when it entered; `tFlow`, `tFlowExit` or `tFlowDisconnect`, and — for versions with outcome
actions — `nFlowOutcome`, `nFlowOutcomeFailed` and `tFlowOutcome` when it left. A metric counts in an
interval (or `granularity` bucket) when its emit time falls in it and its ingestion delay is over. Each
metric's group facts are `flowId`, `flowType` (lower-case) and `flowVersion` (the version id, e.g. "3.0",
of the version that served it), which filters and `groupBy` use.

Fixed counts the control plane sets (`PUT /_emulator/analytics`) are added to the first bucket of every
matching query whatever its interval, for tests of the wire shapes only; flow counts go to the flow's
published version unless that version has counts of its own.

Metrics with no data are left out, groups and buckets with no data are not returned, and a query that
matches nothing answers `{}` (no `results` key): clients must not expect the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flowrelease.emulator.analytics_query import FlowQuery, parse_query
from flowrelease.emulator.model import Counts, Flow
from flowrelease.emulator.state import Org
from flowrelease.emulator.traffic import Interaction
from flowrelease.emulator.wire import JsonObject, iso_datetime

GroupKey = tuple[tuple[str, str], ...]
TIMED_METRICS = ("tFlow", "tFlowExit", "tFlowDisconnect", "tFlowOutcome")


@dataclass
class Timed:
    """`StatisticalSummary` of a duration metric, in milliseconds."""

    count: int = 0
    total: int = 0
    low: int = 0
    high: int = 0

    def add(self, milliseconds: int, n: int) -> None:
        self.low = milliseconds if self.count == 0 else min(self.low, milliseconds)
        self.high = max(self.high, milliseconds)
        self.count += n
        self.total += milliseconds * n


@dataclass
class Bucket:
    """The metrics of one group in one interval bucket."""

    counts: dict[str, int] = field(default_factory=dict)
    times: dict[str, Timed] = field(default_factory=dict)

    def count(self, metric: str, n: int = 1) -> None:
        if n:
            self.counts[metric] = self.counts.get(metric, 0) + n

    def time(self, metric: str, milliseconds: int, n: int = 1) -> None:
        if n:
            self.times.setdefault(metric, Timed()).add(milliseconds, n)

    def metric(self, name: str) -> JsonObject | None:
        if name in TIMED_METRICS:
            timed = self.times.get(name)
            if timed is None:
                return None
            stats = {"max": timed.high, "min": timed.low, "count": timed.count, "sum": timed.total}
            return {"metric": name, "stats": stats}
        count = self.counts.get(name, 0)
        return {"metric": name, "stats": {"count": count}} if count > 0 else None


class Aggregation:
    def __init__(self, query: FlowQuery) -> None:
        self.query = query
        self.groups: dict[GroupKey, dict[int, Bucket]] = {}

    def bucket(self, facts: dict[str, str], moment: float | None) -> Bucket | None:
        if not self.query.keep(facts):
            return None
        index = 0 if moment is None else self.query.bucket_of(moment)
        if index is None:
            return None
        key = tuple((dim, facts[dim]) for dim in self.query.group_by if dim in facts)
        return self.groups.setdefault(key, {}).setdefault(index, Bucket())

    def add_interaction(self, interaction: Interaction, now: float) -> None:
        facts = {
            "flowId": interaction.flow_id,
            "flowType": interaction.flow_type.lower(),
            "flowVersion": interaction.version_id,
        }
        if interaction.entered_at + interaction.delay <= now:
            entered = self.bucket(facts, interaction.entered_at)
            if entered is not None:
                entered.count("nFlow")
        if interaction.left_at + interaction.delay > now:
            return
        left = self.bucket(facts, interaction.left_at)
        if left is None:
            return
        milliseconds = round(interaction.seconds_in_flow * 1000)
        left.time("tFlow", milliseconds)
        left.time("tFlowDisconnect" if interaction.disconnected else "tFlowExit", milliseconds)
        if interaction.has_outcome:
            left.count("nFlowOutcome")
            left.count("nFlowOutcomeFailed", int(interaction.outcome_failed))
            left.time("tFlowOutcome", milliseconds)

    def add_fixed(self, flow: Flow, version_id: str, counts: Counts) -> None:
        facts = {"flowId": flow.id, "flowType": flow.type.lower()}
        if version_id:
            facts["flowVersion"] = version_id
        bucket = self.bucket(facts, None)
        if bucket is None:
            return
        bucket.count("nFlow", counts.n_flow)
        bucket.count("nFlowOutcome", counts.n_flow_outcome)
        bucket.count("nFlowOutcomeFailed", counts.n_flow_outcome_failed)
        bucket.count("nFlowMilestone", counts.n_flow_milestone)
        if counts.t_flow_ms:
            bucket.time("tFlow", counts.t_flow_ms, counts.n_flow)

    def response(self) -> JsonObject:
        results: list[JsonObject] = []
        for key, buckets in sorted(self.groups.items()):
            data: list[JsonObject] = []
            for index, bucket in sorted(buckets.items()):
                metrics = [m for name in self.query.metrics if (m := bucket.metric(name)) is not None]
                if metrics:
                    data.append({"interval": self._interval(index), "metrics": metrics})
            if data:
                results.append({"group": dict(key), "data": data})
        return {"results": results} if results else {}

    def _interval(self, index: int) -> str:
        if self.query.bucket_seconds is None:
            return self.query.interval
        start, end = self.query.bucket_bounds(index)
        return f"{iso_datetime(start)}/{iso_datetime(end)}"


def aggregate(org: Org, body: object) -> JsonObject:
    """The `FlowAggregateQueryResponse` for `body` (a `FlowAggregationQuery`) as of the org's clock."""
    aggregation = Aggregation(parse_query(body))
    now = org.clock.now()
    for interaction in org.traffic.interactions():
        aggregation.add_interaction(interaction, now)
    for flow, version_id, counts in _fixed_counts(org):
        aggregation.add_fixed(flow, version_id, counts)
    return aggregation.response()


def _fixed_counts(org: Org) -> Iterable[tuple[Flow, str, Counts]]:
    for flow in org.flows.values():
        own = {v: c for (f, v), c in org.version_counts.items() if f == flow.id}
        flow_counts = org.flow_counts.get(flow.id)
        if flow_counts is not None:
            own.setdefault(flow.published_version_id or "", flow_counts)
        for version_id, counts in sorted(own.items()):
            yield flow, version_id, counts
