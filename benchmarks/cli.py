"""`python -m benchmarks [--quick] [--scenario single|fleet|operator|startup|image] [--json PATH]`: run,
print, save."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks.machine import describe_machine
from benchmarks.markdown import operator_comparison_markdown, render_markdown
from benchmarks.settings import FULL, QUICK, Settings
from benchmarks.table import render

SCENARIOS = ("single", "fleet", "operator", "startup", "image")
DEFAULT_JSON = Path(__file__).parent / "results" / "latest.json"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure flowrelease against the Genesys Cloud emulator and print a table.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (1 s publish, fleet of 5, 1 rep)")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIOS,
        help="run only this scenario (repeat for several); default: all",
    )
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON})"
    )
    parser.add_argument(
        "--repetitions", type=int, help="override the repetitions of single, startup and image"
    )
    parser.add_argument(
        "--publish-seconds", type=float, action="append", help="single: publish duration (repeatable)"
    )
    parser.add_argument(
        "--fleet-size", type=int, action="append", help="fleet: number of releases (repeatable)"
    )
    parser.add_argument(
        "--operator-size", type=int, action="append", help="operator: number of FlowReleases (repeatable)"
    )
    parser.add_argument(
        "--operator-source",
        type=Path,
        metavar="DIR",
        help="operator: run `flowrelease operator` from this source tree (e.g. an export of main)",
    )
    parser.add_argument("--idle-seconds", type=float, help="operator: length of the idle period")
    parser.add_argument("--show", type=Path, metavar="JSON", help="print a saved run's tables; run nothing")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="JSON",
        help="with --show --markdown: the operator table as before (this file) and after (--show)",
    )
    parser.add_argument("--markdown", action="store_true", help="with --show: print Markdown tables")
    parser.add_argument(
        "--fleet-max-concurrent",
        type=int,
        help="fleet: reconcile passes at once (default 16, the operator's; 0 = unbounded)",
    )
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    settings = QUICK if args.quick else FULL
    changes: dict[str, Any] = {}
    if args.repetitions:
        changes["single_repetitions"] = args.repetitions
        changes["startup_repetitions"] = args.repetitions
        changes["image_repetitions"] = args.repetitions
    if args.publish_seconds:
        changes["publish_seconds"] = tuple(args.publish_seconds)
    if args.fleet_size:
        changes["fleet_sizes"] = tuple(args.fleet_size)
        changes["fleet_seed_flows"] = max(settings.fleet_seed_flows, *args.fleet_size)
    if args.operator_size:
        changes["operator_sizes"] = tuple(args.operator_size)
    if args.operator_source:
        changes["operator_source"] = str(args.operator_source.resolve())
    if args.idle_seconds is not None:
        changes["operator_idle_seconds"] = args.idle_seconds
    if args.fleet_max_concurrent is not None:
        changes["fleet_max_concurrent"] = args.fleet_max_concurrent
    return dataclasses.replace(settings, **changes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # A file or pipe gets wide plain tables instead of rich's 80-column default.
    console = Console(width=None if sys.stdout.isatty() else 150)
    if args.show:
        saved = json.loads(args.show.read_text())
        if args.markdown and args.baseline:
            sys.stdout.write(operator_comparison_markdown(json.loads(args.baseline.read_text()), saved))
        elif args.markdown:
            sys.stdout.write(render_markdown(saved))
        else:
            render(saved, console)
        return 0
    settings = settings_from(args)
    selected = args.scenario or list(SCENARIOS)
    results: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)]),
        "machine": describe_machine(),
        "settings": dataclasses.asdict(settings),
        "scenarios": {},
    }
    started = time.perf_counter()
    for scenario in SCENARIOS:
        if scenario not in selected:
            continue
        console.log(f"running {scenario} …")
        results["scenarios"][scenario] = run_scenario(scenario, settings, console)
        _write(args.json, results)  # keep what finished even if a later scenario dies
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    _write(args.json, results)
    render(results, console)
    console.print(f"results: {args.json}")
    return 0


def run_scenario(name: str, settings: Settings, console: Console) -> dict[str, Any]:
    # Imported here so `--scenario startup` never pays for the engine and emulator imports.
    if name == "single":
        from benchmarks.scenarios.single import run_single

        return asyncio.run(
            run_single(
                publish_seconds=settings.publish_seconds,
                repetitions=settings.single_repetitions,
                log=console.log,
            )
        )
    if name == "fleet":
        from benchmarks.scenarios.fleet import run_fleet

        return run_fleet(settings, log=console.log)
    if name == "operator":
        from benchmarks.scenarios.operator import run_operator_scenario

        return run_operator_scenario(settings, log=console.log)
    if name == "image":
        from benchmarks.scenarios.image import run_image

        return run_image(repetitions=settings.image_repetitions, cold_build=settings.image_cold_build)
    from benchmarks.scenarios.startup import run_startup

    return run_startup(repetitions=settings.startup_repetitions)


def _write(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
