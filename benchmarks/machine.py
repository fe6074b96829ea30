"""The machine a benchmark ran on, stated in every table and JSON file so numbers are never quoted bare."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def describe_machine() -> dict[str, object]:
    """Cores, Python, platform and the time of the run."""
    return {
        "cores": os.cpu_count() or 0,
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "load_average_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "virtualenv": sys.prefix != sys.base_prefix,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": source_revision(),
    }


def source_revision() -> str:
    """The git commit measured, with `+changes` when the working tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "operator"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+changes" if dirty else commit


def machine_line(machine: dict[str, object]) -> str:
    return (
        f"{machine['cores']} cores, Python {machine['python']} ({machine['python_implementation']}), "
        f"{machine['platform']}, load {machine['load_average_1m']:.2f} at start, "
        f"source {machine.get('revision', 'unknown')}"
        if isinstance(machine.get("load_average_1m"), float)
        else f"{machine['cores']} cores, Python {machine['python']}, {machine['platform']}"
    )
