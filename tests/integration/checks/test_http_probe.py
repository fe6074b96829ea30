"""The http check against a real HTTP server on loopback: what it sends, what it reads, and that no secret
ever shows in what it reports — even when the server echoes the token back."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from flowrelease.api.models import VerifyCheck
from flowrelease.checks import CheckSecrets, ExternalCheckProbe
from flowrelease.engine.checks import judge_check
from tests.support.health_server import HealthServer

TOKEN = "tok-9f2c7e61b0d4-never-shown"  # a test secret that must never appear in any output
HEADER_SECRET = "hdr-51aa0c9e-never-shown"
SECRETS = CheckSecrets({"monitor-token": {"token": TOKEN}, "monitor-headers": {"X-Api-Key": HEADER_SECRET}})


def check(server: HealthServer, path: str = "/ivr", **http: Any) -> VerifyCheck:
    return VerifyCheck.model_validate(
        {"name": "synthetic-call", "http": {"url": server.base_url + path, **http}}
    )


@pytest.fixture
async def probe() -> AsyncIterator[ExternalCheckProbe]:
    async with httpx.AsyncClient() as client:
        yield ExternalCheckProbe(client, SECRETS)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text and HEADER_SECRET not in text, text


async def test_the_token_and_secret_headers_reach_the_server_and_nothing_else_shows_them(
    health_server: HealthServer, probe: ExternalCheckProbe
) -> None:
    health_server.answer("/ivr", 200, {"checks": {"ivr": {"passRate": 0.995}}})
    spec = check(
        health_server,
        "/ivr?apikey=" + TOKEN,
        method="POST",
        body='{"flow": "Support IVR"}',
        headers={"X-Env": "prod"},
        headersSecretRef={"name": "monitor-headers"},
        bearerTokenSecretRef={"name": "monitor-token"},
        jsonPath="checks.ivr.passRate",
        min=0.99,
    )
    reading = await probe.read(spec)
    verdict = judge_check(spec, reading)

    (seen,) = health_server.requests
    assert (seen.method, seen.body) == ("POST", b'{"flow": "Support IVR"}')
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert (seen.headers["x-api-key"], seen.headers["x-env"]) == (HEADER_SECRET, "prod")
    assert verdict.passed and verdict.value == 0.995
    assert reading.target == f"POST {health_server.base_url}/ivr", "no query string (it held a token)"
    assert_no_secret(reading.target, reading.error, verdict.message, verdict.measured, repr(reading))


async def test_a_server_echoing_the_token_in_its_error_does_not_leak_it(
    health_server: HealthServer, probe: ExternalCheckProbe
) -> None:
    health_server.answer("/ivr", 401, {"error": f"token {TOKEN} rejected", TOKEN: 1})
    spec = check(health_server, bearerTokenSecretRef={"name": "monitor-token"}, jsonPath="error.x", max=1)
    reading = await probe.read(spec)
    verdict = judge_check(spec, reading)
    assert not verdict.passed and "status 401, expected 2xx" in verdict.message
    health_server.answer("/keys", 200, {TOKEN: {"a": 1}, HEADER_SECRET: 2})
    keyed = check(health_server, "/keys", bearerTokenSecretRef={"name": "monitor-token"}, jsonPath="b", min=0)
    listed = await probe.read(keyed)
    assert "has no key 'b'" in listed.error and "***" in listed.error, "key names are redacted too"
    assert_no_secret(reading.error, verdict.message, listed.error, judge_check(keyed, listed).message)


class Scenario:
    def __init__(self, answer: dict[str, Any], spec: dict[str, Any], passed: bool, says: str) -> None:
        self.answer, self.spec, self.passed, self.says = answer, spec, passed, says


SCENARIOS = {
    "healthy-2xx": Scenario({"status": 204}, {}, True, "status 204"),
    "down": Scenario({"status": 503, "body": {"message": "down"}}, {}, False, "status 503, expected 2xx"),
    "redirect-not-followed": Scenario(
        {"status": 302, "headers": {"Location": "/login"}}, {}, False, "status 302, expected 2xx"
    ),
    "unauthorized": Scenario({"status": 401, "body": {"error": "token expired"}}, {}, False,
                             "status 401, expected 2xx"),
    "forbidden": Scenario({"status": 403, "body": {"error": "scope"}}, {}, False, "status 403, expected 2xx"),
    "no-such-check": Scenario({"status": 404}, {}, False, "status 404, expected 2xx"),
    "rate-limited": Scenario({"status": 429, "headers": {"Retry-After": "5"}}, {}, False,
                             "status 429, expected 2xx"),
    "server-error": Scenario({"status": 500, "raw": b"Internal Server Error", "content_type": "text/plain"},
                             {}, False, "status 500, expected 2xx"),
    "bad-gateway": Scenario({"status": 502}, {}, False, "status 502, expected 2xx"),
    "forbidden-with-a-passing-value": Scenario(
        {"status": 403, "body": {"lastRun": {"passRate": 1.0}}},
        {"jsonPath": "lastRun.passRate", "min": 0.99},
        False,
        "status 403, expected 2xx",
    ),
    "2xx-not-listed": Scenario({"status": 200}, {"expectStatus": [204]}, False, "status 200, expected 204"),
    "listed-status": Scenario({"status": 202}, {"expectStatus": [202]}, True, "status 202"),
    "path-missing": Scenario(
        {"status": 200, "body": {"lastRun": {}}}, {"jsonPath": "lastRun.passRate", "min": 0.99}, False,
        "lastRun has no key 'passRate' (its keys: none)",
    ),
    "value-too-high": Scenario(
        {"status": 200, "body": {"errors": 12}}, {"jsonPath": "errors", "max": 3}, False,
        "errors = 12, outside value ≤ 3",
    ),
    "rate-too-low": Scenario(
        {"status": 200, "body": {"lastRun": {"passRate": 0.8}}},
        {"jsonPath": "lastRun.passRate", "min": 0.99},
        False,
        "lastRun.passRate = 0.8, outside value ≥ 0.99",
    ),
    "not-json": Scenario(
        {"status": 200, "raw": b"<html>ok</html>", "content_type": "text/html"},
        {"jsonPath": "a", "min": 1},
        False,
        "the answer is not JSON (text/html)",
    ),
    "string-not-number": Scenario(
        {"status": 200, "body": {"rate": "0.99"}}, {"jsonPath": "rate", "min": 0.5}, False,
        "rate is a string, not a number",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_what_the_server_answers_decides_the_verdict(
    health_server: HealthServer, probe: ExternalCheckProbe, name: str
) -> None:
    scenario = SCENARIOS[name]
    answer = dict(scenario.answer)
    health_server.answer("/ivr", answer.pop("status"), answer.pop("body", None), **answer)
    spec = check(health_server, **scenario.spec)
    verdict = judge_check(spec, await probe.read(spec))
    assert verdict.passed is scenario.passed and verdict.message.endswith(scenario.says), verdict.message


async def test_a_slow_server_times_out_and_a_closed_port_is_refused(
    health_server: HealthServer, probe: ExternalCheckProbe
) -> None:
    health_server.answer("/slow", 200, {}, delay_seconds=3)
    slow = check(health_server, "/slow", timeoutSeconds=1)
    verdict = judge_check(slow, await probe.read(slow))
    assert not verdict.passed and verdict.message.endswith("timed out after at most 1 s")

    closed = VerifyCheck.model_validate({"name": "gone", "http": {"url": "http://127.0.0.1:9/health"}})
    refused = judge_check(closed, await probe.read(closed))
    assert not refused.passed and refused.message.endswith("could not connect after at most 10 s")


async def test_a_server_that_hangs_up_without_answering_fails_the_check(
    health_server: HealthServer, probe: ExternalCheckProbe
) -> None:
    health_server.answer("/ivr", 200, {}, drop=True)
    spec = check(health_server)
    verdict = judge_check(spec, await probe.read(spec))
    assert not verdict.passed, verdict.message
    assert verdict.message.endswith(
        "the server broke the HTTP protocol (closed the connection?) after at most 10 s"
    )


async def test_a_timeout_names_no_secret_even_when_the_url_holds_one(
    health_server: HealthServer, probe: ExternalCheckProbe
) -> None:
    health_server.answer("/slow", 200, {}, delay_seconds=3)
    spec = check(
        health_server, "/slow?key=" + TOKEN, timeoutSeconds=1, bearerTokenSecretRef={"name": "monitor-token"}
    )
    reading = await probe.read(spec)
    verdict = judge_check(spec, reading)
    assert not verdict.passed and reading.error == "timed out after at most 1 s" and reading.status is None
    assert_no_secret(reading.target, reading.error, verdict.message, repr(reading))


async def test_a_secret_that_was_not_loaded_fails_the_check_naming_it(
    health_server: HealthServer, probe: ExternalCheckProbe
) -> None:
    spec = check(health_server, bearerTokenSecretRef={"name": "monitor-token", "key": "other"})
    reading = await probe.read(spec)
    assert reading.error == "Secret monitor-token has no key other" and health_server.requests == []


async def test_a_429_or_503_reads_the_pause_its_server_asked_for_in_either_form(
    health_server: HealthServer, probe: ExternalCheckProbe
) -> None:
    spec = check(health_server)
    health_server.answer("/ivr", 429, {}, headers={"Retry-After": "30"})
    assert (await probe.read(spec)).retry_after_seconds == 30
    ahead = formatdate(time.time() + 90, usegmt=True)
    health_server.answer("/ivr", 503, {}, headers={"Retry-After": ahead})
    reading = await probe.read(spec)
    assert reading.retry_after_seconds is not None and 85 <= reading.retry_after_seconds <= 92, reading
    assert not judge_check(spec, reading).passed
    health_server.answer("/ivr", 200, {}, headers={"Retry-After": "30"})
    assert (await probe.read(spec)).retry_after_seconds is None, "a success asks for no pause"
    health_server.answer("/ivr", 429, {}, headers={"Retry-After": "later, maybe"})
    assert (await probe.read(spec)).retry_after_seconds is None, "an unreadable header is ignored"
