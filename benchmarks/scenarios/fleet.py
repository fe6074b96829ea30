"""Fleet: 100 and 1,000 FlowReleases against one emulated org whose rate limit is set to a known value.

The emulator runs in its own process (`flowrelease emulator`), seeded through the control plane; the engine
runs in another (`benchmarks.fleet_worker`), so the worker's CPU time and peak RSS are the engine's alone.

Rate-limit bound: the org's bucket holds L requests and refills L per minute (as Genesys's per-client limit
does), so C successful requests cannot take less than max(0, C - L) / L minutes. Throughput is reported as
that lower bound divided by the time the fleet actually took (100 % = as fast as the limit allows).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_org import BenchClient, bench_seed
from benchmarks.emulator_access import (
    fetch_request_log,
    reset_org,
    running_emulator_process,
    set_publish_seconds,
)
from benchmarks.figures import percentile
from benchmarks.fleet_worker import SECRET_ENV
from benchmarks.processes import measure_process
from benchmarks.request_log import calls_by_route
from benchmarks.settings import Settings

FLEET_CLIENT = BenchClient(id="bench-fleet", secret="bench-fleet-secret")
POLLED = "polled"
NOTIFIED = "notified"
NOTIFIED_HTTPX = "notified, httpx"
"""The shipped engine sending through an httpx client instead of aiohttp: the sender's own cost, same run."""
MODES = ((POLLED, False, "aiohttp"), (NOTIFIED, True, "aiohttp"), (NOTIFIED_HTTPX, True, "httpx"))


def run_fleet(settings: Settings, *, log: Callable[..., None] = print) -> dict[str, Any]:
    """Each size three times under the same rate limit: polling only (the engine before notifications, the
    baseline), with notifications (the shells' default), and with notifications sending through httpx instead
    of aiohttp, so calls per release, releases per minute and CPU per release compare in one run."""
    sizes = []
    for size in settings.fleet_sizes:
        limit = max(300, math.ceil(size * settings.fleet_calls_per_minute_per_release))
        for mode, notifications, sender in MODES:
            seconds = settings.fleet_publish_seconds
            log(f"fleet of {size} ({mode}): rate limit {limit}/min, publish {seconds:g} s")
            row = run_fleet_size(
                releases=size,
                rate_limit_per_minute=limit,
                seed_flows=max(size, settings.fleet_seed_flows),
                publish_seconds=settings.fleet_publish_seconds,
                max_concurrent=settings.fleet_max_concurrent,
                notifications=notifications,
                sender=sender,
            )
            sizes.append({"mode": mode, **row})
    return {
        "publish_seconds": settings.fleet_publish_seconds,
        "max_concurrent": settings.fleet_max_concurrent,
        "sizes": sizes,
    }


def run_fleet_size(
    *,
    releases: int,
    rate_limit_per_minute: int,
    seed_flows: int,
    publish_seconds: float,
    max_concurrent: int,
    notifications: bool = False,
    sender: str = "aiohttp",
) -> dict[str, Any]:
    client = BenchClient(FLEET_CLIENT.id, FLEET_CLIENT.secret, rate_limit_per_minute)
    with (
        tempfile.TemporaryDirectory(prefix="flowrelease-bench-fleet-") as tmp,
        running_emulator_process() as url,
    ):
        asyncio.run(_prepare(url, client, seed_flows, publish_seconds))
        report_file = Path(tmp) / "worker.json"
        argv = [
            sys.executable,
            "-m",
            "benchmarks.fleet_worker",
            "--base-url",
            url,
            "--client-id",
            client.id,
            "--releases",
            str(releases),
            "--rate-limit",
            str(rate_limit_per_minute),
            "--max-concurrent",
            str(max_concurrent),
            "--out",
            str(report_file),
            "--sender",
            sender,
            *(["--notifications"] if notifications else []),
        ]
        env = {**os.environ, SECRET_ENV: client.secret}
        process = measure_process(argv, env=env, cwd=Path.cwd(), timeout_seconds=1800.0)
        if process.exit_code != 0:
            return {
                "releases": releases,
                "rate_limit_per_minute": rate_limit_per_minute,
                "error": f"fleet worker exited {process.exit_code}: {process.output_tail}",
            }
        report = json.loads(report_file.read_text())
        calls = asyncio.run(fetch_request_log(url))
    return {
        **summarise(
            report,
            calls_total=len(calls),
            throttled=sum(1 for c in calls if c.status == 429),
            rate_limit_per_minute=rate_limit_per_minute,
            worker_wall=process.wall_seconds,
        ),
        "calls_by_route": calls_by_route(calls),
    }


async def _prepare(url: str, client: BenchClient, flows: int, publish_seconds: float) -> None:
    await reset_org(url, bench_seed(flows=flows, clients=[client]))
    await set_publish_seconds(url, publish_seconds)


def summarise(
    report: dict[str, Any],
    *,
    calls_total: int,
    throttled: int,
    rate_limit_per_minute: int,
    worker_wall: float,
) -> dict[str, Any]:
    results = report["results"]
    releases = report["releases"]
    ready = [r for r in results if r["kind"] == "ready"]
    duration = report["finished_at"] - report["started_at"]
    allowed = calls_total - throttled
    bound_seconds = max(0.0, allowed - rate_limit_per_minute) * 60.0 / rate_limit_per_minute
    surfaced = [r for r in results if r["kind"] != "ready" and _mentions_rate_limit(r)]
    times = [r["seconds"] for r in ready]
    return {
        "releases": releases,
        "ready": len(ready),
        "not_ready": {
            r["key"]: f"{r['kind']} {r['phase']}: {r['message'] or r['error']}"
            for r in results
            if r["kind"] != "ready"
        },
        "rate_limit_per_minute": rate_limit_per_minute,
        "duration_seconds": duration,
        "releases_per_minute": len(ready) / duration * 60.0 if duration > 0 else None,
        "api_calls": calls_total,
        "calls_per_release": calls_total / releases if releases else None,
        "rate_bound_seconds": bound_seconds,
        "rate_bound_releases_per_minute": releases / bound_seconds * 60.0 if bound_seconds > 0 else None,
        "throughput_fraction_of_bound": bound_seconds / duration
        if bound_seconds > 0 and duration > 0
        else None,
        "http_429_received": throttled,
        "http_429_surfaced": len(surfaced),
        "time_to_ready_p50_seconds": percentile(times, 0.50),
        "time_to_ready_p95_seconds": percentile(times, 0.95),
        "time_to_ready_max_seconds": max(times) if times else None,
        "engine_cpu_seconds": report["engine_cpu_seconds"],
        "engine_cpu_seconds_per_release": report["engine_cpu_seconds"] / releases if releases else None,
        "engine_peak_rss_mib": report["engine_peak_rss_mib"],
        "worker_process_wall_seconds": worker_wall,
        "engine_responses_by_status": report["responses_by_status"],
        "engine_calls_by_route": report["responses_by_route"],
        "audit_events": report["audit_events"],
    }


def _mentions_rate_limit(result: dict[str, Any]) -> bool:
    text = " ".join([result["message"], result["error"], *result["waiting_messages"]]).lower()
    return "429" in text or "rate limit" in text or "ratelimited" in text
