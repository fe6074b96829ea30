"""The knob object: both profiles exactly, partial updates, and bad values refused naming the field.

`updated_behaviour` is pure and tested with tables; the same rules are then checked on the control plane
over loopback HTTP (`PUT /_emulator/behaviour` → 400 ErrorBody with `details[].fieldName`).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import httpx
import pytest

from flowrelease.emulator.behaviour import PROFILES, Behaviour, ReadLag
from flowrelease.emulator.behaviour_json import BehaviourChoice, behaviour_json, updated_behaviour
from flowrelease.emulator.control import knob_body
from flowrelease.emulator.wire import ApiError
from tests.unit.emulator.conftest import Loopback

IDEAL_JSON = {
    "profile": "ideal",
    "readLag": {"reads": 0, "seconds": 0.0},
    "operationIdMismatch": False,
    "draftIds": "numbered",
    "olderVersionPublish": "accept",
    "missingVersionPublish": "reject",
    "jobRegisteredPolls": 0,
    "jobRegisteredSeconds": None,
    "messagelessFailures": False,
    "validateJobs": "available",
    "rateLimitHeaders": False,
    "tokenRateLimitPerMinute": None,
    "deletedFlowStatus": 404,
    "timing": None,
    "ingestionDelay": {"seconds": 0.0, "jitter": 0.0},
}
REALISTIC_JSON = {
    "profile": "realistic",
    "readLag": {"reads": 2, "seconds": 1.5},
    "operationIdMismatch": True,
    "draftIds": "savedVersionUuid",
    "olderVersionPublish": "ignore",
    "missingVersionPublish": "ignore",
    "jobRegisteredPolls": 3,
    "jobRegisteredSeconds": 1.0,
    "messagelessFailures": True,
    "validateJobs": 404,
    "rateLimitHeaders": False,
    "tokenRateLimitPerMinute": 60,
    "deletedFlowStatus": 410,
    "timing": {
        "publishSeconds": 4.0,
        "checkinSeconds": 2.0,
        "importJobSeconds": 6.0,
        "exportJobSeconds": 2.0,
        "validateJobSeconds": 2.0,
        "jitter": 0.25,
    },
    "ingestionDelay": {"seconds": 60.0, "jitter": 0.5},
}
IDEAL = BehaviourChoice("ideal", PROFILES["ideal"])
REALISTIC = BehaviourChoice("realistic", PROFILES["realistic"])


def test_the_two_profiles_render_exactly_as_the_contract_lists_them() -> None:
    assert behaviour_json(IDEAL) == IDEAL_JSON
    assert behaviour_json(REALISTIC) == REALISTIC_JSON
    assert PROFILES["ideal"] == Behaviour(), "ideal is every knob at its default"


class Update(NamedTuple):
    case: str
    start: BehaviourChoice
    body: dict[str, Any]
    expected: dict[str, Any]  # keys of the rendered result that must differ from `start`'s rendering
    reason: str


UPDATES = [
    Update("one-knob", IDEAL, {"draftIds": "savedVersionUuid"}, {"draftIds": "savedVersionUuid"},
           "one key changes one knob; the profile name stays"),
    Update("profile-first", IDEAL, {"profile": "realistic", "readLag": {"reads": 0}},
           {**REALISTIC_JSON, "readLag": {"reads": 0, "seconds": 1.5}},
           "profile sets every knob, then the other keys override (partial readLag keeps seconds)"),
    Update("profile-back", REALISTIC, {"profile": "ideal"}, IDEAL_JSON, "profile alone is that profile"),
    Update("timing-from-null", IDEAL, {"timing": {"publishSeconds": 30}},
           {"timing": {**REALISTIC_JSON["timing"], "publishSeconds": 30.0}},
           "a partial timing over null fills the other keys from the realistic profile"),
    Update("timing-partial", REALISTIC, {"timing": {"jitter": 0}},
           {"timing": {**REALISTIC_JSON["timing"], "jitter": 0.0}}, "a partial timing keeps the rest"),
    Update("timing-off", REALISTIC, {"timing": None}, {"timing": None}, "null turns timing off"),
    Update("validate-status", IDEAL, {"validateJobs": 501}, {"validateJobs": 501}, "a status is a value"),
    Update("token-limit", REALISTIC, {"tokenRateLimitPerMinute": None}, {"tokenRateLimitPerMinute": None},
           "null is unlimited"),
    Update("headers", IDEAL, {"rateLimitHeaders": True}, {"rateLimitHeaders": True}, "a knob may ask"),
    Update("ingestion-partial", REALISTIC, {"ingestionDelay": {"seconds": 5}},
           {"ingestionDelay": {"seconds": 5.0, "jitter": 0.5}}, "a partial ingestionDelay keeps its jitter"),
    Update("ingestion-off", REALISTIC, {"ingestionDelay": {"seconds": 0, "jitter": 0}},
           {"ingestionDelay": {"seconds": 0.0, "jitter": 0.0}}, "zero shows metrics at once"),
]  # fmt: skip


@pytest.mark.parametrize("update", UPDATES, ids=[u.case for u in UPDATES])
def test_partial_updates(update: Update) -> None:
    result = behaviour_json(updated_behaviour(update.start, update.body))
    assert result == {**behaviour_json(update.start), **update.expected}, update.reason


class Refusal(NamedTuple):
    case: str
    body: Any
    field: str


REFUSALS = [
    Refusal("unknown-knob", {"readlag": {"reads": 1}}, "readlag"),
    Refusal("unknown-profile", {"profile": "kind"}, "profile"),
    Refusal("profile-type", {"profile": 1}, "profile"),
    Refusal("not-an-object", ["readLag"], "body"),
    Refusal("lag-reads-negative", {"readLag": {"reads": -1}}, "readLag.reads"),
    Refusal("lag-reads-float", {"readLag": {"reads": 1.5}}, "readLag.reads"),
    Refusal("lag-seconds-text", {"readLag": {"seconds": "1"}}, "readLag.seconds"),
    Refusal("lag-unknown-key", {"readLag": {"polls": 1}}, "readLag.polls"),
    Refusal("lag-not-object", {"readLag": 2}, "readLag"),
    Refusal("mismatch-not-bool", {"operationIdMismatch": 1}, "operationIdMismatch"),
    Refusal("draft-ids", {"draftIds": "uuid"}, "draftIds"),
    Refusal("older", {"olderVersionPublish": "reject"}, "olderVersionPublish"),
    Refusal("missing", {"missingVersionPublish": "refuse"}, "missingVersionPublish"),
    Refusal("registered-polls", {"jobRegisteredPolls": True}, "jobRegisteredPolls"),
    Refusal("registered-seconds", {"jobRegisteredSeconds": "1"}, "jobRegisteredSeconds"),
    Refusal("registered-seconds-negative", {"jobRegisteredSeconds": -1}, "jobRegisteredSeconds"),
    Refusal("messageless", {"messagelessFailures": "yes"}, "messagelessFailures"),
    Refusal("validate-status", {"validateJobs": 500}, "validateJobs"),
    Refusal("validate-text-status", {"validateJobs": "404"}, "validateJobs"),
    Refusal("validate-float-status", {"validateJobs": 404.0}, "validateJobs"),
    Refusal("headers", {"rateLimitHeaders": None}, "rateLimitHeaders"),
    Refusal("token-limit-zero", {"tokenRateLimitPerMinute": 0}, "tokenRateLimitPerMinute"),
    Refusal("deleted-status", {"deletedFlowStatus": 409}, "deletedFlowStatus"),
    Refusal("ingestion-type", {"ingestionDelay": 60}, "ingestionDelay"),
    Refusal("ingestion-null", {"ingestionDelay": None}, "ingestionDelay"),
    Refusal("ingestion-negative", {"ingestionDelay": {"seconds": -1}}, "ingestionDelay.seconds"),
    Refusal("ingestion-jitter", {"ingestionDelay": {"jitter": 1.5}}, "ingestionDelay.jitter"),
    Refusal("ingestion-unknown", {"ingestionDelay": {"delay": 1}}, "ingestionDelay.delay"),
    Refusal("timing-type", {"timing": 4}, "timing"),
    Refusal("timing-negative", {"timing": {"publishSeconds": -1}}, "timing.publishSeconds"),
    Refusal("timing-infinite", {"timing": {"checkinSeconds": 1e400}}, "timing.checkinSeconds"),
    Refusal("timing-jitter", {"timing": {"jitter": 1}}, "timing.jitter"),
    Refusal("timing-unknown", {"timing": {"publish": 1}}, "timing.publish"),
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[r.case for r in REFUSALS])
def test_bad_values_are_refused_naming_the_field(refusal: Refusal) -> None:
    with pytest.raises(ApiError) as refused:
        updated_behaviour(REALISTIC, refusal.body)
    assert refused.value.status == 400
    assert refused.value.details == [{"errorCode": "bad.request", "fieldName": refusal.field}]
    assert refusal.field.split(".")[-1] in refused.value.message


@pytest.mark.parametrize("refusal", REFUSALS[:6] + REFUSALS[-3:], ids=lambda r: r.case)
def test_the_control_plane_answers_400_error_body_and_changes_nothing(
    loopback: Loopback, refusal: Refusal
) -> None:
    before = loopback.control.behaviour()
    response = httpx.put(f"{loopback.base_url}/_emulator/behaviour", content=json.dumps(refusal.body))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad.request"
    assert body["details"] == [{"errorCode": "bad.request", "fieldName": refusal.field}]
    assert loopback.control.behaviour() == before


def test_get_and_put_over_http_show_the_full_object(loopback: Loopback) -> None:
    assert loopback.control.behaviour() == IDEAL_JSON
    changed = loopback.control.set_behaviour(profile="realistic", read_lag={"reads": 5})
    assert changed == {**REALISTIC_JSON, "readLag": {"reads": 5, "seconds": 1.5}}
    assert loopback.control.behaviour() == changed


def test_the_python_client_accepts_snake_case_and_json_names() -> None:
    body = knob_body(
        {"read_lag": {"reads": 1}, "validateJobs": 404, "timing": {"publish_seconds": 2, "jitter": 0}}
    )
    assert body == {
        "readLag": {"reads": 1},
        "validateJobs": 404,
        "timing": {"publishSeconds": 2, "jitter": 0},
    }
    assert knob_body({"token_rate_limit_per_minute": None}) == {"tokenRateLimitPerMinute": None}


def test_read_lag_is_enabled_when_either_part_is_set() -> None:
    assert [ReadLag(0, 0).enabled, ReadLag(1, 0).enabled, ReadLag(0, 0.5).enabled] == [False, True, True]
