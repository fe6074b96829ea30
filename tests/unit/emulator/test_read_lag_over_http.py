"""R1 read-after-write lag and R2 operation ids over loopback HTTP, each knob alone (manual clock).

After a POST action (publish, checkin, unlock, checkout, revert) or an Architect job's Success, reads of the
flow show its previous `currentOperation` and versions until BOTH `reads` stale reads AND `seconds` passed.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.unit.emulator.conftest import BILLING_IVR, SUPPORT_IVR, Loopback, shown

BEFORE = (None, None, "2.0", "3.0")  # the seeded Support IVR: no operation yet, 2.0 published, 3.0 checked in


def test_the_first_n_reads_after_a_publish_show_the_previous_state_then_the_new_one(
    loopback: Loopback,
) -> None:
    loopback.control.set_behaviour(read_lag={"reads": 2, "seconds": 0})
    loopback.control.set_transition_mode("immediate")
    answered = loopback.publish("3.0").json()
    reads = [shown(loopback.flow_json()) for _ in range(4)]
    assert reads == [
        BEFORE,
        BEFORE,
        (answered["id"], "SUCCESS", "3.0", "3.0"),
        (answered["id"], "SUCCESS", "3.0", "3.0"),
    ]


def test_reads_stay_stale_until_the_seconds_have_passed(loopback: Loopback) -> None:
    loopback.control.set_behaviour(read_lag={"reads": 0, "seconds": 30})
    loopback.control.set_transition_mode("immediate")
    answered = loopback.publish("3.0").json()
    assert [shown(loopback.flow_json()) for _ in range(5)] == [BEFORE] * 5
    loopback.advance(29.9)
    assert shown(loopback.flow_json()) == BEFORE
    loopback.advance(0.1)
    assert shown(loopback.flow_json()) == (answered["id"], "SUCCESS", "3.0", "3.0")


@pytest.mark.parametrize("time_first", [True, False], ids=["time-first", "reads-first"])
def test_both_parts_must_be_over(loopback: Loopback, time_first: bool) -> None:
    loopback.control.set_behaviour(read_lag={"reads": 2, "seconds": 30})
    loopback.control.set_transition_mode("immediate")
    answered = loopback.publish("3.0").json()
    fresh = (answered["id"], "SUCCESS", "3.0", "3.0")
    if time_first:
        loopback.advance(30)
        assert [shown(loopback.flow_json()) for _ in range(3)] == [BEFORE, BEFORE, fresh]
    else:
        assert [shown(loopback.flow_json()) for _ in range(4)] == [BEFORE] * 4
        loopback.advance(30)
        assert shown(loopback.flow_json()) == fresh


def test_the_listing_lags_but_the_versions_do_not(loopback: Loopback) -> None:
    loopback.control.set_behaviour(read_lag={"reads": 1, "seconds": 0})
    loopback.control.set_transition_mode("immediate")
    loopback.publish("3.0")
    listed = loopback.http.get("/api/v2/flows", params={"name": "Support IVR"}).json()["entities"]
    assert [f["publishedVersion"]["id"] for f in listed] == ["2.0"]
    versions = loopback.http.get(f"/api/v2/flows/{SUPPORT_IVR}/versions").json()["entities"]
    assert [(v["id"], v["type"]) for v in versions] == [
        ("1.0", "CHECKIN"),
        ("2.0", "PUBLISH"),
        ("3.0", "PUBLISH"),
    ]
    assert loopback.http.get(f"/api/v2/flows/{SUPPORT_IVR}/versions/3.0").json()["type"] == "PUBLISH"
    assert loopback.flow_json()["publishedVersion"]["id"] == "3.0", (
        "the listing read counted as the one stale read"
    )


def test_a_pending_operation_shows_late_and_its_completion_shows_late(loopback: Loopback) -> None:
    loopback.control.set_behaviour(read_lag={"reads": 1, "seconds": 0})
    loopback.control.set_transition_mode("polls", polls=2)
    answered = loopback.publish("3.0").json()
    first, second = shown(loopback.flow_json()), shown(loopback.flow_json())
    assert (first, second) == (BEFORE, (answered["id"], "SUCCESS", "3.0", "3.0"))


def test_checkin_lags_the_checked_in_and_saved_versions(loopback: Loopback) -> None:
    loopback.control.set_transition_mode("immediate")
    loopback.action("checkout")
    loopback.save_draft()
    loopback.control.set_behaviour(read_lag={"reads": 1, "seconds": 0})
    loopback.action("checkin")
    stale, fresh = loopback.flow_json(), loopback.flow_json()
    assert (stale["savedVersion"]["id"], stale["checkedInVersion"]["id"]) == ("4.0", "3.0")
    assert stale["currentOperation"]["actionName"] == "CHECKOUT"
    assert "savedVersion" not in fresh and fresh["checkedInVersion"]["id"] == "4.0"
    assert fresh["currentOperation"]["actionName"] == "CHECKIN"


@pytest.mark.parametrize("action", ["checkout", "unlock", "revert"])
def test_synchronous_actions_answer_the_new_state_but_reads_show_the_old(
    loopback: Loopback, action: str
) -> None:
    if action != "checkout":
        loopback.action("checkout")
    previous = loopback.flow_json().get("currentOperation")
    loopback.control.set_behaviour(read_lag={"reads": 1, "seconds": 0})
    answer = loopback.action(action).json()
    expected = {"checkout": "CHECKOUT", "unlock": "STATE_CHANGE", "revert": "REVERT"}[action]
    assert answer["currentOperation"]["actionName"] == expected
    assert loopback.flow_json().get("currentOperation") == previous
    assert loopback.flow_json()["currentOperation"] == answer["currentOperation"]


def test_a_flow_an_architect_job_creates_is_a_404_until_the_lag_is_over(loopback: Loopback) -> None:
    loopback.control.set_behaviour(read_lag={"reads": 2, "seconds": 0})
    job = loopback.http.post("/api/v2/flows/jobs").json()
    document = "inqueueCall:\n  name: Lagging Queue Flow\n  startUpTaskActions: []\n"
    assert httpx.put(job["presignedUrl"], content=document, headers=job["headers"]).status_code == 200
    state = loopback.http.get(f"/api/v2/flows/jobs/{job['id']}").json()
    assert state["status"] == "Success"
    flow_id = state["flow"]["id"]
    listed = loopback.http.get("/api/v2/flows", params={"name": "Lagging"}).json()
    assert (listed["total"], listed["entities"]) == (0, [])
    hidden = loopback.flow(flow_id)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not.found")
    assert loopback.flow_json(flow_id)["publishedVersion"]["id"] == "1.0", "2 reads served: visible now"


def test_a_job_republishing_an_existing_flow_shows_the_old_version_first(loopback: Loopback) -> None:
    loopback.control.set_behaviour(read_lag={"reads": 1, "seconds": 0})
    job = loopback.http.post("/api/v2/flows/jobs").json()
    document = (
        "inboundCall:\n  name: Billing IVR\n  startUpRef: /inboundCall/tasks/task[T_1]\n  tasks:\n"
        "    - task:\n        name: T\n        refId: T_1\n"
    )
    httpx.put(job["presignedUrl"], content=document, headers=job["headers"])
    assert loopback.http.get(f"/api/v2/flows/jobs/{job['id']}").json()["flow"]["id"] == BILLING_IVR
    assert [shown(loopback.flow_json(BILLING_IVR))[2] for _ in range(2)] == ["2.0", "3.0"]


def test_without_the_knob_the_first_read_shows_the_new_state(loopback: Loopback) -> None:
    loopback.control.set_transition_mode("immediate")
    answered = loopback.publish("3.0").json()
    assert shown(loopback.flow_json()) == (answered["id"], "SUCCESS", "3.0", "3.0")


def test_r2_the_flow_shows_another_operation_id_than_the_post_answered(loopback: Loopback) -> None:
    loopback.control.set_behaviour(operation_id_mismatch=True)
    answered = loopback.publish("3.0").json()
    operation = loopback.flow_json()["currentOperation"]
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")
    assert uuid.match(answered["id"]) and uuid.match(operation["id"])
    assert operation["id"] != answered["id"]
    assert operation["client"]["id"] == answered["client"]["id"] == "flowrelease-demo"
    assert (operation["actionName"], operation["actionStatus"]) == ("PUBLISH", "SUCCESS")


def test_r2_off_the_flow_shows_the_id_the_post_answered(loopback: Loopback) -> None:
    answered = loopback.publish("3.0").json()
    assert loopback.flow_json()["currentOperation"]["id"] == answered["id"]
