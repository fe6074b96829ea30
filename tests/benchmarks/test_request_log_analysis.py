"""The request-log arithmetic behind 'API calls', 'polls' and 'notice delay' in the single-promotion table."""

from __future__ import annotations

import pytest
from benchmarks.request_log import LoggedCall, calls_by_route, per_release_by_route, publish_trace

FLOW = "f-1"
T0 = 1_000.0


def call(
    method: str, path: str, at: float, *, status: int = 200, client: str = "me", query: str = ""
) -> LoggedCall:
    return LoggedCall(method, path, query, status, client, T0 + at)


PUBLISH = ("POST", "/api/v2/flows/actions/publish")
GET_FLOW = ("GET", f"/api/v2/flows/{FLOW}")


@pytest.mark.parametrize(
    ("case", "calls", "expected"),
    [
        (
            "a poll after completion notices it; earlier polls count, later calls do not count as polls",
            [
                call("POST", "/oauth/token", 0.0),
                call(*GET_FLOW, 0.1),  # observe before publishing: not a poll
                call(*PUBLISH, 0.2, query=f"flow={FLOW}&version=2.0"),
                call(*GET_FLOW, 0.7),
                call(*GET_FLOW, 2.5),  # completion at 2.2 -> noticed 0.3 s late
                call(*GET_FLOW, 3.0),  # a later observe
            ],
            {"api_calls": 6, "polls": 2, "delay": pytest.approx(0.3)},
        ),
        (
            "a throttled poll after completion does not count as noticing",
            [
                call(*PUBLISH, 0.0, query=f"flow={FLOW}"),
                call(*GET_FLOW, 2.1, status=429),
                call(*GET_FLOW, 3.0),
            ],
            {"api_calls": 3, "polls": 2, "delay": pytest.approx(1.0)},
        ),
        (
            "other clients' calls and other flows' publishes are not mine",
            [
                call(*PUBLISH, 0.0, query="flow=other"),
                call(*PUBLISH, 0.0, query=f"flow={FLOW}", client="someone-else"),
                call(*GET_FLOW, 5.0, client="someone-else"),
            ],
            {"api_calls": 1, "polls": 0, "delay": None},
        ),
    ],
)
def test_publish_trace(case: str, calls: list[LoggedCall], expected: dict[str, object]) -> None:
    trace = publish_trace(calls, client_id="me", flow_id=FLOW, publish_seconds=2.0)

    assert {
        "api_calls": trace.api_calls,
        "polls": trace.polls,
        "delay": trace.notice_delay_seconds,
    } == expected, case


def test_publish_trace_counts_429s_received() -> None:
    calls = [
        call(*PUBLISH, 0.0, query=f"flow={FLOW}"),
        call(*GET_FLOW, 1.0, status=429),
        call(*GET_FLOW, 3.0),
    ]

    assert publish_trace(calls, client_id="me", flow_id=FLOW, publish_seconds=2.0).throttled == 1


def test_calls_are_counted_by_endpoint_without_ids() -> None:
    def call(method: str, path: str) -> LoggedCall:
        return LoggedCall(method, path, "", 200, "c", 0.0)

    flow = "0b4f6b0e-8f0c-4d2a-9e1a-2b6f1c3d4e5f"
    counted = calls_by_route(
        [
            call("GET", f"/api/v2/flows/{flow}"),
            call("GET", f"/api/v2/flows/{flow}"),
            call("POST", "/api/v2/notifications/channels/streaming-0-abc/subscriptions"),
            call("POST", "/api/v2/notifications/channels/streaming-0-xyz/subscriptions"),
            call("GET", f"/api/v2/flows/{flow}/versions/3.0"),
        ]
    )
    assert counted == {
        "GET /api/v2/flows/{id}": 2,
        "POST /api/v2/notifications/channels/{channelId}/subscriptions": 2,
        "GET /api/v2/flows/{id}/versions/{version}": 1,
    }


def test_per_release_by_route_lines_up_every_run_busiest_route_first() -> None:
    sizes = [
        {"releases": 10, "calls_by_route": {"GET /a": 30, "POST /b": 10}},
        {"releases": 100, "calls_by_route": {"GET /a": 200, "POST /c": 5}},
        {"releases": 5, "error": "worker exited 1"},
    ]
    routes, rows = per_release_by_route(sizes)
    assert routes == ["GET /a", "POST /b", "POST /c"]
    assert rows == [[3.0, 2.0, None], [1.0, 0.0, None], [0.0, 0.05, None]]
