"""The machine a benchmark ran on, stated in every table and JSON file so numbers are never quoted bare."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime


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
        "executable": sys.executable,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def machine_line(machine: dict[str, object]) -> str:
    return (
        f"{machine['cores']} cores, Python {machine['python']} ({machine['python_implementation']}), "
        f"{machine['platform']}, load {machine['load_average_1m']:.2f} at start"
        if isinstance(machine.get("load_average_1m"), float)
        else f"{machine['cores']} cores, Python {machine['python']}, {machine['platform']}"
    )
