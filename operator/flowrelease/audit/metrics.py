"""Prometheus metrics for releases, on a dedicated CollectorRegistry (never the global default one).

    flowrelease_releases_total{result}                       finished releases: Ready, RolledBack, ...
    flowrelease_releases_in_flight                           releases being reconciled right now
    flowrelease_step_duration_seconds{action,outcome}        one observation per engine step (audit event)
    flowrelease_validation_errors_total                      validations that failed
    flowrelease_rollbacks_total{result}                      finished rollbacks: succeeded or failed
    flowrelease_rollback_routes_total{route,result}          rollback routes ended: succeeded, refused,
                                                             ignored, failed, timedOut
    flowrelease_validation_service_unavailable_total         releases validated without the validate job
    flowrelease_genesys_requests_total{method,route,status}  every HTTP response from Genesys
    flowrelease_verification_verdicts_total{verdict}         judged bake stages: pass, not_judged, breach,
                                                             check_failed or insufficient_data
    flowrelease_verification_extensions_total                bake windows grown for lack of samples
    flowrelease_verification_check_attempts_total{check,kind,result}
                                                             external check attempts: pass or fail
    flowrelease_verification_samples                         entries (nFlow) a stage was judged on
    flowrelease_time_to_ready_seconds                        from a release attempt's start to Ready
    flowrelease_releases_by_phase{phase}                     releases this operator last saw in each phase
    flowrelease_release_phase_age_max_seconds{phase}         how long the longest-waiting one has been there
    flowrelease_genesys_rate_limit_wait_seconds              client-side waits for a rate-limit slot
    flowrelease_notifications_live                           1 while flow notifications arrive, else 0
    flowrelease_notification_fallbacks_total                 times notifications became unavailable (poll)

`MetricsAuditSink` derives the step, validation, rollback, verdict, time-to-Ready and phase metrics from
AuditEvents — from their typed `milestone` (and `rollback_route`/`route_result`), never from step names; the
shells record release results and in-flight counts; `genesys_request_observer()` is the GenesysClient's
`on_response`; `rate_limit_sleep()` is the `sleep` of a RateLimiterRegistry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from flowrelease.engine.ports import AuditEvent, Milestone

STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
ROLLBACK_RESULTS = {Milestone.ROLLBACK_SUCCEEDED: "succeeded", Milestone.ROLLBACK_FAILED: "failed"}
"""The milestones that end a rollback, and the `result` label they count under."""
STAGE_VERDICTS = {
    Milestone.STAGE_PASSED: "pass",
    Milestone.STAGE_NOT_JUDGED: "not_judged",
    Milestone.STAGE_BREACHED: "breach",
}
BREACH_VERDICTS = {"CheckFailed": "check_failed", "InsufficientData": "insufficient_data"}
"""A failed stage's verdict label by its reason (HealthBreach stays `breach`)."""
SAMPLE_BUCKETS = (0.0, 1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 5000.0)
READY_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 21600.0)
WAIT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PHASES = (
    "Pending",
    "Validating",
    "Publishing",
    "Verifying",
    "Exporting",
    "Ready",
    "ValidationFailed",
    "RollingBack",
    "RolledBack",
    "Suspended",
    "Failed",
)
"""The status phases (flowrelease.api.models.Phase); a label value outside them is reported as "Unknown"."""


class ReleasePhases(Collector):
    """The phase each release was last audited in, and since when (this process's view: a restarted
    operator learns each release again from its next audit event; a deleted one is never forgotten)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._phases: dict[str, tuple[str, float]] = {}

    def saw(self, release: str, phase: str) -> None:
        phase = phase if phase in PHASES else "Unknown"
        current = self._phases.get(release)
        if current is None or current[0] != phase:
            self._phases[release] = (phase, self._monotonic())

    def collect(self) -> Iterable[Metric]:
        now = self._monotonic()
        counts = GaugeMetricFamily(
            "flowrelease_releases_by_phase",
            "Releases by the phase this operator last saw them in.",
            labels=["phase"],
        )
        ages = GaugeMetricFamily(
            "flowrelease_release_phase_age_max_seconds",
            "Seconds the release longest in each phase has been in it (0 when none is).",
            labels=["phase"],
        )
        for phase in (*PHASES, "Unknown"):
            since = [entered for seen, entered in self._phases.values() if seen == phase]
            counts.add_metric([phase], float(len(since)))
            ages.add_metric([phase], max((now - entered for entered in since), default=0.0))
        yield counts
        yield ages


class ReleaseMetrics:
    """All flowrelease metrics, registered on one registry the caller can expose."""

    def __init__(
        self, registry: CollectorRegistry | None = None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._monotonic = monotonic
        self._attempt_started: dict[str, float] = {}
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
        self.rollback_routes = Counter(
            "flowrelease_rollback_routes",
            "Rollback routes that ended, by route and result.",
            ["route", "result"],
            registry=self.registry,
        )
        self.validation_service_unavailable = Counter(
            "flowrelease_validation_service_unavailable",
            "Releases validated without the Architect validate job (the service was unavailable).",
            registry=self.registry,
        )
        self.genesys_requests = Counter(
            "flowrelease_genesys_requests",
            "HTTP responses from Genesys Cloud by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.verification_verdicts = Counter(
            "flowrelease_verification_verdicts",
            "Bake stages judged, by verdict: pass, not_judged (passed on too few samples under "
            "onInsufficientData: Pass), or breach, check_failed, insufficient_data (each starts a rollback).",
            ["verdict"],
            registry=self.registry,
        )
        self.verification_extensions = Counter(
            "flowrelease_verification_extensions",
            "Bake windows grown because the stage had too few samples (onInsufficientData: Extend).",
            registry=self.registry,
        )
        self.check_attempts = Counter(
            "flowrelease_verification_check_attempts",
            "Attempts of external verify checks, by check name, kind (http, prometheus) and result.",
            ["check", "kind", "result"],
            registry=self.registry,
        )
        self.verification_samples = Histogram(
            "flowrelease_verification_samples",
            "Entries (nFlow) of the released version a judged stage had in its window.",
            buckets=SAMPLE_BUCKETS,
            registry=self.registry,
        )
        self.time_to_ready = Histogram(
            "flowrelease_time_to_ready_seconds",
            "Seconds from the start of a release attempt (validate) to Ready, bake stages included.",
            buckets=READY_BUCKETS,
            registry=self.registry,
        )
        self.rate_limit_waits = Histogram(
            "flowrelease_genesys_rate_limit_wait_seconds",
            "Seconds a Genesys request waited for a slot of the client-side rate limiter (waits > 0 only).",
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.phases = ReleasePhases(monotonic)
        self.registry.register(self.phases)
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
        self.notification_lossy_fallbacks = Counter(
            "flowrelease_notification_lossy_fallbacks",
            "Times a live notification channel was seen losing events and its in-flight work fell back to "
            "the regular polling schedule as its safety net.",
            registry=self.registry,
        )

    def observe_notifications(self, live: bool, *, unavailable: bool, lossy: bool = False) -> None:
        """A `FlowNotifications` state change (its `on_state`)."""
        if lossy:
            self.notification_lossy_fallbacks.inc()
            return
        self.notifications_live.set(1 if live else 0)
        if unavailable:
            self.notification_fallbacks.inc()

    def observe_step(self, event: AuditEvent) -> None:
        self.step_seconds.labels(event.action, event.outcome).observe(max(event.latency_ms, 0.0) / 1000.0)
        milestone = event.milestone
        if milestone is Milestone.VALIDATION_FAILED:
            self.validation_errors.inc()
        elif milestone is Milestone.VALIDATION_SERVICE_UNAVAILABLE:
            self.validation_service_unavailable.inc()
        elif milestone is Milestone.ROLLBACK_ROUTE_LEFT and event.rollback_route:
            self.rollback_routes.labels(event.rollback_route, event.route_result).inc()
        elif milestone in STAGE_VERDICTS:
            verdict = STAGE_VERDICTS[milestone]
            if milestone is Milestone.STAGE_BREACHED:
                verdict = BREACH_VERDICTS.get(str(event.details.get("reason", "")), "breach")
            self.verification_verdicts.labels(verdict).inc()
            entries = event.details.get("entries")
            if isinstance(entries, int):
                self.verification_samples.observe(entries)
        elif milestone is Milestone.STAGE_EXTENDED:
            self.verification_extensions.inc()
        elif milestone is Milestone.CHECK_ATTEMPTED:
            outcome = "pass" if event.details.get("passed") is True else "fail"
            check, kind = str(event.details.get("check", "")), str(event.details.get("kind", ""))
            self.check_attempts.labels(check, kind, outcome).inc()
        elif milestone is Milestone.ATTEMPT_STARTED:
            self._attempt_started[event.release] = self._monotonic()
        elif milestone is Milestone.READY and event.release in self._attempt_started:
            self.time_to_ready.observe(self._monotonic() - self._attempt_started.pop(event.release))
        result = ROLLBACK_RESULTS.get(milestone) if milestone is not None else None
        if result is not None:
            self.rollbacks.labels(result).inc()
            if event.rollback_route:
                route_result = "succeeded" if result == "succeeded" else event.route_result or "failed"
                self.rollback_routes.labels(event.rollback_route, route_result).inc()
        phase = event.details.get("phase")
        if isinstance(phase, str):
            self.phases.saw(event.release, phase)

    def observe_genesys_response(self, method: str, route: str, status: int) -> None:
        self.genesys_requests.labels(method.upper(), route, str(status)).inc()

    def observe_rate_limit_wait(self, seconds: float) -> None:
        if seconds > 0:
            self.rate_limit_waits.observe(seconds)

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


def rate_limit_sleep(
    metrics: ReleaseMetrics | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
) -> Callable[[float], Awaitable[None]]:
    """A `sleep` for RateLimiterRegistry/RateLimiter that records every wait in
    flowrelease_genesys_rate_limit_wait_seconds, then sleeps with `sleep`."""
    observe = (metrics or default_metrics()).observe_rate_limit_wait

    async def observed_sleep(seconds: float) -> None:
        observe(seconds)
        await sleep(seconds)

    return observed_sleep


class MetricsAuditSink:
    """An AuditSink that turns each event into metrics."""

    def __init__(self, metrics: ReleaseMetrics | None = None) -> None:
        self.metrics = metrics or default_metrics()

    def emit(self, event: AuditEvent) -> None:
        self.metrics.observe_step(event)
