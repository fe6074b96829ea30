"""Which kopf diff base the operator runs with (pure table), and what the standalone one builds."""

from __future__ import annotations

import kopf
import pytest

from flowrelease.k8s.config import OperatorConfig
from flowrelease.k8s.settings import DiffBaseNotKept, build_settings

CASES = [
    ("standalone", OperatorConfig(standalone=True), DiffBaseNotKept, "no change handler reads a diff base"),
    ("default", OperatorConfig(), DiffBaseNotKept, "without --peering the scheduler runs the passes"),
    (
        "peering", OperatorConfig(peering="flowrelease"), kopf.AnnotationsDiffBaseStorage,
        "kopf's create/update/resume handlers diff the spec against the last handled one",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case_id", "config", "storage", "reason"), CASES, ids=[c[0] for c in CASES])
def test_the_diff_base_kopf_keeps(
    case_id: str, config: OperatorConfig, storage: type[kopf.DiffBaseStorage], reason: str
) -> None:
    assert type(build_settings(config).persistence.diffbase_storage) is storage, reason


def test_the_standalone_diff_base_copies_nothing_and_stores_nothing() -> None:
    body = kopf.Body({"metadata": {"name": "a", "annotations": {"x": "y"}}, "spec": {"v": 1}, "status": {}})
    base = DiffBaseNotKept()
    patch = kopf.Patch()
    assert base.build(body=body) == {}
    assert base.fetch(body=body) is None
    base.store(body=body, patch=patch, essence=base.build(body=body))
    assert not patch, "kopf writes no last-handled-configuration annotation"
