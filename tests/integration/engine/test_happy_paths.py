"""Both release modes end to end against the emulator over loopback, with the real GenesysClient."""

from __future__ import annotations

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.engine.outcome import OutcomeKind
from tests.integration.engine.harness import PUBLISH_PATH, Harness, SimulatedCrash, fixture_text


def conditions_of(status: FlowReleaseStatus) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in status.conditions}


async def test_mode_a_promotes_a_checked_in_version_once(harness: Harness) -> None:
    release = harness.release(release={"label": "2.4.1"})

    outcome = await harness.drive(release)

    assert outcome.kind is OutcomeKind.READY
    assert outcome.after == 300.0
    status = outcome.status
    assert (status.phase, status.desired_version, status.published_version, status.last_good_version) == (
        Phase.READY,
        "3.0",
        "3.0",
        "2.0",
    )
    assert status.operation is None and status.failed_version == ""
    assert conditions_of(status) == {
        C.READY: ("True", C.SUCCEEDED),
        C.VALIDATED: ("True", C.VALIDATION_SERVICE_UNAVAILABLE),  # R7: the realistic org has no validate jobs
        C.PUBLISHED: ("True", C.SUCCEEDED),
        C.HEALTHY: ("True", C.NO_VERIFY_STAGES),
        C.VERIFIED: ("False", C.NOT_JUDGED),  # no stages: nothing was verified, and status says so
    }
    assert status.published_operation_id, "the operation that made 3.0 live is recorded, typed"
    assert status.dependency_hash.startswith("sha256:")
    assert [(h.version, h.label, h.result) for h in status.history] == [("3.0", "2.4.1", "Ready")]
    assert harness.flow_state()["publishedVersion"] == "3.0"
    assert len(harness.publishes("3.0")) == 1
    assert [reason for _, reason in harness.release_events()] == [
        C.VALIDATION_SERVICE_UNAVAILABLE,
        "Publishing",
        "Published",
        "Ready",
    ]


async def test_intent_and_last_good_version_are_saved_before_the_publish_post(harness: Harness) -> None:
    await harness.drive(harness.release())

    post = next(i for i, e in enumerate(harness.timeline) if e[:3] == ("http", "POST", PUBLISH_PATH))
    saves_before = [e for e in harness.timeline[:post] if e[0] == "save"]
    assert saves_before[-1] == ("save", "Publishing", "publish", "")
    intent = next(s for s in harness.statuses.saves if s.operation and s.operation.kind == "publish")
    assert intent.operation is not None
    assert (intent.last_good_version, intent.operation.version, intent.operation.id) == ("2.0", "3.0", "")
    # the operation id is saved right after the POST answered, before anything else is asked
    after_post = harness.timeline[post + 1]
    assert after_post[:3] == ("save", "Publishing", "publish") and after_post[3] != ""


async def test_a_second_run_never_publishes_again(harness: Harness) -> None:
    release = harness.release()
    first = await harness.drive(release)
    second = await harness.drive(release, first.status)
    third = await harness.drive(
        release.model_copy(update={"metadata": release.metadata.model_copy(update={"generation": 2})}),
        second.status,
    )

    assert (second.kind, third.kind) == (OutcomeKind.READY, OutcomeKind.READY)
    assert len(harness.publishes()) == 1
    assert third.status.observed_generation == 2


async def test_verify_stages_bake_without_blocking_then_pass(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.01, samples=200)
    release = harness.release(
        verify={
            "stages": [
                {"name": "bake", "bakeSeconds": 600, "maxFailureRatio": 0.05, "minSamples": 20},
                {"name": "soak", "bakeSeconds": 60, "maxFailureRatio": 0.05, "minSamples": 20},
            ]
        }
    )

    outcome = await harness.drive(release)

    assert outcome.kind is OutcomeKind.READY
    waits = [o.after or 0.0 for o in harness.outcomes if o.status.phase is Phase.VERIFYING]
    assert len(waits) == 4, "each window bakes, then settles before it is sampled"
    assert [599.0 <= waits[0] <= 600.0, waits[1:]] == [True, [120.0, 60.0, 120.0]]
    verification = outcome.status.verification
    assert verification is not None
    assert (verification.stage, verification.samples) == ("soak", 200)
    assert [(s.name, s.verdict, s.entries) for s in verification.stages] == [
        ("bake", "passed", 200),
        ("soak", "passed", 200),
    ]
    assert conditions_of(outcome.status)[C.HEALTHY] == ("True", C.STAGES_PASSED)
    assert conditions_of(outcome.status)[C.VERIFIED] == ("True", C.STAGES_PASSED)
    sampled = [e for e in harness.events("verify") if "entries" in e.details and "signals" not in e.details]
    assert [e.details["stage"] for e in sampled] == ["bake", "soak"]
    judged = [e for e in harness.events("verify") if "signals" in e.details]
    assert [(e.details["stage"], e.details["verdict"]) for e in judged] == [
        ("bake", "passed"),
        ("soak", "passed"),
    ]


async def test_too_few_samples_is_never_healthy_extend_then_roll_back(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.5, samples=4)
    release = harness.release(
        verify={"stages": [{"name": "bake", "bakeSeconds": 30, "maxFailureRatio": 0.05, "minSamples": 20}]}
    )

    outcome = await harness.drive(release)

    rollback = outcome.status.rollback
    assert outcome.status.phase is Phase.ROLLED_BACK and rollback is not None
    assert rollback.target_version == "2.0" and outcome.status.published_version == rollback.restored_version
    assert conditions_of(outcome.status)[C.VERIFIED] == ("False", C.INSUFFICIENT_DATA)
    (stage,) = outcome.status.verification.stages if outcome.status.verification else []
    assert (stage.verdict, stage.window_seconds, stage.entries) == ("insufficientData", 90, 4)
    assert "not judged: 4 entries in 90 s, fewer than minSamples 20" in stage.message
    assert stage.message.endswith("(maxBakeSeconds reached)")
    extended = [
        e for e in harness.events("verify") if e.milestone is not None and "extend_seconds" in e.details
    ]
    assert [e.details["extend_seconds"] for e in extended] == [30, 30], "30 s more, twice, up to 3 x 30 s"


async def test_too_few_samples_passes_not_judged_when_the_stage_says_pass(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.5, samples=4)
    stage = {"name": "bake", "bakeSeconds": 30, "minSamples": 20, "onInsufficientData": "Pass"}
    outcome = await harness.drive(harness.release(verify={"stages": [stage]}))

    assert outcome.kind is OutcomeKind.READY and outcome.status.published_version == "3.0"
    assert conditions_of(outcome.status)[C.VERIFIED] == ("False", C.NOT_JUDGED)
    assert conditions_of(outcome.status)[C.HEALTHY] == ("Unknown", C.NOT_JUDGED)
    ready = next(c for c in outcome.status.conditions if c.type == C.READY)
    assert "not verified" in ready.message
    assert ("Warning", C.NOT_JUDGED) in harness.release_events()


async def test_mode_b_imports_archy_yaml_and_is_idempotent(harness: Harness) -> None:
    text = fixture_text("claims-ivr.yaml")
    release = harness.release(
        flow={"type": "inboundcall", "name": "Claims IVR"},
        source={"configMapRef": {"name": "simple-ivr", "key": "flow.yaml"}},
    )

    first = await harness.drive(release, source_yaml=text)
    second = await harness.drive(release, first.status, source_yaml=text)

    assert first.kind is OutcomeKind.READY, first.message
    status = first.status
    assert status.flow is not None and status.flow.name == "Claims IVR"
    assert status.published_version == status.desired_version != ""
    assert status.source_digest.startswith("sha256:")
    assert second.kind is OutcomeKind.READY
    imports = harness.emulator.control.request_log(method="POST", path="/api/v2/flows/jobs")
    assert len(imports) == 1
    assert harness.publishes() == []
    assert harness.flow_state("Claims IVR")["publishedVersion"] == status.published_version


async def test_mode_b_substitutes_placeholders_then_imports(harness: Harness) -> None:
    text = fixture_text("intake-workflow.yaml")
    release = harness.release(
        flow={"type": "workflow", "name": "Intake Workflow"},
        source={
            "configMapRef": {"name": "webhook", "key": "flow.yaml"},
            "substitutions": {
                "workflow_name": "Intake Workflow",
                "default_language": "en-us",
                "division": "Home",
                "data_action_category": "Web Services Data Actions",
                "workitem_data_action_name": "Create Workitem",
                "worktype_id": "5b5d4f2e-2f07-4c38-9d0e-6a3f1c0d7e21",
            },
        },
    )

    outcome = await harness.drive(release, source_yaml=text)

    assert outcome.kind is OutcomeKind.READY, outcome.message
    assert harness.flow_state("Intake Workflow")["publishedVersion"] == outcome.status.published_version


async def test_mode_b_crash_after_job_id_saved_resumes_the_same_job(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("polls", polls=3)
    text = fixture_text("claims-ivr.yaml")
    release = harness.release(
        flow={"type": "inboundcall", "name": "Claims IVR"},
        source={"configMapRef": {"name": "simple-ivr", "key": "flow.yaml"}},
    )
    harness.statuses.crash_after = lambda s: (
        s.operation is not None and s.operation.kind == "import" and bool(s.operation.id)
    )

    with pytest.raises(SimulatedCrash):
        await harness.drive(release, source_yaml=text)
    saved = harness.statuses.durable
    assert saved.operation is not None and saved.operation.id

    harness.reconciler = harness.new_reconciler()
    outcome = await harness.drive(release, saved, source_yaml=text)

    assert outcome.kind is OutcomeKind.READY, outcome.message
    # the job registered before the crash never received its file, so it is registered once more
    uploads = harness.emulator.control.request_log(method="PUT")
    assert len(uploads) == 1


async def test_mode_b_crash_after_the_upload_before_its_acknowledgement_never_imports_again(
    harness: Harness,
) -> None:
    """R6: the restarted engine finds the job Registered (it stays so for a few polls after the upload) and
    no acknowledged upload; it waits for the job to start instead of importing the source a second time."""
    text = fixture_text("claims-ivr.yaml")
    release = harness.release(
        flow={"type": "inboundcall", "name": "Claims IVR"},
        source={"configMapRef": {"name": "simple-ivr", "key": "flow.yaml"}},
    )
    harness.statuses.crash_before = lambda s: s.operation is not None and bool(s.operation.posted_at)

    with pytest.raises(SimulatedCrash):
        await harness.drive(release, source_yaml=text)
    saved = harness.statuses.durable
    assert saved.operation is not None and saved.operation.id and not saved.operation.posted_at

    harness.reconciler = harness.new_reconciler()
    outcome = await harness.drive(release, saved, source_yaml=text)

    assert outcome.kind is OutcomeKind.READY, outcome.message
    assert harness.emulator.control.request_count(method="POST", path="/api/v2/flows/jobs") == 1
    assert len(harness.emulator.control.request_log(method="PUT")) == 1
    assert harness.flow_state("Claims IVR")["publishedVersion"] == outcome.status.published_version


@pytest.mark.parametrize("validate_jobs", ["available", 404], ids=["validate-job", "no-validate-jobs"])
async def test_the_reads_before_a_publish_are_the_lookup_one_flow_read_and_the_gates_own(
    harness: Harness, validate_jobs: str | int
) -> None:
    """The flow's own read shows 3.0 as checkedInVersion, so no version read; registering the validate job
    does not touch the flow, so right after it only the job is read again (a later pass reads both, R6:
    the realistic job stays Registered a while); the org's dependency build status is read once for both
    releases of the client."""
    harness.emulator.control.set_behaviour(validate_jobs=validate_jobs)
    await harness.drive(harness.release())
    calls = [(method, route) for kind, method, route, _ in harness.timeline if kind == "http"]
    before = calls[: calls.index(("POST", PUBLISH_PATH))]
    assert not [c for c in before if "/versions/" in c[1]], before
    assert before.count(("GET", "/api/v2/flows")) == 1, "the lookup by name"
    if validate_jobs == "available":
        registered = before.index(("POST", "/api/v2/flows/validate/jobs"))
        assert before[registered + 1] == ("GET", "/api/v2/flows/validate/jobs/{jobId}"), (
            "right after the registration only the job is read again, not the flow",
            before[registered:],
        )
    else:
        assert before.count(("GET", "/api/v2/flows/{flowId}")) == 1, before
    builds = ("GET", "/api/v2/architect/dependencytracking/build")
    assert calls.count(builds) == 1
    await harness.drive(harness.release(name="support-ivr-again", version="2.0"))
    calls = [(method, route) for kind, method, route, _ in harness.timeline if kind == "http"]
    assert calls.count(builds) == 1, "the second release used the client's build status"
