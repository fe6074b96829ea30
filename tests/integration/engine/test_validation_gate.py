"""The validation gate against the emulator: every kind of failure publishes nothing and says why."""

from __future__ import annotations

from typing import Any

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowRelease, Phase
from flowrelease.engine.outcome import Outcome, OutcomeKind
from tests.integration.engine.harness import Harness, fixture_text

SIMPLE_IVR = {"type": "inboundcall", "name": "Claims IVR"}
SOURCE = {"configMapRef": {"name": "simple-ivr", "key": "flow.yaml"}}


def resource_id(harness: Harness, name: str) -> str:
    return str(next(r["id"] for r in harness.emulator.control.state()["resources"] if r["name"] == name))


def assert_rejected(harness: Harness, outcome: Outcome, reason: str, *needles: str) -> None:
    """ValidationFailed, Stalled with the reason, the message naming the problem, nothing published."""
    assert outcome.kind is OutcomeKind.STALLED, outcome.message
    status = outcome.status
    assert status.phase is Phase.VALIDATION_FAILED
    stalled = next(c for c in status.conditions if c.type == C.STALLED)
    validated = next(c for c in status.conditions if c.type == C.VALIDATED)
    assert (stalled.status, stalled.reason, validated.status, validated.reason) == (
        "True",
        reason,
        "False",
        reason,
    )
    for needle in needles:
        assert needle in stalled.message, stalled.message
    assert stalled.message.startswith("Validation failed, nothing was published: ")
    assert [e.reason for e in outcome.events if e.type == "Warning"] == [C.VALIDATION_FAILED]
    assert harness.publishes() == []
    assert status.operation is None
    assert status.history[-1].result == "ValidationFailed"
    assert status.validation is not None and status.validation.errors + status.validation.warnings >= 1
    assert status.validation.messages, "status.validation says why"
    failed = harness.events("validate")[-1]
    assert (failed.outcome, failed.validation_error_rate) == ("failed", 1.0)


async def drive_and_stall_again(harness: Harness, release: FlowRelease, **kwargs: Any) -> Outcome:
    """A rejected release stays stalled on the next pass without asking Genesys to do anything."""
    outcome = await harness.drive(release, **kwargs)
    again = await harness.drive(release, outcome.status, **kwargs)
    assert again.kind is OutcomeKind.STALLED
    assert again.status.history == outcome.status.history
    return outcome


async def test_unknown_flow(harness: Harness) -> None:
    outcome = await drive_and_stall_again(
        harness, harness.release(flow={"type": "inboundcall", "name": "Nope IVR"})
    )
    assert_rejected(harness, outcome, C.FLOW_NOT_FOUND, "spec.flow", "'Nope IVR'")


async def test_missing_version(harness: Harness) -> None:
    outcome = await drive_and_stall_again(harness, harness.release(version="9.0"))
    assert_rejected(harness, outcome, C.VERSION_NOT_FOUND, "spec.version", "no version '9.0'")


async def test_saved_draft_is_not_releasable(harness: Harness) -> None:
    client = harness.new_client()
    flow_id = harness.emulator.flow_id("Support IVR")
    configuration = await client.version_configuration(flow_id, "3.0")
    draft = await client.create_version(flow_id, configuration)

    outcome = await harness.drive(harness.release(version=draft.id))

    assert_rejected(
        harness, outcome, C.VERSION_NOT_CHECKED_IN, f"version {draft.id}", "SAVE draft", "check it in"
    )


async def test_deleted_dependency(harness: Harness) -> None:
    harness.emulator.control.delete_resource(resource_id(harness, "Sales"))

    outcome = await harness.drive(harness.release())

    assert_rejected(harness, outcome, C.DEPENDENCY_MISSING, "QUEUE 'Sales' (deleted)")


async def test_dependency_hash_pin_mismatch_shows_both_hashes(harness: Harness) -> None:
    pinned = "sha256:" + "0" * 64

    outcome = await harness.drive(harness.release(release={"dependencyHash": pinned}))

    computed = outcome.status.dependency_hash
    assert computed.startswith("sha256:") and computed != pinned
    assert_rejected(harness, outcome, C.DEPENDENCY_HASH_MISMATCH, pinned, computed, "QUEUE|")


async def test_dependency_hash_pin_that_matches_passes(harness: Harness) -> None:
    first = await harness.drive(harness.release(version="3.0"))
    pinned = first.status.dependency_hash
    harness.emulator.control.reset()
    harness.reconciler = harness.new_reconciler()

    outcome = await harness.drive(harness.release(release={"dependencyHash": pinned}))

    assert outcome.kind is OutcomeKind.READY


async def test_validate_job_warnings_fail_only_with_fail_on_warnings(harness: Harness) -> None:
    harness.emulator.control.set_behaviour(validate_jobs="available")  # an org that has the preview API
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_validation_warnings(
        flow_id, ["Prompt 'greeting' has no audio"], version="3.0"
    )

    strict = await harness.drive(harness.release(validation={"failOnWarnings": True}))
    assert_rejected(
        harness, strict, C.VALIDATION_WARNINGS, "Prompt 'greeting' has no audio", "failOnWarnings"
    )
    assert strict.status.validation is not None and strict.status.validation.warnings == 1

    lenient = await harness.drive(harness.release(name="lenient"))
    assert lenient.kind is OutcomeKind.READY
    assert lenient.status.validation is not None and lenient.status.validation.warnings == 1


async def test_source_with_placeholders_left_is_rejected_before_any_call(harness: Harness) -> None:
    release = harness.release(
        flow={"type": "workflow", "name": "Intake Workflow"},
        source={
            "configMapRef": {"name": "webhook", "key": "flow.yaml"},
            "substitutions": {"division": "Home"},
        },
    )

    outcome = await harness.drive(release, source_yaml=fixture_text("intake-workflow.yaml"))

    assert_rejected(harness, outcome, C.SOURCE_INVALID, "{{workflow_name}}", "spec.source.substitutions")
    assert harness.emulator.control.request_log(path="/api/v2/flows/jobs") == []


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda t: t + "\n  broken: [unclosed\n", "does not parse at line"),
        (
            lambda t: t.replace("name: Claims IVR\n", "name: Another Ivr\n", 1),
            "spec.flow.name is 'Claims IVR'",
        ),
        (
            lambda t: t.replace(
                'startUpRef: "/inboundCall/menus/menu[Claims Menu_20]"',
                'startUpRef: "/inboundCall/menus/menu[Nope_1]"',
            ),
            "no menu with refId 'Nope_1'",
        ),
        (lambda t: t.replace("inboundCall:", "inboundFax:", 1), "exactly one top-level flow-type key"),
    ],
    ids=["yaml", "name", "startUpRef", "flow-type-key"],
)
async def test_source_checks(harness: Harness, edit: Any, needle: str) -> None:
    release = harness.release(flow=SIMPLE_IVR, source=SOURCE)

    outcome = await harness.drive(release, source_yaml=edit(fixture_text("claims-ivr.yaml")))

    assert_rejected(harness, outcome, C.SOURCE_INVALID, needle)


async def test_missing_configmap_is_named(harness: Harness) -> None:
    outcome = await harness.drive(harness.release(flow=SIMPLE_IVR, source=SOURCE), source_yaml=None)

    assert_rejected(
        harness, outcome, C.SOURCE_INVALID, "ConfigMap 'simple-ivr' key 'flow.yaml' was not found"
    )


async def test_architect_job_failure_reports_its_messages(harness: Harness) -> None:
    harness.emulator.control.set_behaviour(messageless_failures=False)  # an org that says why
    text = fixture_text("claims-ivr.yaml").replace("name: Support\n", "name: No Such Queue\n")

    outcome = await harness.drive(harness.release(flow=SIMPLE_IVR, source=SOURCE), source_yaml=text)

    assert_rejected(harness, outcome, C.IMPORT_FAILED, "the Architect job", "failed: ", "No Such Queue")
    assert outcome.status.source_digest.startswith("sha256:")


async def test_architect_job_failure_without_messages_still_fails_and_says_where_to_look(
    harness: Harness,
) -> None:
    """R6 (realistic): a failed job carries no messages; the release still fails, with a clear message."""
    text = fixture_text("claims-ivr.yaml").replace("name: Support\n", "name: No Such Queue\n")

    outcome = await harness.drive(harness.release(flow=SIMPLE_IVR, source=SOURCE), source_yaml=text)

    assert_rejected(
        harness, outcome, C.IMPORT_FAILED, "Genesys reported Failure without any message", "archy"
    )
    assert harness.emulator.control.request_count(method="POST", path="/api/v2/flows/jobs") == 1


@pytest.mark.parametrize("status", [404, 403, 501])
async def test_an_unavailable_validate_service_is_a_warning_not_a_stall(
    harness: Harness, status: int
) -> None:
    """R7: the release continues on the other checks, visibly (Validated reason, a validation message, an
    Event); with requireValidateJob it stops before anything is published."""
    harness.emulator.control.set_behaviour(validate_jobs=status)

    strict = await harness.drive(harness.release(name="strict", validation={"requireValidateJob": True}))
    assert_rejected(harness, strict, C.VALIDATION_SERVICE_UNAVAILABLE, f"HTTP {status}", "requireValidateJob")

    lenient = await harness.drive(harness.release())

    assert lenient.kind is OutcomeKind.READY, lenient.message
    validated = next(c for c in lenient.status.conditions if c.type == C.VALIDATED)
    assert (validated.status, validated.reason) == ("True", C.VALIDATION_SERVICE_UNAVAILABLE)
    assert f"HTTP {status}" in validated.message
    assert lenient.status.validation is not None
    assert any("validate job could not be used" in m.text for m in lenient.status.validation.messages)
    warnings = [reason for kind, reason in harness.release_events() if kind == "Warning"]
    assert C.VALIDATION_SERVICE_UNAVAILABLE in warnings
    assert harness.emulator.control.request_count(method="POST", path="/api/v2/flows/validate/jobs") == 2


async def test_fixed_source_is_retried_without_a_spec_change(harness: Harness) -> None:
    release = harness.release(flow=SIMPLE_IVR, source=SOURCE)
    good = fixture_text("claims-ivr.yaml")
    bad = await harness.drive(release, source_yaml=good.replace("name: Support\n", "name: No Such Queue\n"))

    fixed = await harness.drive(release, bad.status, source_yaml=good)

    assert fixed.kind is OutcomeKind.READY, fixed.message
