"""The PromQL that the alert rules and the dashboard run, and the metric names it reads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
RULES = REPO_ROOT / "charts" / "flowrelease" / "files" / "flowrelease.rules.yaml"
DASHBOARD = REPO_ROOT / "charts" / "flowrelease" / "files" / "dashboards" / "flowrelease.json"
DEPLOY_MONITORING = REPO_ROOT / "deploy" / "monitoring"
RULE_TESTS = Path(__file__).parent / "flowrelease.rules.test.yaml"
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}
PROMETHEUS_OWN = {"up"}
"""Series Prometheus itself records for every target."""

_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "or",
    "and",
    "unless",
}


def alerts() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_expressions() -> list[str]:
    """Each panel target's expr, with Grafana's interval variables replaced by durations."""
    exprs = []
    for panel in dashboard()["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            exprs.append(expr)
    return exprs


def rule_expressions() -> list[str]:
    return [str(rule["expr"]) for rule in alerts()]


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression selects (not functions, keywords or label names)."""
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_matchers = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", without_strings)
    without_groupings = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", without_matchers)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_groupings):
        name, end = match.group(0), match.end()
        if name in _KEYWORDS or without_groupings[match.start() - 1 : match.start()].isdigit():
            continue
        following = without_groupings[end:].lstrip()
        if following.startswith("("):
            continue  # a function or aggregation
        names.add(name)
    return names


def label_matchers(expr: str) -> dict[str, set[str]]:
    """{metric: label names its selectors match on}."""
    found: dict[str, set[str]] = {}
    for metric, body in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}", expr):
        found.setdefault(metric, set()).update(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", body))
    return found
