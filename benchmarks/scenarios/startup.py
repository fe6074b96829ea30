"""Startup: process wall time and peak RSS of `flowrelease --help` and `flowrelease sync <one manifest>`
against `python -c pass` from the same interpreter, medians over repetitions, measured from the child's own
rusage (wait4)."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from benchmarks.figures import median, ratio
from benchmarks.manifests import write_sync_manifest
from benchmarks.processes import ProcessSample, flowrelease_executable, measure_process


def run_startup(*, repetitions: int) -> dict[str, object]:
    flowrelease = flowrelease_executable()
    with tempfile.TemporaryDirectory(prefix="flowrelease-bench-startup-") as tmp:
        workdir = Path(tmp)
        manifest_dir = write_sync_manifest(workdir / "manifests")
        env = {**os.environ, "NO_COLOR": "1"}
        commands: list[tuple[str, list[str]]] = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("flowrelease --help", [*flowrelease, "--help"]),
            (
                "flowrelease sync <1 manifest> --emulator",
                [*flowrelease, "sync", str(manifest_dir), "--emulator"],
            ),
        ]
        samples: dict[str, list[ProcessSample]] = {name: [] for name, _ in commands}
        # Interleave the commands so a noisy moment on a shared machine hurts all of them alike.
        for repetition in range(repetitions):
            for number, (name, argv) in enumerate(commands):
                run_dir = workdir / f"run-{repetition}-{number}"
                run_dir.mkdir()
                samples[name].append(measure_process(argv, cwd=run_dir, env=env))
    baseline = _summary(samples["python -c pass"])
    rows = []
    for name, argv in commands:
        summary = _summary(samples[name])
        rows.append(
            {
                "command": name,
                "argv": [Path(argv[0]).name, *argv[1:]],
                **summary,
                "wall_ratio": ratio(summary["wall_seconds_median"], baseline["wall_seconds_median"]),
                "rss_ratio": ratio(summary["max_rss_mib_median"], baseline["max_rss_mib_median"]),
                "samples": [asdict(sample) for sample in samples[name]],
            }
        )
    return {"repetitions": repetitions, "baseline": "python -c pass", "commands": rows}


def _summary(samples: list[ProcessSample]) -> dict[str, float | int | None]:
    ok = [sample for sample in samples if sample.exit_code == 0]
    return {
        "wall_seconds_median": median([sample.wall_seconds for sample in ok]),
        "cpu_seconds_median": median([sample.cpu_seconds for sample in ok]),
        "max_rss_mib_median": median([sample.max_rss_mib for sample in ok]),
        "failures": len(samples) - len(ok),
    }
