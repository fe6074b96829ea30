"""How asynchronous work advances: immediately, after N polls, or after T seconds.

Like moto's managed state, each piece of async work (a publish or check-in operation, an Architect, export or
validate job) gets a `Progress` when it starts. Observing the work (a GET of the flow or job) counts as a
poll; `Progress.poll` says whether this observation sees it finished. Time-based progress reads the
injected clock, so tests move time instead of sleeping.

Rules pick a mode per kind of work (`publish`, `checkin`, `architect_job`, `export_job`, `validate_job`) and
optionally per flow; the first matching rule wins. Otherwise the behaviour's `timing` (R10) applies when set
— `seconds` mode with that kind's duration ± its jitter, drawn from the org's seeded generator — and the
default mode when not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from flowrelease.emulator.behaviour import Timing

Mode = Literal["immediate", "polls", "seconds"]
WORK_KINDS: tuple[str, ...] = ("publish", "checkin", "architect_job", "export_job", "validate_job")


@dataclass(frozen=True)
class TransitionMode:
    """`immediate`; `polls`: the N-th observation sees the work done; `seconds`: done T s after start."""

    mode: Mode = "polls"
    polls: int = 1
    seconds: float = 0.0

    def start(self, now: float) -> Progress:
        return Progress(self, started_at=now)


@dataclass
class Progress:
    mode: TransitionMode
    started_at: float
    polls_seen: int = 0

    def due(self, now: float) -> bool:
        """Whether the work is finished without counting an observation."""
        if self.mode.mode == "immediate":
            return True
        if self.mode.mode == "seconds":
            return now >= self.started_at + self.mode.seconds
        return self.polls_seen >= self.mode.polls

    def poll(self, now: float) -> bool:
        """Count one observation and say whether it sees the work finished."""
        self.polls_seen += 1
        return self.due(now)


@dataclass(frozen=True)
class TransitionRule:
    mode: TransitionMode
    kind: str = ""
    flow_id: str = ""

    def matches(self, kind: str, flow_id: str) -> bool:
        return (not self.kind or self.kind == kind) and (not self.flow_id or self.flow_id == flow_id)


@dataclass
class TransitionSettings:
    default: TransitionMode = field(default_factory=TransitionMode)
    rules: list[TransitionRule] = field(default_factory=list)

    def rule_for(self, kind: str, flow_id: str = "") -> TransitionMode | None:
        for rule in self.rules:
            if rule.matches(kind, flow_id):
                return rule.mode
        return None

    def mode_for(
        self, kind: str, flow_id: str = "", *, timing: Timing | None = None, rng: random.Random | None = None
    ) -> TransitionMode:
        """The first matching rule's mode, else `timed_mode` when `timing` is set, else the default."""
        rule = self.rule_for(kind, flow_id)
        if rule is not None:
            return rule
        if timing is not None:
            return timed_mode(kind, timing, rng or random.Random(0))
        return self.default


def timed_mode(kind: str, timing: Timing, rng: random.Random) -> TransitionMode:
    """`seconds` mode lasting the kind's duration scaled by a uniform draw from [1 - jitter, 1 + jitter]."""
    base = timing.seconds_for(kind)
    factor = 1.0 + rng.uniform(-timing.jitter, timing.jitter) if timing.jitter else 1.0
    return TransitionMode(mode="seconds", seconds=round(base * factor, 3))
