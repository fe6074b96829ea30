"""R6 Architect jobs held `Registered` and message-less failures, R7 validate jobs unavailable — over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowrelease.emulator.jobs.lifecycle import Job
from flowrelease.emulator.transitions import Progress, TransitionMode
from tests.unit.emulator.conftest import SUPPORT_IVR, Loopback

GOOD = "inqueueCall:\n  name: Job Queue Flow\n  startUpTaskActions: []\n"
BROKEN = (
    "inqueueCall:\n  name: Job Queue Flow\n  startUpTaskActions:\n    - transferToAcd:\n"
    "        name: To nowhere\n        targetQueue:\n          lit:\n            name: No Such Queue\n"
)


def upload(loopback: Loopback, document: str) -> str:
    job = loopback.http.post("/api/v2/flows/jobs").json()
    assert httpx.put(job["presignedUrl"], content=document, headers=job["headers"]).status_code == 200
    return str(job["id"])


def job_state(loopback: Loopback, job_id: str) -> Any:
    return loopback.http.get(f"/api/v2/flows/jobs/{job_id}", params={"expand": "messages"}).json()


def validate(loopback: Loopback, version: str = "3.0") -> httpx.Response:
    body = {"flows": [{"flow": {"id": SUPPORT_IVR, "version": version}}]}
    return loopback.http.post("/api/v2/flows/validate/jobs", json=body)


def test_r6_an_uploaded_job_says_registered_for_n_polls_then_finishes(loopback: Loopback) -> None:
    loopback.control.set_behaviour(job_registered_polls=3)
    job_id = upload(loopback, GOOD)
    statuses = [job_state(loopback, job_id)["status"] for _ in range(5)]
    assert statuses == ["Registered", "Registered", "Registered", "Success", "Success"]


def test_r6_a_held_job_finishes_by_its_timing_only_after_the_registered_polls(loopback: Loopback) -> None:
    loopback.control.set_behaviour(job_registered_polls=2)
    loopback.control.set_transition_mode("seconds", seconds=10)
    job_id = upload(loopback, GOOD)
    loopback.advance(60)
    assert [job_state(loopback, job_id)["status"] for _ in range(3)] == [
        "Registered",
        "Registered",
        "Success",
    ]


def test_r6_a_held_job_is_started_while_its_time_has_not_come(loopback: Loopback) -> None:
    loopback.control.set_behaviour(job_registered_polls=1)
    loopback.control.set_transition_mode("seconds", seconds=10)
    job_id = upload(loopback, GOOD)
    assert [job_state(loopback, job_id)["status"] for _ in range(2)] == ["Registered", "Started"]
    loopback.advance(10)
    assert job_state(loopback, job_id)["status"] == "Success"


def test_r6_a_held_job_no_one_reads_moves_on_by_its_clock_with_registered_seconds(loopback: Loopback) -> None:
    # A Genesys job runs on its own clock: N polls OR T seconds, whichever comes first.
    loopback.control.set_behaviour(job_registered_polls=3, job_registered_seconds=1.0)
    loopback.control.set_transition_mode("seconds", seconds=10)
    job_id = upload(loopback, GOOD)
    loopback.advance(10)
    assert job_state(loopback, job_id)["status"] == "Success", "finished unread, on time"


def test_r6_registered_seconds_end_the_hold_before_the_polls_are_served(loopback: Loopback) -> None:
    loopback.control.set_behaviour(job_registered_polls=3, job_registered_seconds=2.0)
    loopback.control.set_transition_mode("seconds", seconds=10)
    job_id = upload(loopback, GOOD)
    assert job_state(loopback, job_id)["status"] == "Registered"
    loopback.advance(2)
    assert job_state(loopback, job_id)["status"] == "Started", "held by time, not by the two GETs owed"


def test_r6_polls_only_a_held_job_no_one_reads_never_finishes(loopback: Loopback) -> None:
    # The adversarial reading, kept as a knob (jobRegisteredSeconds: null): only GETs release the job.
    loopback.control.set_behaviour(job_registered_polls=2, job_registered_seconds=None)
    loopback.control.set_transition_mode("seconds", seconds=10)
    job_id = upload(loopback, GOOD)
    loopback.advance(600)
    statuses = [job_state(loopback, job_id)["status"] for _ in range(3)]
    assert statuses == ["Registered", "Registered", "Success"]


def _timed_job(polls: int, until: float | None, seconds: float = 10.0) -> Job:
    job = Job("job-1", registered_polls=polls, registered_until=until)
    job.progress = Progress(TransitionMode("seconds", seconds=seconds), started_at=100.0)
    return job


@pytest.mark.parametrize(
    ("case_id", "polls", "until", "now", "held", "due", "reason"),
    [
        ("not-held", 0, None, 100.0, False, 110.0, "no polls owed: finishes by its time"),
        ("polls-only", 2, None, 1e6, True, None, "polls only: held however long, nothing timed"),
        ("time-pending", 2, 101.0, 100.5, True, 110.0, "both owed; the time ends the hold before the work"),
        ("time-over", 2, 101.0, 101.0, False, 110.0, "the time came first: not held any more"),
        ("hold-outlasts", 1, 130.0, 120.0, True, 130.0, "held past its time: done at the hold's end"),
    ],
)
def test_job_held_and_due_at(
    case_id: str, polls: int, until: float | None, now: float, held: bool, due: float | None, reason: str
) -> None:
    job = _timed_job(polls, until)
    assert (job.held(now), job.due_at()) == (held, due), (case_id, reason)


def test_r6_a_second_upload_to_a_held_job_is_a_conflict(loopback: Loopback) -> None:
    loopback.control.set_behaviour(job_registered_polls=3)
    job = loopback.http.post("/api/v2/flows/jobs").json()
    first = httpx.put(job["presignedUrl"], content=GOOD, headers=job["headers"])
    again = httpx.put(job["presignedUrl"], content=GOOD, headers=job["headers"])
    assert (first.status_code, again.status_code) == (200, 409)


def test_r6_without_the_knob_the_first_poll_after_the_upload_sees_success(loopback: Loopback) -> None:
    job_id = upload(loopback, GOOD)
    assert job_state(loopback, job_id)["status"] == "Success"


def test_r6_message_less_failures_carry_no_messages(loopback: Loopback) -> None:
    loopback.control.set_behaviour(messageless_failures=True)
    failed = job_state(loopback, upload(loopback, BROKEN))
    assert failed == {
        "id": failed["id"],
        "status": "Failure",
        "command": "Publish",
        "selfUri": failed["selfUri"],
    }
    sales = next(r for r in loopback.control.state()["resources"] if r["name"] == "Sales")
    loopback.control.delete_resource(sales["id"])
    state = loopback.http.get(
        f"/api/v2/flows/validate/jobs/{validate(loopback).json()['id']}", params={"expand": "messages"}
    ).json()
    assert state["status"] == "Failure" and "messages" not in state


def test_r6_failures_carry_their_messages_without_the_knob(loopback: Loopback) -> None:
    failed = job_state(loopback, upload(loopback, BROKEN))
    assert failed["status"] == "Failure"
    assert any("No Such Queue" in m["text"] and m["type"] == "Error" for m in failed["messages"])


def test_r6_successes_keep_their_messages_under_the_knob(loopback: Loopback) -> None:
    loopback.control.set_behaviour(messageless_failures=True)
    loopback.control.set_validation_warnings(SUPPORT_IVR, ["Prompt has no en-us audio"])
    state = loopback.http.get(
        f"/api/v2/flows/validate/jobs/{validate(loopback).json()['id']}", params={"expand": "messages"}
    ).json()
    assert state["status"] == "Success"
    assert [(m["type"], m["text"]) for m in state["messages"]] == [
        ("Warning", "Support IVR v3.0: Prompt has no en-us audio")
    ]


@pytest.mark.parametrize(
    ("status", "code"), [(404, "not.found"), (403, "missing.permissions"), (501, "not.implemented")]
)
def test_r7_validate_jobs_answer_the_status_the_knob_names(
    loopback: Loopback, status: int, code: str
) -> None:
    registered = validate(loopback).json()["id"]
    loopback.control.set_behaviour(validate_jobs=status)
    for response in (validate(loopback), loopback.http.get(f"/api/v2/flows/validate/jobs/{registered}")):
        body = response.json()
        assert (response.status_code, body["status"], body["code"]) == (status, status, code)
        assert body["contextId"] == response.headers["ININ-Correlation-Id"]
    assert loopback.control.request_count(path="/api/v2/flows/validate/jobs*", status=status) == 2


def test_r7_other_jobs_still_work_when_validate_jobs_are_unavailable(loopback: Loopback) -> None:
    loopback.control.set_behaviour(validate_jobs=404)
    assert job_state(loopback, upload(loopback, GOOD))["status"] == "Success"
    export = loopback.http.post("/api/v2/flows/export/jobs", json={"flows": [{"flow": {"id": SUPPORT_IVR}}]})
    assert export.status_code == 200
