# ruff: noqa: E501  (a table reads best one case per block)
"""The engine's read-only pass (what `flowrelease plan` prints) against the real reconcile of one release:
it sends nothing but reads, and where it says a release is blocked, the reconcile ends Stalled for the very
reason and words; where it says the release goes ahead, the reconcile publishes. Real parts: the realistic
emulator over loopback HTTP, real Git over file://."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus
from flowrelease.engine import steps as S
from flowrelease.engine.outcome import OutcomeKind
from flowrelease.engine.read_only_pass import read_only_pass
from flowrelease.gitops import GitArtifactStore
from tests.integration.engine.harness import Harness, fixture_text

BROKEN_ARCHY = "inboundCall: [unclosed\n"


def lock(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.lock_flow(flow_id, client_id="architect-ui", client_name="Jane in Architect")


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    spec: Callable[[Path], dict[str, Any]]
    blocked: str
    """The Stalled reason the reconcile ends with, "" when it publishes."""
    source_yaml: str | None = None
    setup: Callable[[Harness], None] | None = field(default=None, compare=False)


SOURCE = {
    "flow": {"type": "inboundcall", "name": "Claims IVR"},
    "source": {"configMapRef": {"name": "c", "key": "k"}},
}
CASES = [
    Case("goes-ahead", "a version that exists, a target that answers: the first write is the validate job",
         lambda tmp: {"export": {"git": {"url": _repo(tmp), "path": "flows/ivr"}}}, ""),
    Case("version-missing", "9.0 does not exist: plan once promised to publish it",
         lambda tmp: {"version": "9.0"}, C.VERSION_NOT_FOUND),
    Case("flow-misspelt", "no such flow: plan once said 'no such flow yet'",
         lambda tmp: {"flow": {"type": "inboundcall", "name": "Suport IVR"}}, C.FLOW_NOT_FOUND),
    Case("locked", "lockPolicy Fail names the holder before anything is sent",
         lambda tmp: {"export": {"git": {"url": _repo(tmp), "path": "flows/ivr"}}}, C.FLOW_LOCKED, setup=lock),
    Case("target-refuses", "a missing export repository fails validation before publishing",
         lambda tmp: {"export": {"git": {"url": (tmp / "nowhere.git").as_uri(), "path": "flows/ivr"}}},
         C.EXPORT_TARGET_INVALID),
    Case("source-broken", "Archy YAML that does not parse is refused before an import",
         lambda tmp: dict(SOURCE), C.SOURCE_INVALID, source_yaml=BROKEN_ARCHY),
    Case("source-imports", "a good Archy source: the first write is the Architect import",
         lambda tmp: dict(SOURCE), "", source_yaml=fixture_text("claims-ivr.yaml")),
]  # fmt: skip


def _repo(tmp: Path) -> str:
    return (tmp / "flows.git").as_uri()


def git_init_bare(path: Path) -> None:
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(path)], check=True)


def only_reads(harness: Harness) -> bool:
    log = harness.emulator.control.request_log()
    return all(entry["method"] == "GET" or entry["path"] == "/oauth/token" for entry in log)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_the_read_only_pass_says_what_the_reconcile_then_does(
    harness: Harness, tmp_path: Path, case: Case
) -> None:
    harness.artifacts = GitArtifactStore(tmp_path / "work")
    harness.reconciler = harness.new_reconciler()
    git_init_bare(tmp_path / "flows.git")
    if case.setup is not None:
        case.setup(harness)
    release = harness.release(**case.spec(tmp_path))

    judged = await read_only_pass(
        harness.new_client(),
        release,
        FlowReleaseStatus(),
        generation=release.metadata.generation,
        now=harness.clock.now(),
        source_yaml=case.source_yaml,
        artifacts=harness.artifacts,
        git_credentials={},
    )

    assert only_reads(harness), case.reason
    assert harness.statuses.saves == [], "nothing saved"
    assert not (tmp_path / "work").exists() or not any((tmp_path / "work").iterdir()), "nothing cloned"
    outcome = await harness.drive(release, source_yaml=case.source_yaml)
    if case.blocked:
        assert isinstance(judged.step, S.FailValidation), (case.reason, judged.step)
        assert judged.step.reason == case.blocked, case.reason
        stalled = next(c for c in outcome.status.conditions if c.type == C.STALLED)
        assert (outcome.kind, stalled.reason) == (OutcomeKind.STALLED, case.blocked), outcome.message
        assert judged.step.message in stalled.message, "plan and sync say it in the same words"
    else:
        expected = S.StartImport if case.source_yaml else S.Validate
        assert isinstance(judged.step, expected), (case.reason, judged.step)
        assert outcome.kind is OutcomeKind.READY, outcome.message
