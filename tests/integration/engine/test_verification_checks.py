"""External checks fail a stage and trigger the rollback: an http check against a real HTTP server on
loopback, a prometheus check against a real Prometheus scraping an exporter this test runs. The check's
Secret (bearer token, secret header) never appears in any output: status, Events, audit events, logs."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.checks import CheckSecrets, ExternalCheckProbe
from flowrelease.engine.outcome import Outcome, OutcomeKind
from tests.integration.engine.harness import Harness
from tests.support.health_server import HealthServer
from tests.support.prometheus import MetricsExporter, PrometheusHandle, single_value

TOKEN = "monitor-token-5d1f0c2a9e-never-shown"
HEADER = "api-key-73bb90e1-never-shown"
SECRETS = CheckSecrets({"monitor-token": {"token": TOKEN}, "monitor-headers": {"X-Api-Key": HEADER}})
QUICK = {"name": "canary", "bakeSeconds": 120, "settleSeconds": 60, "minSamples": 5}


def conditions_of(status: FlowReleaseStatus) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in status.conditions}


@pytest.fixture
async def checked(traffic_harness: Harness) -> AsyncIterator[Harness]:
    flow_id = traffic_harness.emulator.flow_id("Support IVR")
    traffic_harness.emulator.control.set_traffic(flow_id, entries_per_minute=30, abandon_ratio=0.0)
    async with httpx.AsyncClient() as client:
        traffic_harness.checks = ExternalCheckProbe(client, SECRETS)
        yield traffic_harness


def everything_written(harness: Harness, outcome: Outcome, logs: str) -> str:
    return json.dumps(
        [
            [s.to_wire() for s in harness.statuses.saves],
            [repr(e) for o in harness.outcomes for e in o.events],
            [repr(e) for e in harness.audit.events],
            outcome.message,
            logs,
        ],
        default=str,
    )


async def test_an_http_check_against_a_real_server_fails_the_stage_and_rolls_back_without_leaking_its_secret(
    checked: Harness, health_server: HealthServer, caplog: pytest.LogCaptureFixture
) -> None:
    health_server.answer("/api/checks/support-ivr", 200, {"lastRun": {"passRate": 0.62}, "echo": TOKEN})
    check: dict[str, Any] = {
        "name": "synthetic-call",
        "retries": 1,
        "retryIntervalSeconds": 20,
        "http": {
            "url": f"{health_server.base_url}/api/checks/support-ivr?env=prod",
            "bearerTokenSecretRef": {"name": "monitor-token"},
            "headersSecretRef": {"name": "monitor-headers"},
            "jsonPath": "lastRun.passRate",
            "min": 0.99,
        },
    }
    with caplog.at_level(logging.DEBUG):
        outcome = await checked.drive(checked.release(verify={"stages": [{**QUICK, "checks": [check]}]}))

    status = outcome.status
    assert outcome.kind is OutcomeKind.STALLED and status.phase is Phase.ROLLED_BACK, outcome.message
    assert conditions_of(status)[C.HEALTHY] == ("False", C.CHECK_FAILED)
    assert conditions_of(status)[C.VERIFIED] == ("False", C.CHECK_FAILED)
    (judged,) = status.verification.stages if status.verification else []
    (record,) = judged.checks
    assert (judged.verdict, record.attempts, record.passed, record.value) == ("checkFailed", 2, False, 0.62)
    assert record.target == f"GET {health_server.base_url}/api/checks/support-ivr"
    assert "lastRun.passRate = 0.62, outside value ≥ 0.99" in judged.message
    assert [r.headers["authorization"] for r in health_server.requests] == [f"Bearer {TOKEN}"] * 2
    assert all(r.headers["x-api-key"] == HEADER for r in health_server.requests)
    assert ("Warning", C.CHECK_FAILED) in checked.release_events()
    written = everything_written(checked, outcome, caplog.text)
    for secret in (TOKEN, HEADER):
        at = written.find(secret)
        assert at < 0, f"a secret is shown: …{written[max(at - 200, 0) : at + 60]}…"


async def test_a_check_answering_429_with_retry_after_is_tried_again_only_after_the_pause_it_asked_for(
    checked: Harness, health_server: HealthServer
) -> None:
    path = "/api/checks/support-ivr"
    health_server.answer_next(path, 429, {"error": "slow down"}, headers={"Retry-After": "45"})
    health_server.answer(path, 200, {"lastRun": {"passRate": 1.0}})
    check = {
        "name": "synthetic-call",
        "retries": 1,
        "retryIntervalSeconds": 10,
        "http": {"url": f"{health_server.base_url}{path}", "jsonPath": "lastRun.passRate", "min": 0.99},
    }

    outcome = await checked.drive(checked.release(verify={"stages": [{**QUICK, "checks": [check]}]}))

    assert outcome.kind is OutcomeKind.READY, outcome.message
    (judged,) = outcome.status.verification.stages if outcome.status.verification else []
    (record,) = judged.checks
    assert (judged.verdict, record.attempts, record.passed) == ("passed", 2, True)
    assert len(health_server.requests) == 2, "one refused attempt, one retry: no attempt spent early"
    asked = [o for o in checked.outcomes if "its server asked for 45s with Retry-After" in o.message]
    assert asked, [o.message for o in checked.outcomes]
    waits_after_refusal = [o.after for o in asked]
    assert all(after is not None and 10 < after <= 45 for after in waits_after_refusal), waits_after_refusal
    assert asked[0].status.verification is not None
    (refused,) = asked[0].status.verification.checks
    assert (refused.http_status, refused.retry_after_seconds) == (429, 45)


async def test_a_prometheus_check_against_a_real_prometheus_fails_the_stage_and_rolls_back(
    checked: Harness, metrics_exporter: MetricsExporter, prometheus_scraping: PrometheusHandle
) -> None:
    gauge = metrics_exporter.gauge("ivr_lookup_account_error_ratio")
    gauge.set(0.27)
    prometheus_scraping.wait_for(
        "ivr_lookup_account_error_ratio", lambda data: single_value(data) == 0.27, "the error ratio scraped"
    )
    check = {
        "name": "data-action-errors",
        "retries": 0,
        "prometheus": {
            "url": prometheus_scraping.url,
            "query": "max(ivr_lookup_account_error_ratio)",
            "max": 0.05,
        },
    }

    outcome = await checked.drive(checked.release(verify={"stages": [{**QUICK, "checks": [check]}]}))

    status = outcome.status
    assert status.phase is Phase.ROLLED_BACK, outcome.message
    assert conditions_of(status)[C.VERIFIED] == ("False", C.CHECK_FAILED)
    (judged,) = status.verification.stages if status.verification else []
    (record,) = judged.checks
    assert (record.kind, record.value, record.attempts, record.threshold) == (
        "prometheus",
        0.27,
        1,
        "value ≤ 0.05",
    )
    assert judged.message.endswith("value 0.27, outside value ≤ 0.05")
    attempts = [e for e in checked.audit.events if e.details.get("check") == "data-action-errors"]
    assert [e.details["passed"] for e in attempts if "attempt" in e.details] == [False]


async def test_passing_checks_and_healthy_traffic_verify_the_release(
    checked: Harness,
    health_server: HealthServer,
    metrics_exporter: MetricsExporter,
    prometheus_scraping: PrometheusHandle,
) -> None:
    health_server.answer("/health", 204)
    metrics_exporter.gauge("ivr_transfer_error_ratio").set(0.001)
    prometheus_scraping.wait_for(
        "ivr_transfer_error_ratio", lambda data: single_value(data) == 0.001, "the transfer error ratio"
    )
    checks = [
        {"name": "health", "http": {"url": f"{health_server.base_url}/health"}},
        {"name": "errors", "prometheus": {"url": prometheus_scraping.url,
                                          "query": "max(ivr_transfer_error_ratio)", "min": 0, "max": 0.01}},
    ]  # fmt: skip

    outcome = await checked.drive(checked.release(verify={"stages": [{**QUICK, "checks": checks}]}))

    assert outcome.kind is OutcomeKind.READY and outcome.status.published_version == "3.0", outcome.message
    assert conditions_of(outcome.status)[C.VERIFIED] == ("True", C.STAGES_PASSED)
    (judged,) = outcome.status.verification.stages if outcome.status.verification else []
    assert [(c.name, c.passed) for c in judged.checks] == [("health", True), ("errors", True)]


async def test_a_check_target_that_never_answers_in_time_fails_the_stage_after_its_retries(
    checked: Harness, health_server: HealthServer
) -> None:
    health_server.answer("/health", 200, {}, delay_seconds=3)
    check = {
        "name": "health",
        "retries": 1,
        "http": {"url": f"{health_server.base_url}/health", "timeoutSeconds": 1},
    }

    outcome = await checked.drive(checked.release(verify={"stages": [{**QUICK, "checks": [check]}]}))

    assert outcome.status.phase is Phase.ROLLED_BACK, outcome.message
    assert conditions_of(outcome.status)[C.VERIFIED] == ("False", C.CHECK_FAILED)
    (judged,) = outcome.status.verification.stages if outcome.status.verification else []
    (record,) = judged.checks
    assert (record.attempts, record.passed, record.http_status) == (2, False, None)
    assert record.error == "timed out after at most 1 s" and len(health_server.requests) == 2
    assert judged.message.endswith(
        "health' failed: GET " + health_server.base_url + "/health: timed out after at most 1 s"
    )


async def test_a_check_target_that_recovers_within_the_retries_passes_the_stage(
    checked: Harness, health_server: HealthServer
) -> None:
    path = "/api/checks/support-ivr"
    health_server.answer_next(path, 503, {"message": "warming up"})
    health_server.answer_next(path, 401, {"message": "token not propagated yet"})
    health_server.answer(path, 200, {"lastRun": {"passRate": 1.0}})
    check = {
        "name": "synthetic-call",
        "retries": 2,
        "http": {"url": health_server.base_url + path, "jsonPath": "lastRun.passRate", "min": 0.99},
    }

    outcome = await checked.drive(checked.release(verify={"stages": [{**QUICK, "checks": [check]}]}))

    assert outcome.kind is OutcomeKind.READY and outcome.status.published_version == "3.0", outcome.message
    assert conditions_of(outcome.status)[C.VERIFIED] == ("True", C.STAGES_PASSED)
    (judged,) = outcome.status.verification.stages if outcome.status.verification else []
    (record,) = judged.checks
    assert (record.attempts, record.passed, record.http_status, record.value) == (3, True, 200, 1.0)
    attempts = [e.details["passed"] for e in checked.audit.events if "attempt" in e.details]
    assert attempts == [False, False, True], "one audit event per attempt"


async def test_a_prometheus_query_that_errors_fails_the_stage_and_rolls_back(
    checked: Harness, prometheus_scraping: PrometheusHandle
) -> None:
    check = {
        "name": "data-action-errors",
        "retries": 0,
        "prometheus": {"url": prometheus_scraping.url, "query": "sum(rate(ivr_errors_total[5m]", "max": 0.05},
    }

    outcome = await checked.drive(checked.release(verify={"stages": [{**QUICK, "checks": [check]}]}))

    assert outcome.status.phase is Phase.ROLLED_BACK, outcome.message
    (judged,) = outcome.status.verification.stages if outcome.status.verification else []
    (record,) = judged.checks
    assert not record.passed and record.http_status == 400 and record.value is None
    assert record.error.startswith("HTTP 400: Prometheus answered bad_data: "), record.error


async def test_a_prometheus_query_with_no_data_fails_the_stage_rather_than_passing_it(
    checked: Harness, prometheus_scraping: PrometheusHandle
) -> None:
    check = {
        "name": "data-action-errors",
        "retries": 0,
        "prometheus": {
            "url": prometheus_scraping.url,
            "query": "max(ivr_metric_nobody_exports)",
            "max": 0.05,
        },
    }

    outcome = await checked.drive(checked.release(verify={"stages": [{**QUICK, "checks": [check]}]}))

    assert outcome.status.phase is Phase.ROLLED_BACK, outcome.message
    assert conditions_of(outcome.status)[C.VERIFIED] == ("False", C.CHECK_FAILED)
    (judged,) = outcome.status.verification.stages if outcome.status.verification else []
    assert judged.checks[0].error == "no data: the query matched no series"
