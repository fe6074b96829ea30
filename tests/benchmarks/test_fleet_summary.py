"""The fleet table's arithmetic: rate-limit bound, throughput fraction, percentiles and surfaced 429s."""

from __future__ import annotations

from typing import Any

from benchmarks.scenarios.fleet import summarise


def result(
    key: str, kind: str, seconds: float, *, message: str = "", waiting: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "phase": "Ready" if kind == "ready" else "Failed",
        "seconds": seconds,
        "passes": 3,
        "message": message,
        "error": "",
        "waiting_messages": list(waiting),
    }


def report(results: list[dict[str, Any]], *, duration: float) -> dict[str, Any]:
    return {
        "releases": len(results),
        "started_at": 100.0,
        "finished_at": 100.0 + duration,
        "engine_cpu_seconds": 2.0,
        "engine_peak_rss_mib": 80.0,
        "responses_by_status": {"200": 190, "429": 10},
        "responses_by_route": {},
        "audit_events": {},
        "results": results,
    }


def test_throughput_is_the_rate_limit_bound_over_the_time_taken() -> None:
    # 200 calls, 20 of them throttled: 180 allowed. A 60/min bucket starts full (60), so the other 120
    # need two minutes at best; the fleet took four.
    fleet = report([result(f"r{i}", "ready", float(i + 1)) for i in range(4)], duration=240.0)

    summary = summarise(fleet, calls_total=200, throttled=20, rate_limit_per_minute=60, worker_wall=250.0)

    assert summary["rate_bound_seconds"] == 120.0
    assert summary["throughput_fraction_of_bound"] == 0.5
    assert summary["releases_per_minute"] == 1.0
    assert summary["calls_per_release"] == 50.0
    assert summary["rate_bound_releases_per_minute"] == 2.0
    assert summary["engine_cpu_seconds_per_release"] == 0.5
    assert (summary["time_to_ready_p50_seconds"], summary["time_to_ready_p95_seconds"]) == (2.0, 4.0)


def test_a_fleet_that_fits_in_the_burst_has_no_rate_bound() -> None:
    summary = summarise(
        report([result("r", "ready", 1.0)], duration=3.0),
        calls_total=10,
        throttled=0,
        rate_limit_per_minute=300,
        worker_wall=4.0,
    )

    assert summary["rate_bound_seconds"] == 0.0
    assert summary["throughput_fraction_of_bound"] is None
    assert summary["rate_bound_releases_per_minute"] is None


def test_only_unsettled_releases_that_mention_rate_limiting_count_as_surfaced_429s() -> None:
    fleet = report(
        [
            result("ok-after-throttling", "ready", 5.0, waiting=("rate limited (429), retrying in 2 s",)),
            result("stalled-on-429", "stalled", 9.0, message="Genesys answered 429 Too Many Requests"),
            result("stalled-on-validation", "stalled", 9.0, message="version 2.0 has 1 validation error"),
        ],
        duration=10.0,
    )

    summary = summarise(fleet, calls_total=30, throttled=3, rate_limit_per_minute=300, worker_wall=11.0)

    assert summary["ready"] == 1
    assert summary["http_429_received"] == 3
    assert summary["http_429_surfaced"] == 1
    assert set(summary["not_ready"]) == {"stalled-on-429", "stalled-on-validation"}
