"""R10 realistic timing on the emulator clock (seeded jitter), and `publish-as` another client — over HTTP."""

from __future__ import annotations

import random

import httpx
import pytest

from tests.unit.emulator.conftest import SUPPORT_IVR, Loopback, shown

NO_JITTER = {
    "publish_seconds": 10,
    "checkin_seconds": 5,
    "import_job_seconds": 20,
    "export_job_seconds": 7,
    "validate_job_seconds": 3,
    "jitter": 0,
}


def complete(loopback: Loopback) -> bool:
    return bool(loopback.flow_json()["currentOperation"]["complete"])


def test_r10_a_publish_completes_after_its_seconds_of_the_emulator_clock(loopback: Loopback) -> None:
    loopback.control.set_behaviour(timing=NO_JITTER)
    loopback.publish("3.0")
    assert [complete(loopback) for _ in range(5)] == [False] * 5, "polls alone never finish it"
    loopback.advance(9.99)
    assert not complete(loopback)
    loopback.advance(0.01)
    assert complete(loopback) and loopback.flow_json()["publishedVersion"]["id"] == "3.0"


def test_r10_check_in_and_each_job_kind_take_their_own_seconds(loopback: Loopback) -> None:
    loopback.control.set_behaviour(timing=NO_JITTER)
    loopback.save_draft()
    loopback.action("checkin")
    loopback.advance(4.99)
    assert not complete(loopback)
    loopback.advance(0.01)
    assert loopback.flow_json()["checkedInVersion"]["id"] == "4.0"

    export = loopback.http.post("/api/v2/flows/export/jobs", json={"flows": [{"flow": {"id": SUPPORT_IVR}}]})
    validate = loopback.http.post(
        "/api/v2/flows/validate/jobs", json={"flows": [{"flow": {"id": SUPPORT_IVR, "version": "3.0"}}]}
    )
    job = loopback.http.post("/api/v2/flows/jobs").json()
    document = "inqueueCall:\n  name: Timed Flow\n  startUpTaskActions: []\n"
    httpx.put(job["presignedUrl"], content=document, headers=job["headers"])
    urls = {
        "validate": f"/api/v2/flows/validate/jobs/{validate.json()['id']}",
        "export": f"/api/v2/flows/export/jobs/{export.json()['id']}",
        "import": f"/api/v2/flows/jobs/{job['id']}",
    }
    finished_after: dict[str, int] = {}
    for second in range(1, 21):
        loopback.advance(1)
        for kind, url in urls.items():
            if kind not in finished_after and loopback.http.get(url).json()["status"] == "Success":
                finished_after[kind] = second
    assert finished_after == {"validate": 3, "export": 7, "import": 20}


def test_r10_jitter_is_seeded_and_a_reset_draws_the_same_durations(loopback: Loopback) -> None:
    loopback.control.set_random_seed(7)
    expected = round(10 * (1 + random.Random(7).uniform(-0.5, 0.5)), 3)
    assert 5 <= expected <= 15 and abs(expected - 10) > 0.01

    for attempt in ("first", "after a reset"):
        loopback.control.set_behaviour(timing={**NO_JITTER, "jitter": 0.5})
        loopback.publish("3.0")
        loopback.advance(expected - 0.002)
        assert not complete(loopback), attempt
        loopback.advance(0.004)
        assert complete(loopback), attempt
        loopback.control.reset()
        token = loopback.login("flowrelease-demo", "flowrelease-demo-secret").json()["access_token"]
        loopback.http.headers["Authorization"] = f"Bearer {token}"
    assert httpx.get(f"{loopback.base_url}/_emulator/settings").json()["randomSeed"] == 7


def test_r10_explicit_transition_rules_still_win_over_timing(loopback: Loopback) -> None:
    loopback.control.set_behaviour(timing=NO_JITTER)
    loopback.control.set_transition_mode(
        "polls", polls=1, rules=[{"kind": "publish", "mode": "polls", "polls": 2}]
    )
    loopback.publish("3.0")
    assert [complete(loopback) for _ in range(2)] == [False, True]


def test_r10_timing_overrides_the_transition_default(loopback: Loopback) -> None:
    loopback.control.set_transition_mode("immediate")
    loopback.control.set_behaviour(timing=NO_JITTER)
    loopback.publish("3.0")
    assert not complete(loopback)


def test_r10_timing_off_falls_back_to_the_transition_default(loopback: Loopback) -> None:
    loopback.control.set_behaviour(profile="realistic", timing=None, read_lag={"reads": 0, "seconds": 0})
    loopback.control.set_transition_mode("polls", polls=2)
    loopback.publish("3.0")
    assert [complete(loopback) for _ in range(2)] == [False, True]


@pytest.mark.parametrize(("result", "status"), [("SUCCESS", "SUCCESS"), ("FAILURE", "FAILURE")])
def test_publish_as_another_client_shows_on_current_operation(
    loopback: Loopback, result: str, status: str
) -> None:
    loopback.control.set_behaviour(timing=NO_JITTER)
    started = loopback.control.publish_as(SUPPORT_IVR, client_id="architect-ui", version="3.0", result=result)
    assert started["operation"] == {
        "id": started["operation"]["id"],
        "actionName": "PUBLISH",
        "actionStatus": "STARTED",
        "complete": False,
        "clientId": "architect-ui",
        "result": result,
    }
    running = loopback.flow_json()["currentOperation"]
    assert (running["id"], running["client"]["id"], running["complete"]) == (
        started["operation"]["id"],
        "architect-ui",
        False,
    )
    busy = loopback.publish("3.0")
    assert busy.status_code == 409, "our publish must wait for theirs"
    loopback.advance(10)
    flow = loopback.flow_json()
    assert shown(flow)[1:] == (status, "3.0" if result == "SUCCESS" else "2.0", "3.0")
    assert flow["currentOperation"]["client"]["id"] == "architect-ui"
    if result == "FAILURE":
        operation = flow["currentOperation"]
        assert operation["errorCode"] == "architect.publish.failed"
        assert "architect-ui" in operation["errorMessage"]


def test_publish_as_refuses_bad_input_naming_the_field(loopback: Loopback) -> None:
    url = f"{loopback.base_url}/_emulator/flows/{SUPPORT_IVR}/publish-as"
    for body, status, field in (
        ({"result": "MAYBE"}, 400, "result"),
        ({"clientId": ""}, 400, "clientId"),
        ({"version": "9.0"}, 404, None),
    ):
        refused = httpx.post(url, json=body)
        assert refused.status_code == status, body
        if field:
            assert refused.json()["details"][0]["fieldName"] == field
    missing = httpx.post(f"{loopback.base_url}/_emulator/flows/nope/publish-as", json={})
    assert missing.status_code == 404
