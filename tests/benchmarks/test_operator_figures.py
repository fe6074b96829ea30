"""The operator benchmark's arithmetic: a rollout's figures from watch timelines, request log and writes."""

from __future__ import annotations

import pytest
from benchmarks.operator_figures import rate_bound_seconds, summarise_rollout
from benchmarks.release_watch import Timeline
from benchmarks.request_log import PUBLISH_PATH, LoggedCall

T0 = 1_000.0


def call(method: str, path: str, at: float, *, status: int = 200, query: str = "") -> LoggedCall:
    return LoggedCall(method, path, query, status, "operator", T0 + at)


@pytest.mark.parametrize(
    ("calls", "limit", "bound"),
    [(50, 60, 0.0), (60, 60, 0.0), (120, 60, 60.0), (3_300, 3_000, 6.0)],
)
def test_the_rate_bound_is_what_the_bucket_cannot_serve_at_once_over_its_refill(
    calls: int, limit: int, bound: float
) -> None:
    assert rate_bound_seconds(calls, limit) == pytest.approx(bound)


def test_a_rollout_of_two_releases() -> None:
    timelines = {
        "a": Timeline(created=T0 + 1.0, first_status=T0 + 1.5, ready=T0 + 6.0),
        "b": Timeline(created=T0 + 2.0, first_status=T0 + 5.0, ready=T0 + 9.0),
    }
    calls = [
        call("GET", "/api/v2/flows/f-a", 1.2),
        call("POST", PUBLISH_PATH, 2.0, query="flow=f-a&version=2.0"),
        call("POST", PUBLISH_PATH, 3.0, query="flow=f-b&version=2.0"),
        call("GET", "/api/v2/flows/f-b", 3.5, status=429),
        call("GET", "/api/v2/flows/f-a", 4.5),  # a is live at 4.0: read 0.5 s later, nothing served between
        call("GET", "/api/v2/flows/f-b", 5.0),  # b is live at 5.0: read at once
    ]

    rollout = summarise_rollout(
        releases=2,
        limit_per_minute=60,
        publish_seconds=2.0,
        started_at=T0,
        timelines=timelines,
        flow_of={"a": "f-a", "b": "f-b"},
        calls=calls,
        writes={("flowreleases/status", "PATCH"): 6, ("events", "POST"): 5, ("flowreleases", "POST"): 2},
        operator_cpu_seconds=0.5,
        operator_peak_rss_mib=80.0,
        apiserver_cpu_seconds=1.0,
    )

    assert rollout["ready"] == 2
    assert rollout["all_ready_seconds"] == pytest.approx(9.0)
    assert rollout["first_status_by_release"] == [[pytest.approx(1.0), pytest.approx(0.5)], [2.0, 3.0]]
    assert rollout["first_status_seconds"]["max"] == pytest.approx(3.0)
    assert rollout["to_ready_seconds"]["max"] == pytest.approx(7.0)
    assert rollout["live_to_ready_seconds"]["max"] == pytest.approx(4.0)  # b: live 5.0, Ready 9.0
    assert rollout["live_read_ready_by_release"] == [
        [pytest.approx(4.0), pytest.approx(0.5), pytest.approx(1.5), 0.0],
        [5.0, 0.0, 4.0, 0.0],
    ]
    assert rollout["apiserver_writes_per_release"] == pytest.approx(5.5)  # the benchmark's creates left out
    assert rollout["genesys_calls_per_release"] == 3.0
    assert rollout["genesys_429s"] == 1
    assert (rollout["publishes"], rollout["flows_published_twice"]) == (2, 0)
    assert rollout["operator_cpu_seconds_per_release"] == pytest.approx(0.25)
