"""The operator image running as deploy/deployment.yaml runs it: start, probe, scrape, SIGTERM."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.pod_run import PodRun, pod_run
from tests.support.podman import podman

NAMESPACE = "flowrelease-system"
CONTAINER_UID = 10001
START_TIMEOUT_S = 120.0


def http_get(url: str, timeout: float = 3.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def emptydir(path: Path, uid: int = CONTAINER_UID) -> Path:
    """A fresh host directory owned by the pod's user, as the kubelet makes an emptyDir for fsGroup."""
    path.mkdir(parents=True)
    os.chown(path, uid, uid)
    path.chmod(0o2770)
    return path


@dataclass
class OperatorContainer:
    deployment: dict[str, Any]
    image: str
    kubeconfig: Path
    workdir: Path
    host_ports: dict[int, int]
    name: str = field(default_factory=lambda: f"flowrelease-test-{secrets.token_hex(4)}")
    started_seconds: float | None = None
    run: PodRun | None = None

    def start(self) -> OperatorContainer:
        volumes = self.deployment["spec"]["template"]["spec"]["volumes"]
        dirs = {v["name"]: emptydir(self.workdir / v["name"]) for v in volumes}
        self.run = pod_run(
            self.deployment,
            image=self.image,
            namespace=NAMESPACE,
            host_ports=self.host_ports,
            emptydirs=dirs,
            kubeconfig=self.kubeconfig,
            name=self.name,
        )
        began = time.monotonic()
        podman("run", "--detach", *self.run.argv)
        path, port = self.run.probes["readiness"]
        deadline = began + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.running:
                raise AssertionError(f"the container exited before it was ready:\n{self.logs()[-4000:]}")
            try:
                if http_get(f"http://127.0.0.1:{port}{path}", timeout=1.0)[0] == 200:
                    self.started_seconds = time.monotonic() - began
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"not ready in {START_TIMEOUT_S}s:\n{self.logs()[-4000:]}")

    @property
    def running(self) -> bool:
        result = podman("inspect", "--format", "{{.State.Running}}", self.name, check=False)
        return result.stdout.strip() == "true"

    def url(self, port_name: str, path: str) -> str:
        assert self.run is not None
        return f"http://127.0.0.1:{self.run.named_ports[port_name]}{path}"

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def terminate(self) -> tuple[int, float]:
        """SIGTERM, as the kubelet sends it; (exit code, seconds until the container exited). Kills it
        after the pod's terminationGracePeriodSeconds, as the kubelet would (exit code 137 then)."""
        assert self.run is not None
        began = time.monotonic()
        podman("kill", "--signal", "TERM", self.name)
        try:
            result = podman("wait", "--interval", "100ms", self.name, timeout=self.run.grace_seconds)
        except subprocess.TimeoutExpired:
            podman("kill", "--signal", "KILL", self.name, check=False)
            return 137, time.monotonic() - began
        return int(result.stdout.strip().splitlines()[-1]), time.monotonic() - began

    def remove(self) -> None:
        podman("rm", "--force", "--time", "0", self.name, check=False)
