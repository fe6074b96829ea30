"""Source-mode import: one release importing Archy YAML whose Architect job takes T seconds, run by the
engine woken by v2.flows notifications (the job's flow is known, so it is watched before the job's POST), by
the engine polling only, and by two fixed-interval import loops (register, upload, GET the job every 5 s or
15 s, as CX as Code does), side by side on one in-process emulator, each on its own flow and OAuth client.
Summarised as medians and ratios like the single promotion (`single._case`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.baselines import CX_AS_CODE_15S, FLOWPUBLISHER_5S, BaselinePolicy
from benchmarks.baselines.fixed_interval_import import FixedIntervalImporter
from benchmarks.bench_org import BenchClient, bench_seed, flow_id, flow_name
from benchmarks.emulator_access import fetch_request_log, reset_org, set_import_seconds
from benchmarks.engine_harness import build_engine, drive_release
from benchmarks.manifests import archy_source, source_release
from benchmarks.request_log import LoggedCall, calls_by_route, import_trace
from benchmarks.scenarios.single import ENGINE, POLLED_ENGINE, summarise_case
from flowrelease.emulator.server import EmulatorServer

IMPORT_5S = BaselinePolicy("import-5s", FLOWPUBLISHER_5S.interval_seconds, "GET the import job every 5 s")
IMPORT_15S = BaselinePolicy(
    "import-15s", CX_AS_CODE_15S.interval_seconds, "CX as Code: GET the job every 15 s"
)


@dataclass(frozen=True)
class ImportRunner:
    name: str
    client: BenchClient
    flow_index: int
    policy: BaselinePolicy | None = None
    notifications: bool = False


RUNNERS = (
    ImportRunner(ENGINE, BenchClient("bench-import", "bench-import-secret"), 0, notifications=True),
    ImportRunner(POLLED_ENGINE, BenchClient("bench-import-polled", "bench-import-polled-secret"), 1),
    ImportRunner(IMPORT_5S.name, BenchClient("bench-import-5s", "bench-import-5s-secret"), 2, IMPORT_5S),
    ImportRunner(IMPORT_15S.name, BenchClient("bench-import-15s", "bench-import-15s-secret"), 3, IMPORT_15S),
)


async def run_source_import(
    *, import_seconds: Sequence[float], repetitions: int, log: Callable[..., None] = print
) -> dict[str, Any]:
    seed = bench_seed(flows=len(RUNNERS), clients=[runner.client for runner in RUNNERS])
    cases = []
    with EmulatorServer(seed=seed) as server:
        for seconds in import_seconds:
            samples: dict[str, list[dict[str, Any]]] = {runner.name: [] for runner in RUNNERS}
            for repetition in range(repetitions):
                log(f"import: job takes {seconds:g} s, repetition {repetition + 1}/{repetitions}")
                await reset_org(server.base_url, seed)
                await set_import_seconds(server.base_url, seconds)
                walls = await asyncio.gather(*(_run(runner, server.base_url) for runner in RUNNERS))
                calls = await fetch_request_log(server.base_url)
                for runner, (wall, error) in zip(RUNNERS, walls, strict=True):
                    samples[runner.name].append(_sample(runner, calls, seconds, wall, error))
            cases.append(summarise_case(seconds, samples))
    return {
        "repetitions": repetitions,
        "mode": "source",
        "runners": [runner.name for runner in RUNNERS],
        "cases": cases,
    }


async def _run(runner: ImportRunner, base_url: str) -> tuple[float | None, str]:
    try:
        return await _import(runner, base_url)
    except Exception as error:  # one broken runner must not hide the others' figures
        return None, f"{type(error).__name__}: {error}"


async def _import(runner: ImportRunner, base_url: str) -> tuple[float | None, str]:
    yaml_text = archy_source(flow_name(runner.flow_index))
    async with httpx.AsyncClient(timeout=30.0) as http:
        if runner.policy is not None:
            importer = FixedIntervalImporter(
                http,
                base_url=base_url,
                client_id=runner.client.id,
                client_secret=runner.client.secret,
                policy=runner.policy,
            )
            run = await importer.import_flow(flow_id(runner.flow_index), yaml_text)
            return run.wall_seconds, run.error
        engine = build_engine(
            http,
            base_url=base_url,
            client_id=runner.client.id,
            client_secret=runner.client.secret,
            notifications=runner.notifications,
        )
        release = source_release(
            name="bench-import", environment=base_url, flow_name=flow_name(runner.flow_index)
        )
        try:
            result = await drive_release(
                engine.reconciler,
                release,
                wait_for_release=engine.wait_for_release,
                source_yaml=yaml_text,
            )
        finally:
            await engine.aclose()
        if not result.ready:
            return None, f"{result.kind} in {result.phase}: {result.message or result.error}"
        return result.seconds, ""


def _sample(
    runner: ImportRunner, calls: Sequence[LoggedCall], seconds: float, wall: float | None, error: str
) -> dict[str, Any]:
    trace = import_trace(
        calls, client_id=runner.client.id, flow_id=flow_id(runner.flow_index), import_seconds=seconds
    )
    return {
        "api_calls": trace.api_calls,
        "calls_to_result": trace.calls_to_result,
        "polls": trace.polls,
        "notice_delay_seconds": trace.notice_delay_seconds,
        "wall_seconds": wall,
        "http_429": trace.throttled,
        "calls_by_route": calls_by_route(calls, client_id=runner.client.id),
        "succeeded": wall is not None and not error and trace.noticed_at is not None,
        "error": error,
    }
