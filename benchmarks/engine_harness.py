"""The engine as the shells run it: a ReleaseReconciler on the real GenesysClient over loopback HTTP,
called, then slept `after` seconds (or less, when a v2.flows notification wakes the release), until the
release settles.

Ports the shells would fill with Kubernetes or files are filled with in-memory implementations here (a
StatusStore that keeps the latest status, an AuditSink that counts), which is what the engine's own tests do.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from flowrelease.api.models import FlowRelease, FlowReleaseStatus, Phase
from flowrelease.engine.clock import SystemClock
from flowrelease.engine.outcome import OutcomeKind
from flowrelease.engine.ports import AuditEvent, FlowApiError
from flowrelease.engine.reconciler import ReleaseReconciler
from flowrelease.genesys import GenesysClient, HttpSender, RateLimiterRegistry
from flowrelease.genesys.notifications import FlowNotifications
from flowrelease.genesys.ratelimit import DEFAULT_RATE_PER_MINUTE
from flowrelease.genesys.wakeups import ReleaseWakeups

WaitForRelease = Callable[[str, float], Awaitable[bool]]


class MemoryStatusStore:
    """StatusStore that keeps each release's latest status and when its phase last changed."""

    def __init__(self) -> None:
        self.latest: dict[str, FlowReleaseStatus] = {}
        self.phase_changes: dict[str, list[tuple[float, Phase]]] = {}
        self.saves = 0

    async def save(self, key: str, status: FlowReleaseStatus) -> None:
        self.saves += 1
        previous = self.latest.get(key)
        if previous is None or previous.phase != status.phase:
            self.phase_changes.setdefault(key, []).append((time.time(), status.phase))
        self.latest[key] = status


class CountingAuditSink:
    """AuditSink that counts events by action and outcome."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def emit(self, event: AuditEvent) -> None:
        self.counts[f"{event.action}:{event.outcome}"] += 1


class ResponseCounter:
    """`on_response` for GenesysClient: HTTP responses by status code, seen from the engine's side."""

    def __init__(self) -> None:
        self.by_status: Counter[int] = Counter()
        self.by_route: Counter[str] = Counter()

    def __call__(self, method: str, route: str, status: int) -> None:
        self.by_status[status] += 1
        self.by_route[f"{method} {route}"] += 1

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass
class EngineHarness:
    """One GenesysClient (one org + client, one shared rate limiter) and one reconciler for many releases."""

    http: httpx.AsyncClient | HttpSender
    client: GenesysClient
    reconciler: ReleaseReconciler
    statuses: MemoryStatusStore
    audit: CountingAuditSink
    responses: ResponseCounter
    notifications: FlowNotifications | None = None
    """The client's notification channel, when the engine was built with `notifications=True`."""
    wakeups: ReleaseWakeups | None = None

    @property
    def wait_for_release(self) -> WaitForRelease | None:
        """What `drive_release` waits with: the releases' wake-ups, or None (plain sleep)."""
        return self.wakeups.wait if self.wakeups is not None else None

    async def aclose(self) -> None:
        if self.notifications is not None:
            await self.notifications.aclose()


def build_engine(
    http: httpx.AsyncClient | HttpSender,
    *,
    base_url: str,
    client_id: str,
    client_secret: str,
    rate_per_minute: float = DEFAULT_RATE_PER_MINUTE,
    notifications: bool = False,
) -> EngineHarness:
    """`rate_per_minute` is the org's limit as the operator would configure it (Genesys default 300).
    With `notifications`, the engine watches its flows through one channel, as both shells do by default."""
    responses = ResponseCounter()
    client = GenesysClient(
        http,
        base_url=base_url,
        client_id=client_id,
        client_secret=client_secret,
        limiter=RateLimiterRegistry(rate_per_minute).for_target(base_url, client_id),
        on_response=responses,
    )
    statuses = MemoryStatusStore()
    audit = CountingAuditSink()
    channel = FlowNotifications(client.transport) if notifications else None
    wakeups = ReleaseWakeups() if channel is not None else None
    reconciler = ReleaseReconciler(
        flow_api=client,
        statuses=statuses,
        audit=audit,
        clock=SystemClock(),
        hints=wakeups.hints_for(channel) if wakeups is not None and channel is not None else None,
    )
    return EngineHarness(http, client, reconciler, statuses, audit, responses, channel, wakeups)


@dataclass
class DriveResult:
    """How one release was driven to rest."""

    key: str
    started_at: float
    finished_at: float
    kind: str
    """The last OutcomeKind, or `error` when reconcile raised."""
    phase: str
    passes: int
    message: str = ""
    error: str = ""
    waiting_messages: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.kind == OutcomeKind.READY.value

    @property
    def seconds(self) -> float:
        return self.finished_at - self.started_at


async def drive_release(
    reconciler: ReleaseReconciler,
    release: FlowRelease,
    *,
    timeout_seconds: float = 900.0,
    gate: asyncio.Semaphore | None = None,
    wait_for_release: WaitForRelease | None = None,
    source_yaml: str | None = None,
) -> DriveResult:
    """Call reconcile, sleep `after`, repeat — like `flowrelease sync` — until Ready, Stalled or timeout.

    A reconcile that raises a FlowApiError is retried after a second, as the operator does, and the error is
    kept; it counts as surfaced only if the release never settles. Any other exception ends the release as
    `error`, as `flowrelease sync` does. `gate` bounds how many reconcile passes run at once across
    releases, as the operator's `--max-concurrent` does (a waiting release holds no slot).
    `wait_for_release` (an `EngineHarness.wait_for_release`) replaces the sleep, as `flowrelease sync` does;
    `source_yaml` is a mode-B release's Archy YAML (its ConfigMap key).
    """
    started = time.time()
    status = release.status or FlowReleaseStatus()
    passes = 0
    errors: list[str] = []
    waiting: list[str] = []
    while True:
        passes += 1
        try:
            async with gate or contextlib.nullcontext():
                outcome = await reconciler.reconcile(
                    release, status, generation=release.metadata.generation, source_yaml=source_yaml
                )
        except FlowApiError as error:
            errors.append(f"{type(error).__name__}: {error}")
            if time.time() - started > timeout_seconds:
                return DriveResult(
                    release.key,
                    started,
                    time.time(),
                    "error",
                    status.phase.value,
                    passes,
                    error=errors[-1],
                    waiting_messages=waiting,
                )
            await asyncio.sleep(1.0)
            continue
        except Exception as error:  # a bug, not weather: report it rather than stop the whole benchmark
            return DriveResult(
                release.key,
                started,
                time.time(),
                "error",
                status.phase.value,
                passes,
                error=f"unexpected {type(error).__name__}: {error}",
                waiting_messages=waiting,
            )
        status = outcome.status
        if outcome.kind is not OutcomeKind.WAITING:
            return DriveResult(
                release.key,
                started,
                time.time(),
                outcome.kind.value,
                status.phase.value,
                passes,
                message=outcome.message,
                error="; ".join(errors[-3:]),
                waiting_messages=waiting,
            )
        if outcome.message and (not waiting or waiting[-1] != outcome.message):
            waiting.append(outcome.message)
        if time.time() - started > timeout_seconds:
            return DriveResult(
                release.key,
                started,
                time.time(),
                "timeout",
                status.phase.value,
                passes,
                message=outcome.message,
                waiting_messages=waiting,
            )
        after = outcome.after if outcome.after is not None else 1.0
        if wait_for_release is not None:
            await wait_for_release(release.key, after)
        else:
            await asyncio.sleep(after)
