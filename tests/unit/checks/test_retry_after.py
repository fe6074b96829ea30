"""The pause a check's server asks for (pure): which answers ask, and how each form of the header reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

import pytest

from flowrelease.checks.retry_after import retry_after_seconds

NOW = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)


class Case(NamedTuple):
    id: str
    status: int
    header: str | None
    expected: int | None
    reason: str


CASES = [
    Case("seconds-on-429", 429, "30", 30, "delay-seconds, the common form"),
    Case("seconds-on-503", 503, " 120 ", 120, "503 asks too; surrounding blanks are allowed"),
    Case("zero", 429, "0", None, "no pause asked: the check's own interval applies"),
    Case("date-ahead", 503, "Wed, 02 Dec 2026 10:01:30 GMT", 90, "an HTTP-date 90 s ahead"),
    Case("date-ahead-no-zone", 503, "Wed, 02 Dec 2026 10:00:10", 10, "a date without a zone is read as UTC"),
    Case("date-past", 429, "Wed, 02 Dec 2026 09:59:00 GMT", None, "a date already past asks for nothing"),
    Case("date-now", 429, "Wed, 02 Dec 2026 10:00:00 GMT", None, "exactly now: nothing"),
    Case("garbage", 429, "soon", None, "unreadable: ignored, never an error"),
    Case("negative", 429, "-5", None, "not delay-seconds (digits only)"),
    Case("decimal", 429, "1.5", None, "not delay-seconds; the interval applies"),
    Case("empty", 429, "", None, "empty"),
    Case("absent", 429, None, None, "no header"),
    Case("ok-with-header", 200, "30", None, "a success does not ask for a pause"),
    Case("redirect-with-header", 301, "30", None, "nor does a redirect (RFC 9110 lets it carry one)"),
    Case("server-error", 500, "30", None, "500 is not a pause; the check's interval applies"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_pause_an_answer_asks_for(case: Case) -> None:
    assert retry_after_seconds(case.status, case.header, NOW) == case.expected, case.reason
