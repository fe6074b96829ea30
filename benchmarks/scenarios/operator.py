"""Operator: N FlowReleases created with kubectl against a real kube-apiserver, reconciled by the operator as
shipped (`flowrelease operator`, default flags but the org's rate limit) against one emulated org.

Per size: a fresh etcd + kube-apiserver (tests/support/kube.py, the cached control plane), the emulator as
its own process (ideal profile, every publish finishing `publish_seconds` after it starts), N flows and one
OAuth client whose limit is N x 3 requests/min (100 releases: Genesys's default 300/min), and the operator
told the same limit. Then:

1. `kubectl create` of N FlowReleases (one List), promoting each flow 1.0 → 2.0 (no bake, no export);
2. wait for all Ready (a watch notes when each release was created, got its first status, went Ready);
3. an idle minute with everything Ready;
4. an operator restart (SIGTERM, start again) with everything Ready, until it has been quiet for 5 s;
5. the baseline, in the same run: the same N promotions on a fresh org with the same limit, driven by the
   engine without a cluster (`benchmarks.fleet_worker`: `sync`'s loop — reconcile, sleep `after` — with the
   operator's `--max-concurrent`), so the ratios say what the Kubernetes shell adds. At N = 1 the
   "to Ready" ratio is issue 16's "within 1 s of sync's" target.

Figures: benchmarks/operator_figures.py. It needs the test extras and the control plane
(scripts/build-control-plane.sh); without them it reports why it was skipped.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_org import TO_VERSION, BenchClient, bench_seed, flow_id, flow_name
from benchmarks.emulator_access import (
    clear_request_log,
    fetch_request_log,
    reset_org,
    running_emulator_process,
    set_publish_seconds,
)
from benchmarks.machine import REPO
from benchmarks.operator_figures import (
    WRITE_RESOURCES,
    summarise_quiet_period,
    summarise_rollout,
    write_delta,
)
from benchmarks.operator_run import OperatorRun
from benchmarks.proc_usage import usage_of
from benchmarks.release_watch import ReleaseWatch
from benchmarks.scenarios.fleet import run_fleet_size
from benchmarks.settings import Settings

NAMESPACE = "bench"
SECRET = "genesys-bench"
CLIENT = BenchClient(id="bench-operator", secret="bench-operator-secret")
ROLLOUT_TIMEOUT_S = 1800.0
QUIET_S = 5.0
QUIET_TIMEOUT_S = 600.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run_operator_scenario(settings: Settings, *, log: Callable[..., None] = print) -> dict[str, Any]:
    try:
        from tests.support.kube import find_kube_bins
    except ImportError as error:
        return {"skipped": f"needs the test extras (pip install -e '.[test]'): {error}"}
    bin_dir, why = find_kube_bins()
    if bin_dir is None:
        return {"skipped": why}
    source = Path(settings.operator_source) if settings.operator_source else REPO
    python, python_note = operator_python()
    sizes = []
    for size in settings.operator_sizes:
        limit = max(300, math.ceil(size * settings.fleet_calls_per_minute_per_release))
        log(
            f"operator, {size} releases: rate limit {limit}/min, publish {settings.fleet_publish_seconds:g} s"
        )
        measured = run_operator_size(
            bin_dir=bin_dir,
            releases=size,
            rate_limit_per_minute=limit,
            publish_seconds=settings.fleet_publish_seconds,
            idle_seconds=settings.operator_idle_seconds,
            source=source,
            python=python,
            log=log,
        )
        log(f"  baseline: the engine without a cluster, {size} releases")
        measured["baseline"] = run_fleet_size(
            releases=size,
            rate_limit_per_minute=limit,
            seed_flows=size,
            publish_seconds=settings.fleet_publish_seconds,
            max_concurrent=settings.fleet_max_concurrent,
        )
        sizes.append(measured)
    return {
        "publish_seconds": settings.fleet_publish_seconds,
        "operator_source": "this checkout" if source == REPO else str(source),
        "operator_python": python_note,
        "sizes": sizes,
    }


def operator_python() -> tuple[str, str]:
    """The python of the runtime-only venv (scripts/build-operator-venv.sh), else this one (said so)."""
    script = REPO / "scripts" / "build-operator-venv.sh"
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False, timeout=900)
    python = done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else ""
    if python and Path(python).exists():
        return python, "runtime dependencies only (scripts/build-operator-venv.sh)"
    return (
        sys.executable,
        f"this venv, test extras included (build-operator-venv.sh failed: {done.stderr[-300:]})",
    )


def _manifests(releases: int, environment: str) -> str:
    items = [
        {
            "apiVersion": "flowrelease.io/v1alpha1",
            "kind": "FlowRelease",
            "metadata": {"name": f"bench-{index:04d}", "namespace": NAMESPACE},
            "spec": {
                "genesys": {"environment": environment, "credentialsSecretRef": {"name": SECRET}},
                "flow": {"type": "inboundcall", "name": flow_name(index)},
                "version": TO_VERSION,
                "release": {"label": f"bench-{TO_VERSION}"},
            },
        }
        for index in range(releases)
    ]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def run_operator_size(
    *,
    bin_dir: Path,
    releases: int,
    rate_limit_per_minute: int,
    publish_seconds: float,
    idle_seconds: float,
    source: Path,
    python: str,
    log: Callable[..., None],
) -> dict[str, Any]:
    from tests.support.apiserver_metrics import writes_now
    from tests.support.kube import KubeCluster

    client = BenchClient(CLIENT.id, CLIENT.secret, rate_limit_per_minute)
    with (
        tempfile.TemporaryDirectory(prefix="flowrelease-bench-operator-") as tmp,
        running_emulator_process() as url,
    ):
        workdir = Path(tmp)
        asyncio.run(_prepare(url, client, releases, publish_seconds))
        cluster = KubeCluster(bin_dir=bin_dir, workdir=workdir / "kube")
        cluster.workdir.mkdir()
        cluster.start()
        watch: ReleaseWatch | None = None
        operator: OperatorRun | None = None
        try:
            cluster.apply_crd()
            cluster.kubectl("create", "namespace", NAMESPACE)
            secret = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": SECRET, "namespace": NAMESPACE},
                "stringData": {"clientId": client.id, "clientSecret": client.secret},
            }
            cluster.kubectl("apply", "-f", "-", input=json.dumps(secret))
            watch = ReleaseWatch(cluster.api_client(), NAMESPACE, version=TO_VERSION).start()
            operator = OperatorRun(
                kubeconfig=cluster.kubeconfig,
                workdir=workdir,
                namespace=NAMESPACE,
                health_port=_free_port(),
                args=[f"--genesys-rate-limit={rate_limit_per_minute}"],
                python=python,
                source=source,
            ).start()
            apiserver = cluster.process_id("kube-apiserver")

            def apiserver_cpu() -> float | None:
                usage = usage_of(apiserver) if apiserver else None
                return usage.cpu_seconds if usage else None

            # -- the rollout
            asyncio.run(clear_request_log(url))
            writes_before = writes_now(cluster)
            cpu_before = operator.usage()
            apiserver_before = apiserver_cpu()
            started = time.time()
            cluster.kubectl("create", "-f", "-", input=_manifests(releases, url), timeout=600)
            log(f"  created {releases} in {time.time() - started:.1f} s")
            if not watch.wait_until(releases, ROLLOUT_TIMEOUT_S):
                log(f"  only {watch.ready_count()}/{releases} Ready after {ROLLOUT_TIMEOUT_S:g} s")
            log(f"  all Ready after {time.time() - started:.1f} s")
            writes_after = _settled_writes(cluster, writes_now)
            cpu_after = operator.usage()
            apiserver_after = apiserver_cpu()
            calls = asyncio.run(fetch_request_log(url))
            assert cpu_before is not None and cpu_after is not None
            rollout = summarise_rollout(
                releases=releases,
                limit_per_minute=rate_limit_per_minute,
                publish_seconds=publish_seconds,
                started_at=started,
                timelines=watch.snapshot(),
                flow_of={f"bench-{index:04d}": flow_id(index) for index in range(releases)},
                calls=calls,
                writes=write_delta(writes_after, writes_before),
                operator_cpu_seconds=cpu_after.cpu_seconds - cpu_before.cpu_seconds,
                operator_peak_rss_mib=cpu_after.peak_rss_mib,
                apiserver_cpu_seconds=(
                    apiserver_after - apiserver_before
                    if apiserver_after is not None and apiserver_before is not None
                    else None
                ),
            )

            # -- an idle minute
            asyncio.run(clear_request_log(url))
            writes_before = writes_now(cluster)
            idle_cpu = operator.usage()
            time.sleep(idle_seconds)
            idle_cpu_after = operator.usage()
            assert idle_cpu is not None and idle_cpu_after is not None
            idle = summarise_quiet_period(
                seconds=idle_seconds,
                calls=asyncio.run(fetch_request_log(url)),
                writes=write_delta(writes_now(cluster), writes_before),
                operator_cpu_seconds=idle_cpu_after.cpu_seconds - idle_cpu.cpu_seconds,
            )
            log(
                f"  idle {idle_seconds:g} s: {idle['genesys_calls']} calls, {idle['apiserver_writes']} writes"
            )

            # -- a restart with everything Ready
            operator.stop()
            asyncio.run(clear_request_log(url))
            writes_before = writes_now(cluster)
            restart_started = time.time()
            operator.start()
            quiet_after = _until_quiet(cluster, url, writes_now, restart_started)
            restart_cpu = operator.usage()
            restart = summarise_quiet_period(
                seconds=quiet_after,
                calls=asyncio.run(fetch_request_log(url)),
                writes=write_delta(writes_now(cluster), writes_before),
                operator_cpu_seconds=restart_cpu.cpu_seconds if restart_cpu else 0.0,
            )
            restart["peak_rss_mib"] = restart_cpu.peak_rss_mib if restart_cpu else None
            log(f"  restart: quiet after {quiet_after:.1f} s, {restart['publishes']} publishes")
            return {"rollout": rollout, "idle": idle, "restart": restart, "watch_events": watch.events}
        finally:
            if operator is not None:
                operator.stop()
            if watch is not None:
                watch.stop()
            cluster.stop()


async def _prepare(url: str, client: BenchClient, flows: int, publish_seconds: float) -> None:
    await reset_org(url, bench_seed(flows=flows, clients=[client]))
    await set_publish_seconds(url, publish_seconds)


def _operator_writes(counts: Counter[tuple[str, str]]) -> int:
    """Writes the operator makes (status, Events, annotations), not the benchmark's own creates."""
    return sum(
        n
        for (resource, verb), n in counts.items()
        if resource in WRITE_RESOURCES and (resource, verb) != ("flowreleases", "POST")
    )


def _settled_writes(
    cluster: Any, writes_now: Callable[[Any], Counter[tuple[str, str]]]
) -> Counter[tuple[str, str]]:
    """The apiserver's write counters once they have stopped moving for 3 s (at most 60 s)."""
    last = writes_now(cluster)
    stable_since = time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = writes_now(cluster)
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= 3.0:
            break
    return last


def _until_quiet(
    cluster: Any, url: str, writes_now: Callable[[Any], Counter[tuple[str, str]]], started: float
) -> float:
    """Seconds from `started` to the last Genesys call or apiserver write, once QUIET_S passed without one."""
    from flowrelease.emulator.control import EmulatorControl

    with EmulatorControl(url) as control:
        last_seen = (control.request_count(), _operator_writes(writes_now(cluster)))
        last_change = time.time()
        deadline = time.monotonic() + QUIET_TIMEOUT_S
        while time.monotonic() < deadline and time.time() - last_change < QUIET_S:
            time.sleep(0.5)
            seen = (control.request_count(), _operator_writes(writes_now(cluster)))
            if seen != last_seen:
                last_seen, last_change = seen, time.time()
    return max(0.0, last_change - started)
