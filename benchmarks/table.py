"""Render benchmark results as tables (rich; plain text when the output is not a terminal)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.figures import ratio
from benchmarks.machine import machine_line
from benchmarks.request_log import per_release_by_route


def fmt(value: object, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}{suffix}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return str(value)


def fmt_ratio(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"x{value:.2f}"


def render(results: Mapping[str, Any], console: Console) -> None:
    console.print(f"[bold]flowrelease benchmarks[/bold] — {machine_line(results['machine'])}")
    console.print(f"command: {results['command']}")
    scenarios = results["scenarios"]
    if "single" in scenarios:
        console.print(single_table(scenarios["single"]))
    if "dropped" in scenarios:
        console.print(single_table(scenarios["dropped"]))
    if "import" in scenarios:
        console.print(single_table(scenarios["import"]))
    if "fleet" in scenarios:
        console.print(fleet_table(scenarios["fleet"]))
        if any("calls_by_route" in size for size in scenarios["fleet"]["sizes"]):
            console.print(fleet_routes_table(scenarios["fleet"]))
    if "operator" in scenarios:
        console.print(operator_table(scenarios["operator"]))
    if "startup" in scenarios:
        console.print(startup_table(scenarios["startup"]))
    if "image" in scenarios:
        console.print(image_table(scenarios["image"]))


SINGLE_FIGURES: Sequence[tuple[str, str, int]] = (
    ("api_calls", "API calls", 0),
    ("calls_to_result", "POST→result calls", 0),
    ("polls", "polls", 0),
    ("notice_delay_seconds", "notice delay s", 2),
    ("wall_seconds", "wall s", 2),
)


def single_title(single: Mapping[str, Any]) -> str:
    if single.get("mode") == "source":
        return "Source-mode import (publish takes = the Architect job takes)"
    dropped = single.get("drop_fraction") or 0.0
    return "Single promotion" + (f", {dropped:.0%} of notification events dropped" if dropped else "")


def single_table(single: Mapping[str, Any]) -> Table:
    table = Table(
        title=f"{single_title(single)} — medians of {single['repetitions']} runs; ratios are engine ÷ runner",
        title_justify="left",
    )
    table.add_column("publish takes")
    table.add_column("runner")
    for _, header, _ in SINGLE_FIGURES:
        table.add_column(header, justify="right")
    table.add_column("ok", justify="right")
    for case in single["cases"]:
        label = f"{case['publish_seconds']:g} s\n(notice target ≤ {case['notice_target_seconds']:g} s)"
        for name, runner in case["runners"].items():
            table.add_row(
                label,
                name,
                *(fmt(runner.get(key), digits) for key, _, digits in SINGLE_FIGURES),
                f"{runner['succeeded']}/{runner['runs']}",
            )
            label = ""
        for baseline, ratios in case["ratios"].items():
            table.add_row(
                "", f"engine ÷ {baseline}", *(fmt_ratio(ratios.get(key)) for key, _, _ in SINGLE_FIGURES), ""
            )
        table.add_section()
    return table


def fleet_table(fleet: Mapping[str, Any]) -> Table:
    table = Table(
        title=(
            f"Fleet — one org, publish takes {fleet['publish_seconds']:g} s, "
            f"{fleet.get('max_concurrent') or 'unbounded'} reconcile passes at once"
        ),
        title_justify="left",
    )
    columns = (
        ("releases", "releases"),
        ("mode", "completion"),
        ("rate_limit_per_minute", "limit/min"),
        ("ready", "Ready"),
        ("releases_per_minute", "rel/min"),
        ("throughput_fraction_of_bound", "of bound"),
        ("calls_per_release", "calls/rel"),
        ("http_429_received", "429 recv"),
        ("http_429_surfaced", "429 surfaced"),
        ("time_to_ready_p50_seconds", "p50 Ready s"),
        ("time_to_ready_p95_seconds", "p95 Ready s"),
        ("engine_cpu_seconds_per_release", "CPU s/rel"),
        ("engine_peak_rss_mib", "RSS MiB"),
    )
    for _, header in columns:
        table.add_column(header, justify="right")
    for size in fleet["sizes"]:
        cells = []
        for key, _ in columns:
            value = size.get(key)
            if key == "throughput_fraction_of_bound":
                cells.append("-" if value is None else f"{value:.0%}")
            elif key == "engine_cpu_seconds_per_release":
                cells.append(fmt(value, 4))
            else:
                cells.append(fmt(value, 1 if isinstance(value, float) else 0))
        table.add_row(*cells)
    return table


def fleet_run_label(size: Mapping[str, Any]) -> str:
    return f"{size['releases']:,} {size.get('mode', 'polled')}"


def fleet_routes_table(fleet: Mapping[str, Any]) -> Table:
    """Calls per release by endpoint, from the emulator's request log (every caller, 429s included)."""
    table = Table(
        title="Fleet — Genesys calls per release by endpoint (emulator request log)", title_justify="left"
    )
    table.add_column("endpoint", justify="left")
    sizes = fleet["sizes"]
    for size in sizes:
        table.add_column(fleet_run_label(size), justify="right")
    routes, rows = per_release_by_route(sizes)
    for route, row in zip(routes, rows, strict=True):
        table.add_row(route, *(fmt(value, 3) for value in row))
    return table


def startup_table(startup: Mapping[str, Any]) -> Table:
    table = Table(
        title=f"Startup — medians of {startup['repetitions']} runs; ratios against `{startup['baseline']}`",
        title_justify="left",
    )
    for header in ("command", "wall s", "CPU s", "peak RSS MiB", "wall ratio", "RSS ratio", "failures"):
        table.add_column(header, justify="left" if header == "command" else "right")
    for row in startup["commands"]:
        table.add_row(
            row["command"],
            fmt(row["wall_seconds_median"], 3),
            fmt(row["cpu_seconds_median"], 3),
            fmt(row["max_rss_mib_median"], 1),
            fmt_ratio(row["wall_ratio"]),
            fmt_ratio(row["rss_ratio"]),
            fmt(row["failures"]),
        )
    return table


def image_rows(image: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(figure, value) rows of the image scenario, shared by the terminal and Markdown tables."""
    if "skipped" in image:
        return [("skipped", str(image["skipped"]))]
    rows = [
        ("image size MiB (base stand-in)", f"{fmt(image['image_mib'], 1)} ({fmt(image['base_mib'], 1)})"),
        ("layers", fmt(image["layers"])),
        ("base image ready s (built or loaded from cache)", fmt(image["base_seconds"], 1)),
    ]
    rows += [(f"podman build s ({build['kind']})", fmt(build["seconds"], 1)) for build in image["builds"]]
    rows += [
        ("start to readiness s: container", fmt(image["start_seconds_median"], 2)),
        ("start to readiness s: host process (baseline)", fmt(image["host_start_seconds_median"], 2)),
        ("start ratio container / host", fmt_ratio(image["start_ratio"])),
        (
            f"SIGTERM to exit s: container (grace {image['grace_seconds']} s)",
            fmt(image["stop_seconds_median"], 2),
        ),
        ("SIGTERM to exit s: host process", fmt(image["host_stop_seconds_median"], 2)),
        ("failures", fmt(image["failures"])),
    ]
    return rows


def image_table(image: Mapping[str, Any]) -> Table:
    repetitions = image.get("repetitions", 0)
    table = Table(
        title=(
            "Image — the Dockerfile built with podman and run as the Deployment; "
            f"medians of {repetitions} starts"
        ),
        title_justify="left",
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for row in image_rows(image):
        table.add_row(*row)
    return table


def _pair(figures: Mapping[str, Any], digits: int = 2) -> str:
    return f"{fmt(figures.get('p50'), digits)} / {fmt(figures.get('p95'), digits)}"


def _percent(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{value * 100:.0f} %"


def _split(rollout: Mapping[str, Any]) -> str:
    """The publish-live wait in two (older results lack it)."""
    read, ready = rollout.get("live_to_read_seconds"), rollout.get("read_to_ready_seconds")
    if not read or not ready:
        return "-"
    return (
        f"{fmt(read.get('p95'))} / {fmt(read.get('max'))} ; {fmt(ready.get('p95'))} / {fmt(ready.get('max'))}"
    )


def operator_rows(size: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(figure, value) rows of one operator size, shared by the terminal and Markdown tables."""
    if "error" in size:
        return [("error", str(size["error"]))]
    rollout, idle, restart = size["rollout"], size["idle"], size["restart"]
    writes = rollout["apiserver_writes_per_release_by_resource"]
    by_resource = ", ".join(f"{fmt(n, 1)} {name}" for name, n in writes.items()) or "none"
    live = rollout["live_to_ready_seconds"]
    interval = fmt(rollout["poll_interval_at_live_seconds"], 1)
    cpu = fmt(rollout["operator_cpu_seconds_per_release"], 3)
    rss = fmt(rollout["operator_peak_rss_mib"], 0)
    quiet = f"{fmt(idle['genesys_calls'])} / {fmt(idle['apiserver_writes'])}"
    return [
        ("Ready / releases", f"{rollout['ready']} / {rollout['releases']}"),
        ("org rate limit /min", fmt(rollout["rate_limit_per_minute"], 0)),
        (
            "all Ready after create s (of rate bound)",
            f"{fmt(rollout['all_ready_seconds'], 1)} ({_percent(rollout['of_rate_bound'])})",
        ),
        ("to Ready per release p50 / p95 s", _pair(rollout["to_ready_seconds"], 1)),
        ("first status write after creation p50 / p95 s", _pair(rollout["first_status_seconds"])),
        (
            f"publish live → Ready p50 / p95 / max s (poll interval {interval})",
            f"{_pair(live)} / {fmt(live.get('max'))}",
        ),
        ("  of it: live → the read that saw it ; that read → Ready, p95 / max s", _split(rollout)),
        ("operator CPU s per release / peak RSS MiB", f"{cpu} / {rss}"),
        (
            "apiserver writes per release",
            f"{fmt(rollout['apiserver_writes_per_release'], 1)} ({by_resource})",
        ),
        ("apiserver CPU s for the fleet", fmt(rollout["apiserver_cpu_seconds"], 1)),
        (
            "Genesys calls per release (429s)",
            f"{fmt(rollout['genesys_calls_per_release'], 1)} ({fmt(rollout['genesys_429s'])})",
        ),
        (
            "publishes (flows published twice)",
            f"{fmt(rollout['publishes'])} ({fmt(rollout['flows_published_twice'])})",
        ),
        (
            f"idle {fmt(idle['seconds'], 0)} s: Genesys calls / writes / operator CPU s",
            f"{quiet} / {fmt(idle['operator_cpu_seconds'])}",
        ),
        (
            "restart with all Ready: s to quiet / writes / Genesys calls / publishes",
            f"{fmt(restart['seconds'], 1)} / {fmt(restart['apiserver_writes'])} / "
            f"{fmt(restart['genesys_calls'])} / {fmt(restart['publishes'])}",
        ),
        *baseline_rows(rollout, size.get("baseline")),
    ]


def baseline_rows(rollout: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The operator against the same promotions driven by the engine without a cluster (same run)."""
    if not baseline:
        return []
    if "error" in baseline:
        return [("baseline (engine without a cluster)", str(baseline["error"]))]
    to_ready = rollout["to_ready_seconds"]
    pairs = [
        ("all Ready s", rollout["all_ready_seconds"], baseline.get("duration_seconds"), 1),
        ("to Ready p50 s", to_ready.get("p50"), baseline.get("time_to_ready_p50_seconds"), 2),
        ("to Ready p95 s", to_ready.get("p95"), baseline.get("time_to_ready_p95_seconds"), 2),
        (
            "Genesys calls per release",
            rollout["genesys_calls_per_release"],
            baseline.get("calls_per_release"),
            1,
        ),
        (
            "CPU s per release",
            rollout["operator_cpu_seconds_per_release"],
            baseline.get("engine_cpu_seconds_per_release"),
            3,
        ),
        ("peak RSS MiB", rollout["operator_peak_rss_mib"], baseline.get("engine_peak_rss_mib"), 0),
    ]
    rows = [
        (
            "baseline: engine without a cluster, Ready / releases",
            f"{fmt(baseline.get('ready'))} / {fmt(baseline.get('releases'))}",
        )
    ]
    for name, value, base, digits in pairs:
        rows.append(
            (
                f"{name}: operator / engine (ratio)",
                f"{fmt(value, digits)} / {fmt(base, digits)} ({fmt_ratio(ratio(value, base))})",
            )
        )
    return rows


def operator_table(operator: Mapping[str, Any]) -> Table:
    publish = fmt(operator.get("publish_seconds"), 0)
    table = Table(
        title=(
            f"Operator — kubectl create, real apiserver, one emulated org, {publish} s publishes, no bake or "
            f"export; operator from {operator.get('operator_source', '-')}"
        ),
        title_justify="left",
    )
    if "skipped" in operator:
        table.add_column("skipped")
        table.add_row(str(operator["skipped"]))
        return table
    table.add_column("figure")
    sizes = operator["sizes"]
    for size in sizes:
        table.add_column(f"{size.get('rollout', {}).get('releases', '?')} releases", justify="right")
    rows = [operator_rows(size) for size in sizes]
    for index, (figure, _) in enumerate(rows[0] if rows else []):
        table.add_row(figure, *(row[index][1] if index < len(row) else "" for row in rows))
    return table
