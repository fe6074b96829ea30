"""`decide_publish` (R4/R5): which publishes start, are refused, or are silently ignored — a table."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from flowrelease.emulator.behaviour import MissingVersionPublish, OlderVersionPublish
from flowrelease.emulator.publish_rules import PublishOutcome, PublishTarget, decide_publish


class Case(NamedTuple):
    case: str
    target: PublishTarget
    published: int | None
    older: OlderVersionPublish
    missing: MissingVersionPublish
    expected: PublishOutcome
    reason: str


CASES = [
    Case("newer", PublishTarget(3), 2, "refuse", "reject", "start", "a newer version always starts"),
    Case("same", PublishTarget(2), 2, "ignore", "reject", "start", "the published one is not older"),
    Case("first", PublishTarget(1), None, "refuse", "reject", "start", "nothing published: nothing older"),
    Case("older-accept", PublishTarget(1), 2, "accept", "reject", "start", "accept: older starts like any"),
    Case("older-refuse", PublishTarget(1), 2, "refuse", "reject", "older", "refuse: 400 version.older"),
    Case("older-ignore", PublishTarget(1), 2, "ignore", "reject", "ignore", "ignore: 200, nothing happens"),
    Case("missing-reject", PublishTarget(None), 2, "accept", "reject", "not_found", "reject: 404"),
    Case("missing-ignore", PublishTarget(None), 2, "refuse", "ignore", "ignore", "ignore beats the rest"),
    Case("draft", PublishTarget(4, is_draft=True), 2, "accept", "ignore", "draft", "never a draft"),
    Case("older-draft", PublishTarget(1, is_draft=True), 2, "ignore", "reject", "draft", "draft before age"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.case for c in CASES])
def test_decide_publish(case: Case) -> None:
    outcome = decide_publish(case.target, case.published, older=case.older, missing=case.missing)
    assert outcome == case.expected, case.reason
