"""How asynchronous work advances: immediately, after N polls, or after T seconds.

Like moto's managed state, each piece of async work (a publish or check-in operation, an Architect, export or
validate job) gets a `Progress` when it starts. Observing the work (a GET of the flow or job) counts as a
poll; `Progress.poll` says whether this observation sees it finished. Time-based progress reads the
injected clock, so tests move time instead of sleeping.

Rules pick a mode per kind of work (`publish`, `checkin`, `architect_job`, `export_job`, `validate_job`) and
optionally per flow; the first matching rule wins, otherwise the default applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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

    def mode_for(self, kind: str, flow_id: str = "") -> TransitionMode:
        for rule in self.rules:
            if rule.matches(kind, flow_id):
                return rule.mode
        return self.default
