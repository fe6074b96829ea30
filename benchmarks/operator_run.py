"""`flowrelease operator` as a child process for the operator benchmark: as shipped (its default flags, the
runtime dependencies only: scripts/build-operator-venv.sh), from this checkout or from another source tree
(`--operator-source`) to compare two versions in one sitting."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from benchmarks.proc_usage import Usage, usage_of

START_TIMEOUT_S = 90.0


class OperatorRun:
    def __init__(
        self,
        *,
        kubeconfig: Path,
        workdir: Path,
        namespace: str,
        health_port: int,
        python: str,
        source: Path,
        args: Sequence[str] = (),
    ) -> None:
        self.kubeconfig = kubeconfig
        self.workdir = workdir
        self.namespace = namespace
        self.health_port = health_port
        self.args = list(args)
        self.python = python
        self.source = source
        self._proc: subprocess.Popen[bytes] | None = None
        self._starts = 0

    def argv(self) -> list[str]:
        return [
            self.python,
            "-c",
            "from flowrelease.cli import main; main()",
            "operator",
            f"--namespace={self.namespace}",
            "--standalone",
            f"--liveness=http://127.0.0.1:{self.health_port}/healthz",
            "--metrics-port=0",
            f"--git-workdir={self.workdir / 'git'}",
            *self.args,
        ]

    def start(self) -> OperatorRun:
        self._starts += 1
        env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(self.source / "operator"),
        }
        log = self.workdir / f"operator-{self._starts}.log"
        with log.open("wb") as out:
            self._proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL, stderr=out, env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the operator exited {self._proc.returncode}: {log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/healthz", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the operator did not answer its liveness probe in {START_TIMEOUT_S:g} s")

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def usage(self) -> Usage | None:
        return usage_of(self.pid) if self._proc is not None else None

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
