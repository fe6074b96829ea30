"""Every metric the alert rules and the Grafana dashboard read is one a running operator really exports,
with HELP text and bounded labels: the operator is driven through a Ready release (with a bake stage and a
Git export), a health breach that rolls back, a failing Git export and Genesys 429s, then scraped."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import Cluster, GenesysClientCreds, condition, is_ready, phase_is, release_manifest
from tests.monitoring.queries import (
    PROMETHEUS_OWN,
    dashboard_expressions,
    label_matchers,
    metric_names,
    rule_expressions,
)
from tests.support.emulator import EmulatorHandle

pytestmark = [pytest.mark.kube, pytest.mark.timeout(300)]

ACTIONS = {
    "observe",
    "validate",
    "publish",
    "poll",
    "verify",
    "rollback",
    "restore",
    "import",
    "export",
    "ready",
    "drift",
    "suspend",
}
PHASES = {
    "Pending", "Validating", "Publishing", "Verifying", "Exporting", "Ready", "ValidationFailed",
    "RollingBack", "RolledBack", "Suspended", "Failed", "Unknown",
}  # fmt: skip
BOUNDED: dict[str, Any] = {
    # releases (phases), rollbacks, rollback routes left, check attempts
    "result": PHASES | {"succeeded", "failed", "refused", "ignored", "timedOut", "pass", "fail"},
    "phase": PHASES,
    "action": ACTIONS,
    "outcome": {"ok", "waiting", "failed", "skipped", "error"},
    "verdict": {"pass", "not_judged", "breach", "check_failed", "insufficient_data"},
    "method": {"GET", "POST", "PUT", "PATCH", "DELETE"},
    "status": re.compile(r"[1-5]\d\d"),
    # A route template, never a URL with ids in it (those would make one series per flow or job).
    # (or the placeholder for a pre-signed URL).
    # flowrelease_rollback_routes_total's route is a rollback route name.
    "route": re.compile(
        r"/oauth/token|/api/v2(/[a-zA-Z]+|/\{[a-zA-Z]+\})+|<[a-z ]+ URL>|republish|restore|reimport"
    ),
    "kind": {"http", "prometheus"},
    "check": re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"),  # a check's name: a DNS label, from the spec
    "le": re.compile(r"[0-9.e+]+|\+Inf"),
}
STAGE = [{"name": "bake", "bakeSeconds": 1, "settleSeconds": 0, "maxFailureRatio": 0.05, "minSamples": 10}]
# An in-queue flow cannot set flow outcomes: its stage breaches on being reached too little.
IN_QUEUE_STAGE = [{**STAGE[0], "analytics": [{"signal": "entries", "min": 500}]}]


def _exportable(families: dict[str, Any]) -> set[str]:
    names = set()
    for family in families.values():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}.get(
            family.type, ("",)
        )
        names.update(family.name + suffix for suffix in suffixes)
        names.update(sample.name for sample in family.samples)
    return names


@pytest.fixture
def scraped(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    tmp_path: Path,
    start_operator,
) -> dict[str, Any]:
    repo = tmp_path / "flows.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(repo)], check=True)
    emulator.control.set_analytics(emulator.flow_id("Support In-Queue"), version="2.0", n_flow=100)
    emulator.control.set_analytics(
        emulator.flow_id("Support IVR"),
        version="3.0",
        n_flow=100,
        n_flow_outcome=100,
        n_flow_outcome_failed=1,
    )
    emulator.control.add_fault(method="GET", path="/api/v2/flows", status=429, count=2, retry_after_seconds=1)
    cluster.apply_credentials(genesys_client)
    operator = start_operator(cluster.namespace)
    export = {"url": repo.as_uri(), "branch": "main", "path": "flows/support-ivr"}
    cluster.apply(
        release_manifest("good", environment=emulator.base_url, version="3.0", stages=STAGE, export=export)
    )
    cluster.apply(
        release_manifest(
            "breach",
            environment=emulator.base_url,
            version="2.0",
            flow_name="Support In-Queue",
            flow_type="inqueuecall",
            stages=IN_QUEUE_STAGE,
        )
    )
    missing = {"url": (tmp_path / "no-such-repo.git").as_uri(), "branch": "main", "path": "flows/billing"}
    cluster.apply(
        release_manifest(
            "no-export", environment=emulator.base_url, version="2.0", flow_name="Billing IVR", export=missing
        )
    )
    cluster.wait_release("good", is_ready, timeout=120, what="Ready=True")
    cluster.wait_release("breach", phase_is("RolledBack"), timeout=120, what="RolledBack")
    cluster.wait_release(
        "no-export",
        lambda o: condition(o, "Exported").get("status") == "False",
        timeout=120,
        what="Exported=False",
    )
    return {family.name: family for family in text_string_to_metric_families(operator.metrics())}


def test_every_metric_the_rules_and_the_dashboard_read_is_exported_with_help_and_bounded_labels(
    scraped: dict[str, Any],
) -> None:
    families = scraped
    exportable = _exportable(families)
    used = (
        set().union(*(metric_names(e) for e in rule_expressions() + dashboard_expressions())) - PROMETHEUS_OWN
    )
    assert used, "no metric names found in the rules and the dashboard"
    assert sorted(used - exportable) == []

    for family in families.values():
        assert family.documentation.strip(), f"{family.name} has no HELP text"
        for sample in family.samples:
            for label, value in sample.labels.items():
                allowed = BOUNDED.get(label)
                assert allowed is not None, f"{sample.name} has a label {label!r} with no known bound"
                ok = allowed.fullmatch(value) if isinstance(allowed, re.Pattern) else value in allowed
                assert ok, f"{sample.name}{{{label}={value!r}}} is outside the label's bounded set"

    for expr in rule_expressions() + dashboard_expressions():
        for metric, labels in label_matchers(expr).items():
            if metric in PROMETHEUS_OWN:
                continue
            seen = {
                label for f in families.values() for s in f.samples if s.name == metric for label in s.labels
            }
            assert labels <= seen, f"{expr!r} matches {labels - seen} on {metric}, which has only {seen}"


def test_the_scenario_fed_the_series_the_alerts_and_panels_are_about(scraped: dict[str, Any]) -> None:
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for f in scraped.values() for s in f.samples
    }

    def value(name: str, **labels: str) -> float:
        return sum(v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items())

    assert value("flowrelease_releases_total", result="Ready") >= 1
    assert value("flowrelease_releases_total", result="RolledBack") == 1
    assert value("flowrelease_rollbacks_total", result="succeeded") == 1
    assert value("flowrelease_verification_verdicts_total", verdict="pass") >= 1
    assert value("flowrelease_verification_verdicts_total", verdict="breach") == 1
    assert value("flowrelease_time_to_ready_seconds_count") >= 1
    assert value("flowrelease_releases_by_phase", phase="Ready") >= 1
    assert value("flowrelease_releases_by_phase", phase="RolledBack") == 1
    assert value("flowrelease_step_duration_seconds_count", action="export", outcome="error") >= 1
    assert value("flowrelease_genesys_requests_total", status="429") == 2
    assert value("flowrelease_genesys_requests_total", status="200") > 0
