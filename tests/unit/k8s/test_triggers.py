# ruff: noqa: E501  (a table reads best one case per block)
"""What a watch event means for a release's next pass, as a table: run now, book a drift check, or nothing.
The case ids that matter most: a restart with everything Ready runs nothing; our own status writes run
nothing; a spec change or a requestedAt runs at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.k8s.slots import Priority
from flowrelease.k8s.triggers import Fingerprint, Sighting, on_sighting, priority_of, spread

KEY = "team-a/ivr"
DRIFT = 300.0


def body(
    generation: int = 2, *, requested_at: str = "", suspend: bool = False, uid: str = "u-1"
) -> dict[str, Any]:
    annotations = {"reconcile.flowrelease.io/requestedAt": requested_at} if requested_at else {}
    return {
        "metadata": {
            "namespace": "team-a",
            "name": "ivr",
            "uid": uid,
            "generation": generation,
            "annotations": annotations,
        },
        "spec": {"suspend": suspend},
    }


def status(
    phase: str, *, observed: int = 2, conditions: list[dict[str, Any]] | None = None, **extra: Any
) -> FlowReleaseStatus:
    return FlowReleaseStatus.model_validate(
        {"phase": phase, "observedGeneration": observed, "conditions": conditions or [], **extra}
    )


SEEN = Fingerprint(uid="u-1", generation=2, requested_at="")
READY = status(
    "Ready", conditions=[{"type": "Ready", "status": "True", "reason": "Succeeded", "observedGeneration": 2}]
)
HELD = status("Pending", conditions=[{"type": "Stalled", "status": "True", "reason": "FlowConflict"}])
PUBLISHING = status("Publishing", operation={"kind": "publish", "version": "3.0"})
VALIDATING = status("Validating", job={"kind": "validate", "id": "job-1"})


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    body: dict[str, Any]
    status: FlowReleaseStatus
    last: Fingerprint | None
    want: Sighting


CASES = [
    Case("restart-ready", "a restart finds it Ready and handled: no pass, a drift check later", body(), READY, None,
         Sighting(False, Priority.CHECK, spread(KEY, DRIFT), "Ready: next drift check")),
    Case("restart-rolled-back", "a settled failure waits for a change", body(), status("RolledBack"), None,
         Sighting(False, Priority.CHECK, None, "settled (RolledBack): waits for a change")),
    Case("restart-in-flight", "a restart finds a publish in flight: resume it first", body(), PUBLISHING, None,
         Sighting(True, Priority.IN_FLIGHT, None, "not settled")),
    Case("restart-validating", "a restart finds an attempt validating: it goes on before new starts, after work in flight", body(), VALIDATING, None,
         Sighting(True, Priority.STARTED, None, "not settled")),
    Case("new-object", "a new object (no status) starts", body(generation=1), FlowReleaseStatus(), None,
         Sighting(True, Priority.NEW, None, "not settled")),
    Case("restart-spec-changed", "changed while the operator was down: a new attempt", body(generation=3), READY, None,
         Sighting(True, Priority.NEW, None, "not settled")),
    Case("restart-requested", "a requestedAt not handled yet", body(requested_at="2026-01-01T00:00:00Z"), READY, None,
         Sighting(True, Priority.NEW, None, "not settled")),
    Case("restart-held", "held back by another release: is the owner still there", body(), HELD, None,
         Sighting(True, Priority.CHECK, None, "held back by another release: is the owner still there")),
    Case("restart-suspended", "suspended and handled: nothing", body(suspend=True), status("Suspended"), None,
         Sighting(False, Priority.NEW, None, "suspended, and this spec was handled")),
    Case("own-status-write", "the event of our own status write changes nothing a pass reads", body(), PUBLISHING, SEEN,
         Sighting(False, Priority.IN_FLIGHT, None, "nothing a pass reads changed")),
    Case("spec-change", "a new generation runs at once", body(generation=3), READY, SEEN,
         Sighting(True, Priority.NEW, None, "the object, its spec or requestedAt changed")),
    Case("requested-at", "a new requestedAt runs at once", body(requested_at="x"), READY, SEEN,
         Sighting(True, Priority.NEW, None, "the object, its spec or requestedAt changed")),
    Case("recreated", "deleted and created again under the name: a new uid", body(uid="u-2"), READY, SEEN,
         Sighting(True, Priority.NEW, None, "the object, its spec or requestedAt changed")),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_watch_event_means(case: Case) -> None:
    assert on_sighting(KEY, case.body, case.status, case.last, drift_seconds=DRIFT) == case.want, case.reason


def test_no_drift_checks_means_no_booking() -> None:
    assert on_sighting(KEY, body(), READY, None, drift_seconds=0.0).check_after is None


def test_first_drift_checks_of_a_fleet_are_spread_over_the_second_half_of_the_interval() -> None:
    afters = [spread(f"ns/release-{index}", DRIFT) for index in range(1000)]
    assert min(afters) >= DRIFT / 2 and max(afters) <= DRIFT
    assert max(afters) - min(afters) > DRIFT / 3
    assert spread("ns/a", DRIFT) == spread("ns/a", DRIFT)


PRIORITY_CASES = [
    ("no-status", FlowReleaseStatus(), Priority.NEW, "nothing begun: a new start"),
    ("pending", status("Pending"), Priority.NEW, "Pending: a new start"),
    ("validating", VALIDATING, Priority.STARTED, "validating: begun, nothing done to the flow yet"),
    ("validating-import", status("Validating", operation={"kind": "import", "version": ""}), Priority.IN_FLIGHT,
     "an import job in flight is work in flight, whatever the phase"),
    ("publishing", PUBLISHING, Priority.IN_FLIGHT, "a publish to see finish"),
    ("publishing-no-operation", status("Publishing"), Priority.IN_FLIGHT, "waiting for someone's operation to end before it publishes"),
    ("verifying", status("Verifying"), Priority.IN_FLIGHT, "a bake stage to judge"),
    ("exporting", status("Exporting"), Priority.IN_FLIGHT, "an export to push"),
    ("rolling-back", status("RollingBack"), Priority.IN_FLIGHT, "a rollback to finish"),
    ("ready", READY, Priority.NEW, "settled: what runs next is new work"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case_id", "state", "expected", "reason"), PRIORITY_CASES, ids=[c[0] for c in PRIORITY_CASES]
)
def test_a_pass_queues_by_what_its_release_has_in_flight(
    case_id: str, state: FlowReleaseStatus, expected: Priority, reason: str
) -> None:
    assert priority_of(state) is expected, reason
