"""The engine process of the fleet scenario: drive N releases concurrently against one emulated org.

Run as `python -m benchmarks.fleet_worker --base-url URL --client-id ID --releases N --out FILE` with the
client secret in FLOWRELEASE_BENCH_CLIENT_SECRET (never on the command line). It runs in its own process so
its CPU time and peak RSS are the engine's alone; the emulator runs in another.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_org import TO_VERSION, flow_name
from benchmarks.engine_harness import DriveResult, build_engine, drive_release
from benchmarks.manifests import promotion_release
from flowrelease import event_loop
from flowrelease.genesys import AiohttpSender, HttpSender, HttpxSender, open_aiohttp_session
from flowrelease.genesys.http_senders import CONNECT_SECONDS, MAX_CONNECTIONS, READ_SECONDS
from flowrelease.k8s.config import DEFAULT_MAX_CONCURRENT

SECRET_ENV = "FLOWRELEASE_BENCH_CLIENT_SECRET"
# The shells' HTTP bounds (flowrelease.genesys.http_senders): the engine process is wired as in production;
# `--sender httpx` sends through an httpx client of the same bounds instead (the sender's cost, same run).
OPERATOR_TIMEOUT = httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS)
OPERATOR_LIMITS = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=32)
SENDERS = ("aiohttp", "httpx")


@contextlib.asynccontextmanager
async def open_sender(kind: str, *, bounded: bool) -> AsyncIterator[HttpSender]:
    """The operator's sender (aiohttp), or an httpx client; `bounded` False: no pool or connect bound."""
    if kind == "httpx":
        timeout = OPERATOR_TIMEOUT if bounded else httpx.Timeout(30.0, pool=None)
        async with httpx.AsyncClient(timeout=timeout, limits=OPERATOR_LIMITS) as http:
            yield HttpxSender(http)
        return
    session = open_aiohttp_session(
        read_seconds=READ_SECONDS,
        connect_seconds=CONNECT_SECONDS if bounded else 1800.0,
        max_connections=MAX_CONNECTIONS,
    )
    async with session:
        yield AiohttpSender(session)


async def drive_fleet(
    *,
    base_url: str,
    client_id: str,
    client_secret: str,
    releases: int,
    rate_per_minute: float,
    timeout_seconds: float,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    notifications: bool = False,
    sender: str = "aiohttp",
) -> dict[str, Any]:
    """Drive every release at once; at most `max_concurrent` reconcile passes run at a time (0: no bound,
    with the HTTP pool's queue unbounded too). With `notifications`, all releases share one channel."""
    objects = [
        promotion_release(
            name=f"bench-{index:04d}", environment=base_url, flow_name=flow_name(index), version=TO_VERSION
        )
        for index in range(releases)
    ]
    gate = asyncio.Semaphore(max_concurrent) if max_concurrent > 0 else None
    async with open_sender(sender, bounded=gate is not None) as http:
        engine = build_engine(
            http,
            base_url=base_url,
            client_id=client_id,
            client_secret=client_secret,
            rate_per_minute=rate_per_minute,
            notifications=notifications,
        )
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.time()
        results: list[DriveResult] = await asyncio.gather(
            *(
                drive_release(
                    engine.reconciler,
                    release,
                    timeout_seconds=timeout_seconds,
                    gate=gate,
                    wait_for_release=engine.wait_for_release,
                )
                for release in objects
            )
        )
        finished = time.time()
        await engine.aclose()
        after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "releases": releases,
        "max_concurrent": max_concurrent,
        "notifications": notifications,
        "sender": sender,
        "started_at": started,
        "finished_at": finished,
        "engine_cpu_seconds": cpu,
        "engine_peak_rss_mib": after.ru_maxrss / 1024.0,
        "responses_by_status": {
            str(code): count for code, count in sorted(engine.responses.by_status.items())
        },
        "responses_by_route": dict(engine.responses.by_route.most_common()),
        "audit_events": dict(engine.audit.counts.most_common()),
        "results": [
            {
                "key": result.key,
                "kind": result.kind,
                "phase": result.phase,
                "seconds": result.seconds,
                "passes": result.passes,
                "message": result.message,
                "error": result.error,
                "waiting_messages": result.waiting_messages[-5:],
            }
            for result in results
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fleet_worker")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--releases", type=int, required=True)
    parser.add_argument("--rate-limit", type=float, required=True, help="the org's requests per minute")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=DEFAULT_MAX_CONCURRENT,
        help="reconcile passes at once, like the operator's flag (0: no bound)",
    )
    parser.add_argument(
        "--notifications",
        action="store_true",
        help="share one v2.flows notification channel, as the shells do",
    )
    parser.add_argument(
        "--sender", choices=SENDERS, default="aiohttp", help="what Genesys requests go through"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        parser.error(f"set {SECRET_ENV} to the client secret")
    report = event_loop.run(
        drive_fleet(
            base_url=args.base_url,
            client_id=args.client_id,
            client_secret=secret,
            releases=args.releases,
            rate_per_minute=args.rate_limit,
            timeout_seconds=args.timeout,
            max_concurrent=args.max_concurrent,
            notifications=args.notifications,
            sender=args.sender,
        )
    )
    args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
