"""Finding flows by exact name and type for many releases at once: one paged listing of the type instead of
one name query each, when that is cheaper.

A fleet resolves its flows by name in its first passes, at about the same moment. `GET /api/v2/flows?type=…`
pages through every flow of a type (`LIST_PAGE_SIZE` per page); a name query is one request per release.
`lookup_route` (pure) chooses from the demand — the lookups of that type asked within the last
`LISTING_FRESH_SECONDS`, this one included, the best estimate of how many the next listing will serve —
and the type's page count once a listing has told it: list when its pages cost no more than the name
queries they replace, probe (read the first page, which tells the page count) when the count is unknown,
else one name query. Lookups that arrive while a listing of their type is in flight wait for it; a listing
younger than `LISTING_FRESH_SECONDS` answers without a request.

A listing only says which flow ids carry the name: the flow is then read whole by id (a fresh GET, as every
decision is made from), and that read must still show the name and type. Two or more flows of the exact
name and type are a conflict, as with a name query. A name the listing does not show is asked by name
(a flow created after its page was read, or a page that shifted under a creation or deletion: paging by
id is not a snapshot), so a listing never loses a flow a name query would find. A failed page (after the
transport's own retries of 429 and 5xx) fails every lookup waiting on it, and nothing is kept.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from flowrelease.engine.ports import FlowState

LIST_PAGE_SIZE = 500
"""The flows listing's page size: CX as Code lists flows 500 per page (genesys-api.md §2); the Platform API
refuses larger pages with `response.entity.too.large`."""
LISTING_FRESH_SECONDS = 10.0
"""How long a listing answers lookups, and how far back lookups count as demand for the next one."""


class LookupRoute(enum.Enum):
    INDEX = "index"
    """A listing younger than `LISTING_FRESH_SECONDS` answers."""
    LIST = "list"
    """Read every page of the type."""
    PROBE = "probe"
    """Read the first page: it tells the page count; the rest follows if it pays."""
    NAME = "name"
    """One name query."""


def lookup_route(demand: int, page_count: int | None, listing_age: float | None) -> LookupRoute:
    """How to answer a lookup. `demand`: lookups of the type within the last `LISTING_FRESH_SECONDS`
    (this one included); `page_count`: the type's pages at `LIST_PAGE_SIZE` as the last listing said
    (None: never listed); `listing_age`: seconds since that listing (None: none kept). PURE."""
    if listing_age is not None and 0 <= listing_age < LISTING_FRESH_SECONDS:
        return LookupRoute.INDEX
    if demand < 2:
        return LookupRoute.NAME
    if page_count is None:
        return LookupRoute.PROBE
    return LookupRoute.LIST if page_count <= demand else LookupRoute.NAME


ListPage = Callable[[str, int], Awaitable[tuple[list[FlowState], int]]]
"""(flow type, page number) → (that page's flows, the listing's page count)."""


@dataclass
class _Listing:
    at: float
    page_count: int
    names: dict[str, list[str]]
    """Exact name → the ids of the flows of the type carrying it."""


class FlowLookups:
    """Per client: which flow ids carry a name, shared by every lookup of the same type. `resolve` returns
    the ids a listing shows for the name (or None: ask by name); the client reads and checks them."""

    def __init__(self, list_page: ListPage, clock: Callable[[], float] = time.monotonic) -> None:
        self._list_page = list_page
        self._clock = clock
        self._listings: dict[str, _Listing] = {}
        self._page_counts: dict[str, int] = {}
        self._asked: dict[str, deque[float]] = {}
        self._in_flight: dict[str, asyncio.Task[_Listing | None]] = {}
        self.listings_read = 0
        """Listings started (probes included): for tests and the benchmark's account."""

    def _demand(self, flow_type: str, now: float) -> int:
        asked = self._asked.setdefault(flow_type, deque())
        asked.append(now)
        while asked and now - asked[0] >= LISTING_FRESH_SECONDS:
            asked.popleft()
        return len(asked)

    async def resolve(self, name: str, flow_type: str) -> list[str] | None:
        now = self._clock()
        demand = self._demand(flow_type, now)
        listing = await self._listing(flow_type, demand, now)
        if listing is None:
            return None
        ids = listing.names.get(name)
        return list(ids) if ids else None

    async def _listing(self, flow_type: str, demand: int, now: float) -> _Listing | None:
        running = self._in_flight.get(flow_type)
        if running is not None:
            return await asyncio.shield(running)
        kept = self._listings.get(flow_type)
        age = None if kept is None else now - kept.at
        route = lookup_route(demand, self._page_counts.get(flow_type), age)
        if route is LookupRoute.INDEX and kept is not None:
            return kept
        if route is LookupRoute.NAME:
            return None
        task = asyncio.get_running_loop().create_task(self._read(flow_type, route is LookupRoute.PROBE))
        self._in_flight[flow_type] = task
        task.add_done_callback(lambda _: self._in_flight.pop(flow_type, None))
        return await asyncio.shield(task)

    async def _read(self, flow_type: str, probe: bool) -> _Listing | None:
        self.listings_read += 1
        started = self._clock()
        self._listings.pop(flow_type, None)
        flows, page_count = await self._list_page(flow_type, 1)
        self._page_counts[flow_type] = max(page_count, 1)
        if probe and page_count > 1:
            demand = len(self._asked.get(flow_type, ()))
            if lookup_route(demand, page_count, None) is not LookupRoute.LIST:
                return None
        seen: dict[str, FlowState] = {flow.id: flow for flow in flows}
        page = 2
        while page <= page_count:
            more, count = await self._list_page(flow_type, page)
            seen.update((flow.id, flow) for flow in more)
            page_count = max(page_count, count)
            page += 1
        self._page_counts[flow_type] = max(page_count, 1)
        names: dict[str, list[str]] = {}
        for flow in seen.values():
            names.setdefault(flow.name, []).append(flow.id)
        listing = _Listing(at=started, page_count=page_count, names=names)
        self._listings[flow_type] = listing
        return listing
