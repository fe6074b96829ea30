"""How big a benchmark run is: the full run behind docs/benchmarks.md, and `--quick` for the smoke test."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    publish_seconds: tuple[float, ...] = (2.0, 10.0, 60.0)
    """Single promotion: the emulator finishes each publish this many seconds after it starts."""
    single_repetitions: int = 3
    fleet_sizes: tuple[int, ...] = (100, 1000)
    fleet_publish_seconds: float = 2.0
    fleet_calls_per_minute_per_release: float = 3.0
    """The org's rate limit for a fleet of N is N x this per minute (100 releases: Genesys's default 300/min),
    so the rate limit, not the machine, bounds the run, and a fleet of any size takes about as long."""
    fleet_seed_flows: int = 1000
    fleet_max_concurrent: int = 16
    """Reconcile passes at once in the engine process: the operator's `--max-concurrent` default."""
    operator_sizes: tuple[int, ...] = (1, 100, 1000)
    """Operator: FlowReleases created at once (the org's limit is N x fleet_calls_per_minute_per_release)."""
    operator_idle_seconds: float = 60.0
    operator_source: str = ""
    """Operator: run `flowrelease operator` from this source tree instead of this checkout (before/after)."""
    startup_repetitions: int = 7
    image_repetitions: int = 5
    image_cold_build: bool = True
    """Image: also time a `podman build --no-cache` (minutes: every layer, pip and apt included)."""


FULL = Settings()
QUICK = Settings(
    publish_seconds=(1.0,),
    single_repetitions=1,
    fleet_sizes=(5,),
    fleet_publish_seconds=1.0,
    fleet_seed_flows=5,
    operator_sizes=(1, 5),
    operator_idle_seconds=5.0,
    startup_repetitions=1,
    image_repetitions=1,
    image_cold_build=False,
)
