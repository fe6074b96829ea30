"""Profiles as combinations of knobs, reset semantics, and profile selection in `create_app`/`EmulatorServer`.

The two release walks below run the same calls on each profile over loopback HTTP with a manual clock and a
fixed random seed, so every answer — including the realistic profile's jittered durations — is exact.
"""

from __future__ import annotations

import random
import re

import httpx
import pytest

from flowrelease.emulator import create_app
from flowrelease.emulator.server import EmulatorServer
from tests.unit.emulator.conftest import SUPPORT_IVR, Loopback, shown
from tests.unit.emulator.test_behaviour_knobs import IDEAL_JSON, REALISTIC_JSON

DRAFT_ID = re.compile(r"^saved_version_[0-9a-f-]{36}$")


def relogin(loopback: Loopback) -> None:
    token = loopback.login("flowrelease-demo", "flowrelease-demo-secret").json()["access_token"]
    loopback.http.headers["Authorization"] = f"Bearer {token}"


def test_a_release_on_the_realistic_profile_meets_every_behaviour_at_once(loopback: Loopback) -> None:
    loopback.control.set_random_seed(0)
    loopback.control.reset(profile="realistic")
    relogin(loopback)
    draws = random.Random(0)
    checkin_seconds = round(2 * (1 + draws.uniform(-0.25, 0.25)), 3)
    publish_seconds = round(4 * (1 + draws.uniform(-0.25, 0.25)), 3)
    assert (checkin_seconds, publish_seconds) == (2.344, 4.516)

    draft = loopback.save_draft().json()["id"]
    assert DRAFT_ID.match(draft)
    checkin = loopback.action("checkin").json()
    stale = [loopback.flow_json() for _ in range(2)]
    assert [shown(f) for f in stale] == [(None, None, "2.0", "3.0")] * 2
    assert [f["savedVersion"]["id"] for f in stale] == [draft, draft]
    loopback.advance(1.5)
    running = loopback.flow_json()["currentOperation"]
    assert (running["actionName"], running["complete"]) == ("CHECKIN", False)
    assert running["id"] != checkin["id"] and running["client"]["id"] == "flowrelease-demo"
    loopback.advance(checkin_seconds - 1.5 - 0.01)
    assert loopback.flow_json()["currentOperation"]["complete"] is False
    loopback.advance(0.02)
    checked_in = loopback.flow_json()
    assert shown(checked_in) == (running["id"], "SUCCESS", "2.0", "4.0") and "savedVersion" not in checked_in
    assert loopback.http.get(f"/api/v2/flows/{SUPPORT_IVR}/versions/{draft}").status_code == 404

    publish = loopback.publish("4.0").json()
    assert [shown(loopback.flow_json()) for _ in range(2)] == [(running["id"], "SUCCESS", "2.0", "4.0")] * 2
    loopback.advance(1.5)
    publishing = loopback.flow_json()["currentOperation"]
    assert (publishing["actionName"], publishing["complete"]) == ("PUBLISH", False)
    assert publishing["id"] != publish["id"]
    loopback.advance(publish_seconds - 1.5 - 0.01)
    assert loopback.flow_json()["currentOperation"]["complete"] is False
    loopback.advance(0.02)
    assert shown(loopback.flow_json()) == (publishing["id"], "SUCCESS", "4.0", "4.0")

    for ignored in ("2.0", "9.0"):  # older and missing: 200, and nothing happens
        assert loopback.publish(ignored).status_code == 200
    loopback.advance(60)
    assert shown(loopback.flow_json()) == (publishing["id"], "SUCCESS", "4.0", "4.0")
    validate = loopback.http.post(
        "/api/v2/flows/validate/jobs", json={"flows": [{"flow": {"id": SUPPORT_IVR}}]}
    )
    assert validate.status_code == 404
    assert not [h for h in validate.headers if h.startswith("inin-ratelimit")]
    loopback.http.delete(f"/api/v2/flows/{SUPPORT_IVR}")
    assert loopback.flow().status_code == 410
    logins = [loopback.login("flowrelease-demo", "flowrelease-demo-secret").status_code for _ in range(61)]
    assert logins == [200] * 60 + [429], "a full bucket of 60 logins per minute"


def test_the_same_release_on_the_ideal_profile_is_done_on_the_first_read(loopback: Loopback) -> None:
    draft = loopback.save_draft().json()["id"]
    assert draft == "4.0"
    checkin = loopback.action("checkin").json()
    assert shown(loopback.flow_json()) == (checkin["id"], "SUCCESS", "2.0", "4.0")
    publish = loopback.publish("4.0").json()
    assert shown(loopback.flow_json()) == (publish["id"], "SUCCESS", "4.0", "4.0")
    older = loopback.publish("2.0").json()
    assert shown(loopback.flow_json()) == (older["id"], "SUCCESS", "2.0", "4.0"), (
        "an older publish is accepted"
    )
    assert loopback.publish("9.0").status_code == 404
    validate = loopback.http.post(
        "/api/v2/flows/validate/jobs", json={"flows": [{"flow": {"id": SUPPORT_IVR}}]}
    )
    assert validate.status_code == 200
    loopback.http.delete(f"/api/v2/flows/{SUPPORT_IVR}")
    assert loopback.flow().status_code == 404


def test_a_reset_keeps_the_start_up_profile_and_forgets_knob_changes(loopback: Loopback) -> None:
    loopback.control.set_behaviour(draft_ids="savedVersionUuid", read_lag={"reads": 3})
    loopback.control.reset()
    assert loopback.control.behaviour() == IDEAL_JSON


def test_a_reset_can_switch_the_profile_until_the_next_plain_reset(loopback: Loopback) -> None:
    loopback.control.reset(profile="realistic")
    assert loopback.control.behaviour() == REALISTIC_JSON
    loopback.control.reset(seed={"clients": [{"id": "x", "secret": "y"}]}, profile="realistic")
    assert loopback.control.behaviour() == REALISTIC_JSON
    loopback.control.reset()
    assert loopback.control.behaviour() == IDEAL_JSON


@pytest.mark.parametrize("profile", [None, "realistic"])
def test_an_empty_reset_keeps_the_start_up_oauth_client(loopback: Loopback, profile: str | None) -> None:
    state = loopback.control.reset(empty=True, profile=profile)
    assert [c["id"] for c in state["clients"]] == ["flowrelease-demo"]
    assert (state["flows"], state["resources"]) == ([], [])
    relogin(loopback)
    assert loopback.http.get("/api/v2/flows").json()["total"] == 0
    assert loopback.control.behaviour()["profile"] == (profile or "ideal")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"profile": "kind"}, "profile"), ({"empty": "yes"}, "empty"), ({"seed": []}, "seed")],
)
def test_a_reset_refuses_bad_input_naming_the_field(loopback: Loopback, body: object, field: str) -> None:
    refused = httpx.post(f"{loopback.base_url}/_emulator/reset", json=body)
    assert (refused.status_code, refused.json()["details"][0]["fieldName"]) == (400, field)


def test_an_unknown_profile_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="unknown emulator profile 'kind'"):
        create_app(profile="kind")
    with pytest.raises(ValueError, match="choose one of ideal, realistic"):
        EmulatorServer(profile="kind")


def test_emulator_server_starts_on_the_profile_it_is_given() -> None:
    with EmulatorServer(profile="realistic") as server:
        assert server.profile == "realistic"
        assert httpx.get(f"{server.base_url}/_emulator/behaviour").json() == REALISTIC_JSON
        httpx.post(f"{server.base_url}/_emulator/reset", json={}).raise_for_status()
        assert httpx.get(f"{server.base_url}/_emulator/behaviour").json()["profile"] == "realistic"
    with EmulatorServer() as server:
        assert httpx.get(f"{server.base_url}/_emulator/behaviour").json() == IDEAL_JSON
