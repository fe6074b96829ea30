"""Metrics derived from audit events and Genesys responses, on a registry of their own."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry

from flowrelease.audit.metrics import (
    MetricsAuditSink,
    ReleaseMetrics,
    default_metrics,
    genesys_request_observer,
)
from flowrelease.engine.ports import AuditEvent


def event(action: str, outcome: str, latency_ms: float = 250.0, step: str = "") -> AuditEvent:
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


def test_failed_validations_and_finished_rollbacks_are_counted() -> None:
    metrics = ReleaseMetrics()
    sink = MetricsAuditSink(metrics)
    for action, outcome, step in [
        ("validate", "failed", "FailValidation"),
        ("validate", "ok", "Validate"),
        ("validate", "failed", "Validate"),
        ("rollback", "ok", "StartRollback"),
        ("poll", "waiting", "Wait"),
        ("rollback", "ok", "RollbackSucceeded"),
        ("rollback", "failed", "RollbackFailed"),
    ]:
        sink.emit(event(action, outcome, step=step))
    assert value(metrics, "flowrelease_validation_errors_total") == 2
    assert value(metrics, "flowrelease_rollbacks_total", {"result": "succeeded"}) == 1
    assert value(metrics, "flowrelease_rollbacks_total", {"result": "failed"}) == 1


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
