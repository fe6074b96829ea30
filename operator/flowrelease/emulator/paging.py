"""Entity listings: `pageNumber`/`pageSize` parsing and the listing envelope every list endpoint returns.

`pageSize` above 500 is refused the way the Platform API refuses oversize responses
(`response.entity.too.large`); non-numeric or non-positive values are 400 `bad.request`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from flowrelease.emulator.wire import ApiError, JsonObject, bad_request

MAX_PAGE_SIZE = 500
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    number: int
    size: int


def _positive_int(raw: str, name: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer, got '{raw[:40]}'.", field=name) from None
    if value < 1:
        raise bad_request(f"{name} must be at least 1, got {value}.", field=name)
    return value


def parse_page(query: Mapping[str, str], default_size: int = 25) -> Page:
    number = _positive_int(query["pageNumber"], "pageNumber") if "pageNumber" in query else 1
    size = _positive_int(query["pageSize"], "pageSize") if "pageSize" in query else default_size
    if size > MAX_PAGE_SIZE:
        raise ApiError(
            400,
            "response.entity.too.large",
            f"The response is too large: pageSize {size} exceeds {MAX_PAGE_SIZE}. Reduce pageSize.",
            details=[{"errorCode": "response.entity.too.large", "fieldName": "pageSize"}],
        )
    return Page(number, size)


def listing(
    entities: Sequence[T],
    page: Page,
    path: str,
    filters: Sequence[tuple[str, str]] = (),
    render: Callable[[T], Any] = lambda entity: entity,
) -> JsonObject:
    """The `…EntityListing` envelope for one page of sorted `entities`; only that page is rendered."""
    total = len(entities)
    page_count = (total + page.size - 1) // page.size if total else 0
    start = (page.number - 1) * page.size
    chunk = [render(entity) for entity in entities[start : start + page.size]]

    def uri(number: int) -> str:
        return f"{path}?{urlencode([('pageSize', page.size), ('pageNumber', number), *filters])}"

    payload: JsonObject = {
        "entities": chunk,
        "pageSize": page.size,
        "pageNumber": page.number,
        "total": total,
        "pageCount": page_count,
        "firstUri": uri(1),
        "selfUri": uri(page.number),
        "lastUri": uri(max(page_count, 1)),
    }
    if page.number < page_count:
        payload["nextUri"] = uri(page.number + 1)
    if page.number > 1:
        payload["previousUri"] = uri(page.number - 1)
    return payload
