"""Dependency tracking and flow analytics against the emulator."""

from __future__ import annotations

import asyncio
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
    (first, *_) = [r for r in harness.sent if r.path.endswith("/consumedresources")]
    assert first.params["objectType"] == "INBOUNDCALLFLOW" and first.params["pageSize"] == "100"


async def test_the_org_build_status_is_read_once_a_minute_for_every_flow(harness: Harness) -> None:
    """The build status is the org's: a fleet of releases on one client shares one read per minute."""
    client = harness.client()
    ivr = harness.emulator.flow_id("Support IVR")

    def builds() -> int:
        return sum(1 for r in harness.sent if r.path.endswith("/dependencytracking/build"))

    await asyncio.gather(*(client.consumed_resources(ivr, "3.0", "INBOUNDCALL") for _ in range(5)))
    assert builds() == 1
    await harness.time.sleep(59.0)
    report = await client.consumed_resources(ivr, "3.0", "INBOUNDCALL")
    assert report.build_operational and builds() == 1
    await harness.time.sleep(1.5)
    await client.consumed_resources(ivr, "3.0", "INBOUNDCALL")
    assert builds() == 2


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
    pages = [r.params["pageNumber"] for r in harness.sent if r.path.endswith("/consumedresources")]
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


async def test_the_version_sample_counts_only_the_version_asked_for(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    control = harness.emulator.control
    control.set_analytics(flow_id, version="3.0", n_flow=420, n_flow_outcome=400, n_flow_outcome_failed=12)
    control.set_analytics(flow_id, version="1.0", n_flow=99, n_flow_outcome=99, n_flow_outcome_failed=99)
    now = datetime.now(UTC)
    client = harness.client()
    sample = await client.flow_version_sample(flow_id, "3.0", now - timedelta(hours=1), now)
    assert (sample.entries, sample.outcomes, sample.failed_outcomes) == (420, 400, 12)
    other = await client.flow_version_sample(flow_id, "1.0", now - timedelta(hours=1), now)
    assert (other.entries, other.failed_outcomes) == (99, 99)


async def test_an_empty_window_asks_nothing(harness: Harness) -> None:
    now = datetime.now(UTC)
    sample = await harness.client().flow_version_sample("f", "3.0", now, now)
    assert sample.entries == 0
    assert not harness.sent
