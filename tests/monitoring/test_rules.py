"""The alert rules, judged by a real promtool (built from the Prometheus module the server comes from):
they load, each alert fires on series that should trigger it and stays quiet on series that should not,
and the PrometheusRule in deploy/monitoring/ carries exactly these groups."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from tests.monitoring.queries import DEPLOY_MONITORING, RULE_TESTS, RULES, alerts


def _promtool(promtool: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(promtool), *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


def test_promtool_accepts_the_rule_file(promtool: Path) -> None:
    result = _promtool(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_the_prometheusrule_in_deploy_monitoring_has_the_same_groups_and_promtool_accepts_them(
    promtool: Path, tmp_path: Path
) -> None:
    rule = yaml.safe_load((DEPLOY_MONITORING / "prometheusrule.yaml").read_text())
    assert rule["kind"] == "PrometheusRule"
    assert rule["spec"] == yaml.safe_load(RULES.read_text())
    extracted = tmp_path / "prometheusrule.rules.yaml"
    extracted.write_text(yaml.safe_dump(rule["spec"]))
    result = _promtool(promtool, "check", "rules", str(extracted))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_of_every_alert_pass(promtool: Path) -> None:
    result = _promtool(promtool, "test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_does_not() -> None:
    cases = [
        case for test in yaml.safe_load(RULE_TESTS.read_text())["tests"] for case in test["alert_rule_test"]
    ]
    for alert in alerts():
        mine = [case for case in cases if case["alertname"] == alert["alert"]]
        assert any(case["exp_alerts"] for case in mine), f"{alert['alert']} never fires in the tests"
        assert any(not case["exp_alerts"] for case in mine), f"{alert['alert']} is never shown quiet"


def test_the_unit_tests_catch_a_wrong_threshold(promtool: Path, tmp_path: Path) -> None:
    """The tests really judge the rules: the same tests fail against a rule file with one threshold off."""
    rules_dir = tmp_path / "charts" / "flowrelease" / "files"
    rules_dir.mkdir(parents=True)
    (rules_dir / RULES.name).write_text(RULES.read_text().replace("> 900", "> 9000"))
    tests_dir = tmp_path / "tests" / "monitoring"
    tests_dir.mkdir(parents=True)
    shutil.copy(RULE_TESTS, tests_dir)
    result = _promtool(promtool, "test", "rules", str(tests_dir / RULE_TESTS.name))
    assert result.returncode != 0
    assert "FlowReleaseReconcilingTooLong" in result.stdout + result.stderr


def test_every_alert_has_a_severity_summary_and_description() -> None:
    for alert in alerts():
        assert alert["labels"]["severity"] in {"warning", "critical"}, alert["alert"]
        assert alert["annotations"]["summary"] and alert["annotations"]["description"], alert["alert"]
        assert alert["alert"].startswith("FlowRelease")
