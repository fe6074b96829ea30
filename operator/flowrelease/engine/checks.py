"""External checks of a verify stage: the port that measures one attempt, and the PURE judgement of it.

A probe (adapter: `flowrelease.checks`) makes one request and reports what it read — an HTTP status, a
number, or why nothing could be read. Whether that passes is decided here, from the check's spec alone:

- `http`: the status is one of `expectStatus` (any 2xx when empty) and, with `jsonPath`, the number there is
  within `min`/`max`;
- `prometheus`: the query's value is within `min`/`max`;
- a reading with an error (timeout, refused connection, no JSON, no such path, no sample, NaN) never
  passes: a check that cannot be run is not a passed check.

Retries are the planner's: `retry_due` says whether a failed attempt is tried again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

from flowrelease.api.models import VerifyCheck

CheckKind = Literal["http", "prometheus"]


@dataclass(frozen=True)
class CheckReading:
    """What one attempt of a check measured (never a secret: probes redact their messages)."""

    target: str
    """What was asked, for people: `GET https://monitor.example.com/ivr` (no query string, no user info)."""
    status: int | None = None
    """The HTTP status (http checks)."""
    value: float | None = None
    """The number at jsonPath (http) or the query's value (prometheus)."""
    error: str = ""
    """Why nothing (or not the expected thing) could be read; empty when the reading is complete."""
    retry_after_seconds: int | None = None
    """The pause a 429 or 503 answer asked for with `Retry-After` (whole seconds), if it asked for one."""


class CheckProbe(Protocol):
    """Runs one attempt of an external check."""

    async def read(self, check: VerifyCheck) -> CheckReading: ...


@dataclass(frozen=True)
class CheckVerdict:
    """One attempt judged: what was measured, the value, the threshold and the verdict in words."""

    name: str
    kind: CheckKind
    passed: bool
    measured: str
    value: float | None
    """The number judged (None without one, or for NaN: status is JSON, which has no NaN)."""
    threshold: str
    message: str


def kind_of(check: VerifyCheck) -> CheckKind:
    return "http" if check.http is not None else "prometheus"


def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g} ≤ value ≤ {high:g}"
    if low is not None:
        return f"value ≥ {low:g}"
    return f"value ≤ {high:g}" if high is not None else ""


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _codes(expected: list[int]) -> str:
    return "2xx" if not expected else " or ".join(str(code) for code in expected)


def threshold_text(check: VerifyCheck) -> str:
    """What must hold for the check to pass, in words."""
    if check.http is not None:
        http = check.http
        status = f"status {_codes(http.expect_status)}"
        bounds = _bounds(http.min_value, http.max_value)
        return f"{status}, {http.json_path}: {bounds}" if http.json_path else status
    assert check.prometheus is not None
    return _bounds(check.prometheus.min_value, check.prometheus.max_value)


def judge_check(check: VerifyCheck, reading: CheckReading) -> CheckVerdict:
    """Pass or fail one attempt of `check` on what `reading` measured."""
    kind = kind_of(check)
    threshold = threshold_text(check)

    def verdict(passed: bool, detail: str) -> CheckVerdict:
        word = "passed" if passed else "failed"
        return CheckVerdict(
            name=check.name,
            kind=kind,
            passed=passed,
            measured=reading.target,
            value=None if reading.value is None or math.isnan(reading.value) else reading.value,
            threshold=threshold,
            message=f"check '{check.name}' {word}: {reading.target}: {detail}",
        )

    if check.http is not None:
        http = check.http
        if reading.status is None:
            return verdict(False, reading.error or "no answer")
        expected = http.expect_status
        if not (reading.status in expected if expected else 200 <= reading.status < 300):
            return verdict(False, f"status {reading.status}, expected {_codes(http.expect_status)}")
        if not http.json_path:
            return verdict(True, f"status {reading.status}")
        return _judge_value(reading, http.min_value, http.max_value, f"{http.json_path} = ", verdict)
    assert check.prometheus is not None
    prometheus = check.prometheus
    return _judge_value(reading, prometheus.min_value, prometheus.max_value, "value ", verdict)


def _judge_value(
    reading: CheckReading,
    low: float | None,
    high: float | None,
    label: str,
    verdict: _Verdict,
) -> CheckVerdict:
    value = reading.value
    if value is None or reading.error:
        return verdict(False, reading.error or "no value")
    if math.isnan(value):
        return verdict(False, f"{label}NaN, which no threshold accepts")
    bounds = _bounds(low, high)
    if _within(value, low, high):
        return verdict(True, f"{label}{value:g} ({bounds})")
    return verdict(False, f"{label}{value:g}, outside {bounds}")


class _Verdict(Protocol):
    def __call__(self, passed: bool, detail: str) -> CheckVerdict: ...


RETRY_AFTER_MAX_SECONDS = 600
"""A longer `Retry-After` is honoured only up to this (the most `retryIntervalSeconds` can be)."""


def retry_interval(check: VerifyCheck, retry_after_seconds: int | None) -> int:
    """Seconds between a failed attempt and the next: the check's interval, or longer when the server asked
    for a longer pause (a retry sooner than that would only spend an attempt on the same refusal)."""
    asked = min(retry_after_seconds or 0, RETRY_AFTER_MAX_SECONDS)
    return max(check.retry_interval_seconds, asked)


def retry_due(check: VerifyCheck, attempts: int, last: CheckVerdict) -> bool:
    """Whether a check whose `attempts`-th attempt ended in `last` is tried again within the stage."""
    return not last.passed and attempts <= check.retries
