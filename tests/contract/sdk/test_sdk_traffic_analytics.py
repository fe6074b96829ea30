"""Simulated traffic read back through the official SDK's analytics models, on both profiles: version-scoped
aggregates with granularity and duration metrics, "no data" as an empty response, and the ingestion delay."""

from __future__ import annotations

import PureCloudPlatformClientV2 as sdk

from flowrelease.emulator.wire import iso_datetime
from tests.contract.sdk.conftest import assert_known_enums, operation_done, wait_for_flow
from tests.support.emulator import EmulatorHandle

ALL_METRICS = ["nFlow", "nFlowOutcome", "nFlowOutcomeFailed", "tFlow", "tFlowExit", "tFlowDisconnect",
               "tFlowOutcome"]  # fmt: skip


def version_query(
    flow_id: str, version: str, start: float, end: float, *, granularity: str = ""
) -> sdk.FlowAggregationQuery:
    query = sdk.FlowAggregationQuery()
    query.interval = f"{iso_datetime(start)}/{iso_datetime(end)}"
    if granularity:
        query.granularity = granularity
    query.group_by = ["flowId", "flowVersion"]
    predicates = []
    for dimension, value in (("flowId", flow_id), ("flowVersion", version)):
        predicate = sdk.FlowAggregateQueryPredicate()
        predicate.type, predicate.dimension, predicate.operator, predicate.value = (
            "dimension",
            dimension,
            "matches",
            value,
        )
        predicates.append(predicate)
    query_filter = sdk.FlowAggregateQueryFilter()
    query_filter.type, query_filter.predicates = "and", predicates
    query.filter = query_filter
    query.metrics = ALL_METRICS
    return query


def metric_counts(response: sdk.FlowAggregateQueryResponse) -> dict[str, int]:
    totals: dict[str, int] = {}
    for result in response.results or []:
        for data in result.data:
            for metric in data.metrics:
                totals[metric.metric] = totals.get(metric.metric, 0) + metric.stats.count
    return totals


def test_a_failing_new_version_and_a_healthy_old_one_through_the_sdk_models(
    emulator: EmulatorHandle, architect: sdk.ArchitectApi, api_client: sdk.ApiClient
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    control = emulator.control
    control.set_traffic(flow_id, entries_per_minute=30)
    control.fail_version(flow_id, "3.0", 0.5)
    start = control.now()
    control.advance_clock(600)
    architect.post_flows_actions_publish(flow_id, version="3.0")
    wait_for_flow(architect, emulator, flow_id, operation_done("PUBLISH"))
    published = control.now()
    control.advance_clock(1_200)
    end = control.now()

    flows = sdk.FlowsApi(api_client)  # the SDK offers the query on FlowsApi and AnalyticsApi alike
    new = flows.post_analytics_flows_aggregates_query(
        version_query(flow_id, "3.0", published, end, granularity="PT5M")
    )
    assert_known_enums(new)
    assert isinstance(new, sdk.FlowAggregateQueryResponse)
    (group,) = new.results
    assert group.group == {"flowId": flow_id, "flowVersion": "3.0"}
    assert 3 <= len(group.data) <= 5 and all(isinstance(d, sdk.StatisticalResponse) for d in group.data)
    timed = next(m for m in group.data[-1].metrics if m.metric == "tFlowExit")
    assert isinstance(timed, sdk.AggregateMetricData) and timed.stats.min <= timed.stats.max
    assert timed.stats.sum >= timed.stats.count * timed.stats.min
    counted = metric_counts(new)
    assert 0.35 <= counted["nFlowOutcomeFailed"] / counted["nFlowOutcome"] <= 0.65, counted
    assert counted["tFlowDisconnect"] == counted["nFlowOutcomeFailed"], "every failed outcome disconnected"

    old = sdk.AnalyticsApi(api_client).post_analytics_flows_aggregates_query(
        version_query(flow_id, "2.0", start, end)
    )
    assert_known_enums(old)
    healthy = metric_counts(old)
    assert healthy.get("nFlowOutcomeFailed", 0) / healthy["nFlowOutcome"] <= 0.1, healthy
    assert 200 <= healthy["nFlow"] <= 400, "30 a minute for the 10 minutes 2.0 was live"


def test_no_data_is_an_empty_response_the_sdk_reads_as_no_results(
    emulator: EmulatorHandle, api_client: sdk.ApiClient
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    now = emulator.control.now()
    nothing = sdk.AnalyticsApi(api_client).post_analytics_flows_aggregates_query(
        version_query(flow_id, "3.0", now - 3_600, now)
    )
    assert isinstance(nothing, sdk.FlowAggregateQueryResponse) and nothing.results is None


def test_an_interaction_shows_only_after_the_profile_s_ingestion_delay(
    emulator: EmulatorHandle, api_client: sdk.ApiClient
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    control = emulator.control
    control.set_traffic(flow_id, entries_per_minute=60)
    start = control.now()
    control.advance_clock(20)
    analytics = sdk.AnalyticsApi(api_client)
    entered = metric_counts(analytics.post_analytics_flows_aggregates_query(
        version_query(flow_id, "2.0", start, start + 20)
    )).get("nFlow", 0)  # fmt: skip
    drawn = control.traffic(flow_id)["versions"][0]["entries"]
    if emulator.profile == "ideal":
        assert entered > 0, "ideal: a metric shows at once"
    else:
        assert entered == 0 < drawn, "realistic: nothing in the first 20 s is visible before 30 s have passed"
    control.advance_clock(120)
    later = metric_counts(analytics.post_analytics_flows_aggregates_query(
        version_query(flow_id, "2.0", start, start + 20)
    ))  # fmt: skip
    assert later["nFlow"] > 0
