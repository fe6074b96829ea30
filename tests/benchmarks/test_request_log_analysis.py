"""The request-log arithmetic behind 'API calls', 'polls' and 'notice delay' in the single-promotion table."""

from __future__ import annotations

import pytest
from benchmarks.request_log import LoggedCall, publish_trace

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


def test_a_quiet_periods_calls_are_counted_by_route_with_ids_folded() -> None:
    from benchmarks.operator_figures import calls_by_route

    flow = "8d3f3a0e-0000-4000-8000-000000000001"
    calls = [
        LoggedCall("GET", f"/api/v2/flows/{flow}", "", 200, "c", T0),
        LoggedCall("GET", "/api/v2/flows/8d3f3a0e-0000-4000-8000-000000000002", "", 200, "c", T0),
        LoggedCall("PUT", f"/api/v2/notifications/channels/{flow}/subscriptions", "", 200, "c", T0),
        LoggedCall("POST", "/oauth/token", "", 200, "c", T0),
    ]
    assert calls_by_route(calls) == {
        "GET /api/v2/flows/{id}": 2,
        "POST /oauth/token": 1,
        "PUT /api/v2/notifications/channels/{id}/subscriptions": 1,
    }
