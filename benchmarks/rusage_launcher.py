"""Start a command from a tiny process and write its own rusage (wall, CPU, peak RSS) as JSON.

Run as `python -S -I rusage_launcher.py OUT TIMEOUT -- argv...`. On Linux a child's ru_maxrss also counts
the memory of the process it was forked from, so forking the command straight from the (large) benchmark
process would report the benchmark's size; this launcher imports almost nothing, which keeps that floor at a
few MiB, below any Python program. Only the standard library, and no imports from this package.
"""

import json
import os
import signal
import sys
import time


def main() -> int:
    out, timeout, separator, *argv = sys.argv[1:]
    if separator != "--" or not argv:
        sys.stderr.write("usage: rusage_launcher.py OUT TIMEOUT -- command...\n")
        return 2
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: become the command
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    deadline = started + float(timeout)
    timed_out = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() > deadline and not timed_out:
            os.kill(pid, signal.SIGKILL)
            timed_out = True
        time.sleep(0.001)
    wall = time.perf_counter() - started
    with open(out, "w") as handle:
        json.dump(
            {
                "wall_seconds": wall,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "max_rss_kib": usage.ru_maxrss,
                "exit_code": os.waitstatus_to_exitcode(status),
                "timed_out": timed_out,
            },
            handle,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
