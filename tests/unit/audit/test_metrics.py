"""Metrics derived from audit events and Genesys responses, on a registry of their own."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

from flowrelease.audit.metrics import (
    MetricsAuditSink,
    ReleaseMetrics,
    default_metrics,
    genesys_request_observer,
    rate_limit_sleep,
)
from flowrelease.engine.ports import AuditEvent, Milestone


def event(
    action: str,
    outcome: str,
    latency_ms: float = 250.0,
    step: str = "",
    milestone: Milestone | None = None,
    route: str = "",
    result: str = "",
) -> AuditEvent:
    return AuditEvent(
        timestamp="2026-11-28T01:00:00Z",
        release="cc/a",
        flow_id="f",
        flow_name="F",
        version="3.0",
        action=action,
        outcome=outcome,
        latency_ms=latency_ms,
        attempt=1,
        validation_error_rate=0.0,
        details={"step": step} if step else {},
        milestone=milestone,
        rollback_route=route,
        route_result=result,
    )


def value(metrics: ReleaseMetrics, name: str, labels: dict[str, str] | None = None) -> float:
    found = metrics.registry.get_sample_value(name, labels or {})
    return 0.0 if found is None else found


def test_steps_become_latency_observations_by_action_and_outcome() -> None:
    metrics = ReleaseMetrics()
    sink = MetricsAuditSink(metrics)
    sink.emit(event("publish", "ok", 250.0))
    sink.emit(event("publish", "ok", 750.0))
    sink.emit(event("poll", "waiting", 5.0))
    labels = {"action": "publish", "outcome": "ok"}
    assert value(metrics, "flowrelease_step_duration_seconds_count", labels) == 2
    assert value(metrics, "flowrelease_step_duration_seconds_sum", labels) == 1.0
    assert (
        value(metrics, "flowrelease_step_duration_seconds_count", {"action": "poll", "outcome": "waiting"})
        == 1
    )


def test_failed_validations_and_finished_rollbacks_are_counted_from_typed_milestones() -> None:
    metrics = ReleaseMetrics()
    sink = MetricsAuditSink(metrics)
    for action, outcome, step, milestone, route, result in [
        ("validate", "failed", "FailValidation", Milestone.VALIDATION_FAILED, "", ""),
        ("validate", "ok", "Validate", None, "", ""),
        ("validate", "failed", "Validate", Milestone.VALIDATION_FAILED, "", ""),
        ("rollback", "failed", "StartRollback", Milestone.ROLLBACK_STARTED, "republish", ""),
        ("poll", "waiting", "Wait", None, "", ""),
        ("rollback", "failed", "LeaveRoute", Milestone.ROLLBACK_ROUTE_LEFT, "republish", "ignored"),
        ("rollback", "ok", "RollbackSucceeded", Milestone.ROLLBACK_SUCCEEDED, "restore", ""),
        ("rollback", "failed", "LeaveRoute", Milestone.ROLLBACK_FAILED, "reimport", "refused"),
        ("validate", "ok", "PassValidation", Milestone.VALIDATION_SERVICE_UNAVAILABLE, "", ""),
        # a step NAME alone counts for nothing: only the typed milestone does
        ("rollback", "ok", "RollbackSucceeded", None, "", ""),
    ]:
        sink.emit(event(action, outcome, step=step, milestone=milestone, route=route, result=result))
    assert value(metrics, "flowrelease_validation_errors_total") == 2
    assert value(metrics, "flowrelease_rollbacks_total", {"result": "succeeded"}) == 1
    assert value(metrics, "flowrelease_rollbacks_total", {"result": "failed"}) == 1
    routes = {
        (route, result): value(
            metrics, "flowrelease_rollback_routes_total", {"route": route, "result": result}
        )
        for route, result in [("republish", "ignored"), ("restore", "succeeded"), ("reimport", "refused")]
    }
    assert routes == {("republish", "ignored"): 1, ("restore", "succeeded"): 1, ("reimport", "refused"): 1}
    assert value(metrics, "flowrelease_validation_service_unavailable_total") == 1


def test_every_existing_metric_name_and_label_set_is_kept() -> None:
    """Prometheus rules and dashboards are written against these; renaming one is a breaking change."""
    metrics = ReleaseMetrics()
    sink = MetricsAuditSink(metrics)
    sink.emit(event("validate", "failed", milestone=Milestone.VALIDATION_FAILED))
    sink.emit(event("rollback", "ok", milestone=Milestone.ROLLBACK_SUCCEEDED, route="republish"))
    metrics.record_result("Ready")
    metrics.observe_genesys_response("GET", "/api/v2/flows/{flowId}", 200)
    labels = {
        sample.name: sorted(sample.labels)
        for family in metrics.registry.collect()
        for sample in family.samples
        if not sample.name.endswith(("_bucket", "_created"))
    }
    assert {name: labels[name] for name in KEPT} == KEPT


KEPT = {
    "flowrelease_releases_total": ["result"],
    "flowrelease_releases_in_flight": [],
    "flowrelease_step_duration_seconds_count": ["action", "outcome"],
    "flowrelease_step_duration_seconds_sum": ["action", "outcome"],
    "flowrelease_validation_errors_total": [],
    "flowrelease_rollbacks_total": ["result"],
    "flowrelease_genesys_requests_total": ["method", "route", "status"],
}


def test_genesys_responses_are_counted_by_method_route_and_status() -> None:
    metrics = ReleaseMetrics()
    observe = genesys_request_observer(metrics)
    observe("post", "/api/v2/flows/actions/publish", 200)
    observe("POST", "/api/v2/flows/actions/publish", 200)
    observe("GET", "/api/v2/flows/{flowId}", 429)
    labels = {"method": "POST", "route": "/api/v2/flows/actions/publish", "status": "200"}
    assert value(metrics, "flowrelease_genesys_requests_total", labels) == 2
    assert (
        value(
            metrics,
            "flowrelease_genesys_requests_total",
            {"method": "GET", "route": "/api/v2/flows/{flowId}", "status": "429"},
        )
        == 1
    )


def test_results_and_in_flight_releases() -> None:
    metrics = ReleaseMetrics()
    with metrics.tracking_in_flight():
        assert value(metrics, "flowrelease_releases_in_flight") == 1
        metrics.record_result("Ready")
    assert value(metrics, "flowrelease_releases_in_flight") == 0
    assert value(metrics, "flowrelease_releases_total", {"result": "Ready"}) == 1


def test_metrics_live_on_their_own_registry_and_render_as_text() -> None:
    metrics = ReleaseMetrics(CollectorRegistry())
    metrics.record_result("RolledBack")
    assert REGISTRY.get_sample_value("flowrelease_releases_total", {"result": "RolledBack"}) is None
    assert b'flowrelease_releases_total{result="RolledBack"} 1.0' in metrics.exposition()


def test_the_default_metrics_are_shared() -> None:
    assert default_metrics() is default_metrics()
    assert MetricsAuditSink().metrics is default_metrics()


def phased(
    step: str,
    phase: str,
    outcome: str = "ok",
    release: str = "cc/a",
    action: str = "verify",
    milestone: Milestone | None = None,
) -> AuditEvent:
    base = event(action, outcome, step=step)
    details = {"step": step, "phase": phase}
    return AuditEvent(**{**base.__dict__, "release": release, "details": details, "milestone": milestone})


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_judged_stages_count_as_pass_or_breach_verdicts() -> None:
    metrics = ReleaseMetrics()
    sink = MetricsAuditSink(metrics)
    sink.emit(phased("PassVerifyStage", "Verifying", milestone=Milestone.STAGE_PASSED))
    sink.emit(phased("PassVerifyStage", "Verifying", milestone=Milestone.STAGE_PASSED))
    sink.emit(phased("StartRollback", "RollingBack", outcome="failed", milestone=Milestone.STAGE_BREACHED))
    sink.emit(phased("StartVerifyStage", "Verifying"))  # starting a stage is no verdict
    sink.emit(phased("JudgeVerifyStage", "Verifying"))  # a step name alone counts nothing
    assert value(metrics, "flowrelease_verification_verdicts_total", {"verdict": "pass"}) == 2
    assert value(metrics, "flowrelease_verification_verdicts_total", {"verdict": "breach"}) == 1


def judged(milestone: Milestone, **details: object) -> AuditEvent:
    base = phased("Judge", "Verifying", milestone=milestone)
    return AuditEvent(**{**base.__dict__, "details": {**base.details, **details}})


def test_every_kind_of_stage_verdict_check_attempt_and_extension_is_counted() -> None:
    metrics = ReleaseMetrics()
    sink = MetricsAuditSink(metrics)
    sink.emit(judged(Milestone.STAGE_PASSED, entries=120))
    sink.emit(judged(Milestone.STAGE_NOT_JUDGED, entries=3))
    sink.emit(judged(Milestone.STAGE_BREACHED, reason="HealthBreach", entries=100))
    sink.emit(judged(Milestone.STAGE_BREACHED, reason="CheckFailed", entries=100))
    sink.emit(judged(Milestone.STAGE_BREACHED, reason="InsufficientData", entries=0))
    sink.emit(judged(Milestone.STAGE_EXTENDED))
    sink.emit(judged(Milestone.CHECK_ATTEMPTED, check="synthetic", kind="http", passed=False))
    sink.emit(judged(Milestone.CHECK_ATTEMPTED, check="synthetic", kind="http", passed=True))
    sink.emit(judged(Milestone.CHECK_ATTEMPTED, check="errors", kind="prometheus", passed=False))
    verdicts = {
        verdict: value(metrics, "flowrelease_verification_verdicts_total", {"verdict": verdict})
        for verdict in ("pass", "not_judged", "breach", "check_failed", "insufficient_data")
    }
    assert verdicts == {"pass": 1, "not_judged": 1, "breach": 1, "check_failed": 1, "insufficient_data": 1}
    assert value(metrics, "flowrelease_verification_extensions_total") == 1
    attempts = "flowrelease_verification_check_attempts_total"
    assert value(metrics, attempts, {"check": "synthetic", "kind": "http", "result": "fail"}) == 1
    assert value(metrics, attempts, {"check": "synthetic", "kind": "http", "result": "pass"}) == 1
    assert value(metrics, attempts, {"check": "errors", "kind": "prometheus", "result": "fail"}) == 1
    assert value(metrics, "flowrelease_verification_samples_count") == 5
    assert value(metrics, "flowrelease_verification_samples_bucket", {"le": "0.0"}) == 1


def test_time_to_ready_runs_from_the_attempt_to_ready_and_skips_attempts_it_did_not_see_start() -> None:
    clock = FakeMonotonic()
    metrics = ReleaseMetrics(monotonic=clock)
    sink = MetricsAuditSink(metrics)
    sink.emit(phased("BeginAttempt", "Validating", action="observe", milestone=Milestone.ATTEMPT_STARTED))
    clock.now += 42.0
    sink.emit(phased("MarkReady", "Ready", action="export", milestone=Milestone.READY))
    # began before a restart:
    sink.emit(phased("MarkReady", "Ready", release="cc/b", action="export", milestone=Milestone.READY))
    assert value(metrics, "flowrelease_time_to_ready_seconds_count") == 1
    assert value(metrics, "flowrelease_time_to_ready_seconds_sum") == 42.0
    assert value(metrics, "flowrelease_time_to_ready_seconds_bucket", {"le": "60.0"}) == 1
    assert value(metrics, "flowrelease_time_to_ready_seconds_bucket", {"le": "30.0"}) == 0


def test_releases_are_counted_by_their_last_phase_with_the_age_of_the_oldest_in_each() -> None:
    clock = FakeMonotonic()
    metrics = ReleaseMetrics(monotonic=clock)
    sink = MetricsAuditSink(metrics)
    sink.emit(phased("StartPublish", "Publishing", release="cc/a", action="publish"))
    clock.now += 100.0
    sink.emit(phased("StartPublish", "Publishing", release="cc/b", action="publish"))
    sink.emit(phased("MarkReady", "Ready", release="cc/c", action="export"))
    clock.now += 50.0
    sink.emit(phased("Wait", "Publishing", release="cc/a", action="poll"))  # same phase: age keeps running
    sink.emit(phased("Odd", "NoSuchPhase", release="cc/d"))

    def phase(name: str, metric: str = "flowrelease_releases_by_phase") -> float:
        return value(metrics, metric, {"phase": name})

    assert (phase("Publishing"), phase("Ready"), phase("Verifying"), phase("Unknown")) == (2, 1, 0, 1)
    assert phase("Publishing", "flowrelease_release_phase_age_max_seconds") == 150.0
    assert phase("Ready", "flowrelease_release_phase_age_max_seconds") == 50.0
    assert phase("Verifying", "flowrelease_release_phase_age_max_seconds") == 0.0
    sink.emit(phased("MarkReady", "Ready", release="cc/a", action="export"))
    assert (phase("Publishing"), phase("Ready")) == (1, 2)
    assert phase("Publishing", "flowrelease_release_phase_age_max_seconds") == 50.0


async def test_the_rate_limiters_waits_are_observed_through_the_sleep_it_is_given() -> None:
    from flowrelease.genesys.ratelimit import RateLimiter

    metrics = ReleaseMetrics()
    clock = FakeMonotonic()

    async def advance(seconds: float) -> None:
        clock.now += seconds

    limiter = RateLimiter(60.0, clock=clock, sleep=rate_limit_sleep(metrics, sleep=advance))
    waited = [await limiter.acquire() for _ in range(62)]  # a burst of 60, then one slot a second
    assert waited[:60] == [0.0] * 60 and waited[60] == pytest.approx(1.0) and waited[61] == pytest.approx(1.0)
    assert value(metrics, "flowrelease_genesys_rate_limit_wait_seconds_count") == 2
    assert value(metrics, "flowrelease_genesys_rate_limit_wait_seconds_sum") == pytest.approx(2.0)
    assert value(metrics, "flowrelease_genesys_rate_limit_wait_seconds_bucket", {"le": "1.0"}) == 2


async def test_a_zero_sleep_is_no_wait() -> None:
    metrics = ReleaseMetrics()
    await rate_limit_sleep(metrics)(0.0)
    assert value(metrics, "flowrelease_genesys_rate_limit_wait_seconds_count") == 0


def test_notification_state_changes_set_the_live_gauge_and_count_fallbacks() -> None:
    metrics = ReleaseMetrics()
    value = metrics.registry.get_sample_value
    metrics.observe_notifications(True, unavailable=False)
    assert (value("flowrelease_notifications_live"), value("flowrelease_notification_fallbacks_total")) == (
        1,
        0,
    )
    metrics.observe_notifications(False, unavailable=False)  # reconnecting: not a fallback
    assert (value("flowrelease_notifications_live"), value("flowrelease_notification_fallbacks_total")) == (
        0,
        0,
    )
    metrics.observe_notifications(False, unavailable=True)
    assert value("flowrelease_notification_fallbacks_total") == 1


def test_a_lossy_channel_is_counted_once_and_leaves_the_live_gauge_alone() -> None:
    metrics = ReleaseMetrics()
    value = metrics.registry.get_sample_value
    metrics.observe_notifications(True, unavailable=False)
    metrics.observe_notifications(True, unavailable=False, lossy=True)
    assert (
        value("flowrelease_notifications_live"),
        value("flowrelease_notification_fallbacks_total"),
        value("flowrelease_notification_lossy_fallbacks_total"),
    ) == (1, 0, 1), "still live: events keep waking releases; only the net changed"
