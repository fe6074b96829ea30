"""Dependency tracking and flow analytics against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowrelease.engine.ports import InvalidRequest
from tests.contract.client.conftest import Harness


async def test_consumed_resources_lists_every_queue_and_data_action(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    report = await harness.client().consumed_resources(flow_id, "3.0", "INBOUNDCALL")
    assert sorted((d.type, d.name) for d in report.consumed) == [
        ("DATAACTION", "Lookup Account"),
        ("QUEUE", "Billing"),
        ("QUEUE", "Sales"),
        ("QUEUE", "Support"),
    ]
    assert report.build_operational
    (first, *_) = [r for r in harness.sent if r.url.path.endswith("/consumedresources")]
    assert first.url.params["objectType"] == "INBOUNDCALLFLOW" and first.url.params["pageSize"] == "100"


async def test_consumed_resources_walks_every_page(harness: Harness) -> None:
    queues = [f"Queue {n:03d}" for n in range(250)]
    harness.emulator.control.seed(
        {
            "resources": [{"type": "QUEUE", "name": name} for name in queues],
            "flows": [{"name": "Big IVR", "type": "INBOUNDCALL", "versions": [{"queues": queues}]}],
        }
    )
    flow_id = harness.emulator.flow_id("Big IVR")
    report = await harness.client().consumed_resources(flow_id, "1.0", "inboundcall")
    assert sorted(d.name for d in report.consumed) == queues
    pages = [r.url.params["pageNumber"] for r in harness.sent if r.url.path.endswith("/consumedresources")]
    assert pages == ["1", "2", "3"]


async def test_a_deleted_dependency_is_flagged(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    before = await client.consumed_resources(flow_id, "3.0", "INBOUNDCALL")
    sales = next(d for d in before.consumed if d.name == "Sales")
    harness.emulator.control.delete_resource(sales.id)
    after = await client.consumed_resources(flow_id, "3.0", "INBOUNDCALL")
    assert next(d for d in after.consumed if d.id == sales.id).deleted


async def test_an_unmapped_flow_type_names_the_known_ones(harness: Harness) -> None:
    with pytest.raises(InvalidRequest, match="INBOUNDCALL"):
        await harness.client().consumed_resources("f", "1.0", "SPEECH")


async def test_flow_health_sums_outcomes_for_the_flow(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_analytics(flow_id, n_flow_outcome=400, n_flow_outcome_failed=12)
    now = datetime.now(UTC)
    sample = await harness.client().flow_health(flow_id, now - timedelta(hours=1), now + timedelta(minutes=1))
    assert (sample.outcomes, sample.failed) == (400, 12)
    assert sample.failure_ratio == pytest.approx(0.03)


async def test_flow_health_of_an_empty_window_asks_nothing(harness: Harness) -> None:
    now = datetime.now(UTC)
    sample = await harness.client().flow_health("f", now, now)
    assert (sample.outcomes, sample.failed) == (0, 0)
    assert not harness.sent
