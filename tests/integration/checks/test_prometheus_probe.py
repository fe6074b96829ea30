"""The prometheus check against a REAL Prometheus server (built from the Go module proxy) scraping an
exporter this test runs: values inside and outside the threshold, no data, several samples, bad PromQL, a
query that fails while it runs, a server that is not there. What only a server in front of Prometheus (an
auth proxy) or an overloaded one answers — 401/403, 5xx, Prometheus' timeout error, no answer in time — is
played by a real HTTP server on loopback speaking the same API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from flowrelease.api.models import VerifyCheck
from flowrelease.checks import CheckSecrets, ExternalCheckProbe
from flowrelease.engine.checks import judge_check
from tests.support.health_server import HealthServer
from tests.support.prometheus import MetricsExporter, PrometheusHandle, single_value

RATIO = "ivr_probe_data_action_error_ratio"
SAME_LABELS = 'label_replace(ivr_probe_calls, "action", "same", "action", ".*")'


def check(prometheus: PrometheusHandle, query: str, **threshold: Any) -> VerifyCheck:
    return VerifyCheck.model_validate(
        {"name": "data-action-errors", "prometheus": {"url": prometheus.url, "query": query, **threshold}}
    )


@pytest.fixture
async def probe() -> AsyncIterator[ExternalCheckProbe]:
    async with httpx.AsyncClient() as client:
        yield ExternalCheckProbe(client, CheckSecrets())


def scraped(prometheus: PrometheusHandle, query: str, value: float) -> None:
    prometheus.wait_for(query, lambda data: single_value(data) == value, f"{query} = {value}")


async def test_a_value_inside_then_outside_the_threshold(
    metrics_exporter: MetricsExporter, prometheus_scraping: PrometheusHandle, probe: ExternalCheckProbe
) -> None:
    gauge = metrics_exporter.gauge(RATIO, {"action": "lookup"})
    query = f'max({RATIO}{{action="lookup"}})'
    spec = check(prometheus_scraping, query, max=0.05)

    gauge.set(0.01)
    scraped(prometheus_scraping, query, 0.01)
    healthy = judge_check(spec, await probe.read(spec))
    assert healthy.passed and healthy.value == 0.01, healthy.message

    gauge.set(0.3)
    scraped(prometheus_scraping, query, 0.3)
    breached = judge_check(spec, await probe.read(spec))
    assert not breached.passed and breached.message.endswith("value 0.3, outside value ≤ 0.05")
    assert breached.measured == f"{query} on {prometheus_scraping.url}/"


async def test_what_a_query_cannot_give_fails_the_check(
    metrics_exporter: MetricsExporter, prometheus_scraping: PrometheusHandle, probe: ExternalCheckProbe
) -> None:
    for action in ("a", "b"):
        metrics_exporter.gauge("ivr_probe_calls", {"action": action}).set(1)
    prometheus_scraping.wait_for(
        "ivr_probe_calls", lambda data: len(data["result"]) == 2, "both series of ivr_probe_calls"
    )
    cases = {
        "ivr_probe_calls": "the query gives 2 samples; aggregate it to one (e.g. sum(...))",
        "ivr_probe_metric_nobody_exports": "no data: the query matched no series",
        "sum(rate(ivr_probe_calls[": "Prometheus answered bad_data: ",
        "0 / 0": "value NaN, which no threshold accepts",
        # two series made identical while the query runs: Prometheus' execution error (HTTP 422)
        SAME_LABELS: "HTTP 422: Prometheus answered execution: ",
        "ivr_probe_calls[1m]": "the query gives a matrix result; it must give one number",
        '"a string"': "the query gives a string result; it must give one number",
    }
    for query, says in cases.items():
        spec = check(prometheus_scraping, query, min=0)
        verdict = judge_check(spec, await probe.read(spec))
        assert not verdict.passed and says in verdict.message, (query, verdict.message)
    total = check(prometheus_scraping, "sum(ivr_probe_calls)", min=2, max=2)
    assert judge_check(total, await probe.read(total)).passed, "aggregated to one sample, it is judged"


async def test_a_prometheus_that_is_not_there_fails_the_check(probe: ExternalCheckProbe) -> None:
    spec = VerifyCheck.model_validate(
        {"name": "gone", "prometheus": {"url": "http://127.0.0.1:9", "query": "up", "min": 1}}
    )
    verdict = judge_check(spec, await probe.read(spec))
    assert not verdict.passed and verdict.message.endswith("could not connect after at most 10 s")


TOKEN = "prom-proxy-token-0c4e7a19-never-shown"
QUERY = "/api/v1/query"
PROMETHEUS_TIMEOUT = {
    "status": "error",
    "errorType": "timeout",
    "error": "query timed out in query execution",
}


def proxied(server: HealthServer, **spec: Any) -> VerifyCheck:
    prometheus = {"url": server.base_url, "query": "max(ivr_error_ratio)", "max": 0.05, **spec}
    return VerifyCheck.model_validate({"name": "behind-a-proxy", "prometheus": prometheus})


class ProxyCase:
    def __init__(self, status: int, body: Any, says: str, raw: bytes | None = None) -> None:
        self.status, self.body, self.says, self.raw = status, body, says, raw


PROXY_CASES = {
    "unauthorized": ProxyCase(401, None, "HTTP 401, not a Prometheus API answer", raw=b"Unauthorized"),
    "forbidden": ProxyCase(403, {"error": "forbidden"}, "HTTP 403: Prometheus answered an error: forbidden"),
    "query-timeout": ProxyCase(
        503, PROMETHEUS_TIMEOUT, "HTTP 503: Prometheus answered timeout: query timed out in query execution"
    ),
    "unavailable": ProxyCase(503, {"status": "error", "errorType": "unavailable", "error": "shutting down"},
                             "HTTP 503: Prometheus answered unavailable: shutting down"),
    "bad-gateway": ProxyCase(502, None, "HTTP 502, not a Prometheus API answer", raw=b"<html>502</html>"),
    "success-body-with-an-error-status": ProxyCase(
        500, {"status": "success", "data": {"resultType": "scalar", "result": [1, "0.01"]}},
        "HTTP 500: not a success",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(PROXY_CASES))
async def test_what_a_proxy_or_an_overloaded_prometheus_answers_fails_the_check(
    health_server: HealthServer, name: str
) -> None:
    case = PROXY_CASES[name]
    health_server.answer(QUERY, case.status, case.body, raw=case.raw)
    spec = proxied(health_server, bearerTokenSecretRef={"name": "prom-token"})
    async with httpx.AsyncClient() as client:
        probe = ExternalCheckProbe(client, CheckSecrets({"prom-token": {"token": TOKEN}}))
        reading = await probe.read(spec)
    verdict = judge_check(spec, reading)
    assert not verdict.passed and verdict.value is None, verdict.message
    assert verdict.message.endswith(case.says), verdict.message
    (seen,) = health_server.requests
    assert seen.headers["authorization"] == f"Bearer {TOKEN}", "the token reaches the server"
    assert TOKEN not in verdict.message + repr(reading), "and nothing shows it"


async def test_a_prometheus_that_does_not_answer_in_time_fails_the_check(
    health_server: HealthServer, probe: ExternalCheckProbe
) -> None:
    body = {"status": "success", "data": {"resultType": "scalar", "result": [1, "0.01"]}}
    health_server.answer(QUERY, 200, body, delay_seconds=3)
    spec = proxied(health_server, timeoutSeconds=1)
    verdict = judge_check(spec, await probe.read(spec))
    assert not verdict.passed and verdict.message.endswith("timed out after at most 1 s"), verdict.message
    health_server.answer(QUERY, 200, body)
    assert judge_check(spec, await probe.read(spec)).passed, "the same answer in time passes"


async def test_an_overloaded_prometheus_asking_for_a_pause_says_how_long(
    health_server: HealthServer, probe: ExternalCheckProbe
) -> None:
    body = {"status": "error", "errorType": "unavailable", "error": "too many queries"}
    health_server.answer(QUERY, 503, body, headers={"Retry-After": "20"})
    spec = proxied(health_server)
    reading = await probe.read(spec)
    assert (reading.status, reading.retry_after_seconds) == (503, 20)
    assert not judge_check(spec, reading).passed
