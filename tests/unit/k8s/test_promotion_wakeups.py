# ruff: noqa: E501  (a table reads best one case per block)
"""Who wakes whom in the operator, as a table: `required_keys` reads spec.promotion.requires and
spec.source.fromRelease from the raw watch object, and an upstream's new export wakes its importers."""

from __future__ import annotations

from typing import Any

import pytest

from flowrelease.k8s.promotion_wakeups import PromotionWakeups, required_keys


def obj(
    namespace: str, name: str, spec: dict[str, Any], status: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"metadata": {"namespace": namespace, "name": name}, "spec": spec, "status": status or {}}


@pytest.mark.parametrize(
    ("case_id", "spec", "expected", "reason"),
    [
        ("none", {"source": {"configMapRef": {"name": "c", "key": "k"}}}, frozenset(), "no upstream at all"),
        ("requires", {"promotion": {"requires": [{"name": "a"}, {"name": "b", "namespace": "cc-test"}]}},
         frozenset({"cc-prod/a", "cc-test/b"}), "a requirement without namespace is in this one's"),
        ("from-release", {"source": {"fromRelease": {"name": "ivr", "namespace": "cc-test"}}},
         frozenset({"cc-test/ivr"}), "the release imported from wakes this one too"),
        ("from-release-same-namespace", {"source": {"fromRelease": {"name": "ivr"}}}, frozenset({"cc-prod/ivr"}),
         "fromRelease without namespace is in this one's"),
        ("both-once", {"source": {"fromRelease": {"name": "ivr", "namespace": "cc-test"}},
                       "promotion": {"requires": [{"name": "ivr", "namespace": "cc-test"}]}},
         frozenset({"cc-test/ivr"}), "the same upstream named twice is one upstream"),
        ("malformed", {"source": "oops", "promotion": {"requires": "x"}}, frozenset(), "a raw object may be anything"),
    ],
)  # fmt: skip
def test_required_keys(case_id: str, spec: dict[str, Any], expected: frozenset[str], reason: str) -> None:
    assert required_keys(obj("cc-prod", "ivr-prod", spec)) == expected, reason


def test_a_new_export_of_the_upstream_wakes_its_importer() -> None:
    wakeups = PromotionWakeups()
    importer = obj("cc-prod", "ivr", {"source": {"fromRelease": {"name": "ivr", "namespace": "cc-test"}}})
    ready = {"phase": "Ready", "artifact": {"version": "3.0", "commit": "a"}}
    assert wakeups.observe("ADDED", importer) == frozenset()
    assert wakeups.observe("ADDED", obj("cc-test", "ivr", {}, ready)) == frozenset()
    exported = {"phase": "Ready", "artifact": {"version": "4.0", "commit": "b"}}
    assert wakeups.observe("MODIFIED", obj("cc-test", "ivr", {}, exported)) == frozenset({"cc-prod/ivr"})


def test_a_release_that_no_longer_imports_from_the_upstream_is_not_woken_by_it() -> None:
    wakeups = PromotionWakeups()
    importer_spec = {"source": {"fromRelease": {"name": "ivr", "namespace": "cc-test"}}}
    wakeups.observe("ADDED", obj("cc-prod", "ivr", importer_spec))
    wakeups.observe("ADDED", obj("cc-test", "ivr", {}, {"phase": "Publishing"}))
    assert wakeups.downstream_of("cc-test/ivr") == frozenset({"cc-prod/ivr"})
    wakeups.observe("MODIFIED", obj("cc-prod", "ivr", {"version": "2.0"}))  # retargeted to a plain version
    assert wakeups.downstream_of("cc-test/ivr") == frozenset()
    assert wakeups.observe("MODIFIED", obj("cc-test", "ivr", {}, {"phase": "Ready"})) == frozenset()
