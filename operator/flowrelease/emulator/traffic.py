"""Simulated traffic: interactions entering flows, each served by the version published when it entered.

A flow with a `TrafficSource` is entered at `entries_per_minute` (a Poisson process drawn from a generator
seeded per flow, so a reset replays the same traffic). Each interaction

- enters at `t` and is served by the version that was published at `t` for its whole stay (a publish
  while it is in the flow does not move it); nobody enters a flow with no published version;
- fails with its version's failure ratio ("version X fails Y %", else the source's `failure_ratio`), or
  abandons (the caller hangs up) with `abandon_ratio`; either way it ends in a disconnect, otherwise it
  exits the flow (a transfer to a queue or another flow);
- has one flow outcome exactly when its version's configuration has Initialize/Set Flow Outcome actions
  (`sets_flow_outcomes`); in-queue flows never do. An outcome not completed by the end of the interaction
  counts as failed (genesys-realism.md §3), so abandons fail outcomes too;
- stays `flow_seconds` times a uniform draw from [0.5, 1.5].

Metrics carry their own emit time (§3): `nFlow` on entry, the rest when the interaction leaves the flow. An
aggregate shows a metric only once the behaviour's `ingestionDelay` (± jitter, drawn per interaction) has
passed after it was emitted (see `analytics`).

Traffic is generated lazily: `catch_up` (called before every API request and every traffic control call)
draws the interactions up to now. Which version was published when is read from the flow at each catch-up
(`date_published` of a newly published version), so a publish is placed at the right time however late the
next catch-up comes. Knob changes apply to interactions entering after them. The book keeps one day of
interactions per flow.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from flowrelease.emulator.behaviour import IngestionDelay
from flowrelease.emulator.model import Flow, JsonObject

RETENTION_SECONDS = 86_400.0
MAX_ENTRIES_PER_MINUTE = 600.0
IN_QUEUE_FLOW_TYPES = frozenset({"INQUEUECALL", "INQUEUEEMAIL", "INQUEUESHORTMESSAGE"})
# The Archy YAML action keys, and the action types of Architect's JSON flow format.
OUTCOME_ACTION_KEYS = frozenset({"initializeFlowOutcome", "setFlowOutcome"})
OUTCOME_ACTION_TYPES = frozenset({"InitializeFlowOutcomeAction", "SetFlowOutcomeAction"})


def sets_flow_outcomes(flow_type: str, configuration: object) -> bool:
    """Whether a version of a `flow_type` flow with this configuration sets flow outcomes at all."""
    if flow_type.upper() in IN_QUEUE_FLOW_TYPES:
        return False
    stack: list[object] = [configuration]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(key in OUTCOME_ACTION_KEYS for key in node):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and node in OUTCOME_ACTION_TYPES:
            return True
    return False


@dataclass(frozen=True)
class TrafficSource:
    """How a flow is entered: the rate, the baseline failure and abandon ratios, the time spent in it."""

    entries_per_minute: float
    failure_ratio: float = 0.0
    abandon_ratio: float = 0.0
    flow_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class Interaction:
    """One entry into a flow, and how it left."""

    flow_id: str
    flow_type: str
    version_id: str
    entered_at: float
    left_at: float
    delay: float
    """Seconds from a metric's emit time until aggregates show it."""
    has_outcome: bool
    failed: bool
    abandoned: bool

    @property
    def disconnected(self) -> bool:
        return self.failed or self.abandoned

    @property
    def outcome_failed(self) -> bool:
        return self.has_outcome and self.disconnected

    @property
    def seconds_in_flow(self) -> float:
        return self.left_at - self.entered_at


@dataclass
class FlowTraffic:
    """The traffic state of one flow: its source, what was published when, the interactions drawn."""

    source: TrafficSource
    rng: random.Random
    generated_until: float
    next_entry_at: float
    served_since: list[float] = field(default_factory=list)
    served_version: list[str] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)

    def version_at(self, moment: float) -> str:
        index = bisect.bisect_right(self.served_since, moment) - 1
        return self.served_version[index] if index >= 0 else ""


@dataclass(frozen=True)
class VersionTotals:
    """Everything drawn so far for one version (whether aggregates show it yet or not)."""

    entries: int = 0
    left: int = 0
    outcomes: int = 0
    outcomes_failed: int = 0
    disconnects: int = 0
    failed: int = 0
    abandoned: int = 0


class TrafficBook:
    """The traffic of every flow of one org."""

    def __init__(self, random_seed: int = 0) -> None:
        self.random_seed = random_seed
        self.flows: dict[str, FlowTraffic] = {}
        self.version_failure: dict[tuple[str, str], float] = {}
        self._outcomes: dict[tuple[str, str], bool] = {}

    def reseed(self, random_seed: int) -> None:
        self.random_seed = random_seed
        for flow_id, traffic in self.flows.items():
            traffic.rng = self._rng(flow_id)

    def _rng(self, flow_id: str) -> random.Random:
        return random.Random(f"{self.random_seed}/{flow_id}")

    # -- configuration (callers catch up first, so a change applies from now on) -----------------------

    def start(self, flow: Flow, source: TrafficSource, now: float) -> None:
        """Traffic into `flow` from `now` on (a running source changes rate from now on)."""
        traffic = self.flows.get(flow.id)
        if traffic is None:
            traffic = FlowTraffic(source, self._rng(flow.id), generated_until=now, next_entry_at=now)
            self.flows[flow.id] = traffic
            self._follow_publishes(flow, traffic, now)
        traffic.source = source
        traffic.next_entry_at = now + self._gap(traffic)

    def stop(self, flow_id: str) -> None:
        """No more entries into the flow; what was drawn stays queryable."""
        traffic = self.flows.get(flow_id)
        if traffic is not None:
            traffic.source = TrafficSource(entries_per_minute=0.0)
            traffic.next_entry_at = float("inf")

    def set_version_failure(self, flow_id: str, version_id: str, ratio: float | None) -> None:
        """Version `version_id` of the flow fails `ratio` of its interactions (None: the source's ratio)."""
        if ratio is None:
            self.version_failure.pop((flow_id, version_id), None)
        else:
            self.version_failure[(flow_id, version_id)] = ratio

    def failure_ratio(self, flow_id: str, version_id: str) -> float:
        traffic = self.flows.get(flow_id)
        baseline = traffic.source.failure_ratio if traffic else 0.0
        return self.version_failure.get((flow_id, version_id), baseline)

    def clear(self, flow_id: str = "") -> None:
        """Forget the traffic of one flow (every flow without `flow_id`), its interactions and knobs."""
        if not flow_id:
            self.flows.clear()
            self.version_failure.clear()
            return
        self.flows.pop(flow_id, None)
        self.version_failure = {k: v for k, v in self.version_failure.items() if k[0] != flow_id}

    # -- generation -----------------------------------------------------------------------------------

    def catch_up(self, flows: Mapping[str, Flow], now: float, delay: IngestionDelay) -> None:
        """Draw every interaction that entered up to `now`."""
        for flow_id, traffic in self.flows.items():
            flow = flows.get(flow_id)
            if flow is not None:
                self._follow_publishes(flow, traffic, now)
            self._generate(flow_id, flow, traffic, now, delay)

    def _follow_publishes(self, flow: Flow, traffic: FlowTraffic, now: float) -> None:
        published = "" if flow.deleted else flow.published_version_id
        current = traffic.served_version[-1] if traffic.served_version else None
        if published == current:
            return
        version = flow.versions.get(published)
        since = version.date_published if version is not None and version.date_published else now
        if traffic.served_since:
            since = max(since, traffic.served_since[-1])
        traffic.served_since.append(since)
        traffic.served_version.append(published)

    def _gap(self, traffic: FlowTraffic) -> float:
        rate = min(traffic.source.entries_per_minute, MAX_ENTRIES_PER_MINUTE) / 60.0
        return traffic.rng.expovariate(rate) if rate > 0 else float("inf")

    def _generate(
        self, flow_id: str, flow: Flow | None, traffic: FlowTraffic, now: float, delay: IngestionDelay
    ) -> None:
        horizon = now - RETENTION_SECONDS
        if traffic.next_entry_at < horizon:  # a long clock jump: draw only what the book would keep
            traffic.next_entry_at = horizon + self._gap(traffic)
        while traffic.next_entry_at <= now:
            entered = traffic.next_entry_at
            version_id = traffic.version_at(entered)
            if version_id and flow is not None:
                traffic.interactions.append(self._draw(flow, traffic, version_id, entered, delay))
            traffic.next_entry_at = entered + self._gap(traffic)
        traffic.generated_until = now
        if traffic.interactions and traffic.interactions[0].left_at < horizon:
            traffic.interactions = [i for i in traffic.interactions if i.left_at >= horizon]

    def _draw(
        self, flow: Flow, traffic: FlowTraffic, version_id: str, entered: float, delay: IngestionDelay
    ) -> Interaction:
        rng, source = traffic.rng, traffic.source
        failed = rng.random() < self.failure_ratio(flow.id, version_id)
        abandoned = not failed and rng.random() < source.abandon_ratio
        stay = source.flow_seconds * rng.uniform(0.5, 1.5)
        spread = rng.uniform(-delay.jitter, delay.jitter) if delay.jitter else 0.0
        lag = delay.seconds * (1.0 + spread)
        return Interaction(
            flow_id=flow.id,
            flow_type=flow.type,
            version_id=version_id,
            entered_at=entered,
            left_at=entered + stay,
            delay=lag,
            has_outcome=self._has_outcome(flow, version_id),
            failed=failed,
            abandoned=abandoned,
        )

    def _has_outcome(self, flow: Flow, version_id: str) -> bool:
        key = (flow.id, version_id)
        if key not in self._outcomes:
            version = flow.versions.get(version_id)
            configuration: JsonObject = version.configuration if version is not None else {}
            self._outcomes[key] = sets_flow_outcomes(flow.type, configuration)
        return self._outcomes[key]

    # -- reading --------------------------------------------------------------------------------------

    def interactions(self) -> Iterator[Interaction]:
        for traffic in self.flows.values():
            yield from traffic.interactions

    def totals(self, flow_id: str, now: float) -> dict[str, VersionTotals]:
        """Per version: what was drawn for the flow so far (aggregates may not show all of it yet)."""
        traffic = self.flows.get(flow_id)
        return totals_by_version(traffic.interactions if traffic else [], now)


def totals_by_version(interactions: Iterable[Interaction], now: float) -> dict[str, VersionTotals]:
    counts: dict[str, list[int]] = {}
    for interaction in interactions:
        row = counts.setdefault(interaction.version_id, [0] * 7)
        row[0] += 1
        if interaction.left_at <= now:
            row[1] += 1
            row[2] += interaction.has_outcome
            row[3] += interaction.outcome_failed
            row[4] += interaction.disconnected
        row[5] += interaction.failed
        row[6] += interaction.abandoned
    return {version: VersionTotals(*row) for version, row in sorted(counts.items())}
