"""A real Prometheus server (the same module version as promtool) scrapes a running operator with the
shipped alert rules loaded: the target is up under the job name the rules expect, the operator's series
arrive, every rule evaluates against them without an error and none fires, and stopping the operator makes
FlowReleaseOperatorDown pending."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.operator_process import OperatorProcess, free_port
from tests.monitoring.queries import RULES, alerts

pytestmark = [pytest.mark.kube, pytest.mark.timeout(180)]
JOB = "flowrelease-metrics"


def _api(port: int, path: str, **params: str) -> Any:
    url = f"http://127.0.0.1:{port}/api/v1/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]


def _eventually(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout}s: {check.__doc__}")
        time.sleep(0.5)


@pytest.fixture
def prometheus(
    prometheus_server: Path, start_operator: Any, kube_namespace: str, tmp_path: Path
) -> Iterator[int]:
    operator: OperatorProcess = start_operator(kube_namespace)
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": JOB,
                "static_configs": [
                    {
                        "targets": [f"127.0.0.1:{operator.metrics_port}"],
                        "labels": {"namespace": kube_namespace},
                    }
                ],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            str(prometheus_server),
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield port, operator
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_prometheus_scrapes_the_operator_and_evaluates_every_rule_without_error(
    prometheus: tuple[int, OperatorProcess],
) -> None:
    prometheus, operator = prometheus

    def target_up() -> bool:
        """the operator's target is up"""
        result = _api(prometheus, "query", query=f'up{{job="{JOB}"}}')["result"]
        return bool(result) and result[0]["value"][1] == "1"

    _eventually(target_up)

    def series_arrived() -> list[Any]:
        """the operator's series are stored"""
        return list(_api(prometheus, "query", query="flowrelease_releases_by_phase")["result"])

    phases = {r["metric"]["phase"]: r["value"][1] for r in _eventually(series_arrived)}
    assert phases["Publishing"] == "0"
    assert _api(prometheus, "query", query="flowrelease_releases_in_flight")["result"]

    def rules_evaluated() -> list[dict[str, Any]]:
        """every rule has been evaluated at least once"""
        groups = _api(prometheus, "rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return rules if rules and all(r.get("lastEvaluation", "").startswith("20") for r in rules) else []

    rules = _eventually(rules_evaluated)
    assert sorted(r["name"] for r in rules) == sorted(a["alert"] for a in alerts())
    assert {r["name"]: (r["health"], r.get("lastError", "")) for r in rules} == {
        a["alert"]: ("ok", "") for a in alerts()
    }

    def quiet() -> bool:
        """no alert is pending or firing (OperatorDown's absent() is pending until the first scrape lands)"""
        return not [a for a in _api(prometheus, "alerts")["alerts"] if a["state"] in {"pending", "firing"}]

    _eventually(quiet, timeout=30)

    operator.stop()

    def operator_down_pending() -> bool:
        """FlowReleaseOperatorDown is pending for the stopped operator's target"""
        return any(
            a["labels"]["alertname"] == "FlowReleaseOperatorDown" and a["labels"].get("job") == JOB
            for a in _api(prometheus, "alerts")["alerts"]
        )

    _eventually(operator_down_pending, timeout=30)
