"""Concurrent name lookups served by one paged listing of the type (`genesys.flow_lookup`), on the emulator.

Every case checks the requests that reached the emulator (its request log): how many name queries, how many
listing pages, and that every flow found was then read whole by id.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from flowrelease.engine.ports import Conflict, FlowState, Transient
from flowrelease.genesys import GenesysClient, RetryPolicy
from flowrelease.genesys.flow_lookup import LIST_PAGE_SIZE
from tests.contract.client.conftest import Harness

NAMES = [f"Fleet Flow {n:02d}" for n in range(6)]


def seed_flows(harness: Harness, names: list[str]) -> None:
    harness.emulator.control.seed(
        {"flows": [{"name": name, "type": "INBOUNDCALL", "versions": [{}]} for name in names]}
    )


def listing_requests(harness: Harness) -> tuple[int, int]:
    """(name queries, listing pages of a type) sent to GET /api/v2/flows."""
    log = harness.emulator.control.request_log(method="GET", path="/api/v2/flows")
    named = sum(1 for entry in log if "name=" in str(entry["query"]))
    return named, len(log) - named


def client_with_hook(harness: Harness, after_first_page: Any) -> GenesysClient:
    """A client whose on_response runs `after_first_page()` once, right after the first listing page."""
    done: list[bool] = []

    def hook(method: str, route: str, status: int) -> None:
        harness.responses.append((method, route, status))
        if route == "/api/v2/flows" and status == 200 and not done:
            done.append(True)
            after_first_page()

    return GenesysClient(
        harness.sender,
        base_url=harness.emulator.base_url,
        client_id=harness.emulator.client_id,
        client_secret=harness.emulator.client_secret,
        on_response=hook,
        sleep=harness.time.sleep,
        clock=harness.time.clock,
        retry=RetryPolicy(max_attempts=6, max_wait_seconds=120.0),
    )


def bearer(harness: Harness) -> dict[str, str]:
    token = httpx.post(
        f"{harness.emulator.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(harness.emulator.client_id, harness.emulator.client_secret),
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def find_all(client: GenesysClient, names: list[str]) -> list[FlowState | BaseException | None]:
    return list(
        await asyncio.gather(
            *(client.find_flow(name=name, flow_type="inboundcall") for name in names), return_exceptions=True
        )
    )


async def test_concurrent_lookups_share_one_listing_and_each_flow_is_read_whole(harness: Harness) -> None:
    seed_flows(harness, NAMES)
    harness.emulator.control.clear_request_log()
    found = await find_all(harness.client(), NAMES)
    assert [f.name if isinstance(f, FlowState) else f for f in found] == NAMES
    assert [f.id for f in found if isinstance(f, FlowState)] == [harness.emulator.flow_id(n) for n in NAMES]
    # the first lookup alone asks by name; the second finds demand for a listing; the rest wait for it
    assert listing_requests(harness) == (1, 1)
    reads = harness.emulator.control.request_log(method="GET", path="/api/v2/flows/*")
    assert len(reads) == len(NAMES), "every flow found is read whole by id (a fresh GET)"
    listing = harness.emulator.control.request_log(method="GET", path="/api/v2/flows")
    assert f"pageSize={LIST_PAGE_SIZE}" in str(listing[-1]["query"])


async def test_a_name_two_flows_carry_is_a_conflict_the_others_resolve(harness: Harness) -> None:
    seed_flows(harness, NAMES)
    # Neither the Platform API nor seeding lets two flows share a name and type, yet an org's history can
    # hold such a pair (the engine's refusal exists for it): rename one in the emulator's own state.
    seed_flows(harness, ["Fleet Twin"])
    org = harness.emulator.server.runtime.org
    org.flows[harness.emulator.flow_id("Fleet Twin")].name = NAMES[2]
    harness.emulator.control.clear_request_log()
    found = await find_all(harness.client(), NAMES)
    conflict = found[2]
    assert isinstance(conflict, Conflict), conflict
    assert "2 flows have that exact name and type" in str(conflict) and "spec.flow.id" in str(conflict)
    assert all(isinstance(f, FlowState) for i, f in enumerate(found) if i != 2), found
    assert listing_requests(harness)[1] == 1, "the conflict was found in the listing"


async def test_a_429_mid_listing_is_retried_and_every_lookup_resolves(harness: Harness) -> None:
    seed_flows(harness, [*NAMES, *(f"Filler {n:03d}" for n in range(LIST_PAGE_SIZE))])  # two pages
    harness.emulator.control.clear_request_log()
    client = client_with_hook(
        harness,
        lambda: harness.emulator.control.add_fault(path="/api/v2/flows", method="GET", status=429, count=1),
    )
    found = await find_all(client, NAMES)
    assert all(isinstance(f, FlowState) for f in found), found
    assert ("GET", "/api/v2/flows", 429) in harness.responses
    named, pages = listing_requests(harness)
    assert (named, pages) == (1, 3), "page 1, page 2 refused (429), page 2 again"


async def test_a_5xx_mid_listing_fails_every_waiting_lookup_and_keeps_nothing(harness: Harness) -> None:
    seed_flows(harness, [*NAMES, *(f"Filler {n:03d}" for n in range(LIST_PAGE_SIZE))])
    client = client_with_hook(
        harness,
        lambda: harness.emulator.control.add_fault(path="/api/v2/flows", method="GET", status=503),
    )
    found = await find_all(client, NAMES)
    assert all(isinstance(f, Transient) for f in found[1:]), found
    harness.emulator.control.clear_faults()
    again = await find_all(client, NAMES)
    assert all(isinstance(f, FlowState) for f in again), "nothing of the failed listing was kept"


async def test_a_flow_created_between_listing_pages_is_still_found(harness: Harness) -> None:
    seed_flows(harness, [*NAMES, *(f"Filler {n:03d}" for n in range(LIST_PAGE_SIZE))])
    late = "Late Flow"
    client = client_with_hook(harness, lambda: seed_flows(harness, [late]))
    found = await find_all(client, [*NAMES, late])
    assert [f.name if isinstance(f, FlowState) else f for f in found] == [*NAMES, late]
    assert found[-1] is not None and isinstance(found[-1], FlowState)
    assert found[-1].id == harness.emulator.flow_id(late)


def delete_flow(harness: Harness, flow_id: str) -> None:
    gone = httpx.delete(f"{harness.emulator.base_url}/api/v2/flows/{flow_id}", headers=bearer(harness))
    assert gone.status_code < 300, gone.text


async def test_a_flow_deleted_after_the_listing_is_asked_by_name(harness: Harness) -> None:
    seed_flows(harness, NAMES)
    client = harness.client()
    await find_all(client, NAMES)  # the listing answers for LISTING_FRESH_SECONDS
    delete_flow(harness, harness.emulator.flow_id(NAMES[3]))
    harness.emulator.control.clear_request_log()
    assert await client.find_flow(name=NAMES[3], flow_type="inboundcall") is None
    assert listing_requests(harness) == (1, 0), "the listing's id was gone: asked by name, not listed again"
