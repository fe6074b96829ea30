"""One `flowrelease sync` run: wire the adapters, build a job per release, drive them all, report progress."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from flowrelease.local.emulated import aimed_at
from flowrelease.local.inputs import Inputs
from flowrelease.local.outcomes import ReleaseResult
from flowrelease.local.progress import LiveProgress, PlainProgress, ProgressReporter
from flowrelease.local.runner import ReleaseJob, ReleaseRunner
from flowrelease.local.state_store import JsonFileStatusStore, spec_digest
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


def console_for(stream_err: bool) -> Console:
    stream = sys.stderr if stream_err else sys.stdout
    return Console(file=stream, width=None if stream.isatty() else 200, highlight=False)


async def run_sync(
    inputs: Inputs, store: JsonFileStatusStore, settings: SyncSettings, *, emulator_url: str
) -> list[ReleaseResult]:
    """Every release driven to a settled state (or the timeout), with progress shown as it goes."""
    reporter: ProgressReporter
    if settings.output == "json":
        reporter = PlainProgress(console_for(stream_err=True), inputs.redactor)
    elif sys.stdout.isatty():
        reporter = LiveProgress(console_for(stream_err=False), inputs.redactor)
    else:
        reporter = PlainProgress(console_for(stream_err=False), inputs.redactor)
    async with SyncWiring(
        statuses=store,
        audit_log=settings.audit_log,
        git_workdir=settings.git_workdir,
        redactor=inputs.redactor,
    ) as wiring:
        jobs = []
        for resolved in inputs.releases:
            generation = await store.track_spec(
                resolved.key, spec_digest(resolved.release, resolved.source_yaml)
            )
            release = aimed_at(resolved.release, emulator_url) if emulator_url else resolved.release
            jobs.append(
                ReleaseJob(
                    release=release,
                    reconciler=wiring.reconciler_for(release.spec.genesys.environment, resolved),
                    status=store.status(resolved.key),
                    generation=generation,
                    git_credentials=resolved.git_credentials,
                    source_yaml=resolved.source_yaml,
                    requested_at=settings.requested_at,
                )
            )
        runner = ReleaseRunner(
            reporter, timeout=settings.timeout, concurrency=settings.concurrency, metrics=wiring.metrics
        )
        try:
            return await runner.run_all(jobs)
        finally:
            reporter.close()
