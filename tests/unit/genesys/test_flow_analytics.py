"""The version-scoped aggregates query and reading its answer: a table of answers, the unkind ones too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

import pytest

from flowrelease.engine.verification import VersionSample
from flowrelease.genesys.flow_analytics import version_query, version_sample

SINCE = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
UNTIL = datetime(2026, 1, 1, 9, 10, 30, 250_000, tzinfo=UTC)


def test_the_query_scopes_the_flow_and_the_version_over_the_window() -> None:
    assert version_query("f-1", "3.0", SINCE, UNTIL) == {
        "interval": "2026-01-01T09:00:00.000Z/2026-01-01T09:10:30.250Z",
        "groupBy": ["flowId", "flowVersion"],
        "filter": {
            "type": "and",
            "predicates": [
                {"type": "dimension", "dimension": "flowId", "operator": "matches", "value": "f-1"},
                {"type": "dimension", "dimension": "flowVersion", "operator": "matches", "value": "3.0"},
            ],
        },
        "metrics": ["nFlow", "nFlowOutcome", "nFlowOutcomeFailed", "tFlowExit", "tFlowDisconnect"],
    }


def row(flow: str, version: str, *intervals: dict[str, int]) -> dict[str, Any]:
    return {
        "group": {"flowId": flow, "flowVersion": version},
        "data": [
            {"interval": "i", "metrics": [{"metric": m, "stats": {"count": c}} for m, c in counts.items()]}
            for counts in intervals
        ],
    }


class Answer(NamedTuple):
    case: str
    body: Any
    expected: VersionSample
    reason: str


ANSWERS = [
    Answer("empty-object", {}, VersionSample(), "no data is {} (no results key): zero, not an error"),
    Answer("empty-results", {"results": []}, VersionSample(), "the other empty shape"),
    Answer(
        "buckets-summed",
        {
            "results": [
                row(
                    "f-1",
                    "3.0",
                    {"nFlow": 4, "nFlowOutcome": 3},
                    {"nFlow": 6, "nFlowOutcomeFailed": 2, "tFlowDisconnect": 2},
                )
            ]
        },
        VersionSample(entries=10, outcomes=3, failed_outcomes=2, disconnects=2),
        "granularity buckets add up",
    ),
    Answer(
        "other-version-ignored",
        {"results": [row("f-1", "2.0", {"nFlow": 99}), row("f-1", "3.0", {"nFlow": 5})]},
        VersionSample(entries=5),
        "an org that ignored the predicate must not mix in old-version traffic",
    ),
    Answer(
        "other-flow-ignored",
        {"results": [row("f-2", "3.0", {"nFlow": 99})]},
        VersionSample(),
        "nor another flow's",
    ),
    Answer(
        "ungrouped",
        {"results": [{"data": [{"metrics": [{"metric": "nFlow", "stats": {"count": 7}}]}]}]},
        VersionSample(entries=7),
        "without a group the filter is trusted",
    ),
    Answer(
        "junk",
        {
            "results": [
                None,
                {"data": "x"},
                {"data": [{"metrics": [{"metric": "nFlow", "stats": {"count": "9"}}]}]},
            ]
        },
        VersionSample(),
        "malformed parts count nothing",
    ),
    Answer(
        "float-count",
        {"results": [{"data": [{"metrics": [{"metric": "nFlow", "stats": {"count": 3.0}}]}]}]},
        VersionSample(entries=3),
        "a count sent as 3.0 is 3",
    ),
]


@pytest.mark.parametrize("answer", ANSWERS, ids=[a.case for a in ANSWERS])
def test_reading_the_answer(answer: Answer) -> None:
    assert version_sample(answer.body, "f-1", "3.0") == answer.expected, answer.reason
