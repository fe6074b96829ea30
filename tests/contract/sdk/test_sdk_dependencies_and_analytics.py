"""Dependency tracking and flow analytics through the official SDK."""

from __future__ import annotations

import PureCloudPlatformClientV2 as sdk

from tests.contract.sdk.conftest import assert_known_enums
from tests.support.emulator import EmulatorHandle


def consumed(architect: sdk.ArchitectApi, flow_id: str, version: str) -> list[sdk.Dependency]:
    listing = architect.get_architect_dependencytracking_consumedresources(
        flow_id, version, "INBOUNDCALLFLOW"
    )
    assert_known_enums(listing)
    return list(listing.entities)


def test_consumed_resources_follow_what_each_version_references(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    assert [(d.type, d.name) for d in consumed(architect, flow_id, "1.0")] == [("QUEUE", "Support")]
    third = consumed(architect, flow_id, "3.0")
    assert [(d.type, d.name) for d in third] == [
        ("DATAACTION", "Lookup Account"),
        ("QUEUE", "Billing"),
        ("QUEUE", "Sales"),
        ("QUEUE", "Support"),
    ]
    assert not any(d.deleted or d.state_unknown for d in third)


def test_deleted_resources_are_flagged(architect: sdk.ArchitectApi, emulator: EmulatorHandle) -> None:
    flow_id = emulator.flow_id("Support IVR")
    sales = next(r for r in emulator.control.state()["resources"] if r["name"] == "Sales")
    emulator.control.delete_resource(sales["id"])
    flagged = {d.name: d.deleted for d in consumed(architect, flow_id, "3.0")}
    assert flagged == {"Lookup Account": False, "Billing": False, "Sales": True, "Support": False}


def test_consuming_resources_object_build_and_types(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    billing = next(r for r in emulator.control.state()["resources"] if r["name"] == "Billing")
    consumers = architect.get_architect_dependencytracking_consumingresources(billing["id"], "QUEUE")
    assert_known_enums(consumers)
    assert sorted(d.name for d in consumers.entities) == ["Billing IVR", "Support IVR", "Support IVR"]
    assert {d.type for d in consumers.entities} == {"INBOUNDCALLFLOW"}

    flow_id = emulator.flow_id("Support IVR")
    obj = architect.get_architect_dependencytracking_object(flow_id, version="3.0", consumed_resources=True)
    assert_known_enums(obj)
    assert obj.type == "INBOUNDCALLFLOW" and len(obj.consumed_resources) == 4

    build = architect.get_architect_dependencytracking_build()
    assert_known_enums(build)
    assert build.status == "OPERATIONAL"
    types = architect.get_architect_dependencytracking_types(page_size=100)
    assert_known_enums(types)
    assert {"QUEUE", "DATAACTION", "INBOUNDCALLFLOW"} <= {t.id for t in types.entities}
    queue_type = architect.get_architect_dependencytracking_type("QUEUE")
    assert (queue_type.name, queue_type.versioned) == ("Queue", False)
    assert architect.get_architect_dependencytracking_type("INBOUNDCALLFLOW").versioned is True
    assert architect.post_architect_dependencytracking_build() is None


def health_query(flow_id: str, version: str = "") -> sdk.FlowAggregationQuery:
    query = sdk.FlowAggregationQuery()
    query.interval = "2026-01-01T00:00:00Z/2026-12-31T00:00:00Z"
    query.group_by = ["flowId"]
    predicate = sdk.FlowAggregateQueryPredicate()
    predicate.dimension, predicate.value = "flowId", flow_id
    predicates = [predicate]
    if version:
        by_version = sdk.FlowAggregateQueryPredicate()
        by_version.dimension, by_version.value = "flowVersion", version
        predicates.append(by_version)
    query_filter = sdk.FlowAggregateQueryFilter()
    query_filter.type, query_filter.predicates = "and", predicates
    query.filter = query_filter
    query.metrics = ["nFlow", "nFlowOutcome", "nFlowOutcomeFailed"]
    return query


def counts(response: sdk.FlowAggregateQueryResponse) -> dict[str, int]:
    assert_known_enums(response)
    (result,) = response.results
    return {m.metric: m.stats.count for m in result.data[0].metrics}


def test_fixed_counts_from_the_control_plane_ignore_the_interval(
    emulator: EmulatorHandle, api_client: sdk.ApiClient
) -> None:
    """Fixed counts exist for wire-shape tests; simulated traffic (test_sdk_traffic_analytics) is the real
    thing. 3.0 is not published, so no traffic mixes in."""
    analytics = sdk.AnalyticsApi(api_client)
    flow_id = emulator.flow_id("Support IVR")
    emulator.control.set_analytics(flow_id, version="3.0", failure_ratio=0.3, samples=100)
    bad = counts(analytics.post_analytics_flows_aggregates_query(health_query(flow_id, "3.0")))
    assert bad == {"nFlow": 100, "nFlowOutcome": 100, "nFlowOutcomeFailed": 30}


def test_search_by_name_and_consumers_of_deleted_resources(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    found = architect.get_architect_dependencytracking("Billing", consuming_resources=True)
    assert_known_enums(found)
    by_name = {o.name: o for o in found.entities}
    assert by_name["Billing"].type == "QUEUE" and len(by_name["Billing"].consuming_resources) == 3
    assert by_name["Billing IVR"].type == "INBOUNDCALLFLOW"

    sales = next(r for r in emulator.control.state()["resources"] if r["name"] == "Sales")
    emulator.control.delete_resource(sales["id"])
    consumers = architect.get_architect_dependencytracking_deletedresourceconsumers(consumed_resources=True)
    assert_known_enums(consumers)
    assert [(o.name, o.version, [d.name for d in o.consumed_resources]) for o in consumers.entities] == [
        ("Support IVR", "3.0", ["Sales"])
    ]
