"""The prometheus check against a REAL Prometheus server (built from the Go module proxy) scraping an
exporter this test runs: values inside and outside the threshold, no data, several samples, bad PromQL,
a server that is not there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from flowrelease.api.models import VerifyCheck
from flowrelease.checks import CheckSecrets, ExternalCheckProbe
from flowrelease.engine.checks import judge_check
from tests.support.prometheus import MetricsExporter, PrometheusHandle, single_value

RATIO = "ivr_probe_data_action_error_ratio"


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
