"""The judgement of one external-check attempt, and when a failed attempt is retried: tables."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import pytest

from flowrelease.api.models import VerifyCheck
from flowrelease.engine.checks import CheckReading, judge_check, retry_due, threshold_text

URL = "https://monitor.example.com/ivr"
TARGET = f"GET {URL}"


def http(**fields: Any) -> VerifyCheck:
    return VerifyCheck.model_validate({"name": "synthetic", "http": {"url": URL, **fields}})


def prometheus(**fields: Any) -> VerifyCheck:
    return VerifyCheck.model_validate(
        {"name": "errors", "prometheus": {"url": "http://p:9090", "query": "q", **fields}}
    )


PLAIN = http()
RATE = http(jsonPath="checks.passRate", min=0.99)
CREATED = http(expectStatus=[201, 204])
BAND = prometheus(min=0.0, max=0.02)
NO_DATA = "no data: the query matched no series"


class Case(NamedTuple):
    case: str
    check: VerifyCheck
    reading: CheckReading
    passed: bool
    detail: str  # what the message says after "check 'name' passed|failed: <target>: "
    reason: str


CASES = [
    Case("2xx", PLAIN, CheckReading(TARGET, status=204), True, "status 204", "any 2xx passes by default"),
    Case("3xx", PLAIN, CheckReading(TARGET, status=302), False, "status 302, expected 2xx",
         "a redirect (to a login page?) is not healthy"),
    Case("5xx", PLAIN, CheckReading(TARGET, status=503), False, "status 503, expected 2xx", "down"),
    Case("listed", CREATED, CheckReading(TARGET, status=204), True, "status 204", "expectStatus lists it"),
    Case("not-listed", CREATED, CheckReading(TARGET, status=200), False, "status 200, expected 201 or 204",
         "a 2xx not listed fails"),
    Case("no-answer", PLAIN, CheckReading(TARGET, error="timed out after at most 10 s"), False,
         "timed out after at most 10 s", "a check that cannot be run is not passed"),
    Case("value-ok", RATE, CheckReading(TARGET, status=200, value=0.995), True,
         "checks.passRate = 0.995 (value ≥ 0.99)", "the number at the path within the threshold"),
    Case("value-low", RATE, CheckReading(TARGET, status=200, value=0.9), False,
         "checks.passRate = 0.9, outside value ≥ 0.99", "below min"),
    Case("value-edge", RATE, CheckReading(TARGET, status=200, value=0.99), True,
         "checks.passRate = 0.99 (value ≥ 0.99)", "min is inclusive"),
    Case("value-missing", RATE, CheckReading(TARGET, status=200, error="checks has no key 'passRate'"), False,
         "checks has no key 'passRate'", "no number at the path fails"),
    Case("value-but-5xx", RATE, CheckReading(TARGET, status=500, value=1.0), False,
         "status 500, expected 2xx", "the status is judged first"),
    Case("prom-ok", BAND, CheckReading("q on http://p:9090/", value=0.01), True,
         "value 0.01 (0 ≤ value ≤ 0.02)", "inside the band"),
    Case("prom-high", BAND, CheckReading("q on http://p:9090/", value=0.05), False,
         "value 0.05, outside 0 ≤ value ≤ 0.02", "above max"),
    Case("prom-no-data", BAND, CheckReading("q on http://p:9090/", error=NO_DATA), False, NO_DATA,
         "no series is not healthy"),
    Case("prom-nan", BAND, CheckReading("q on http://p:9090/", value=math.nan), False,
         "value NaN, which no threshold accepts", "0/0 in PromQL is NaN: never a pass"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.case for c in CASES])
def test_judge_one_attempt(case: Case) -> None:
    verdict = judge_check(case.check, case.reading)
    word = "passed" if case.passed else "failed"
    assert (verdict.passed, verdict.message) == (
        case.passed,
        f"check '{case.check.name}' {word}: {case.reading.target}: {case.detail}",
    ), case.reason
    judged = None if case.reading.value is None or math.isnan(case.reading.value) else case.reading.value
    assert verdict.measured == case.reading.target and verdict.value == judged
    assert verdict.threshold == threshold_text(case.check)


def test_thresholds_in_words() -> None:
    assert threshold_text(PLAIN) == "status 2xx"
    assert threshold_text(RATE) == "status 2xx, checks.passRate: value ≥ 0.99"
    assert threshold_text(CREATED) == "status 201 or 204"
    assert threshold_text(BAND) == "0 ≤ value ≤ 0.02"
    assert threshold_text(prometheus(max=5)) == "value ≤ 5"


class Retry(NamedTuple):
    case: str
    retries: int
    attempts: int
    passed: bool
    due: bool


RETRIES = [
    Retry("first-failure", 2, 1, False, True),
    Retry("second-failure", 2, 2, False, True),
    Retry("last-failure", 2, 3, False, False),
    Retry("no-retries", 0, 1, False, False),
    Retry("passed", 2, 1, True, False),
]


@pytest.mark.parametrize("retry", RETRIES, ids=[r.case for r in RETRIES])
def test_a_failed_attempt_is_retried_until_the_retries_are_used(retry: Retry) -> None:
    check = VerifyCheck.model_validate({"name": "c", "retries": retry.retries, "http": {"url": URL}})
    reading = CheckReading(TARGET, status=200 if retry.passed else 500)
    assert retry_due(check, retry.attempts, judge_check(check, reading)) is retry.due
