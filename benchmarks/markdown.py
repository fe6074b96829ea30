"""Render a results file as Markdown tables, for docs/benchmarks.md and the README's performance section."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.machine import machine_line
from benchmarks.request_log import per_release_by_route
from benchmarks.table import (
    SINGLE_FIGURES,
    fleet_run_label,
    fmt,
    fmt_ratio,
    image_rows,
    operator_rows,
    single_title,
)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1) -> str:
    align = ["---" if index < right_from else "---:" for index in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(results: Mapping[str, Any]) -> str:
    parts = [f"Machine: {machine_line(results['machine'])}. Command: `{results['command']}`."]
    scenarios = results["scenarios"]
    if "single" in scenarios:
        parts.append(single_markdown(scenarios["single"]))
    if "dropped" in scenarios:
        parts.append(single_markdown(scenarios["dropped"]))
    if "import" in scenarios:
        parts.append(single_markdown(scenarios["import"]))
    if "fleet" in scenarios:
        parts.append(fleet_markdown(scenarios["fleet"]))
        if any("calls_by_route" in size for size in scenarios["fleet"]["sizes"]):
            parts.append(fleet_routes_markdown(scenarios["fleet"]))
    if "operator" in scenarios:
        parts.append(operator_markdown(scenarios["operator"]))
    if "startup" in scenarios:
        parts.append(startup_markdown(scenarios["startup"]))
    if "image" in scenarios:
        parts.append(image_markdown(scenarios["image"]))
    return "\n\n".join(parts) + "\n"


def single_markdown(single: Mapping[str, Any]) -> str:
    headers = ["publish takes", "runner", *(header for _, header, _ in SINGLE_FIGURES), "ok"]
    rows: list[list[str]] = []
    for case in single["cases"]:
        label = f"{case['publish_seconds']:g} s (target ≤ {case['notice_target_seconds']:g} s)"
        for name, runner in case["runners"].items():
            figures = [fmt(runner.get(key), digits) for key, _, digits in SINGLE_FIGURES]
            rows.append([label, name, *figures, f"{runner['succeeded']}/{runner['runs']}"])
            label = ""
        for baseline, ratios in case["ratios"].items():
            rows.append(
                ["", f"engine ÷ {baseline}", *(fmt_ratio(ratios.get(k)) for k, _, _ in SINGLE_FIGURES), ""]
            )
    title = (
        f"**{single_title(single)}** — medians of {single['repetitions']} runs; ratios are engine ÷ runner."
    )
    return title + "\n\n" + _table(headers, rows, right_from=2)


def fleet_markdown(fleet: Mapping[str, Any]) -> str:
    headers = [
        "releases",
        "completion",
        "limit/min",
        "Ready",
        "releases/min",
        "of rate bound",
        "calls/release",
        "429s received",
        "429s surfaced",
        "p50 to Ready s",
        "p95 to Ready s",
        "CPU s/release",
        "peak RSS MiB",
    ]
    rows = []
    for size in fleet["sizes"]:
        fraction = size.get("throughput_fraction_of_bound")
        rows.append(
            [
                fmt(size["releases"]),
                fmt(size.get("mode", "polled")),
                fmt(size["rate_limit_per_minute"]),
                fmt(size.get("ready")),
                fmt(size.get("releases_per_minute"), 1),
                "-" if fraction is None else f"{fraction:.0%}",
                fmt(size.get("calls_per_release"), 1),
                fmt(size.get("http_429_received")),
                fmt(size.get("http_429_surfaced")),
                fmt(size.get("time_to_ready_p50_seconds"), 1),
                fmt(size.get("time_to_ready_p95_seconds"), 1),
                fmt(size.get("engine_cpu_seconds_per_release"), 4),
                fmt(size.get("engine_peak_rss_mib"), 1),
            ]
        )
    title = (
        f"**Fleet** — one org, publish takes {fleet['publish_seconds']:g} s, "
        f"{fleet.get('max_concurrent') or 'unbounded'} reconcile passes at once."
    )
    return title + "\n\n" + _table(headers, rows)


def fleet_routes_markdown(fleet: Mapping[str, Any]) -> str:
    sizes = fleet["sizes"]
    routes, rows = per_release_by_route(sizes)
    headers = ["endpoint", *(fleet_run_label(size) for size in sizes)]
    body = [
        [f"`{route}`", *(fmt(value, 3) for value in row)] for route, row in zip(routes, rows, strict=True)
    ]
    title = "**Fleet, Genesys calls per release by endpoint** — the emulator's request log (429s included)."
    return title + "\n\n" + _table(headers, body)


def startup_markdown(startup: Mapping[str, Any]) -> str:
    headers = ["command", "wall s", "CPU s", "peak RSS MiB", "wall ratio", "RSS ratio", "failures"]
    rows = [
        [
            f"`{row['command']}`",
            fmt(row["wall_seconds_median"], 3),
            fmt(row["cpu_seconds_median"], 3),
            fmt(row["max_rss_mib_median"], 1),
            fmt_ratio(row["wall_ratio"]),
            fmt_ratio(row["rss_ratio"]),
            fmt(row["failures"]),
        ]
        for row in startup["commands"]
    ]
    title = f"**Startup** — medians of {startup['repetitions']} runs; ratios against `{startup['baseline']}`."
    return title + "\n\n" + _table(headers, rows)


def image_markdown(image: Mapping[str, Any]) -> str:
    title = (
        "**Image** — the Dockerfile built with podman and run as the Deployment; "
        f"medians of {image.get('repetitions', 0)} starts."
    )
    return title + "\n\n" + _table(["figure", "value"], [list(row) for row in image_rows(image)])


def _operator_title(operator: Mapping[str, Any]) -> str:
    return (
        f"**Operator** — kubectl create against a real apiserver, one emulated org, "
        f"{fmt(operator.get('publish_seconds'), 0)} s publishes, no bake or export."
    )


def operator_markdown(operator: Mapping[str, Any]) -> str:
    if "skipped" in operator:
        return _operator_title(operator) + f"\n\nskipped: {operator['skipped']}"
    sizes = operator["sizes"]
    headers = ["figure", *(f"{s.get('rollout', {}).get('releases', '?')} releases" for s in sizes)]
    rows = [operator_rows(size) for size in sizes]
    table = [[figure, *(row[i][1] for row in rows)] for i, (figure, _) in enumerate(rows[0])] if rows else []
    return (
        _operator_title(operator)
        + f" Operator from {operator.get('operator_source')}.\n\n"
        + _table(headers, table)
    )


def operator_comparison_markdown(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """One table, a before and an after column per size (the operator scenario of two saved runs)."""
    old, new = before["scenarios"]["operator"], after["scenarios"]["operator"]
    headers = ["figure"]
    columns: list[list[tuple[str, str]]] = []
    for old_size, new_size in zip(old["sizes"], new["sizes"], strict=True):
        count = new_size.get("rollout", {}).get("releases", "?")
        headers += [f"{count}: before", f"{count}: after"]
        columns += [operator_rows(old_size), operator_rows(new_size)]
    shared = min(len(column) for column in columns) if columns else 0  # a run without a baseline has fewer
    table = [
        [figure, *(column[i][1] for column in columns)] for i, (figure, _) in enumerate(columns[0][:shared])
    ]
    lines = [
        _operator_title(new),
        f"Before: `{before['command']}` ({machine_line(before['machine'])}).",
        f"After: `{after['command']}` ({machine_line(after['machine'])}).",
        "",
        _table(headers, table),
    ]
    return "\n".join(lines[:3]) + "\n" + "\n".join(lines[3:]) + "\n"
