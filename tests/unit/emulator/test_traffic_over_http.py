"""Simulated traffic through the real API: aggregates honour the interval, the version, groups and the
ingestion delay; "version X fails Y %" on the control plane; bad traffic input refused naming the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowrelease.emulator.wire import iso_datetime
from tests.unit.emulator.conftest import BILLING_IVR, SUPPORT_IVR, Loopback

AGGREGATES = "/api/v2/analytics/flows/aggregates/query"
METRICS = ["nFlow", "nFlowOutcome", "nFlowOutcomeFailed", "tFlowExit", "tFlowDisconnect"]


def interval(start: float, end: float) -> str:
    return f"{iso_datetime(start)}/{iso_datetime(end)}"


def aggregates(loopback: Loopback, start: float, end: float, **query: Any) -> Any:
    body = {"interval": interval(start, end), "metrics": METRICS, **query}
    response = loopback.http.post(AGGREGATES, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def scoped(flow_id: str, version: str = "") -> dict[str, Any]:
    predicates = [{"dimension": "flowId", "value": flow_id}]
    if version:
        predicates.append({"dimension": "flowVersion", "value": version})
    return {"type": "and", "predicates": predicates}


def counts(response: Any) -> dict[str, int]:
    """Metric → count of the single group's single interval ({} when nothing matched)."""
    if not response:
        return {}
    (result,) = response["results"]
    (data,) = result["data"]
    return {m["metric"]: m["stats"]["count"] for m in data["metrics"]}


@pytest.fixture
def start(loopback: Loopback) -> float:
    """Demo traffic starts at the reset; the clock of the module's server keeps running across tests."""
    return loopback.clock.now()


def test_aggregates_count_only_metrics_emitted_in_the_interval(loopback: Loopback, start: float) -> None:
    loopback.advance(1_200)
    whole = counts(aggregates(loopback, start, start + 1_200, filter=scoped(SUPPORT_IVR)))
    first = counts(aggregates(loopback, start, start + 600, filter=scoped(SUPPORT_IVR)))
    second = counts(aggregates(loopback, start + 600, start + 1_200, filter=scoped(SUPPORT_IVR)))
    assert 160 <= whole["nFlow"] <= 240, "10 entries a minute for 20 minutes"
    assert first["nFlow"] + second["nFlow"] == whole["nFlow"]
    assert whole["nFlowOutcome"] < whole["nFlow"], "outcomes are emitted when callers leave, 45 s later"
    assert aggregates(loopback, start - 3_600, start, filter=scoped(SUPPORT_IVR)) == {}, "before the traffic"
    assert aggregates(loopback, start + 7_200, start + 9_000) == {}, "the future has no data"


def test_a_version_scoped_query_keeps_old_and_new_traffic_apart(loopback: Loopback, start: float) -> None:
    loopback.control.fail_version(SUPPORT_IVR, "3.0", 0.5)
    loopback.advance(600)
    assert loopback.publish("3.0").status_code == 200
    assert loopback.flow_json()["publishedVersion"]["id"] == "3.0"
    published = loopback.clock.now()
    loopback.advance(1_200)

    new = counts(aggregates(loopback, published, published + 1_200, filter=scoped(SUPPORT_IVR, "3.0")))
    old = counts(aggregates(loopback, start, published + 1_200, filter=scoped(SUPPORT_IVR, "2.0")))
    assert 0.3 <= new["nFlowOutcomeFailed"] / new["nFlowOutcome"] <= 0.7, new
    assert old.get("nFlowOutcomeFailed", 0) / old["nFlowOutcome"] <= 0.1, old
    assert 70 <= old["nFlow"] <= 130, "2.0 is entered for the first 10 minutes only"
    both = aggregates(loopback, start, published + 1_200, filter=scoped(SUPPORT_IVR), groupBy=["flowVersion"])
    assert [r["group"] for r in both["results"]] == [{"flowVersion": "2.0"}, {"flowVersion": "3.0"}]
    unscoped = counts(aggregates(loopback, published, published + 1_200, filter=scoped(SUPPORT_IVR)))
    assert unscoped["nFlowOutcome"] > new["nFlowOutcome"], "flowId alone mixes in 2.0's last callers"


def test_metrics_show_only_after_the_ingestion_delay(loopback: Loopback, start: float) -> None:
    loopback.control.set_behaviour(ingestion_delay={"seconds": 300, "jitter": 0})
    loopback.advance(240)
    assert aggregates(loopback, start, start + 240, filter=scoped(SUPPORT_IVR)) == {}
    loopback.advance(120)
    early = counts(aggregates(loopback, start, start + 240, filter=scoped(SUPPORT_IVR)))
    loopback.advance(180)
    late = counts(aggregates(loopback, start, start + 240, filter=scoped(SUPPORT_IVR)))
    loopback.advance(600)
    final = counts(aggregates(loopback, start, start + 240, filter=scoped(SUPPORT_IVR)))
    assert 0 < early["nFlow"] < late["nFlow"] == final["nFlow"], "the first minute's entries show first"


def test_flows_without_outcome_actions_report_entries_and_exits_but_no_outcomes(
    loopback: Loopback, start: float
) -> None:
    loopback.advance(1_200)
    in_queue = loopback.control.flow_id("Support In-Queue")
    for flow_id in (BILLING_IVR, in_queue):
        seen = counts(aggregates(loopback, start, start + 1_200, filter=scoped(flow_id)))
        assert seen["nFlow"] > 0 and seen["tFlowExit"] > 0
        assert "nFlowOutcome" not in seen and "nFlowOutcomeFailed" not in seen, flow_id


def test_granularity_splits_the_answer_into_buckets(loopback: Loopback, start: float) -> None:
    loopback.advance(1_800)
    body = aggregates(loopback, start, start + 1_800, filter=scoped(SUPPORT_IVR), granularity="PT10M")
    (result,) = body["results"]
    assert [d["interval"] for d in result["data"]] == [
        interval(start + offset, start + offset + 600) for offset in (0, 600, 1_200)
    ]
    total = sum(
        next(m["stats"]["count"] for m in d["metrics"] if m["metric"] == "nFlow") for d in result["data"]
    )
    assert total == counts(aggregates(loopback, start, start + 1_800, filter=scoped(SUPPORT_IVR)))["nFlow"]


def test_a_reset_replays_the_same_traffic(loopback: Loopback) -> None:
    def drawn() -> list[int]:
        loopback.advance(900)
        return [v["entries"] for v in loopback.control.traffic(SUPPORT_IVR)["versions"]]

    loopback.control.reset()
    first = drawn()
    loopback.control.reset()
    assert drawn() == first


def test_traffic_control_calls_and_their_answers(loopback: Loopback) -> None:
    answer = loopback.control.set_traffic(
        BILLING_IVR, entries_per_minute=30, version_failure_ratios={"2.0": 0.2}
    )
    assert {k: answer[k] for k in ("entriesPerMinute", "failureRatio", "abandonRatio", "flowSeconds")} == {
        "entriesPerMinute": 30.0,
        "failureRatio": 0.01,
        "abandonRatio": 0.03,
        "flowSeconds": 30.0,
    }, "a partial update keeps the rest"
    loopback.advance(600)
    (drawn,) = loopback.control.traffic(BILLING_IVR)["versions"]
    assert drawn["version"] == "2.0" and drawn["failureRatio"] == 0.2
    assert 0.1 <= drawn["disconnects"] / drawn["left"] <= 0.35 and drawn["outcomes"] == 0
    back = loopback.control.fail_version(BILLING_IVR, "2.0", None)
    assert back["versions"][0]["failureRatio"] == 0.01, "null: the flow's own ratio again"
    loopback.control.clear_traffic(BILLING_IVR)
    assert loopback.control.traffic(BILLING_IVR) == {"flowId": BILLING_IVR, "versions": []}


RATE = "traffic.entriesPerMinute"
REFUSED = [
    ("PUT", "/_emulator/traffic", {"entriesPerMinute": 6}, 400, "flowId"),
    ("PUT", "/_emulator/traffic", {"flowId": SUPPORT_IVR, "entriesPerMinute": -1}, 400, RATE),
    ("PUT", "/_emulator/traffic", {"flowId": SUPPORT_IVR, "entriesPerMinute": 601}, 400, RATE),
    ("PUT", "/_emulator/traffic", {"flowId": SUPPORT_IVR, "failureRatio": 1.5}, 400, "traffic.failureRatio"),
    ("PUT", "/_emulator/traffic", {"flowId": SUPPORT_IVR, "abandonRatio": True}, 400, "traffic.abandonRatio"),
    ("PUT", "/_emulator/traffic", {"flowId": SUPPORT_IVR, "rate": 6}, 400, "traffic.rate"),
    ("PUT", "/_emulator/traffic", {"flowId": SUPPORT_IVR, "versionFailureRatios": {"3.0": 2}}, 400,
     "traffic.versionFailureRatios.3.0"),
    ("PUT", "/_emulator/traffic", {"flowId": "no-such-flow"}, 404, None),
    ("PUT", "/_emulator/traffic/versions", {"flowId": SUPPORT_IVR, "failureRatio": 0.5}, 400, "version"),
    ("PUT", "/_emulator/traffic/versions", {"flowId": SUPPORT_IVR, "version": "3.0"}, 400, "failureRatio"),
    ("PUT", "/_emulator/traffic/versions", {"flowId": SUPPORT_IVR, "version": "3.0", "failureRatio": "half"},
     400, "failureRatio"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), REFUSED)
def test_bad_traffic_input_is_refused_naming_the_field(
    loopback: Loopback, method: str, path: str, body: Any, status: int, field: str | None
) -> None:
    before = loopback.control.traffic(SUPPORT_IVR)
    response = httpx.request(method, f"{loopback.base_url}{path}", json=body)
    assert response.status_code == status, response.text
    if field is not None:
        assert response.json()["details"] == [{"errorCode": "bad.request", "fieldName": field}]
    assert loopback.control.traffic(SUPPORT_IVR)["failureRatio"] == before["failureRatio"]


def test_a_seed_starts_traffic_and_refuses_outcomes_on_an_in_queue_flow(loopback: Loopback) -> None:
    flow = {
        "name": "Hold Line",
        "type": "INQUEUECALL",
        "versions": [{"holdPrompts": []}],
        "publishedVersion": "1.0",
        "traffic": {"entriesPerMinute": 12, "versionFailureRatios": {"1.0": 0.25}},
    }
    loopback.control.seed({"flows": [flow]})
    hold_line = loopback.control.flow_id("Hold Line")
    assert loopback.control.traffic(hold_line)["versions"] == [
        {"version": "1.0", "failureRatio": 0.25, "entries": 0, "left": 0, "outcomes": 0, "outcomesFailed": 0,
         "disconnects": 0}
    ]  # fmt: skip
    bad = {**flow, "name": "Bad Hold", "versions": [{"outcomes": ["Served"]}]}
    refused = httpx.post(f"{loopback.base_url}/_emulator/seed", json={"flows": [bad]})
    assert (
        refused.status_code == 400 and "in-queue flows cannot set flow outcomes" in refused.json()["message"]
    )
    refused = httpx.post(
        f"{loopback.base_url}/_emulator/seed", json={"flows": [{**flow, "name": "Bad", "traffic": 6}]}
    )
    assert refused.status_code == 400 and refused.json()["details"][0]["fieldName"] == "traffic"
    assert "Bad" not in [f["name"] for f in loopback.control.state()["flows"]], "all or nothing"
