"""`flowrelease sync` and `flowrelease plan`: the cluster-less shell over a folder of manifests.

Exit codes: 0 every release Ready (or suspended), 1 any release failed, rolled back, stalled or timed out,
2 bad input (manifests, state file, options). Only this module turns outcomes into exit codes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from flowrelease.api.errors import ManifestError, ManifestProblem
from flowrelease.api.manifests import ManifestSet, ResolvedRelease, load_manifests, resolve_releases
from flowrelease.api.models import KIND
from flowrelease.audit.redaction import SecretRedactor
from flowrelease.local.outcomes import ReleaseResult, exit_code
from flowrelease.local.state_store import DEFAULT_STATE_PATH, JsonFileStatusStore, StateFileError, spec_digest

if TYPE_CHECKING:
    from flowrelease.local.planning import PlannedRelease

EXIT_READY = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEFAULT_TIMEOUT_SECONDS = 3600.0
EMULATOR_STATE_NAME = "emulator-state.json"


class BadInput(Exception):
    """Exit 2: the problems are printed, nothing is reconciled."""

    def __init__(self, problems: Sequence[ManifestProblem | str]) -> None:
        self.problems = [str(problem) for problem in problems]
        super().__init__("\n".join(self.problems))


@dataclass
class Inputs:
    manifests: ManifestSet
    releases: list[ResolvedRelease]
    redactor: SecretRedactor


def _load(paths: Sequence[Path], *, emulator: bool) -> Inputs:
    from flowrelease.local.wiring import secret_values

    try:
        manifests = load_manifests(paths)
    except ManifestError as error:
        raise BadInput(error.problems) from error
    if not manifests.releases:
        shown = " ".join(str(path) for path in paths)
        raise BadInput([f"{shown}: no {KIND} manifests found; give files or folders holding {KIND} YAML"])
    environ: dict[str, str] = dict(os.environ)
    if emulator:
        from flowrelease.local.emulated import with_demo_credentials

        environ = with_demo_credentials(environ)
    try:
        releases = resolve_releases(manifests, environ)
    except ManifestError as error:
        raise BadInput(error.problems) from error
    if not emulator:
        _check_environments(releases)
    redactor = SecretRedactor(secret_values(manifests, releases))
    return Inputs(manifests, releases, redactor)


def _check_environments(releases: Sequence[ResolvedRelease]) -> None:
    from flowrelease.genesys import UnknownEnvironment, resolve_base_url

    problems = []
    for resolved in releases:
        try:
            resolve_base_url(resolved.release.spec.genesys.environment)
        except UnknownEnvironment as error:
            problems.append(
                ManifestProblem(
                    file=resolved.origin.file,
                    document=resolved.origin.document,
                    resource=f"{KIND} {resolved.key}",
                    field="spec.genesys.environment",
                    fix=str(error).removeprefix("spec.genesys.environment "),
                )
            )
    if problems:
        raise BadInput(problems)


def _state_path(state: Path | None, emulator: bool) -> Path:
    if state is not None:
        return state
    if emulator:
        # The in-process emulator starts from the demo org on every run, so its state starts fresh too.
        path = DEFAULT_STATE_PATH.parent / EMULATOR_STATE_NAME
        path.unlink(missing_ok=True)
        return path
    return DEFAULT_STATE_PATH


def _open_store(path: Path, redactor: SecretRedactor) -> JsonFileStatusStore:
    try:
        return JsonFileStatusStore(path, redactor=redactor)
    except StateFileError as error:
        raise BadInput([str(error)]) from error


def _report_bad_input(error: BadInput, output: str) -> None:
    if output == "json":
        click.echo(
            json.dumps(
                {"result": "invalid", "exitCode": EXIT_BAD_INPUT, "problems": error.problems}, indent=2
            )
        )
    for line in error.problems:
        click.echo(f"error: {line}", err=True)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ------------------------------------------------------------------------------------------ sync

paths_argument = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=False)
)
emulator_option = click.option(
    "--emulator",
    is_flag=True,
    help="Start the Genesys Cloud emulator in-process (demo org) and point every release at it, "
    "whatever spec.genesys.environment says.",
)
output_option = click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: progress and a table; json: a machine-readable summary on stdout.",
)
verbose_option = click.option("--verbose", "-v", count=True, help="Log more (-v info, -vv debug) on stderr.")


@click.command("sync")
@paths_argument
@emulator_option
@click.option(
    "--state",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"State file [default: {DEFAULT_STATE_PATH}; with --emulator a fresh "
    f".flowrelease/{EMULATOR_STATE_NAME}]",
)
@click.option(
    "--audit-log",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Audit log, JSON lines, appended [default: audit.jsonl next to the state file]",
)
@output_option
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1000),
    default=8,
    show_default=True,
    help="Releases reconciled at the same time.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1.0),
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds for the whole run; releases still in flight then exit 1 and resume on the next run.",
)
@click.option(
    "--git-workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where export clones live [default: git/ next to the state file]",
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Retry releases stalled on a failedVersion although their spec did not change.",
)
@verbose_option
def sync_command(
    paths: tuple[Path, ...],
    emulator: bool,
    state: Path | None,
    audit_log: Path | None,
    output: str,
    concurrency: int,
    timeout: float,
    git_workdir: Path | None,
    retry_failed: bool,
    verbose: int,
) -> None:
    """Reconcile every FlowRelease under PATHS (files or folders of YAML) until each is settled."""
    from flowrelease.local.wiring import install_redaction

    try:
        inputs = _load(paths, emulator=emulator)
        state_path = _state_path(state, emulator)
        store = _open_store(state_path, inputs.redactor)
    except BadInput as error:
        _report_bad_input(error, output)
        sys.exit(EXIT_BAD_INPUT)
    settings = SyncSettings(
        state_path=state_path,
        audit_log=audit_log or state_path.parent / "audit.jsonl",
        git_workdir=git_workdir or state_path.parent / "git",
        output=output,
        concurrency=concurrency,
        timeout=timeout,
        requested_at=_now_iso() if retry_failed else "",
    )
    log_handler = install_redaction(inputs.redactor, verbose)
    try:
        with _emulator_if(emulator) as base_url:
            results = asyncio.run(_sync(inputs, store, settings, emulator_url=base_url))
    except KeyboardInterrupt:
        click.echo("interrupted; the state file holds every step so far: rerun sync to resume", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        logging.getLogger().removeHandler(log_handler)
    _print_results(results, settings, inputs.redactor, emulator_url=base_url)
    sys.exit(exit_code(results))


@contextmanager
def _emulator_if(wanted: bool) -> Iterator[str]:
    """The base URL of a demo emulator started for this run ("" when not wanted); stopped on exit."""
    if not wanted:
        yield ""
        return
    from flowrelease.local.emulated import start_demo_emulator

    server = start_demo_emulator()
    try:
        yield server.base_url
    finally:
        server.stop()


@dataclass(frozen=True)
class SyncSettings:
    state_path: Path
    audit_log: Path
    git_workdir: Path
    output: str
    concurrency: int
    timeout: float
    requested_at: str = ""


def _console(stream_err: bool) -> Console:
    stream = sys.stderr if stream_err else sys.stdout
    return Console(file=stream, width=None if stream.isatty() else 200, highlight=False)


async def _sync(
    inputs: Inputs, store: JsonFileStatusStore, settings: SyncSettings, *, emulator_url: str
) -> list[ReleaseResult]:
    from flowrelease.local.emulated import aimed_at
    from flowrelease.local.progress import LiveProgress, PlainProgress, ProgressReporter
    from flowrelease.local.runner import ReleaseJob, ReleaseRunner
    from flowrelease.local.wiring import SyncWiring

    reporter: ProgressReporter
    if settings.output == "json":
        reporter = PlainProgress(_console(stream_err=True), inputs.redactor)
    elif sys.stdout.isatty():
        reporter = LiveProgress(_console(stream_err=False), inputs.redactor)
    else:
        reporter = PlainProgress(_console(stream_err=False), inputs.redactor)
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


def _print_results(
    results: Sequence[ReleaseResult], settings: SyncSettings, redactor: SecretRedactor, *, emulator_url: str
) -> None:
    from flowrelease.local.progress import results_table

    if settings.output == "json":
        summary = {
            "result": "ready" if exit_code(list(results)) == EXIT_READY else "failed",
            "exitCode": exit_code(list(results)),
            "releases": [result.to_json() for result in results],
            "stateFile": str(settings.state_path),
            "auditLog": str(settings.audit_log),
            "emulator": emulator_url or None,
        }
        click.echo(redactor.redact(json.dumps(summary, indent=2)))
        return
    console = _console(stream_err=False)
    console.print(results_table(results, redactor))
    ready = sum(1 for result in results if result.ok)
    console.print(
        f"{ready}/{len(results)} releases ready. "
        f"State: {settings.state_path}  Audit log: {settings.audit_log}",
        markup=False,
    )


# ------------------------------------------------------------------------------------------ plan


@click.command("plan")
@paths_argument
@emulator_option
@click.option(
    "--state",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"State file to read (never written) [default: {DEFAULT_STATE_PATH}]",
)
@output_option
@verbose_option
def plan_command(
    paths: tuple[Path, ...], emulator: bool, state: Path | None, output: str, verbose: int
) -> None:
    """Show what sync would do for every FlowRelease under PATHS, changing nothing."""
    from flowrelease.local.wiring import install_redaction

    try:
        inputs = _load(paths, emulator=emulator)
        state_path = state or DEFAULT_STATE_PATH
        if emulator and state is None:
            state_path = DEFAULT_STATE_PATH.parent / "nonexistent-emulator-state.json"
        store = _open_store(state_path, inputs.redactor)
    except BadInput as error:
        _report_bad_input(error, output)
        sys.exit(EXIT_BAD_INPUT)
    log_handler = install_redaction(inputs.redactor, verbose)
    try:
        with _emulator_if(emulator) as base_url:
            planned = asyncio.run(_plan(inputs, store, emulator_url=base_url))
    finally:
        logging.getLogger().removeHandler(log_handler)
    if output == "json":
        click.echo(inputs.redactor.redact(json.dumps({"releases": [p.to_json() for p in planned]}, indent=2)))
    else:
        for item in planned:
            click.echo(inputs.redactor.redact(f"{item.release} ({item.flow}): {item.description}"))
    sys.exit(EXIT_FAILED if any(item.action == "error" for item in planned) else EXIT_READY)


async def _plan(inputs: Inputs, store: JsonFileStatusStore, *, emulator_url: str) -> list[PlannedRelease]:
    import httpx

    from flowrelease.engine.ports import FlowApiError
    from flowrelease.genesys import GenesysClient, RateLimiterRegistry, resolve_base_url
    from flowrelease.local.emulated import aimed_at
    from flowrelease.local.planning import PlannedRelease, plan_release

    limiters = RateLimiterRegistry()
    now = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as http:
        clients: dict[tuple[str, str], GenesysClient] = {}

        async def one(resolved: ResolvedRelease) -> PlannedRelease:
            release = aimed_at(resolved.release, emulator_url) if emulator_url else resolved.release
            environment = release.spec.genesys.environment
            credentials = resolved.credentials
            key = (environment, credentials.client_id)
            if key not in clients:
                clients[key] = GenesysClient(
                    http,
                    base_url=resolve_base_url(environment),
                    client_id=credentials.client_id,
                    client_secret=credentials.client_secret,
                    limiter=limiters.for_target(environment, credentials.client_id),
                )
            digest = spec_digest(resolved.release, resolved.source_yaml)
            generation = store.generation(resolved.key)
            if store.has(resolved.key) and store.digest(resolved.key) != digest:
                generation += 1
            try:
                return await plan_release(
                    clients[key],
                    release,
                    store.status(resolved.key),
                    generation=generation,
                    source_yaml=resolved.source_yaml,
                    now=now,
                )
            except FlowApiError as error:
                flow = resolved.release.spec.flow
                return PlannedRelease(
                    resolved.key, flow.name or flow.id, "", "error", f"cannot observe: {error}"
                )

        return list(await asyncio.gather(*(one(resolved) for resolved in inputs.releases)))
