"""The engine wired to real adapters for integration tests: the real GenesysClient over loopback HTTP to the
emulator, an in-memory StatusStore that records every save, a list AuditSink and a manual clock.

`timeline` interleaves saves and HTTP responses in the order they happened, so a test can prove that the
intent was persisted before the side effect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from flowrelease.api.models import FlowRelease, FlowReleaseStatus
from flowrelease.engine.checks import CheckProbe
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.engine.ports import ArtifactStore, AuditEvent, FlowClaims
from flowrelease.engine.reconciler import ReleaseReconciler
from flowrelease.genesys import GenesysClient
from tests.support.emulator import EmulatorHandle
from tests.support.paths import OWN_ARCHY

PUBLISH_PATH = "/api/v2/flows/actions/publish"


class ManualClock:
    """The engine's Clock, moved only by the test."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 9, 0, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class SimulatedCrash(BaseException):
    """Stands for kill -9: nothing after it runs, nothing catches it."""


class RecordingStatusStore:
    """An in-memory StatusStore that keeps every save and can 'crash' right after a chosen one."""

    def __init__(self, timeline: list[tuple[str, ...]]) -> None:
        self.saves: list[FlowReleaseStatus] = []
        self.timeline = timeline
        self.crash_after: Callable[[FlowReleaseStatus], bool] | None = None
        self.crash_before: Callable[[FlowReleaseStatus], bool] | None = None

    async def save(self, key: str, status: FlowReleaseStatus) -> None:
        if self.crash_before is not None and self.crash_before(status):
            self.crash_before = None
            raise SimulatedCrash(f"process killed before saving {key}")
        self.saves.append(status)
        op = status.operation
        self.timeline.append(("save", status.phase.value, op.kind if op else "", op.id if op else ""))
        if self.crash_after is not None and self.crash_after(status):
            self.crash_after = None
            raise SimulatedCrash(f"process killed after saving {key}")

    @property
    def durable(self) -> FlowReleaseStatus:
        """What survives a crash: the last status saved."""
        return self.saves[-1]


class ListAuditSink:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def emit(self, event: AuditEvent) -> None:
        self.events.append(event)


@dataclass
class Harness:
    emulator: EmulatorHandle
    http: httpx.AsyncClient
    clock: ManualClock
    statuses: RecordingStatusStore
    audit: ListAuditSink
    timeline: list[tuple[str, ...]]
    sleeps: list[float] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    artifacts: ArtifactStore | None = None
    checks: CheckProbe | None = None
    """The external-check probe handed to every reconcile (the shells build one per pass)."""
    reconciler: ReleaseReconciler = field(init=False)

    def __post_init__(self) -> None:
        self.reconciler = self.new_reconciler()

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)

    def new_client(self, also: Callable[[str, str, int], None] | None = None) -> GenesysClient:
        """`also`: called with every response too (method, route, status), after the timeline records it."""

        def on_response(method: str, route: str, status: int) -> None:
            self.timeline.append(("http", method, route, str(status)))
            if also is not None:
                also(method, route, status)

        return GenesysClient(
            self.http,
            base_url=self.emulator.base_url,
            client_id=self.emulator.client_id,
            client_secret=self.emulator.client_secret,
            on_response=on_response,
            sleep=self._sleep,
        )

    def new_reconciler(
        self,
        artifacts: ArtifactStore | None = None,
        *,
        flow_claims: FlowClaims | None = None,
        on_response: Callable[[str, str, int], None] | None = None,
    ) -> ReleaseReconciler:
        """A fresh engine and client, as after a process restart."""
        return ReleaseReconciler(
            flow_api=self.new_client(on_response),
            statuses=self.statuses,
            audit=self.audit,
            clock=self.clock,
            artifacts=artifacts if artifacts is not None else self.artifacts,
            flow_claims=flow_claims,
        )

    def release(self, *, generation: int = 1, name: str = "support-ivr", **spec: Any) -> FlowRelease:
        body: dict[str, Any] = {
            "genesys": {"environment": self.emulator.base_url},
            "flow": {"type": "inboundcall", "name": "Support IVR"},
            "version": "3.0",
        }
        if "source" in spec:
            body.pop("version")
        body.update(spec)
        return FlowRelease.model_validate(
            {
                "apiVersion": "flowrelease.io/v1alpha1",
                "kind": "FlowRelease",
                "metadata": {"name": name, "namespace": "contact-center", "generation": generation},
                "spec": body,
            }
        )

    async def drive(
        self,
        release: FlowRelease,
        status: FlowReleaseStatus | None = None,
        *,
        source_yaml: str | None = None,
        requested_at: str = "",
        git_credentials: dict[str, str] | None = None,
        max_passes: int = 200,
        sync_emulator_clock: bool = True,
        on_outcome: Callable[[Outcome], None] | None = None,
        until: Callable[[Outcome], bool] | None = None,
        min_wait: float = 0.0,
    ) -> Outcome:
        """Call reconcile like a shell would, moving the clock by each WAITING `after`, until it settles
        (or until `until` says to stop, returning that outcome). The emulator's clock moves with the
        engine's, so publishes and jobs that take seconds (R10) finish without the test sleeping.
        `min_wait`: every wait lasts at least this long, as for a release whose share of a tight rate
        limit lets it read only that often."""
        current = status or FlowReleaseStatus()
        for _ in range(max_passes):
            outcome = await self.reconciler.reconcile(
                release,
                current,
                generation=release.metadata.generation,
                source_yaml=source_yaml,
                requested_at=requested_at,
                git_credentials=git_credentials,
                checks=self.checks,
            )
            self.outcomes.append(outcome)
            current = outcome.status
            if on_outcome is not None:
                on_outcome(outcome)
            if outcome.kind is not OutcomeKind.WAITING or (until is not None and until(outcome)):
                return outcome
            after = max(outcome.after or 0.0, min_wait)
            self.clock.advance(after)
            if sync_emulator_clock:
                self.emulator.control.advance_clock(after)
        raise AssertionError(f"release did not settle in {max_passes} passes: {self.outcomes[-1].message}")

    def publishes(self, version: str | None = None) -> list[dict[str, Any]]:
        """POST publish requests the emulator received (optionally of one version)."""
        log = self.emulator.control.request_log(method="POST", path=PUBLISH_PATH)
        if version is None:
            return log
        return [entry for entry in log if f"version={version}" in str(entry.get("query", ""))]

    def flow_state(self, name: str = "Support IVR") -> dict[str, Any]:
        for flow in self.emulator.control.state()["flows"]:
            if flow["name"] == name:
                found: dict[str, Any] = flow
                return found
        raise AssertionError(f"no flow {name} in the emulator")

    def events(self, action: str) -> list[AuditEvent]:
        return [event for event in self.audit.events if event.action == action]

    def release_events(self) -> list[tuple[str, str]]:
        """(type, reason) of every Kubernetes Event the passes asked for, in order."""
        return [(e.type, e.reason) for outcome in self.outcomes for e in outcome.events]


def fixture_text(name: str) -> str:
    return (OWN_ARCHY / name).read_text(encoding="utf-8")
