"""One `flowrelease sync` run: wire the adapters, check before writing, build a job per release, drive them
all, report progress."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from flowrelease.checks import ExternalCheckProbe
from flowrelease.local.emulated import EmulatedOrgs
from flowrelease.local.folder_releases import FolderExports, FolderReleases, StatusChanges
from flowrelease.local.inputs import BadInput, Inputs
from flowrelease.local.outcomes import ReleaseResult
from flowrelease.local.preflight import PreflightRelease, preflight
from flowrelease.local.progress import LiveProgress, PlainProgress, ProgressReporter
from flowrelease.local.runner import ReleaseJob, ReleaseRunner
from flowrelease.local.simulated_time import SimulatedTime
from flowrelease.local.state_store import JsonFileStatusStore, spec_digest
from flowrelease.local.stateless import rebuilt_statuses
from flowrelease.local.wiring import SyncWiring


@dataclass(frozen=True)
class SyncSettings:
    state_path: Path
    audit_log: Path
    git_workdir: Path
    output: str
    concurrency: int
    timeout: float
    requested_at: str = ""
    notifications: bool = True
    """Subscribe to v2.flows notifications so a finished publish wakes its release (else: poll only)."""


def console_for(stream_err: bool) -> Console:
    stream = sys.stderr if stream_err else sys.stdout
    return Console(file=stream, width=None if stream.isatty() else 200, highlight=False)


def reporter_for(settings: SyncSettings, inputs: Inputs) -> ProgressReporter:
    if settings.output == "json":
        return PlainProgress(console_for(stream_err=True), inputs.redactor)
    if sys.stdout.isatty():
        return LiveProgress(console_for(stream_err=False), inputs.redactor)
    return PlainProgress(console_for(stream_err=False), inputs.redactor)


async def run_sync(
    inputs: Inputs,
    store: JsonFileStatusStore,
    settings: SyncSettings,
    *,
    emulators: EmulatedOrgs,
    simulated: SimulatedTime | None = None,
) -> list[ReleaseResult]:
    """Every release driven to a settled state (or the timeout), with progress shown as it goes. With
    `simulated` (the emulator's clock), waits move that clock instead of passing.

    Raises PreflightFailed (nothing written, nothing published) when an export remote refuses, a flow is
    released twice or, for a release with no saved state, its release.json cannot be read; and BadInput
    when the state file or audit log cannot be written."""
    changes = StatusChanges(store)
    async with SyncWiring(
        statuses=changes,
        audit_log=settings.audit_log,
        git_workdir=settings.git_workdir,
        redactor=inputs.redactor,
        notifications=settings.notifications,
        clock=simulated,
    ) as wiring:
        aimed = [(resolved, emulators.aim(resolved.release)) for resolved in inputs.releases]
        flows = await preflight(
            [PreflightRelease(resolved, release) for resolved, release in aimed],
            wiring.clients,
            wiring.artifacts,
        )
        # a fresh runner: rebuild what Genesys and Git still know, before the state file records anything
        forgotten = [
            PreflightRelease(resolved, release) for resolved, release in aimed if not store.has(resolved.key)
        ]
        rebuilt = await rebuilt_statuses(forgotten, flows, wiring.artifacts)
        try:
            wiring.open_audit_log()
            generations = []
            for resolved, _ in aimed:
                digest = spec_digest(resolved.release, resolved.source_yaml)
                generations.append(await store.track_spec(resolved.key, digest))
                if resolved.key in rebuilt:
                    await store.save(resolved.key, rebuilt[resolved.key])
        except OSError as error:
            raise BadInput(
                [f"cannot write the state file or audit log: {error}; nothing was published"]
            ) from error
        folder = FolderReleases({release.key: release for _, release in aimed}, store)
        exports = FolderExports(
            wiring.artifacts, {resolved.key: resolved.git_credentials for resolved, _ in aimed}
        )
        jobs = [
            ReleaseJob(
                release=release,
                reconciler=wiring.reconciler_for(release.spec.genesys.environment, resolved, folder, exports),
                status=store.status(resolved.key),
                generation=generation,
                git_credentials=resolved.git_credentials,
                source_yaml=resolved.source_yaml,
                requested_at=settings.requested_at,
                checks=ExternalCheckProbe(wiring.http, inputs.check_secrets.get(resolved.key)),
            )
            for (resolved, release), generation in zip(aimed, generations, strict=True)
        ]
        reporter = reporter_for(settings, inputs)
        runner = (
            ReleaseRunner(
                reporter,
                timeout=settings.timeout,
                concurrency=settings.concurrency,
                metrics=wiring.metrics,
                monotonic=simulated.monotonic,
                sleep=simulated.sleep,
                on_job_start=simulated.job_started,
                on_job_end=simulated.job_finished,
            )
            if simulated is not None
            else ReleaseRunner(
                reporter,
                timeout=settings.timeout,
                concurrency=settings.concurrency,
                metrics=wiring.metrics,
                wait_for_release=wiring.wakeups.wait if settings.notifications else None,
                changes=changes,
            )
        )
        try:
            return await runner.run_all(jobs)
        finally:
            reporter.close()
