"""What `flowrelease plan` exits with, as a table: a pipeline gates on it (0 nothing to do, 3 changes
pending, 1 blocked or cannot observe; 2, bad input, is decided before any release is planned)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowrelease.local.outcomes import plan_exit_code


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    actions: list[str]
    want: int


CASES = [
    Case("settled", "every release live, verified and exported", ["nothing", "nothing"], 0),
    Case("suspended", "a suspended release changes nothing", ["nothing", "suspended"], 0),
    Case("no-releases", "an empty folder has nothing to do", [], 0),
    Case("publish", "one publish pending is a change", ["nothing", "publish"], 3),
    Case("import", "an Archy import is a change", ["import"], 3),
    Case("in-flight", "a release waiting on a publish or a lock still has work to do", ["wait", "resume"], 3),
    Case("after-publish", "verify, export, rollback and drift are changes too",
         ["verify", "export", "rollback", "drift"], 3),
    Case("blocked-wins", "one blocked release fails the gate", ["publish", "blocked"], 1),
    Case("cannot-observe", "unobservable is not nothing to do", ["nothing", "error"], 1),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_plan_exit_code(case: Case) -> None:
    assert plan_exit_code(case.actions) == case.want, case.reason
