"""How long a check's server asked us to wait before the next attempt: its `Retry-After` (RFC 9110 §10.2.3).

Only a 429 or 503 answer's header counts (other statuses may carry one, but it does not ask for a pause). The
value is delay-seconds or an HTTP-date; an unreadable, past or absent one gives None, so the check's own
`retryIntervalSeconds` applies. The engine clamps what it honours (`checks.RETRY_AFTER_MAX_SECONDS`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

PAUSE_STATUSES = frozenset({429, 503})


def retry_after_seconds(status: int, header: str | None, now: datetime) -> int | None:
    """Whole seconds to wait (rounded up) asked by an answer of `status` with `header`, or None."""
    if status not in PAUSE_STATUSES or header is None:
        return None
    text = header.strip()
    if text.isdigit():
        return int(text) or None
    when = http_date(text)
    if when is None:
        return None
    delay = (when - now).total_seconds()
    return math.ceil(delay) if delay > 0 else None


def http_date(text: str | None) -> datetime | None:
    """An HTTP-date (a date without a zone read as UTC), or None when there is none to read."""
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def asked_pause(response: httpx.Response) -> int | None:
    """The pause `response` asks for before the next attempt, in whole seconds, or None."""
    if response.status_code not in PAUSE_STATUSES:
        return None
    headers = response.headers
    # The answer's own Date, so an HTTP-date Retry-After is read on the server's clock; else ours.
    now = http_date(headers.get("date")) or datetime.now(UTC)
    return retry_after_seconds(response.status_code, headers.get("retry-after"), now)
