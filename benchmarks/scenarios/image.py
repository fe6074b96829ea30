"""Image: the operator image built from the Dockerfile (podman, on the debootstrapped base), its size, and
its start-up run exactly as deploy/deployment.yaml runs it (read-only, uid 10001, the ServiceAccount's
kubeconfig) against a real kube-apiserver: seconds from `podman run` to the readiness probe answering 200,
and from SIGTERM to exit. The baseline is the same operator started as a host process from this venv
against the same apiserver, interleaved with the container runs.

It uses the test suite's helpers (tests/support: the control plane, podman, the Deployment translation), so
it needs the test extras, root, podman, runc and debootstrap, and the cached control plane; without them it
reports why it was skipped instead of failing the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.figures import median, ratio

START_TIMEOUT_S = 120.0


def _ready(url: str, deadline: float, alive: Any) -> float | None:
    while time.monotonic() < deadline:
        if not alive():
            return None
        try:
            with urllib.request.urlopen(url, timeout=1.0) as response:
                if response.status == 200:
                    return time.monotonic()
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.05)
    return None


def _host_start(
    kubeconfig: Path, workdir: Path, health: int, metrics: int
) -> tuple[float | None, float | None]:
    """The operator as a host process: (seconds to readiness, seconds from SIGTERM to exit)."""
    argv = [
        sys.executable, "-c", "from flowrelease.cli import main; main()", "operator", "--all-namespaces",
        "--standalone", f"--liveness=http://127.0.0.1:{health}/healthz", f"--metrics-port={metrics}",
        f"--git-workdir={workdir}",
    ]  # fmt: skip
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "PYTHONUNBUFFERED": "1"}
    began = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready = _ready(
            f"http://127.0.0.1:{health}/healthz", began + START_TIMEOUT_S, lambda: proc.poll() is None
        )
        stopping = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        return (None if ready is None else ready - began), time.monotonic() - stopping
    finally:
        if proc.poll() is None:
            proc.kill()


def run_image(*, repetitions: int, cold_build: bool) -> dict[str, Any]:
    try:
        from tests.deploy.rendered import NAMESPACE, only, render
        from tests.e2e.operator_process import free_port
        from tests.image.container import OperatorContainer
        from tests.support.kube import find_kube_bins
        from tests.support.podman import base_image, build_operator_image, missing_tools, podman
        from tests.support.private_kube import private_cluster, service_account_kubeconfig
    except ImportError as error:
        return {"skipped": f"needs the test extras (pip install -e '.[test]'): {error}"}
    reason = missing_tools()
    bin_dir, why = find_kube_bins()
    if reason or bin_dir is None:
        return {"skipped": reason or why}

    began = time.monotonic()
    base = base_image()
    base_seconds = time.monotonic() - began
    builds = [("layers cached", build_operator_image(base, layer_cache=True))]
    if cold_build:
        builds.append(("no layer cache", build_operator_image(base, layer_cache=False)))
    image = builds[-1][1]
    (base_info,) = json.loads(podman("image", "inspect", base).stdout)
    deployment = only(render(bin_dir / "kubectl"), "Deployment")

    container_start: list[float] = []
    container_stop: list[float] = []
    host_start: list[float] = []
    host_stop: list[float] = []
    failures = 0
    with tempfile.TemporaryDirectory(prefix="flowrelease-bench-image-") as tmp:
        work = Path(tmp)
        with private_cluster(work / "kube") as cluster:
            cluster.kubectl("apply", "--server-side", "-k", str(Path(__file__).parents[2] / "deploy"))
            kubeconfig = service_account_kubeconfig(cluster, NAMESPACE, "flowrelease", work / "sa-kubeconfig")
            ports = [
                int(p["containerPort"])
                for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
            ]
            for repetition in range(repetitions):
                run_dir = work / f"run-{repetition}"
                running = OperatorContainer(
                    deployment, image.tag, kubeconfig, run_dir, {p: free_port() for p in ports}
                )
                try:
                    running.start()
                    assert running.started_seconds is not None
                    code, stop_seconds = running.terminate()
                    if code != 0:
                        failures += 1
                    container_start.append(running.started_seconds)
                    container_stop.append(stop_seconds)
                except AssertionError:
                    failures += 1
                finally:
                    running.remove()
                start, stop = _host_start(kubeconfig, run_dir / "host-git", free_port(), free_port())
                if start is None or stop is None:
                    failures += 1
                else:
                    host_start.append(start)
                    host_stop.append(stop)
    start_median, host_median = median(container_start), median(host_start)
    return {
        "repetitions": repetitions,
        "image": image.tag,
        "image_mib": round(image.size_bytes / 2**20, 1),
        "base_mib": round(int(base_info["Size"]) / 2**20, 1),
        "layers": len(image.inspect()["RootFS"]["Layers"]),
        "base_seconds": round(base_seconds, 1),
        "builds": [{"kind": kind, "seconds": round(built.build_seconds, 1)} for kind, built in builds],
        "start_seconds_median": start_median,
        "host_start_seconds_median": host_median,
        "start_ratio": ratio(start_median, host_median),
        "stop_seconds_median": median(container_stop),
        "host_stop_seconds_median": median(host_stop),
        "grace_seconds": int(deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]),
        "failures": failures,
    }
