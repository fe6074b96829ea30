"""The behaviour matrix: every behaviour of genesys-realism.md §2 alone and combined, by {mode A promote,
mode B import, rollback}, against the emulator over loopback HTTP with the real GenesysClient.

Each case asserts the final Genesys state (the emulator's own state), the exact number of publish and
import requests (the emulator's request log) and the release status. "Alone" is the ideal profile with one
knob turned; "combined" cases start from the realistic profile (every behaviour on). The rollback routes are
also run under R4 accept/refuse/ignore and R3 numbered/renumbered drafts, on the realistic profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.engine.outcome import Outcome, OutcomeKind
from tests.integration.engine.harness import PUBLISH_PATH, Harness, fixture_text

Republish = Literal["accept", "refuse", "ignore"]
REALISTIC_TIMING = {
    "publishSeconds": 4,
    "checkinSeconds": 2,
    "importJobSeconds": 6,
    "exportJobSeconds": 2,
    "validateJobSeconds": 2,
    "jitter": 0.25,
}
BAKE = {"stages": [{"name": "bake", "bakeSeconds": 120, "maxFailureRatio": 0.05, "minSamples": 20}]}
CLAIMS = {"type": "inboundcall", "name": "Claims IVR"}
SOURCE = {"configMapRef": {"name": "claims-ivr", "key": "flow.yaml"}}
VERSIONS_PATH = "/api/v2/flows/*/versions"
CHECKIN_PATH = "/api/v2/flows/actions/checkin"
IMPORT_PATH = "/api/v2/flows/jobs"


@dataclass(frozen=True)
class Behaviour:
    id: str
    knobs: dict[str, Any]
    profile: Literal["ideal", "realistic"] = "ideal"
    republish: Republish = "accept"
    """What this org does with a publish of an older version (R4): the route a rollback must take."""
    validate_job: bool = True
    """The validate job service is available (R7 off)."""
    renumbers: bool = False
    """Drafts are saved_version_<uuid> and check-in numbers them (R3)."""


ALONE = [
    Behaviour("R1-read-lag", {"read_lag": {"reads": 2, "seconds": 1.5}}),
    Behaviour("R2-operation-id-mismatch", {"operation_id_mismatch": True}),
    Behaviour("R3-saved-version-drafts", {"draft_ids": "savedVersionUuid"}, renumbers=True),
    Behaviour("R4-older-publish-ignored", {"older_version_publish": "ignore"}, republish="ignore"),
    Behaviour("R4-older-publish-refused", {"older_version_publish": "refuse"}, republish="refuse"),
    Behaviour("R5-missing-version-ignored", {"missing_version_publish": "ignore"}),
    Behaviour("R6-registered-jobs-messageless", {"job_registered_polls": 3, "messageless_failures": True}),
    Behaviour("R6-registered-polls-or-seconds", {"job_registered_polls": 3, "job_registered_seconds": 1.0}),
    Behaviour("R7-validate-404", {"validate_jobs": 404}, validate_job=False),
    Behaviour("R7-validate-403", {"validate_jobs": 403}, validate_job=False),
    Behaviour("R7-validate-501", {"validate_jobs": 501}, validate_job=False),
    Behaviour("R8-token-limit-no-headers", {"token_rate_limit_per_minute": 60, "rate_limit_headers": False}),
    Behaviour("R8-headers-as-a-hint", {"rate_limit_headers": True}),
    Behaviour("R9-deleted-410", {"deleted_flow_status": 410}),
    Behaviour("R10-realistic-timing", {"timing": REALISTIC_TIMING}),
]
COMBINED = [
    Behaviour("realistic", {}, "realistic", republish="ignore", validate_job=False, renumbers=True),
    Behaviour(
        "R1+R2+R10",
        {"read_lag": {"reads": 2, "seconds": 1.5}, "operation_id_mismatch": True, "timing": REALISTIC_TIMING},
    ),
    Behaviour(
        "R1+R3+R4-ignore+R5",
        {
            "read_lag": {"reads": 2, "seconds": 1.5},
            "draft_ids": "savedVersionUuid",
            "older_version_publish": "ignore",
            "missing_version_publish": "ignore",
        },
        republish="ignore",
        renumbers=True,
    ),
    Behaviour(
        "R6+R7+R10",
        {
            "job_registered_polls": 3,
            "messageless_failures": True,
            "validate_jobs": 404,
            "timing": REALISTIC_TIMING,
        },
        validate_job=False,
    ),
    Behaviour(
        "realistic-but-republish-accepted",
        {"older_version_publish": "accept"},
        "realistic",
        validate_job=False,
        renumbers=True,
    ),
]
MATRIX = ALONE + COMBINED


async def bearer_token(harness: Harness) -> str:
    """An access token the way any Genesys tool gets one (client credentials), for a call our client lacks."""
    reply = await harness.http.post(
        f"{harness.emulator.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(harness.emulator.client_id, harness.emulator.client_secret),
    )
    reply.raise_for_status()
    token: str = reply.json()["access_token"]
    return token


def apply(harness: Harness, behaviour: Behaviour) -> None:
    harness.emulator.control.set_behaviour(profile=behaviour.profile, **behaviour.knobs)


def requests(harness: Harness, method: str, path: str, status: int | None = None) -> list[dict[str, Any]]:
    return harness.emulator.control.request_log(method=method, path=path, status=status)


def publish_counts(harness: Harness) -> dict[str, int]:
    """POST publish requests by version (any status)."""
    counts: dict[str, int] = {}
    for entry in harness.publishes():
        version = str(entry.get("query", "")).rsplit("version=", 1)[-1]
        counts[version] = counts.get(version, 0) + 1
    return counts


def condition(status: FlowReleaseStatus, type_: str) -> tuple[str, str]:
    found = next(c for c in status.conditions if c.type == type_)
    return found.status, found.reason


def assert_validated(status: FlowReleaseStatus, behaviour: Behaviour) -> None:
    expected = C.SUCCEEDED if behaviour.validate_job else C.VALIDATION_SERVICE_UNAVAILABLE
    assert condition(status, C.VALIDATED) == ("True", expected)


# ------------------------------------------------------------------------------------- mode A promote


@pytest.mark.parametrize("behaviour", MATRIX, ids=[b.id for b in MATRIX])
async def test_mode_a_promotes_exactly_once(harness: Harness, behaviour: Behaviour) -> None:
    apply(harness, behaviour)

    outcome = await harness.drive(harness.release())

    assert outcome.kind is OutcomeKind.READY, outcome.message
    status = outcome.status
    assert (status.phase, status.published_version, status.failed_version) == (Phase.READY, "3.0", "")
    assert condition(status, C.PUBLISHED) == ("True", C.SUCCEEDED)
    assert_validated(status, behaviour)
    assert status.operation is None and status.published_operation_id
    assert harness.flow_state()["publishedVersion"] == "3.0", "the healthy version is live, not rolled back"
    assert publish_counts(harness) == {"3.0": 1}, "one publish request for one intent"
    assert requests(harness, "POST", IMPORT_PATH) == []


# --------------------------------------------------------------------------------------- mode B import


@pytest.mark.parametrize("behaviour", MATRIX, ids=[b.id for b in MATRIX])
async def test_mode_b_imports_exactly_once(harness: Harness, behaviour: Behaviour) -> None:
    apply(harness, behaviour)
    text = fixture_text("claims-ivr.yaml")

    outcome = await harness.drive(harness.release(flow=CLAIMS, source=SOURCE), source_yaml=text)

    assert outcome.kind is OutcomeKind.READY, outcome.message
    status = outcome.status
    live = harness.flow_state("Claims IVR")["publishedVersion"]
    assert (status.phase, status.published_version, status.desired_version) == (Phase.READY, live, live)
    assert live, "the imported version is the one the org shows after the job"
    assert status.published_operation_id and status.operation is None
    assert len(requests(harness, "POST", IMPORT_PATH)) == 1, "one Architect job for one intent"
    assert len(requests(harness, "PUT", "/_uploads/*")) == 1, "the source is uploaded once"
    assert publish_counts(harness) == {}


# ------------------------------------------------------------------------------------------- rollback


@dataclass(frozen=True)
class Expected:
    route: str
    left: list[tuple[str, str]] = field(default_factory=list)
    publish_counts: dict[str, int] = field(default_factory=dict)
    drafts: int = 0


def expected_rollback(republish: Republish) -> Expected:
    if republish == "accept":
        return Expected("republish", [], {"3.0": 1, "2.0": 1})
    result = "refused" if republish == "refuse" else "ignored"
    return Expected("restore", [("republish", result)], {"3.0": 1, "2.0": 1, "4.0": 1}, drafts=1)


async def breach_and_roll_back(harness: Harness) -> Outcome:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.3, samples=100)
    return await harness.drive(harness.release(verify=BAKE))


async def assert_rolled_back(
    harness: Harness, outcome: Outcome, expected: Expected, behaviour: Behaviour
) -> None:
    assert outcome.kind is OutcomeKind.STALLED, outcome.message
    status = outcome.status
    record = status.rollback
    assert record is not None
    live = "2.0" if expected.route == "republish" else "4.0"
    assert (status.phase, status.published_version, status.failed_version) == (Phase.ROLLED_BACK, live, "3.0")
    assert (record.route, record.target_version, record.restored_version) == (expected.route, "2.0", live)
    assert [(a.route, a.result) for a in record.left] == expected.left
    assert condition(status, C.STALLED) == ("True", C.ROLLED_BACK)
    reason = C.ROLLBACK_SUCCEEDED if expected.route == "republish" else C.RESTORE_SUCCEEDED
    assert condition(status, C.ROLLED_BACK) == ("True", reason)
    assert harness.flow_state()["publishedVersion"] == live, "confirmed by Genesys' own state"
    assert publish_counts(harness) == expected.publish_counts, "one request per intent, none repeated"
    assert len(requests(harness, "POST", VERSIONS_PATH)) == expected.drafts
    assert len(requests(harness, "POST", CHECKIN_PATH)) == expected.drafts
    if expected.route == "restore":
        assert record.draft_version.startswith("saved_version_") == behaviour.renumbers
        client = harness.new_client()
        flow_id = harness.emulator.flow_id("Support IVR")
        restored = await client.version_configuration(flow_id, live)
        assert restored == await client.version_configuration(flow_id, "2.0"), "the last good configuration"


@pytest.mark.parametrize("behaviour", MATRIX, ids=[b.id for b in MATRIX])
async def test_a_breach_rolls_back_to_the_last_good_configuration(
    harness: Harness, behaviour: Behaviour
) -> None:
    apply(harness, behaviour)

    outcome = await breach_and_roll_back(harness)

    await assert_rolled_back(harness, outcome, expected_rollback(behaviour.republish), behaviour)


ROUTES = [(r4, r3) for r4 in ("accept", "refuse", "ignore") for r3 in ("numbered", "savedVersionUuid")]


@pytest.mark.parametrize(("older", "drafts"), ROUTES, ids=[f"R4-{a}-R3-{b}" for a, b in ROUTES])
async def test_rollback_routes_on_the_realistic_org(harness: Harness, older: Republish, drafts: str) -> None:
    behaviour = Behaviour(
        f"{older}-{drafts}",
        {"older_version_publish": older, "draft_ids": drafts},
        "realistic",
        republish=older,
        validate_job=False,
        renumbers=drafts == "savedVersionUuid",
    )
    apply(harness, behaviour)

    outcome = await breach_and_roll_back(harness)

    await assert_rolled_back(harness, outcome, expected_rollback(older), behaviour)
    if older == "ignore":
        ignored = requests(harness, "POST", PUBLISH_PATH, status=200)
        assert any("version=2.0" in str(entry.get("query")) for entry in ignored), (
            "answered 200, changed nothing"
        )
        record = outcome.status.rollback
        assert record is not None and "30s later" in record.left[0].message, (
            "left within the grace, not the timeout"
        )


async def test_a_failed_publish_on_the_realistic_org_rolls_back_without_a_second_post(
    harness: Harness,
) -> None:
    """Our operation reports FAILURE (R2: with another id): demonstrably ours, so the rollback starts; 2.0
    never stopped being live, so the rollback only confirms it by reading it back."""
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.fail_operation(flow_id, version="3.0", error_message="Prompt missing")

    outcome = await harness.drive(harness.release())

    assert outcome.kind is OutcomeKind.STALLED
    assert (outcome.status.phase, outcome.status.published_version) == (Phase.ROLLED_BACK, "2.0")
    assert condition(outcome.status, C.PUBLISHED) == ("False", C.ROLLED_BACK)
    assert publish_counts(harness) == {"3.0": 1}
    assert harness.flow_state()["publishedVersion"] == "2.0"


async def test_someone_elses_failed_publish_is_never_taken_as_ours(harness: Harness) -> None:
    """Another client's PUBLISH fails on the flow while ours is in flight: not ours, so no rollback; our
    publish completes and is read back."""
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.publish_as(flow_id, client_id="architect-ui", version="2.0", result="FAILURE")

    outcome = await harness.drive(harness.release())

    assert outcome.kind is OutcomeKind.READY, outcome.message
    assert outcome.status.published_version == "3.0" and outcome.status.failed_version == ""
    accepted = [e for e in harness.publishes("3.0") if e["status"] == 200]
    refused = [e for e in harness.publishes("3.0") if e["status"] == 409]
    # a lagging read (R1) may hide their running publish: ours is then refused 409 (proof it did not
    # happen) and sent again once the flow is idle; never accepted twice
    assert len(accepted) == 1 and len(refused) <= 1
    assert harness.flow_state()["publishedVersion"] == "3.0"


@pytest.mark.parametrize("status", [404, 410])
async def test_a_flow_deleted_while_verifying_fails_the_release_naming_it(
    harness: Harness, status: int
) -> None:
    """R9: a deleted flow answers 404 or 410; either way the release fails clearly, nothing is re-posted."""
    harness.emulator.control.set_behaviour(deleted_flow_status=status)
    flow_id = harness.emulator.flow_id("Support IVR")
    release = harness.release(verify=BAKE)
    baking = await harness.drive(release, until=lambda o: o.status.phase is Phase.VERIFYING)
    deleted = await harness.http.delete(
        f"{harness.emulator.base_url}/api/v2/flows/{flow_id}",
        headers={"Authorization": f"Bearer {await bearer_token(harness)}"},
    )
    assert deleted.status_code in (200, 204), deleted.text
    seen = await harness.http.get(
        f"{harness.emulator.base_url}/api/v2/flows/{flow_id}",
        headers={"Authorization": f"Bearer {await bearer_token(harness)}"},
    )
    assert seen.status_code == status

    harness.clock.advance(120)
    harness.emulator.control.advance_clock(120)
    outcome = await harness.drive(release, baking.status)

    assert outcome.kind is OutcomeKind.STALLED
    assert outcome.status.phase is Phase.FAILED
    stalled = next(c for c in outcome.status.conditions if c.type == C.STALLED)
    assert stalled.reason == C.FLOW_NOT_FOUND and "deleted" in stalled.message
    assert publish_counts(harness) == {"3.0": 1}


REIMPORTS = [b for b in MATRIX if b.id in ("R1-read-lag", "R6-registered-jobs-messageless", "realistic")]


@pytest.mark.parametrize("behaviour", REIMPORTS, ids=[b.id for b in REIMPORTS])
async def test_mode_b_update_takes_the_version_the_org_shows_after_the_job(
    harness: Harness, behaviour: Behaviour
) -> None:
    """R1 after a job's success: the first reads may still show the version from before the import. The
    release must end with the NEW version, never the stale one, with one job per source."""
    apply(harness, behaviour)
    release = harness.release(flow=CLAIMS, source=SOURCE)
    text = fixture_text("claims-ivr.yaml")
    first = await harness.drive(release, source_yaml=text)
    assert first.kind is OutcomeKind.READY, first.message
    before = first.status.published_version

    changed = text.replace("Thank you for calling the claims line.", "Thanks for calling the claims line.")
    second = await harness.drive(release, first.status, source_yaml=changed)

    assert second.kind is OutcomeKind.READY, second.message
    after = harness.flow_state("Claims IVR")["publishedVersion"]
    assert after != before, "the import made a new version"
    assert (second.status.published_version, second.status.desired_version) == (after, after)
    assert (
        len(requests(harness, "POST", IMPORT_PATH)) == 2 and len(requests(harness, "PUT", "/_uploads/*")) == 2
    )
