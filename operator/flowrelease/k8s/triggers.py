"""What a watch event means for a release's next pass: PURE, and table-tested.

The operator sees every FlowRelease event (kopf's initial listing after a restart included), most of them
caused by its own status writes. A pass is due now only when something a pass reads has changed since the
last one started — the object itself (uid), its spec (generation) or the `requestedAt` annotation — or when
the release is seen for the first time and is not settled. A release first seen settled is not looked at
again at once: a Ready one books its drift check, spread over the second half of the drift interval so a
restart does not check a whole fleet in one burst; a stalled one waits for a change. So a restart with
every release Ready publishes nothing, writes nothing and asks Genesys nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flowrelease.api import conditions as C
from flowrelease.api.models import REQUESTED_AT_ANNOTATION, FlowReleaseStatus, Phase
from flowrelease.api.work_in_flight import has_work_in_flight, is_starting
from flowrelease.k8s import shell_status
from flowrelease.k8s.slots import Priority

SETTLED_PHASES = frozenset({Phase.READY, Phase.ROLLED_BACK, Phase.VALIDATION_FAILED, Phase.FAILED})


@dataclass(frozen=True)
class Fingerprint:
    """What, when it changes, makes a pass due at once."""

    uid: str
    generation: int
    requested_at: str


def fingerprint(body: Mapping[str, Any]) -> Fingerprint:
    meta = body.get("metadata") or {}
    return Fingerprint(
        uid=str(meta.get("uid") or ""),
        generation=int(meta.get("generation") or 1),
        requested_at=str((meta.get("annotations") or {}).get(REQUESTED_AT_ANNOTATION, "")),
    )


@dataclass(frozen=True)
class Sighting:
    run_now: bool
    priority: Priority
    check_after: float | None
    """Book a look after this many seconds (a drift check); None: no booking."""
    reason: str


def priority_of(status: FlowReleaseStatus) -> Priority:
    """Work in flight in Genesys first, then attempts that are validating, then new starts."""
    if has_work_in_flight(status):
        return Priority.IN_FLIGHT
    if is_starting(status):
        return Priority.STARTED
    return Priority.NEW


def settled_and_handled(status: FlowReleaseStatus, generation: int, requested_at: str) -> bool:
    """The release is settled and the engine has handled this spec and request: a pass would only look
    for drift (Ready) or stay stalled."""
    return (
        status.phase in SETTLED_PHASES
        and shell_status.for_engine(status).observed_generation == generation
        and (not requested_at or requested_at == status.last_handled_reconcile_at)
    )


def held_by_another(status: FlowReleaseStatus) -> bool:
    """Stalled because another release owns the flow: it may have gone, so look again."""
    return any(
        c.type == C.STALLED and c.status == "True" and c.reason == C.FLOW_CONFLICT for c in status.conditions
    )


def spread(key: str, interval: float) -> float:
    """A first drift check in the second half of `interval`, the same for the same key."""
    fraction = (zlib.crc32(key.encode()) % 1000) / 1000.0
    return interval * (0.5 + 0.5 * fraction)


def on_sighting(
    key: str,
    body: Mapping[str, Any],
    status: FlowReleaseStatus,
    last: Fingerprint | None,
    *,
    drift_seconds: float,
) -> Sighting:
    """`status`: the newest this operator knows (its own, else the event's); `last`: the fingerprint the
    release's last pass (or booking) was decided on, None when it is first seen."""
    seen = fingerprint(body)
    if last is not None and seen == last:
        return Sighting(False, priority_of(status), None, "nothing a pass reads changed")
    if last is not None:
        return Sighting(True, priority_of(status), None, "the object, its spec or requestedAt changed")
    suspended = (body.get("spec") or {}).get("suspend") is True and status.phase is Phase.SUSPENDED
    if suspended and shell_status.for_engine(status).observed_generation == seen.generation:
        return Sighting(False, Priority.NEW, None, "suspended, and this spec was handled")
    if held_by_another(status):
        return Sighting(True, Priority.CHECK, None, "held back by another release: is the owner still there")
    if settled_and_handled(status, seen.generation, seen.requested_at):
        if status.phase is Phase.READY and drift_seconds > 0:
            return Sighting(False, Priority.CHECK, spread(key, drift_seconds), "Ready: next drift check")
        return Sighting(False, Priority.CHECK, None, f"settled ({status.phase.value}): waits for a change")
    return Sighting(True, priority_of(status), None, "not settled")
