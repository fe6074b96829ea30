"""Each benchmark scenario runs once at a tiny size (`--quick`), end to end through `python -m benchmarks`,
so the benchmarks cannot rot. No assertion is about speed: only that every scenario measured something."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TITLES = {
    "single": "Single promotion",
    "dropped": "Single promotion, 30% of notification events dropped",
    "import": "Source-mode import (publish takes = the Architect job takes)",
    "fleet": "Fleet",
    "operator": "Operator",
    "startup": "Startup",
    "image": "Image",
}


def run_benchmark(scenario: str, tmp_path: Path, timeout: float = 120) -> dict[str, Any]:
    out = tmp_path / f"{scenario}.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--scenario", scenario, "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results: dict[str, Any] = json.loads(out.read_text())
    assert results["machine"]["cores"] >= 1
    assert results["machine"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert f"--scenario {scenario}" in results["command"]
    assert list(results["scenarios"]) == [scenario]
    shown = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--show", str(out), "--markdown"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert f"**{TITLES[scenario]}**" in shown.stdout
    assert "| --- " not in shown.stdout and "|---" in shown.stdout
    return results["scenarios"][scenario]  # type: ignore[no-any-return]


@pytest.mark.timeout(90)
def test_single_promotion_is_measured_for_the_engine_and_both_baselines(tmp_path: Path) -> None:
    single = run_benchmark("single", tmp_path)

    (case,) = single["cases"]
    assert case["publish_seconds"] == 1.0
    assert set(case["runners"]) == {"engine", "engine --no-notifications", "poll-5s", "poll-15s"}
    for name, runner in case["runners"].items():
        assert runner["succeeded"] == runner["runs"] == 1, (name, runner["samples"])
        assert runner["api_calls"] >= 3, name  # token, publish, at least one poll
        assert runner["calls_to_result"] >= 2, name  # the publish and the read that saw it finished
        assert runner["polls"] >= 1, name
        assert runner["notice_delay_seconds"] is not None, name
        assert runner["wall_seconds"] > 0, name
    assert set(case["ratios"]) == {"engine --no-notifications", "poll-5s", "poll-15s"}
    assert all(value is not None for ratios in case["ratios"].values() for value in ratios.values())
    (sample,) = case["runners"]["engine"]["samples"]
    assert any("notifications" in route for route in sample["calls_by_route"]), "the engine subscribed"


@pytest.mark.timeout(90)
def test_dropped_events_still_converge_through_the_safety_net(tmp_path: Path) -> None:
    dropped = run_benchmark("dropped", tmp_path)

    assert dropped["drop_fraction"] == 0.3
    (case,) = dropped["cases"]
    for name, runner in case["runners"].items():
        assert runner["succeeded"] == runner["runs"] == 1, (name, runner["samples"])


@pytest.mark.timeout(90)
def test_source_imports_are_measured_for_both_engines_and_both_import_loops(tmp_path: Path) -> None:
    imported = run_benchmark("import", tmp_path)

    assert imported["mode"] == "source"
    (case,) = imported["cases"]
    assert set(case["runners"]) == {"engine", "engine --no-notifications", "import-5s", "import-15s"}
    for name, runner in case["runners"].items():
        assert runner["succeeded"] == runner["runs"] == 1, (name, runner["samples"])
        assert runner["calls_to_result"] >= 2, name  # the job's POST and the read that saw it finished
        assert runner["notice_delay_seconds"] is not None, name
    (sample,) = case["runners"]["engine"]["samples"]
    assert sample["calls_by_route"].get("POST /api/v2/flows/jobs") == 1, "imported once"


@pytest.mark.timeout(90)
def test_fleet_drives_every_release_to_ready_and_reports_cost(tmp_path: Path) -> None:
    fleet = run_benchmark("fleet", tmp_path)

    assert [size["mode"] for size in fleet["sizes"]] == ["polled", "notified", "notified, httpx"]
    for size in fleet["sizes"]:
        assert "error" not in size, size.get("error")
        assert size["releases"] == 5
        assert size["ready"] == 5, size["not_ready"]
        assert size["http_429_surfaced"] == 0
        assert size["api_calls"] >= 5 * 3
        assert size["time_to_ready_p50_seconds"] <= size["time_to_ready_p95_seconds"]
        assert size["engine_cpu_seconds_per_release"] > 0
        assert size["engine_peak_rss_mib"] > 10
    notified = fleet["sizes"][1]["engine_calls_by_route"]
    assert notified["POST /api/v2/notifications/channels"] == 1, "one channel shared by the fleet"


@pytest.mark.kube
@pytest.mark.timeout(600)
def test_the_operator_scenario_reports_every_figure_and_its_baseline(tmp_path: Path) -> None:
    from tests.support.kube import find_kube_bins, skip_or_fail_without_binaries

    if find_kube_bins()[0] is None:
        skip_or_fail_without_binaries(find_kube_bins()[1])
    operator = run_benchmark("operator", tmp_path, timeout=540)

    assert "skipped" not in operator, operator
    assert [size["rollout"]["releases"] for size in operator["sizes"]] == [1, 5]
    for size in operator["sizes"]:
        rollout, restart, baseline = size["rollout"], size["restart"], size["baseline"]
        assert rollout["ready"] == rollout["releases"], size["watch_events"]
        assert rollout["publishes"] == rollout["releases"] and rollout["flows_published_twice"] == 0
        assert rollout["apiserver_writes_per_release"] > 0
        assert rollout["operator_peak_rss_mib"] > 10
        assert restart["publishes"] == 0
        assert baseline["ready"] == baseline["releases"] == rollout["releases"], baseline.get("not_ready")
        assert baseline["time_to_ready_p50_seconds"] > 0


@pytest.mark.timeout(90)
def test_startup_measures_each_command_against_python_itself(tmp_path: Path) -> None:
    startup = run_benchmark("startup", tmp_path)

    rows = {row["command"]: row for row in startup["commands"]}
    assert set(rows) == {"python -c pass", "flowrelease --help", "flowrelease sync <1 manifest> --emulator"}
    for name, row in rows.items():
        assert row["failures"] == 0, (name, [s["output_tail"] for s in row["samples"]])
        assert row["wall_seconds_median"] > 0, name
        assert row["max_rss_mib_median"] > 1, name
    assert rows["python -c pass"]["wall_ratio"] == 1.0


@pytest.mark.image
@pytest.mark.kube
@pytest.mark.timeout(1200)
def test_the_image_is_built_measured_and_started_like_the_deployment(tmp_path: Path) -> None:
    from tests.support.kube import find_kube_bins, skip_or_fail_without_binaries
    from tests.support.podman import missing_tools, skip_or_fail_without_podman

    if missing_tools():
        skip_or_fail_without_podman(missing_tools())
    if find_kube_bins()[0] is None:
        skip_or_fail_without_binaries(find_kube_bins()[1])
    image = run_benchmark("image", tmp_path, timeout=1100)

    assert "skipped" not in image, image
    assert image["failures"] == 0
    assert image["image_mib"] > image["base_mib"] > 0
    assert [build["kind"] for build in image["builds"]] == ["layers cached"]
    assert image["start_seconds_median"] > 0 and image["host_start_seconds_median"] > 0
    assert 0 < image["stop_seconds_median"] < image["grace_seconds"]
