"""Run a child process and read its own resource usage (wall time, CPU, peak RSS) from wait4.

The child is started through `rusage_launcher` (a near-empty Python process) so that its peak RSS is its
own, not the benchmark process's it would otherwise be forked from.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = Path(__file__).with_name("rusage_launcher.py")


@dataclass(frozen=True)
class ProcessSample:
    wall_seconds: float
    cpu_seconds: float
    """User + system CPU of the child alone."""
    max_rss_mib: float
    """Peak resident set size of the child (ru_maxrss, KiB on Linux)."""
    exit_code: int
    output_tail: str = ""
    """The end of stdout+stderr, kept only when the command failed."""


def flowrelease_executable() -> list[str]:
    """The `flowrelease` script next to this interpreter (not a pyenv shim, which costs a bash start)."""
    script = Path(sys.executable).parent / "flowrelease"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from flowrelease.cli import main; sys.exit(main())"]


def measure_process(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout_seconds: float = 120.0,
) -> ProcessSample:
    with tempfile.TemporaryDirectory(prefix="flowrelease-bench-proc-") as tmp:
        usage_file = Path(tmp) / "usage.json"
        output_file = Path(tmp) / "output.txt"
        with output_file.open("wb") as output:
            launcher = subprocess.run(
                [
                    sys.executable,
                    "-S",
                    "-I",
                    str(LAUNCHER),
                    str(usage_file),
                    str(timeout_seconds),
                    "--",
                    *argv,
                ],
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=timeout_seconds + 30.0,
                check=False,
            )
        text = output_file.read_text(errors="replace")
        if launcher.returncode != 0 or not usage_file.exists():
            return ProcessSample(0.0, 0.0, 0.0, launcher.returncode or -1, text[-2000:])
        usage = json.loads(usage_file.read_text())
    exit_code = int(usage["exit_code"])
    if usage["timed_out"]:
        text += f"\n(killed after {timeout_seconds:g} s)"
        exit_code = exit_code or -9
    return ProcessSample(
        wall_seconds=float(usage["wall_seconds"]),
        cpu_seconds=float(usage["cpu_seconds"]),
        max_rss_mib=float(usage["max_rss_kib"]) / 1024.0,
        exit_code=exit_code,
        output_tail=text[-2000:] if exit_code else "",
    )
