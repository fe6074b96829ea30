"""The operator benchmark's arithmetic (pure): from what the watch, the emulator's request log, the
apiserver's metrics and /proc recorded, the figures of issue 16's table.

- **of rate bound**: the org's bucket holds L requests and refills L per minute, so C successful requests
  cannot take less than max(0, C - L) / L minutes; that bound over the time from the first `kubectl create`
  to the last Ready (100 % = as fast as the limit allows).
- **to Ready**, **first status**: per release, from the watch event that showed it created.
- **publish live → Ready**: the publish went live `publish_seconds` after the emulator accepted its POST
  (transition mode `seconds`); Ready as the watch saw it. The poll interval then is
  max(0.5, 0.2 x publish_seconds) (the engine's schedule, docs/engine.md), the bound the issue sets. Split
  in two at the first successful GET of the flow at or after that moment (the read that saw it live, from
  the request log): **live → read** is the operator's queueing (slots, rate limiter, the wake-up), **read →
  Ready** the rest of that pass, its status write and the watch; **requests served between** them counts the
  other requests the org answered while that release waited. `live_read_ready_by_release` in the JSON lists,
  per release, [live s after the create, live → read, read → Ready, requests served between], and
  `first_status_by_release` [created s after the create, created → first status], so a slow tail can be
  placed in the rollout.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.figures import percentile
from benchmarks.release_watch import Timeline
from benchmarks.request_log import PUBLISH_PATH, LoggedCall, calls_by_route

WRITE_RESOURCES = ("flowreleases/status", "events", "flowreleases")


def poll_interval(publish_seconds: float) -> float:
    return min(10.0, max(0.5, 0.2 * publish_seconds))


def rate_bound_seconds(calls: int, limit_per_minute: float) -> float:
    return max(0.0, calls - limit_per_minute) * 60.0 / limit_per_minute


def accepted_publishes(calls: Sequence[LoggedCall]) -> dict[str, list[float]]:
    """Per flow id, the times the emulator accepted a publish POST."""
    found: dict[str, list[float]] = {}
    for call in calls:
        if call.method == "POST" and call.path == PUBLISH_PATH and call.status < 300:
            flow = call.query.split("flow=")[1].split("&")[0] if "flow=" in call.query else ""
            found.setdefault(flow, []).append(call.at)
    return found


def first_read_after(calls: Sequence[LoggedCall], flow: str, moment: float) -> float | None:
    """When the flow was first read successfully at or after `moment` (the read that could see it live)."""
    path = f"/api/v2/flows/{flow}"
    return next(
        (c.at for c in calls if c.method == "GET" and c.path == path and c.status == 200 and c.at >= moment),
        None,
    )


def writes_per_release(writes: Mapping[tuple[str, str], int], releases: int) -> dict[str, float]:
    """The operator's writes per release, by resource and verb (the benchmark's own creates left out)."""
    shown: dict[str, float] = {}
    for (resource, verb), count in sorted(writes.items()):
        if (resource, verb) == ("flowreleases", "POST"):
            continue
        shown[f"{resource} {verb}"] = count / releases
    return shown


def _seconds(values: Sequence[float]) -> dict[str, float | None]:
    return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "max": max(values, default=None)}


def summarise_rollout(
    *,
    releases: int,
    limit_per_minute: float,
    publish_seconds: float,
    started_at: float,
    timelines: Mapping[str, Timeline],
    flow_of: Mapping[str, str],
    calls: Sequence[LoggedCall],
    writes: Mapping[tuple[str, str], int],
    operator_cpu_seconds: float,
    operator_peak_rss_mib: float,
    apiserver_cpu_seconds: float | None,
) -> dict[str, Any]:
    ready = {name: t.ready for name, t in timelines.items() if t.ready is not None}
    finished = max(ready.values(), default=None)
    duration = finished - started_at if finished is not None else None
    allowed = sum(1 for call in calls if call.status != 429)
    bound = rate_bound_seconds(allowed, limit_per_minute)
    to_ready = [t.ready - t.created for t in timelines.values() if t.ready and t.created]
    first_status_by_release = sorted(
        [t.created - started_at, t.first_status - t.created]
        for t in timelines.values()
        if t.first_status and t.created
    )
    first_status = [wait for _, wait in first_status_by_release]
    publishes = accepted_publishes(calls)
    live_to_ready, live_to_read, read_to_ready, served_before_read = [], [], [], []
    noticed: list[list[float]] = []
    moments = [call.at for call in calls]
    for name, done in ready.items():
        flow = flow_of.get(name, "")
        posted = publishes.get(flow, [])
        if posted:
            live = posted[0] + publish_seconds
            live_to_ready.append(max(0.0, done - live))
            read = first_read_after(calls, flow, live)
            if read is not None:
                live_to_read.append(read - live)
                read_to_ready.append(max(0.0, done - read))
                served = max(0, bisect.bisect_left(moments, read) - bisect.bisect_right(moments, live))
                noticed.append([live - started_at, read - live, max(0.0, done - read), float(served)])
                served_before_read.append(float(served))
    writes_total = sum(count for key, count in writes.items() if key != ("flowreleases", "POST"))
    return {
        "releases": releases,
        "ready": len(ready),
        "rate_limit_per_minute": limit_per_minute,
        "all_ready_seconds": duration,
        "rate_bound_seconds": bound,
        "of_rate_bound": bound / duration if duration and bound else None,
        "to_ready_seconds": _seconds(to_ready),
        "first_status_seconds": _seconds(first_status),
        "first_status_by_release": first_status_by_release,
        "live_to_ready_seconds": _seconds(live_to_ready),
        "live_to_read_seconds": _seconds(live_to_read),
        "read_to_ready_seconds": _seconds(read_to_ready),
        "requests_served_between_live_and_read": _seconds(served_before_read),
        "live_read_ready_by_release": sorted(noticed),
        "poll_interval_at_live_seconds": poll_interval(publish_seconds),
        "operator_cpu_seconds": operator_cpu_seconds,
        "operator_cpu_seconds_per_release": operator_cpu_seconds / releases,
        "operator_peak_rss_mib": operator_peak_rss_mib,
        "apiserver_cpu_seconds": apiserver_cpu_seconds,
        "apiserver_writes_per_release": writes_total / releases,
        "apiserver_writes_per_release_by_resource": writes_per_release(writes, releases),
        "genesys_calls_per_release": len(calls) / releases,
        "genesys_429s": len(calls) - allowed,
        "publishes": sum(len(times) for times in publishes.values()),
        "flows_published_twice": sum(1 for times in publishes.values() if len(times) > 1),
    }


def summarise_quiet_period(
    *,
    seconds: float,
    calls: Sequence[LoggedCall],
    writes: Mapping[tuple[str, str], int],
    operator_cpu_seconds: float,
) -> dict[str, Any]:
    return {
        "seconds": seconds,
        "genesys_calls": len(calls),
        "genesys_calls_by_route": calls_by_route(calls),
        "publishes": sum(len(times) for times in accepted_publishes(calls).values()),
        "apiserver_writes": sum(writes.values()),
        "apiserver_writes_by_resource": {f"{r} {v}": n for (r, v), n in sorted(writes.items())},
        "operator_cpu_seconds": operator_cpu_seconds,
    }


def write_delta(
    after: Mapping[tuple[str, str], int], before: Mapping[tuple[str, str], int]
) -> Counter[tuple[str, str]]:
    return Counter(
        {
            key: after[key] - before.get(key, 0)
            for key in after
            if key[0] in WRITE_RESOURCES and after[key] > before.get(key, 0)
        }
    )
