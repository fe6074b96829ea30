"""`lookup_route`: list a type's flows, probe its page count, or ask by name — from demand and page count."""

from __future__ import annotations

import pytest

from flowrelease.genesys.flow_lookup import LISTING_FRESH_SECONDS, LookupRoute, lookup_route

IX, L, P, N = LookupRoute.INDEX, LookupRoute.LIST, LookupRoute.PROBE, LookupRoute.NAME


@pytest.mark.parametrize(
    ("case_id", "demand", "pages", "age", "want", "reason"),
    [
        ("alone", 1, None, None, N, "one lookup: a name query is one request, a listing at least one"),
        ("alone-known", 1, 1, None, N, "one lookup of a one-page type: no gain, ask by name"),
        ("two-unknown", 2, None, None, P, "two asked, page count unknown: the first page tells it"),
        ("pays", 5, 2, None, L, "two pages serve five lookups"),
        ("break-even", 3, 3, None, L, "three pages for three lookups: no more requests, and it serves more"),
        ("too-many-pages", 3, 40, None, N, "a type of 40 pages for three lookups: ask by name"),
        ("fresh", 1, 40, 2.0, IX, "a listing 2 s old answers without a request, however big the type"),
        ("just-stale", 8, 2, LISTING_FRESH_SECONDS, L, "a listing as old as the window is not used"),
        ("stale-alone", 1, 2, 30.0, N, "an old listing and one lookup: a name query"),
        ("clock-oddity", 1, 2, -1.0, N, "a listing from the future (clock moved back) is not trusted"),
    ],
)
def test_lookup_route(
    case_id: str, demand: int, pages: int | None, age: float | None, want: LookupRoute, reason: str
) -> None:
    assert lookup_route(demand, pages, age) is want, (case_id, reason)
