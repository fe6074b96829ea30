"""Prometheus metrics for releases, on a dedicated CollectorRegistry (never the global default one).

    flowrelease_releases_total{result}                       finished releases: Ready, RolledBack, ...
    flowrelease_releases_in_flight                           releases being reconciled right now
    flowrelease_step_duration_seconds{action,outcome}        one observation per engine step (audit event)
    flowrelease_validation_errors_total                      validations that failed
    flowrelease_rollbacks_total{result}                      finished rollbacks: succeeded or failed
    flowrelease_genesys_requests_total{method,route,status}  every HTTP response from Genesys
    flowrelease_notifications_live                           1 while flow notifications arrive, else 0
    flowrelease_notification_fallbacks_total                 times notifications became unavailable (poll)

`MetricsAuditSink` derives the step, validation and rollback metrics from AuditEvents; the shells record
release results and in-flight counts; `genesys_request_observer()` is the GenesysClient's `on_response`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from flowrelease.engine.ports import AuditEvent

STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
ROLLBACK_RESULTS = {"RollbackSucceeded": "succeeded", "RollbackFailed": "failed"}
"""The engine's step names (AuditEvent.details["step"]) that end a rollback, and the result they mean."""


class ReleaseMetrics:
    """All flowrelease metrics, registered on one registry the caller can expose."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.releases = Counter(
            "flowrelease_releases", "Finished releases by result phase.", ["result"], registry=self.registry
        )
        self.in_flight = Gauge(
            "flowrelease_releases_in_flight", "Releases being reconciled right now.", registry=self.registry
        )
        self.step_seconds = Histogram(
            "flowrelease_step_duration_seconds",
            "Latency of one engine step, by action and outcome.",
            ["action", "outcome"],
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )
        self.validation_errors = Counter(
            "flowrelease_validation_errors", "Validations that failed.", registry=self.registry
        )
        self.rollbacks = Counter(
            "flowrelease_rollbacks",
            "Rollbacks that finished, by result.",
            ["result"],
            registry=self.registry,
        )
        self.genesys_requests = Counter(
            "flowrelease_genesys_requests",
            "HTTP responses from Genesys Cloud by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )

        self.notifications_live = Gauge(
            "flowrelease_notifications_live",
            "1 while v2.flows notifications arrive for the OAuth clients in use, 0 while releases only poll.",
            registry=self.registry,
        )
        self.notification_fallbacks = Counter(
            "flowrelease_notification_fallbacks",
            "Times flow notifications became unavailable and releases fell back to polling.",
            registry=self.registry,
        )

    def observe_notifications(self, live: bool, *, unavailable: bool) -> None:
        """A `FlowNotifications` state change (its `on_state`)."""
        self.notifications_live.set(1 if live else 0)
        if unavailable:
            self.notification_fallbacks.inc()

    def observe_step(self, event: AuditEvent) -> None:
        self.step_seconds.labels(event.action, event.outcome).observe(max(event.latency_ms, 0.0) / 1000.0)
        if event.action == "validate" and event.outcome == "failed":
            self.validation_errors.inc()
        result = ROLLBACK_RESULTS.get(str(event.details.get("step", "")))
        if result is not None:
            self.rollbacks.labels(result).inc()

    def observe_genesys_response(self, method: str, route: str, status: int) -> None:
        self.genesys_requests.labels(method.upper(), route, str(status)).inc()

    def record_result(self, result: str) -> None:
        self.releases.labels(result).inc()

    @contextmanager
    def tracking_in_flight(self) -> Iterator[None]:
        self.in_flight.inc()
        try:
            yield
        finally:
            self.in_flight.dec()

    def exposition(self) -> bytes:
        """The registry in Prometheus text format."""
        return bytes(generate_latest(self.registry))


_default: ReleaseMetrics | None = None


def default_metrics() -> ReleaseMetrics:
    """The process-wide metrics the shells expose (created on first use, on its own registry)."""
    global _default
    if _default is None:
        _default = ReleaseMetrics()
    return _default


def genesys_request_observer(metrics: ReleaseMetrics | None = None) -> Callable[[str, str, int], None]:
    """An `on_response(method, route, status)` callback for GenesysClient."""
    return (metrics or default_metrics()).observe_genesys_response


class MetricsAuditSink:
    """An AuditSink that turns each event into metrics."""

    def __init__(self, metrics: ReleaseMetrics | None = None) -> None:
        self.metrics = metrics or default_metrics()

    def emit(self, event: AuditEvent) -> None:
        self.metrics.observe_step(event)
