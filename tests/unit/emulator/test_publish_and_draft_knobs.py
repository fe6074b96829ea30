"""R3 draft ids, R4 older-version and R5 missing-version publishes over loopback HTTP, each knob alone."""

from __future__ import annotations

import re

import pytest

from tests.unit.emulator.conftest import SUPPORT_IVR, Loopback, shown

DRAFT_ID = re.compile(r"^saved_version_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")


def versions(loopback: Loopback) -> list[tuple[str, str]]:
    listing = loopback.http.get(f"/api/v2/flows/{SUPPORT_IVR}/versions").json()["entities"]
    return [(v["id"], v["type"]) for v in listing]


def test_r3_a_draft_is_saved_version_uuid_and_check_in_gives_it_the_next_number(loopback: Loopback) -> None:
    loopback.control.set_behaviour(draft_ids="savedVersionUuid")
    draft = loopback.save_draft().json()
    assert DRAFT_ID.match(draft["id"]) and draft["type"] == "SAVE"
    assert loopback.flow_json()["savedVersion"]["id"] == draft["id"]
    assert loopback.http.get(f"/api/v2/flows/{SUPPORT_IVR}/versions/{draft['id']}").json()["type"] == "SAVE"
    assert versions(loopback)[-1] == (draft["id"], "SAVE")

    loopback.action("checkin")
    flow = loopback.flow_json()
    assert flow["checkedInVersion"]["id"] == "4.0" and "savedVersion" not in flow
    assert flow["currentOperation"]["actionStatus"] == "SUCCESS"
    gone = loopback.http.get(f"/api/v2/flows/{SUPPORT_IVR}/versions/{draft['id']}")
    assert (gone.status_code, gone.json()["code"]) == (404, "not.found")
    renumbered = loopback.http.get(f"/api/v2/flows/{SUPPORT_IVR}/versions/4.0").json()
    assert (renumbered["type"], renumbered["commitVersion"]) == ("CHECKIN", "4.0.0")
    assert loopback.http.get(f"/api/v2/flows/{SUPPORT_IVR}/versions/4.0/configuration").json()["inboundCall"]
    assert versions(loopback) == [
        ("1.0", "CHECKIN"),
        ("2.0", "PUBLISH"),
        ("3.0", "CHECKIN"),
        ("4.0", "CHECKIN"),
    ]

    second = loopback.save_draft().json()
    assert DRAFT_ID.match(second["id"]) and second["id"] != draft["id"]
    loopback.action("checkin")
    assert loopback.flow_json()["checkedInVersion"]["id"] == "5.0"


def test_r3_a_reverted_uuid_draft_leaves_no_gap_in_the_numbers(loopback: Loopback) -> None:
    loopback.control.set_behaviour(draft_ids="savedVersionUuid")
    loopback.save_draft()
    loopback.action("revert")
    loopback.save_draft()
    loopback.action("checkin")
    assert loopback.flow_json()["checkedInVersion"]["id"] == "4.0"


def test_r3_numbered_drafts_keep_their_number(loopback: Loopback) -> None:
    draft = loopback.save_draft().json()
    assert (draft["id"], draft["type"]) == ("4.0", "SAVE")
    loopback.action("checkin")
    assert loopback.flow_json()["checkedInVersion"]["id"] == "4.0"
    assert loopback.http.get(f"/api/v2/flows/{SUPPORT_IVR}/versions/4.0").json()["type"] == "CHECKIN"


def test_r3_a_draft_is_still_not_publishable(loopback: Loopback) -> None:
    loopback.control.set_behaviour(draft_ids="savedVersionUuid")
    draft = loopback.save_draft().json()
    refused = loopback.publish(draft["id"])
    assert (refused.status_code, refused.json()["details"][0]["fieldName"]) == (400, "version")


def test_r4_accept_publishes_the_older_version(loopback: Loopback) -> None:
    loopback.control.set_behaviour(older_version_publish="accept")
    answered = loopback.publish("1.0")
    assert answered.status_code == 200
    assert shown(loopback.flow_json()) == (answered.json()["id"], "SUCCESS", "1.0", "3.0")


def test_r4_refuse_answers_400_naming_the_version(loopback: Loopback) -> None:
    loopback.control.set_behaviour(older_version_publish="refuse")
    refused = loopback.publish("1.0")
    body = refused.json()
    assert (refused.status_code, body["code"]) == (400, "architect.flow.publish.version.older")
    assert body["details"] == [{"errorCode": "architect.flow.publish.version.older", "fieldName": "version"}]
    assert "older than the published version 2.0" in body["message"]
    assert shown(loopback.flow_json()) == (None, None, "2.0", "3.0")
    assert loopback.publish("3.0").status_code == 200, "a newer version is still accepted"


def test_r4_ignore_answers_200_and_nothing_ever_happens(loopback: Loopback) -> None:
    loopback.control.set_behaviour(older_version_publish="ignore")
    answered = loopback.publish("1.0")
    operation = answered.json()
    assert answered.status_code == 200
    assert (operation["actionName"], operation["actionStatus"], operation["complete"]) == (
        "PUBLISH",
        "STARTED",
        False,
    )
    assert operation["client"]["id"] == "flowrelease-demo"
    for _ in range(5):
        assert shown(loopback.flow_json()) == (None, None, "2.0", "3.0")
        loopback.advance(600)
    assert loopback.flow_json()["active"] is True
    newer = loopback.publish("3.0")
    assert newer.status_code == 200, "the ignored publish left the flow idle"
    assert shown(loopback.flow_json())[1:3] == ("SUCCESS", "3.0")


@pytest.mark.parametrize(("refuse", "expected"), [(True, "refuse"), (False, "accept")])
def test_r4_the_settings_alias_sets_the_knob(loopback: Loopback, refuse: bool, expected: str) -> None:
    loopback.control.set_behaviour(older_version_publish="ignore")
    loopback.control.refuse_older_publish(refuse)
    assert loopback.control.behaviour()["olderVersionPublish"] == expected
    settings = loopback.control.call(loopback.control.calls.refuse_older_publish(refuse))
    assert settings == {"refuseOlderVersionPublish": refuse, "randomSeed": 0}


def test_r5_reject_answers_404(loopback: Loopback) -> None:
    missing = loopback.publish("9.0")
    assert (missing.status_code, missing.json()["code"]) == (404, "not.found")
    assert "9.0" in missing.json()["message"]


def test_r5_ignore_answers_200_and_nothing_happens(loopback: Loopback) -> None:
    loopback.control.set_behaviour(missing_version_publish="ignore")
    answered = loopback.publish("9.0")
    assert answered.status_code == 200
    assert (answered.json()["actionName"], answered.json()["complete"]) == ("PUBLISH", False)
    loopback.advance(600)
    assert shown(loopback.flow_json()) == (None, None, "2.0", "3.0")
    assert [v for v, _ in versions(loopback)] == ["1.0", "2.0", "3.0"]
