# ruff: noqa: E501  (a table reads best one case per block; long reason strings stay whole)
"""What `flowrelease plan` says of a gated or importing release, as a table: the engine's planner judges
the gate from the upstreams' statuses, `describe` words it and `plan_exit_code` turns it into the code a
pipeline gates on. A gate that is not met must never read as a publish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from flowrelease.api.models import FlowRelease, FlowReleaseSpec, FlowReleaseStatus, Phase
from flowrelease.engine import steps as S
from flowrelease.engine.archy_source import SourcePending
from flowrelease.engine.planner import plan
from flowrelease.engine.ports import Change
from flowrelease.local.outcomes import plan_exit_code
from flowrelease.local.planning import describe
from tests.unit.engine.builders import NOW
from tests.unit.engine.test_promotion_gate import (
    DIGEST,
    GATED_SOURCE,
    RECORDED,
    RECORDED_OPEN,
    TEST,
    _mode_b,
    observed,
    upstream,
)

FROM_TEST = FlowReleaseSpec.model_validate(
    {
        **GATED_SOURCE.model_dump(by_alias=True, exclude_none=True),
        "source": {"fromRelease": {"name": "support-ivr-test", "namespace": "cc-test"}},
    }
)


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    spec: FlowReleaseSpec
    status: FlowReleaseStatus
    observation: S.Observation
    said: tuple[str, str]
    exit_code: int


CASES = [
    Case("waiting-upstream-bakes", "test has not verified the change: prod would wait, not publish", GATED_SOURCE, _mode_b(promotion=RECORDED),
         observed(upstream(phase=Phase.VERIFYING, conditions=[])),
         ("wait", f"wait for the promotion gate: {TEST} has not verified source {DIGEST} yet; it is Verifying"), 3),
    Case("waiting-other-change", "test is on another change: prod waits for test to release this one", GATED_SOURCE, _mode_b(promotion=RECORDED),
         observed(upstream(change=Change("source", "sha256:" + "b" * 64))),
         ("wait", f"wait for the promotion gate: {TEST} has not released source {DIGEST} yet; it is on source sha256:{'b' * 64} (Ready)"), 3),
    Case("waiting-soak", "verified 900 s ago, soak 600 s is met; but 1200 s is not", FlowReleaseSpec.model_validate({**GATED_SOURCE.model_dump(by_alias=True, exclude_none=True), "promotion": {"requires": [{"name": "support-ivr-test", "namespace": "cc-test"}], "soakSeconds": 1200}}), _mode_b(promotion=RECORDED),
         observed(upstream()),
         ("wait", f"wait for the promotion gate: {TEST} verified source {DIGEST}; it has been healthy 900 s of 1200 s"), 3),
    Case("waiting-upstream-missing", "an upstream nobody synced yet", GATED_SOURCE, _mode_b(promotion=RECORDED),
         observed(upstream(phase=None)),
         ("wait", f"wait for the promotion gate: {TEST} does not exist; create it or fix spec.promotion.requires"), 3),
    Case("blocked-rolled-back", "test rolled the change back: sync would end with prod blocked (exit 1)", GATED_SOURCE, _mode_b(promotion=RECORDED),
         observed(upstream(phase=Phase.ROLLED_BACK, conditions=[])),
         ("blocked", f"blocked: {TEST} rolled back source {DIGEST}"), 1),
    Case("open-imports", "the gate was recorded open and still is: the import is the plan", GATED_SOURCE, _mode_b(promotion=RECORDED_OPEN),
         observed(upstream()),
         ("import", "import Archy YAML from ConfigMap ivr key flow.yaml and publish it (published now: 2.0)"), 3),
    Case("from-release-not-exported", "fromRelease: test has not exported what it runs, prod waits for it", FROM_TEST, _mode_b(promotion=RECORDED, source_digest=""),
         S.Observation(flow=observed().flow, source=SourcePending(f"waiting for {TEST} to export its live version: it is Verifying (version 4.0 live, version 3.0 exported)")),
         ("wait", f"wait for the promotion gate: waiting for {TEST} to export its live version: it is Verifying (version 4.0 live, version 3.0 exported)"), 3),
]  # fmt: skip


def _release(spec: FlowReleaseSpec) -> FlowRelease:
    document: dict[str, Any] = {
        "apiVersion": "flowrelease.io/v1alpha1",
        "kind": "FlowRelease",
        "metadata": {"name": "support-ivr-prod", "namespace": "cc-prod"},
        "spec": spec.model_dump(by_alias=True, exclude_none=True),
    }
    return FlowRelease.model_validate(document)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_what_plan_says_of_a_gated_release(case: Case) -> None:
    step = plan(case.spec, case.status, case.observation, now=NOW, generation=1)
    said = describe(step, _release(case.spec), case.status, case.observation)
    assert said == case.said, case.reason
    assert plan_exit_code([said[0]]) == case.exit_code, case.reason
