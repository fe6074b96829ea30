"""`flowrelease sync` and `flowrelease plan`: the cluster-less shell over a folder of manifests.

Exit codes of sync: 0 every release Ready (or suspended), 1 any release failed, rolled back, stalled or timed
out, 2 bad input (manifests, state file, options) or a failed preflight (an export remote refusing, a flow
released twice): nothing was written or published. Of plan: 0 nothing to do, 3 changes pending, 1 blocked
(or cannot observe), 2 the same bad input (`outcomes.plan_exit_code`). Only this module exits.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from flowrelease import event_loop
from flowrelease.audit.redaction import SecretRedactor
from flowrelease.local.emulated import EmulatedOrgs, emulated_orgs
from flowrelease.local.inputs import (
    EMULATOR_STATE_NAME,
    BadInput,
    Inputs,
    check_writable,
    load_inputs,
    open_store,
    sync_state_path,
)
from flowrelease.local.outcomes import (
    ReleaseResult,
    exit_code,
    overall_result,
    plan_exit_code,
    summary_counts,
)
from flowrelease.local.planning import plan_all
from flowrelease.local.preflight import PreflightFailed
from flowrelease.local.progress import results_table
from flowrelease.local.simulated_time import SimulatedTime
from flowrelease.local.state_store import DEFAULT_STATE_PATH
from flowrelease.local.sync_run import SyncSettings, console_for, run_sync
from flowrelease.local.wiring import install_redaction

EXIT_READY = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEFAULT_TIMEOUT_SECONDS = 3600.0


PREFLIGHT_BLOCKED = "blocked before any release started: nothing was published, imported or committed"


def _preflight_input(error: PreflightFailed) -> BadInput:
    return BadInput([*error.problems, PREFLIGHT_BLOCKED])


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
@click.option(
    "--notifications/--no-notifications",
    default=True,
    show_default=True,
    help="Learn that a publish finished from Genesys's v2.flows notifications (a WebSocket), polling only "
    "as a safety net; --no-notifications polls only.",
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
    notifications: bool,
    verbose: int,
) -> None:
    """Reconcile every FlowRelease under PATHS (files or folders of YAML) until each is settled."""
    redactor = SecretRedactor()
    log_handler = install_redaction(redactor, verbose)  # first: loading logs what it ignores (-vv)
    try:
        try:
            inputs = load_inputs(paths, emulator=emulator, redactor=redactor)
            state_path = sync_state_path(state, emulator)
            settings = SyncSettings(
                state_path=state_path,
                audit_log=audit_log or state_path.parent / "audit.jsonl",
                git_workdir=git_workdir or state_path.parent / "git",
                output=output,
                concurrency=concurrency,
                timeout=timeout,
                requested_at=_now_iso() if retry_failed else "",
                notifications=notifications,
            )
            check_writable(state=state_path, audit_log=settings.audit_log, git_workdir=settings.git_workdir)
            store = open_store(state_path, inputs.redactor)
        except BadInput as error:
            _report_bad_input(error, output)
            sys.exit(EXIT_BAD_INPUT)
        try:
            with emulated_orgs(emulator, _environments(inputs)) as emulators:
                # Waits move the emulators' clocks, every org's together (SimulatedTime).
                clock = emulators.clock()
                simulated = SimulatedTime(clock) if clock is not None else None
                results = event_loop.run(
                    run_sync(inputs, store, settings, emulators=emulators, simulated=simulated)
                )
        except KeyboardInterrupt:
            click.echo("interrupted; the state file holds every step so far: rerun sync to resume", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except PreflightFailed as error:
            _report_bad_input(_preflight_input(error), output)
            sys.exit(EXIT_BAD_INPUT)
        except BadInput as error:
            _report_bad_input(error, output)
            sys.exit(EXIT_BAD_INPUT)
    finally:
        logging.getLogger().removeHandler(log_handler)
    _print_results(results, settings, inputs.redactor, emulators=emulators)
    sys.exit(exit_code(results))


def _environments(inputs: Inputs) -> list[str]:
    return [resolved.release.spec.genesys.environment for resolved in inputs.releases]


def _print_results(
    results: Sequence[ReleaseResult],
    settings: SyncSettings,
    redactor: SecretRedactor,
    *,
    emulators: EmulatedOrgs,
) -> None:
    counts = summary_counts(list(results))
    if settings.output == "json":
        summary = {
            "result": overall_result(list(results)),
            "exitCode": exit_code(list(results)),
            **counts,
            "releases": [result.to_json() for result in results],
            "stateFile": str(settings.state_path),
            "auditLog": str(settings.audit_log),
            "emulator": emulators.shown(),
        }
        click.echo(redactor.redact(json.dumps(summary, indent=2)))
        return
    console = console_for(stream_err=False)
    console.print(results_table(results, redactor))
    suspended = f", {counts['suspended']} suspended (spec.suspend: true)" if counts["suspended"] else ""
    console.print(
        f"{counts['ready']}/{len(results)} releases ready{suspended}. "
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
    """Show what sync would do for every FlowRelease under PATHS, changing nothing.

    Exit 0 nothing to do, 3 changes pending, 1 a release is blocked, 2 bad input."""
    redactor = SecretRedactor()
    log_handler = install_redaction(redactor, verbose)
    try:
        try:
            inputs = load_inputs(paths, emulator=emulator, redactor=redactor)
            state_path = state or DEFAULT_STATE_PATH
            if emulator and state is None:
                state_path = DEFAULT_STATE_PATH.parent / "nonexistent-emulator-state.json"
            store = open_store(state_path, inputs.redactor)
        except BadInput as error:
            _report_bad_input(error, output)
            sys.exit(EXIT_BAD_INPUT)
        try:
            with emulated_orgs(emulator, _environments(inputs)) as emulators:
                planned = event_loop.run(plan_all(inputs, store, emulators=emulators))
        except PreflightFailed as error:
            _report_bad_input(_preflight_input(error), output)
            sys.exit(EXIT_BAD_INPUT)
    finally:
        logging.getLogger().removeHandler(log_handler)
    code = plan_exit_code([item.action for item in planned])
    if output == "json":
        summary = {"exitCode": code, "releases": [item.to_json() for item in planned]}
        click.echo(inputs.redactor.redact(json.dumps(summary, indent=2)))
    else:
        for item in planned:
            click.echo(inputs.redactor.redact(f"{item.release} ({item.flow}): {item.description}"))
    sys.exit(code)
