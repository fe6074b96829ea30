"""The operator's composition root: everything built once at start-up and shared by every release.

`open_runtime` is called from kopf's startup handler and stored in `memo`; `Runtime.close` from the cleanup
handler. Nothing here is a module global: two operators in one process (tests) do not share state.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

import aiohttp
import httpx
import kopf
from prometheus_client import start_http_server

from flowrelease.audit import (
    FanoutAuditSink,
    JsonLinesAuditSink,
    MetricsAuditSink,
    ReleaseMetrics,
    SecretRedactor,
)
from flowrelease.audit.metrics import rate_limit_sleep
from flowrelease.audit.redaction import RedactingLogFilter
from flowrelease.engine.clock import SystemClock
from flowrelease.engine.ports import AuditSink, Clock
from flowrelease.engine.reconciler import DEFAULT_DRIFT_INTERVAL, ReleaseReconciler
from flowrelease.genesys import AiohttpSender, GenesysClient, RateLimiterRegistry, open_aiohttp_session
from flowrelease.genesys.notifications import FlowNotifications, NotificationState
from flowrelease.genesys.wakeups import ReleaseWakeups
from flowrelease.gitops import GitArtifactStore
from flowrelease.k8s.config import OperatorConfig
from flowrelease.k8s.engine_cache import EngineCache
from flowrelease.k8s.flow_claims import ClaimIndex, IndexedFlowClaims
from flowrelease.k8s.kube_api import KubeApi
from flowrelease.k8s.log_levels import RequeueLogFilter
from flowrelease.k8s.promotion_wakeups import KubeReleaseDirectory, KubeUpstreamExports
from flowrelease.k8s.request_budget import RequestBudget
from flowrelease.k8s.slots import PrioritySlots
from flowrelease.k8s.status_first import StatusFirstArtifactStore, StatusFirstFlowApi
from flowrelease.k8s.status_store import KubeStatusStore

logger = logging.getLogger(__name__)

CHECKS_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class KeyedLocks:
    """One asyncio.Lock per release key: a kopf handler and a drift check never run one release at once."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def forget(self, key: str) -> None:
        lock = self._locks.get(key)
        if lock is not None and not lock.locked():
            del self._locks[key]


@dataclass
class Runtime:
    config: OperatorConfig
    api: KubeApi
    http: httpx.AsyncClient
    """The external checks' client (bake-stage probes)."""
    genesys_http: aiohttp.ClientSession
    """Every Genesys request's (through `AiohttpSender`)."""
    engines: EngineCache
    statuses: KubeStatusStore
    audit: AuditSink
    metrics: ReleaseMetrics
    redactor: SecretRedactor
    clock: Clock
    slots: PrioritySlots
    """--max-concurrent, work in flight first."""
    budget: RequestBudget = field(default_factory=RequestBudget)
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    claims_index: ClaimIndex | None = None
    """kopf's index of which FlowReleases claim which flow (set when kopf hands it to a handler)."""
    wakeups: ReleaseWakeups = field(default_factory=ReleaseWakeups)
    """Flow events for a release; the scheduler's `wake` is its `forward` (handlers.startup)."""
    notifications: list[FlowNotifications] = field(default_factory=list)
    _log_filters: list[tuple[logging.Handler, logging.Filter]] = field(default_factory=list)
    _metrics_server: tuple[WSGIServer, threading.Thread] | None = None

    async def close(self) -> None:
        if self._metrics_server is not None:
            server, thread = self._metrics_server
            await asyncio.to_thread(server.shutdown)
            server.server_close()
            thread.join(timeout=5)
            self._metrics_server = None
        for notifications in self.notifications:
            await notifications.aclose()
        await self.http.aclose()
        await self.genesys_http.close()
        await self.api.close()
        for handler, log_filter in self._log_filters:
            handler.removeFilter(log_filter)
        self._log_filters.clear()


def _install_log_filters(redactor: SecretRedactor) -> Iterator[tuple[logging.Handler, logging.Filter]]:
    """Redact secrets from, and calm the level of, every record the root handlers print."""
    redacting = RedactingLogFilter(redactor)
    requeue = RequeueLogFilter()
    for handler in logging.getLogger().handlers:
        for log_filter in (requeue, redacting):
            handler.addFilter(log_filter)
            yield handler, log_filter


async def open_runtime(config: OperatorConfig, settings: kopf.OperatorSettings) -> Runtime:
    redactor = SecretRedactor()
    metrics = ReleaseMetrics()
    audit = FanoutAuditSink(JsonLinesAuditSink(sys.stdout, redactor=redactor), MetricsAuditSink(metrics))
    http = httpx.AsyncClient(timeout=CHECKS_TIMEOUT, follow_redirects=False)
    genesys_http = open_aiohttp_session()
    config.git_workdir.mkdir(parents=True, exist_ok=True)
    api = await KubeApi.connect(reporting_instance=settings.posting.reporting_instance)
    statuses = KubeStatusStore(api, redact=redactor.redact)
    artifacts = StatusFirstArtifactStore(GitArtifactStore(config.git_workdir), statuses)
    clock = SystemClock()
    wakeups = ReleaseWakeups()
    channels: list[FlowNotifications] = []
    upstreams = KubeReleaseDirectory(api)
    upstream_exports = KubeUpstreamExports(api, GitArtifactStore(config.git_workdir))

    runtime: Runtime | None = None
    # With --peering kopf runs the passes and a delayed kopf handler cannot be woken early: the pass waits for
    # its flow's event inside the handler instead, for up to the handler's inline budget (release_pass).
    notified = config.notifications

    def claims() -> ClaimIndex | None:
        return runtime.claims_index if runtime is not None else None

    def on_state(state: NotificationState) -> None:
        metrics.observe_notifications(state.live, unavailable=state.unavailable, lossy=state.lossy)

    def build_engine(client: GenesysClient, org: str) -> ReleaseReconciler:
        hints = None
        if notified:
            channel = FlowNotifications(client.transport, on_state=on_state)
            channels.append(channel)
            hints = wakeups.hints_for(channel)
        return ReleaseReconciler(
            flow_api=StatusFirstFlowApi(client, statuses),
            statuses=statuses,
            audit=audit,
            clock=clock,
            artifacts=artifacts,
            drift_interval=config.drift_seconds or DEFAULT_DRIFT_INTERVAL,
            hints=hints,
            flow_claims=IndexedFlowClaims(claims, org),
            releases=upstreams,
            upstream_exports=upstream_exports,
        )

    runtime = Runtime(
        config=config,
        api=api,
        http=http,
        genesys_http=genesys_http,
        engines=EngineCache(
            AiohttpSender(genesys_http),
            RateLimiterRegistry(config.genesys_rate_limit, sleep=rate_limit_sleep(metrics)),
            build_engine,
            on_response=metrics.observe_genesys_response,
        ),
        statuses=statuses,
        audit=audit,
        metrics=metrics,
        redactor=redactor,
        clock=clock,
        slots=PrioritySlots(config.max_concurrent),
        wakeups=wakeups,
        notifications=channels,
    )
    runtime._log_filters.extend(_install_log_filters(redactor))
    if config.metrics_port:
        try:
            runtime._metrics_server = start_http_server(
                config.metrics_port, addr=config.metrics_host, registry=metrics.registry
            )
        except OSError as error:
            await runtime.close()
            raise kopf.PermanentError(
                f"--metrics-port {config.metrics_port}: cannot listen ({error}); "
                "pick a free port or 0 to disable"
            ) from error
        logger.info("metrics on http://%s:%d/metrics", config.metrics_host, config.metrics_port)
    return runtime
