"""Single promotion: one release whose publish takes T seconds, run by the engine woken by v2.flows
notifications (the shells' default), by the engine polling only (`--no-notifications`, the engine before
notifications) and by the two fixed-interval baselines, side by side against one in-process emulator (each on
its own flow and OAuth client, so the request log attributes every call), repeated and summarised as medians
and ratios (the notified engine ÷ every other runner).

With `drop_fraction`, the emulator drops that fraction of events (seeded): the notified engine then learns
of some completions only from its safety-net poll. A real shell keeps one channel per OAuth client for as
long as it runs, and what that channel showed (a lost event) decides the net of the publishes after it;
so with `keep_channel` (the default when events are dropped) the notified engine, its client and its
channel live across every duration and repetition of the scenario, and each sample says whether it was the
first publish on the fresh channel (`fresh_channel`), the one that cannot benefit from what the channel
showed. Without it (the clean runs) every run builds its engine anew, as one `flowrelease sync` does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.baselines import CX_AS_CODE_15S, FLOWPUBLISHER_5S, BaselinePolicy, FixedIntervalPublisher
from benchmarks.bench_org import TO_VERSION, BenchClient, bench_seed, flow_id, flow_name
from benchmarks.emulator_access import (
    fetch_request_log,
    reset_org,
    set_notification_knobs,
    set_publish_seconds,
)
from benchmarks.engine_harness import EngineHarness, build_engine, drive_release
from benchmarks.figures import median, ratio
from benchmarks.manifests import promotion_release
from benchmarks.request_log import LoggedCall, calls_by_route, publish_trace
from flowrelease.emulator.server import EmulatorServer

ENGINE = "engine"
POLLED_ENGINE = "engine --no-notifications"
FIGURES = ("api_calls", "calls_to_result", "polls", "notice_delay_seconds", "wall_seconds")


@dataclass(frozen=True)
class Runner:
    name: str
    client: BenchClient
    flow_index: int
    policy: BaselinePolicy | None = None
    notifications: bool = False


RUNNERS = (
    Runner(ENGINE, BenchClient("bench-engine", "bench-engine-secret"), 0, notifications=True),
    Runner(POLLED_ENGINE, BenchClient("bench-engine-polled", "bench-engine-polled-secret"), 3),
    Runner(FLOWPUBLISHER_5S.name, BenchClient("bench-poll-5s", "bench-poll-5s-secret"), 1, FLOWPUBLISHER_5S),
    Runner(CX_AS_CODE_15S.name, BenchClient("bench-poll-15s", "bench-poll-15s-secret"), 2, CX_AS_CODE_15S),
)


def notice_target_seconds(publish_seconds: float) -> float:
    """DESIGN §5: a finished publish is noticed within max(0.5 s, 20 % of the elapsed time)."""
    return max(0.5, 0.2 * publish_seconds)


async def run_single(
    *,
    publish_seconds: Sequence[float],
    repetitions: int,
    drop_fraction: float = 0.0,
    keep_channel: bool | None = None,
    log: Callable[..., None] = print,
) -> dict[str, Any]:
    seed = bench_seed(flows=len(RUNNERS), clients=[runner.client for runner in RUNNERS])
    keep = drop_fraction > 0 if keep_channel is None else keep_channel
    cases = []
    runs_on_channel = 0
    with EmulatorServer(seed=seed) as server:
        async with contextlib.AsyncExitStack() as stack:
            kept: EngineHarness | None = None
            if keep:
                http = await stack.enter_async_context(httpx.AsyncClient(timeout=30.0))
                engine_runner = next(runner for runner in RUNNERS if runner.name == ENGINE)
                kept = build_engine(
                    http,
                    base_url=server.base_url,
                    client_id=engine_runner.client.id,
                    client_secret=engine_runner.client.secret,
                    notifications=True,
                )
                stack.push_async_callback(kept.aclose)
            for seconds in publish_seconds:
                samples: dict[str, list[dict[str, Any]]] = {runner.name: [] for runner in RUNNERS}
                for repetition in range(repetitions):
                    dropped = f", {drop_fraction:.0%} of events dropped" if drop_fraction else ""
                    log(f"single: publish {seconds:g} s{dropped}, repetition {repetition + 1}/{repetitions}")
                    await reset_org(server.base_url, seed)
                    await set_publish_seconds(server.base_url, seconds)
                    await set_notification_knobs(
                        server.base_url, drop_fraction=drop_fraction, seed=repetition + 1
                    )
                    walls = await asyncio.gather(
                        *(
                            _run(runner, server.base_url, kept if runner.name == ENGINE else None)
                            for runner in RUNNERS
                        )
                    )
                    calls = await fetch_request_log(server.base_url)
                    runs_on_channel += 1
                    for runner, (wall, error) in zip(RUNNERS, walls, strict=True):
                        sample = _sample(runner, calls, seconds, wall, error)
                        if runner.notifications:
                            sample["fresh_channel"] = not keep or runs_on_channel == 1
                            sample["channel_losses"] = (
                                kept.notifications.losses if kept and kept.notifications else None
                            )
                        samples[runner.name].append(sample)
                cases.append(summarise_case(seconds, samples))
    return {
        "repetitions": repetitions,
        "drop_fraction": drop_fraction,
        "keep_channel": keep,
        "runners": [runner.name for runner in RUNNERS],
        "cases": cases,
    }


async def _run(runner: Runner, base_url: str, kept: EngineHarness | None) -> tuple[float | None, str]:
    """Drive one publish; returns (wall seconds until the runner knew it was done, error text). `kept`: the
    notified engine that lives across the scenario's runs (None: build one for this run)."""
    try:
        if kept is not None:
            return await _drive(runner, base_url, kept)
        return await _publish(runner, base_url)
    except Exception as error:  # one broken runner must not hide the others' figures
        return None, f"{type(error).__name__}: {error}"


async def _publish(runner: Runner, base_url: str) -> tuple[float | None, str]:
    async with httpx.AsyncClient(timeout=30.0) as http:
        if runner.policy is not None:
            publisher = FixedIntervalPublisher(
                http,
                base_url=base_url,
                client_id=runner.client.id,
                client_secret=runner.client.secret,
                policy=runner.policy,
            )
            run = await publisher.publish(flow_id(runner.flow_index), TO_VERSION)
            return run.wall_seconds, run.error
        engine = build_engine(
            http,
            base_url=base_url,
            client_id=runner.client.id,
            client_secret=runner.client.secret,
            notifications=runner.notifications,
        )
        try:
            return await _drive(runner, base_url, engine)
        finally:
            await engine.aclose()


async def _drive(runner: Runner, base_url: str, engine: EngineHarness) -> tuple[float | None, str]:
    release = promotion_release(
        name="bench-single",
        environment=base_url,
        flow_name=flow_name(runner.flow_index),
        version=TO_VERSION,
    )
    if engine.wakeups is not None:
        engine.wakeups.forget(release.key)  # a wake-up left by the previous run is not this one's
    result = await drive_release(engine.reconciler, release, wait_for_release=engine.wait_for_release)
    if not result.ready:
        return None, f"{result.kind} in {result.phase}: {result.message or result.error}"
    return result.seconds, ""


def _sample(
    runner: Runner, calls: Sequence[LoggedCall], seconds: float, wall: float | None, error: str
) -> dict[str, Any]:
    trace = publish_trace(
        calls, client_id=runner.client.id, flow_id=flow_id(runner.flow_index), publish_seconds=seconds
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


def summarise_case(seconds: float, samples: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians per runner and the ratios of the notified engine to every other runner."""
    runners: dict[str, dict[str, Any]] = {}
    for name, runs in samples.items():
        ok = [run for run in runs if run["succeeded"]]
        runners[name] = {
            **{figure: median([run[figure] for run in ok if run[figure] is not None]) for figure in FIGURES},
            "runs": len(runs),
            "succeeded": len(ok),
            "samples": runs,
        }
    engine = runners[ENGINE]
    ratios = {
        name: {figure: ratio(engine[figure], runner[figure]) for figure in FIGURES}
        for name, runner in runners.items()
        if name != ENGINE
    }
    target = notice_target_seconds(seconds)
    delays = [run["notice_delay_seconds"] for run in engine["samples"] if run["succeeded"]]
    return {
        "publish_seconds": seconds,
        "notice_target_seconds": target,
        "engine_runs_within_notice_target": sum(
            1 for delay in delays if delay is not None and delay <= target
        ),
        "runners": runners,
        "ratios": ratios,
    }
