"""The engine's small pure pieces: dependency hash, Archy source checks, validation and health verdicts,
poll schedule, clock."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowSelector
from flowrelease.engine.archy_source import PreparedSource, SourceProblem, prepare_source, substitute
from flowrelease.engine.clock import SystemClock
from flowrelease.engine.dependency_hash import dependency_hash, dependency_lines
from flowrelease.engine.judgement import (
    check_dependencies,
    check_job,
    check_version,
    summarize_job,
    version_shown_by,
)
from flowrelease.engine.poll_schedule import PollSchedule
from flowrelease.engine.ports import (
    Dependency,
    DependencyReport,
    JobMessage,
    JobState,
    VersionInfo,
)
from tests.support.paths import OWN_ARCHY
from tests.unit.engine.builders import flow

QUEUE = Dependency(type="QUEUE", id="q-1", name="Support")
ACTION = Dependency(type="DATAACTION", id="d-1", name="Lookup")
FLOW = Dependency(type="INBOUNDCALLFLOW", id="f-2", name="Other", version="4.0")
IVR = FlowSelector(type="inboundcall", name="Claims IVR")


# ------------------------------------------------------------------------------------ dependency hash


def test_dependency_hash_is_sha256_of_sorted_unique_lines() -> None:
    lines = "DATAACTION|d-1|\nINBOUNDCALLFLOW|f-2|4.0\nQUEUE|q-1|"
    expected = "sha256:" + hashlib.sha256(lines.encode()).hexdigest()

    assert dependency_lines([QUEUE, FLOW, ACTION, QUEUE]) == lines.split("\n")
    assert dependency_hash([QUEUE, FLOW, ACTION, QUEUE]) == expected
    assert dependency_hash([ACTION, FLOW, QUEUE]) == expected


def test_dependency_hash_ignores_names_and_health_flags() -> None:
    renamed = Dependency(type="QUEUE", id="q-1", name="Renamed", updated=True)
    assert dependency_hash([renamed]) == dependency_hash([QUEUE])
    assert dependency_hash([]) == "sha256:" + hashlib.sha256(b"").hexdigest()


# ------------------------------------------------------------------------------------- archy source


def test_the_real_fixture_prepares() -> None:
    prepared = prepare_source((OWN_ARCHY / "claims-ivr.yaml").read_text(encoding="utf-8"), {}, IVR)
    assert isinstance(prepared, PreparedSource)
    assert (prepared.key, prepared.flow_type, prepared.name) == (
        "inboundCall",
        "inboundcall",
        "Claims IVR",
    )
    assert prepared.digest == "sha256:" + hashlib.sha256(prepared.text.encode()).hexdigest()


def test_substitution_replaces_known_keys_only() -> None:
    assert substitute("a: {{x}} b: {{ y }} c: {{z}}", {"x": "1", "y": "2"}) == "a: 1 b: 2 c: {{z}}"


@pytest.mark.parametrize(
    ("text", "flow", "needle"),
    [
        ("workflow:\n  name: {{workflow_name}}\n", FlowSelector(type="workflow", name="W"), "{{workflow_name}}"),  # noqa: E501
        ("inboundCall: [unclosed\n", IVR, "does not parse at line 2, column 1"),
        ("- a\n- b\n", IVR, "must be a mapping"),
        ("inboundCall:\n  name: X\noutboundCall:\n  name: Y\n", IVR, "exactly one top-level flow-type key"),
        ("inboundCall: 3\n", IVR, "must be a mapping holding the flow"),
        ("inboundCall:\n  description: d\n", IVR, "`inboundCall.name` is missing"),
        ("workflow:\n  name: Claims IVR\n", IVR, "spec.flow.type is inboundcall"),
        ("inboundCall:\n  name: Other\n", IVR, "spec.flow.name is 'Claims IVR'"),
        ("inboundCall:\n  name: Claims IVR\n", IVR, "startUpRef` is missing"),
        ("inboundCall:\n  name: Claims IVR\n  startUpRef: menu\n", IVR, "is not a path"),
        (
            "inboundCall:\n  name: Claims IVR\n  startUpRef: /inboundCall/menus/menu[M_1]\n"
            "  menus:\n    - menu:\n        refId: Other_2\n",
            IVR,
            "no menu with refId 'M_1' under `inboundCall.menus` (available: Other_2)",
        ),
    ],
    ids=["placeholder", "yaml", "not-mapping", "two-keys", "body", "no-name", "type", "name", "no-startup",
         "bad-path", "unresolved"],
)  # fmt: skip
def test_source_problems_name_the_field_and_the_fix(text: str, flow: FlowSelector, needle: str) -> None:
    problem = prepare_source(text, {}, flow, origin="spec.source")
    assert isinstance(problem, SourceProblem)
    assert problem.message.startswith("spec.source: ")
    assert needle in problem.message


def test_in_queue_flows_may_start_with_task_actions() -> None:
    in_queue = "inqueueCall:\n  name: Q\n  startUpTaskActions: []\n"
    assert isinstance(
        prepare_source(in_queue, {}, FlowSelector(type="inqueuecall", name="Q")), PreparedSource
    )


# ------------------------------------------------------------------------------------ validation gate


def test_version_checks() -> None:
    assert check_version("IVR", "3.0", VersionInfo("3.0", "CHECKIN")) is None
    assert check_version("IVR", "3.0", VersionInfo("3.0", "PUBLISH")) is None
    missing = check_version("IVR", "9.0", None)
    draft = check_version("IVR", "4.0", VersionInfo("4.0", "SAVE"))
    assert missing is not None and missing.reason == C.VERSION_NOT_FOUND
    assert draft is not None and draft.reason == C.VERSION_NOT_CHECKED_IN and "check it in" in draft.message


@pytest.mark.parametrize(
    ("case", "published", "checked_in", "version", "want", "reason"),
    [
        ("checked-in", "2.0", "3.0", "3.0", VersionInfo("3.0", "CHECKIN"), "the flow's checkedInVersion"),
        ("published", "3.0", "3.0", "3.0", VersionInfo("3.0", "PUBLISH"), "the live version is checked in"),
        ("older", "2.0", "3.0", "1.0", None, "an older version: only its own read says what it is"),
        ("draft-or-missing", "2.0", "3.0", "4.0", None, "newer than checked in: a draft or missing, read it"),
        ("never-published", None, None, "1.0", None, "the flow shows no version at all"),
        ("no-version", None, None, "", None, "nothing to match"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_the_flow_read_answers_the_version_check_for_its_own_versions(
    case: str,
    published: str | None,
    checked_in: str | None,
    version: str,
    want: VersionInfo | None,
    reason: str,
) -> None:
    assert version_shown_by(flow(published, checked_in_version=checked_in), version) == want, reason


def test_dependency_checks() -> None:
    healthy = DependencyReport(consumed=(QUEUE, ACTION))
    computed, ok = check_dependencies(healthy, "")
    assert ok is None and computed == dependency_hash([QUEUE, ACTION])
    assert check_dependencies(healthy, computed)[1] is None

    gone = Dependency(type="QUEUE", id="q-2", name="Sales", deleted=True)
    unknown = Dependency(type="DATAACTION", id="", name="Ghost", state_unknown=True)
    _, broken = check_dependencies(DependencyReport(consumed=(QUEUE, gone, unknown)), "")
    assert broken is not None and broken.reason == C.DEPENDENCY_MISSING
    assert (
        "QUEUE 'Sales' (deleted)" in broken.message and "DATAACTION 'Ghost' (state unknown)" in broken.message
    )

    _, mismatch = check_dependencies(healthy, "sha256:pinned")
    assert mismatch is not None and mismatch.reason == C.DEPENDENCY_HASH_MISMATCH
    assert (
        "sha256:pinned" in mismatch.message
        and computed in mismatch.message
        and "QUEUE|q-1|" in mismatch.message
    )


def test_validate_job_checks() -> None:
    warned = JobState("j", "Success", messages=(JobMessage("Warning", "prompt missing"),))
    errored = JobState(
        "j", "Failure", messages=(JobMessage("Error", "queue gone"), JobMessage("Warning", "w"))
    )
    silent_failure = JobState("j", "Failure")

    assert check_job(warned, summarize_job(warned), fail_on_warnings=False) is None
    strict = check_job(warned, summarize_job(warned), fail_on_warnings=True)
    assert strict is not None and strict.reason == C.VALIDATION_WARNINGS
    errors = check_job(errored, summarize_job(errored), fail_on_warnings=False)
    assert errors is not None and errors.reason == C.VALIDATION_ERRORS and "queue gone" in errors.message
    assert (summarize_job(errored).errors, summarize_job(errored).warnings) == (1, 1)
    failure = check_job(silent_failure, summarize_job(silent_failure), fail_on_warnings=False)
    assert failure is not None and "without messages" in failure.message


# ------------------------------------------------------------------------------------ poll and clock


def test_poll_schedule_is_a_fifth_of_the_elapsed_time_between_half_a_second_and_ten() -> None:
    schedule = PollSchedule()
    assert [schedule.delay(elapsed) for elapsed in (0, 1, 2.5, 5, 10, 30, 50, 400)] == [
        0.5,
        0.5,
        0.5,
        1.0,
        2.0,
        6.0,
        10.0,
        10.0,
    ]


def test_poll_schedule_costs_a_logarithmic_number_of_polls() -> None:
    """DESIGN §5: a publish that takes T seconds costs O(log T) polls (until the 10 s cap)."""
    schedule = PollSchedule()

    def polls_until(seconds: float) -> int:
        elapsed, polls = 0.0, 0
        while elapsed < seconds:
            elapsed += schedule.delay(elapsed)
            polls += 1
        return polls

    assert polls_until(10) <= 14 and polls_until(50) <= 24
    assert polls_until(50) - polls_until(25) <= 5  # doubling T adds a constant number of polls


def test_jitter_stays_within_bounds() -> None:
    schedule = PollSchedule()
    rng = random.Random(7)
    values = [schedule.jittered(4.0, rng) for _ in range(200)]
    assert all(3.6 <= v <= 4.4 for v in values) and len(set(values)) > 100


def test_system_clock_is_timezone_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC
