"""The Grafana dashboard: the same file in the chart and in deploy/monitoring/, every query valid PromQL
(promtool parses it as a recording rule), and a panel for each thing a platform team asked to see."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.monitoring.queries import (
    DASHBOARD,
    DEPLOY_MONITORING,
    dashboard,
    dashboard_expressions,
    metric_names,
)

ASKED_FOR = {
    "Releases by phase": "flowrelease_releases_by_phase",
    "Time to Ready": "flowrelease_time_to_ready_seconds_bucket",
    "Rollbacks": "flowrelease_rollbacks_total",
    "Verification verdicts": "flowrelease_verification_verdicts_total",
    "Genesys requests by status": "flowrelease_genesys_requests_total",
    "Genesys rate-limit waits": "flowrelease_genesys_rate_limit_wait_seconds_count",
}


def test_the_dashboard_in_deploy_monitoring_is_the_charts() -> None:
    assert (DEPLOY_MONITORING / "dashboards" / DASHBOARD.name).read_bytes() == DASHBOARD.read_bytes()


def test_every_query_is_valid_promql(promtool: Path, tmp_path: Path) -> None:
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query{i}", "expr": e}
                    for i, e in enumerate(dashboard_expressions())
                ],
            }
        ]
    }
    path = tmp_path / "dashboard.rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        [str(promtool), "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_there_is_a_panel_for_each_view_asked_for() -> None:
    panels = {panel["title"]: panel for panel in dashboard()["panels"]}
    for title, metric in ASKED_FOR.items():
        assert title in panels, title
        used = set().union(*(metric_names(t["expr"]) for t in panels[title]["targets"]))
        assert metric in used, (title, used)


def test_panels_use_the_datasource_variable_and_do_not_overlap() -> None:
    board = dashboard()
    assert [v["name"] for v in board["templating"]["list"]] == ["datasource"]
    taken: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        grid = panel["gridPos"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & taken, panel["title"]
        assert grid["x"] + grid["w"] <= 24
        taken |= cells
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])
