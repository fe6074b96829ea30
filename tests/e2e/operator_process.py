"""`flowrelease operator` as a real subprocess against the test control plane, like a Deployment runs it.

A subprocess (not an in-process KopfRunner) so a test can SIGKILL it mid-publish and start a new one, and so
what is asserted about logs is exactly what the process printed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


@dataclass
class OperatorProcess:
    """One operator process; `start()` waits for its liveness endpoint, `logs()` returns all it printed."""

    kubeconfig: Path
    workdir: Path
    namespaces: Sequence[str] = ()
    extra_args: Sequence[str] = ()
    drift_interval: float | None = 0.0
    """None: leave --drift-interval out (the operator's default)."""
    standalone: bool = True
    health_port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    _proc: subprocess.Popen[bytes] | None = None
    _generation: int = 0

    @property
    def stdout_path(self) -> Path:
        return self.workdir / f"operator-{self._generation}.stdout"

    @property
    def stderr_path(self) -> Path:
        return self.workdir / f"operator-{self._generation}.stderr"

    def argv(self) -> list[str]:
        argv = [
            sys.executable,
            "-c",
            "from flowrelease.cli import main; main()",
            "operator",
            *(["--standalone"] if self.standalone else []),
            f"--liveness=http://127.0.0.1:{self.health_port}/healthz",
            f"--metrics-port={self.metrics_port}",
            f"--git-workdir={self.workdir / 'git'}",
        ]
        if self.drift_interval is not None:
            argv.append(f"--drift-interval={self.drift_interval}")
        for namespace in self.namespaces:
            argv.append(f"--namespace={namespace}")
        argv.extend(self.extra_args)
        return argv

    def start(self) -> OperatorProcess:
        self._generation += 1
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), "PYTHONUNBUFFERED": "1"}
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self._proc = subprocess.Popen(self.argv(), stdout=out, stderr=err, env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise AssertionError(
                    f"the operator exited with {self._proc.returncode}:\n{self.logs()[-4000:]}"
                )
            try:
                status, _ = _get(f"http://127.0.0.1:{self.health_port}/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(
            f"the operator did not become live in {START_TIMEOUT_S}s:\n{self.logs()[-4000:]}"
        )

    def kill(self) -> None:
        """SIGKILL: no cleanup handlers, no final patches — a crashed pod."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGKILL)
        self._proc.wait(timeout=10)

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def logs(self) -> str:
        """stdout (audit JSON lines) and stderr (logs) of every process started so far."""
        parts = []
        for generation in range(1, self._generation + 1):
            for suffix in ("stdout", "stderr"):
                path = self.workdir / f"operator-{generation}.{suffix}"
                if path.exists():
                    parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    def metrics(self) -> str:
        status, body = _get(f"http://127.0.0.1:{self.metrics_port}/metrics")
        assert status == 200, body
        return body

    def health(self) -> tuple[int, str]:
        return _get(f"http://127.0.0.1:{self.health_port}/healthz")
