"""CPU time and peak RSS of a running process, read from /proc (Linux): for processes a benchmark keeps
running between measurements (the operator, the apiserver), where wait4's rusage comes only at exit."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    """user + system CPU since the process started."""
    peak_rss_mib: float
    """VmHWM: the highest resident set size so far."""
    rss_mib: float
    """VmRSS now."""


def usage_of(pid: int) -> Usage | None:
    """None when the process is gone (or /proc is not there)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    # comm (field 2) may hold spaces: split after its closing parenthesis. utime, stime: fields 14, 15.
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS
    memory = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            memory[key] = int(value.split()[0]) / 1024.0
    return Usage(cpu_seconds=cpu, peak_rss_mib=memory.get("VmHWM", 0.0), rss_mib=memory.get("VmRSS", 0.0))
