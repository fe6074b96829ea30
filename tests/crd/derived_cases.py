"""Bad manifests derived from the CRD schema itself: one violation per OpenAPI keyword of every field.

Walking `openAPIV3Schema` (metadata.name and spec), each property yields a value of the wrong type, and each
keyword it carries (`required`, `enum`, `minimum`, `maximum`, `minLength`, `maxLength`, `pattern`,
`maxItems`) yields the smallest value that breaks exactly that keyword and nothing else. A new field or a
new keyword in the CRD therefore makes new cases, which the CLI loader, the apiserver and kubeconform must
all refuse: the three cannot drift apart.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]

NAME = "derived"

BASE_PROMOTE: dict[str, Any] = {
    "apiVersion": "flowrelease.io/v1alpha1",
    "kind": "FlowRelease",
    "metadata": {"name": NAME},
    "spec": {
        "genesys": {"environment": "mypurecloud.com", "credentialsSecretRef": {"name": "genesys-prod"}},
        "flow": {"type": "inboundcall", "name": "Support IVR", "id": ""},
        "version": "3.0",
        "release": {"label": "2.4.1", "dependencyHash": "sha256:" + "0" * 64},
        "validation": {"failOnWarnings": False, "requireValidateJob": False},
        "publish": {"timeoutSeconds": 900, "lockPolicy": "Fail"},
        "verify": {
            "stages": [
                {
                    "name": "bake",
                    "bakeSeconds": 600,
                    "maxFailureRatio": 0.05,
                    "minSamples": 20,
                    "settleSeconds": 120,
                    "onInsufficientData": "Extend",
                    "maxBakeSeconds": 1800,
                    "analytics": [{"signal": "outcomeFailureRatio", "max": 0.05, "minSamples": 20}],
                    "checks": [
                        {
                            "name": "synthetic-call",
                            "retries": 2,
                            "retryIntervalSeconds": 10,
                            "http": {
                                "url": "https://monitor.example.com/ivr",
                                "method": "GET",
                                "headers": {"X-Env": "prod"},
                                "headersSecretRef": {"name": "monitor-headers"},
                                "bearerTokenSecretRef": {"name": "monitor-token", "key": "token"},
                                "body": "",
                                "timeoutSeconds": 10,
                                "expectStatus": [200],
                                "jsonPath": "checks.ivr.passRate",
                                "min": 0.99,
                                "max": 1.0,
                            },
                        },
                        {
                            "name": "data-action-errors",
                            "prometheus": {
                                "url": "http://prometheus.monitoring:9090",
                                "query": "sum(rate(ivr_errors_total[5m]))",
                                "min": 0.0,
                                "max": 0.5,
                                "bearerTokenSecretRef": {"name": "prometheus-token", "key": "token"},
                                "timeoutSeconds": 10,
                            },
                        },
                    ],
                }
            ]
        },
        "rollback": {"strategy": "PreviousVersion"},
        "export": {
            "git": {
                "url": "https://git.example.com/cc/flows.git",
                "branch": "main",
                "path": "flows/support-ivr",
                "secretRef": {"name": "flows-git"},
            }
        },
        "suspend": False,
        "driftPolicy": "Enforce",
        "promotion": {"requires": [{"name": "support-ivr-test", "namespace": "cc-test"}], "soakSeconds": 600},
    },
}
"""A valid mode-A release that sets every spec field but `source` (so every path below exists)."""


def _source_base() -> dict[str, Any]:
    base = copy.deepcopy(BASE_PROMOTE)
    del base["spec"]["version"]
    base["spec"]["source"] = {
        "configMapRef": {"name": "support-ivr-flow", "key": "flow.yaml"},
        "substitutions": {"queue_name": "Support"},
    }
    return base


BASE_SOURCE = _source_base()
"""The same release in mode B, for the paths under spec.source."""


def _from_release_base() -> dict[str, Any]:
    base = copy.deepcopy(BASE_SOURCE)
    base["spec"]["source"] = {
        "fromRelease": {"name": "support-ivr", "namespace": "cc-test"},
        "substitutions": {"Support Test": "Support"},
    }
    return base


BASE_FROM_RELEASE = _from_release_base()
"""Mode B importing an upstream's export, for the paths under spec.source.fromRelease."""
FROM_RELEASE_PATH = ("spec", "source", "fromRelease")


def _entries_base() -> dict[str, Any]:
    base = copy.deepcopy(BASE_PROMOTE)
    base["spec"]["verify"]["stages"][0]["analytics"] = [{"signal": "entries", "min": 20}]
    return base


def _prometheus_first_base() -> dict[str, Any]:
    base = copy.deepcopy(BASE_PROMOTE)
    checks = base["spec"]["verify"]["stages"][0]["checks"]
    checks.reverse()
    return base


BASE_ENTRIES = _entries_base()
"""The release judging the entries signal, for analytics[].min (which the ratio signals do not take)."""
BASE_PROMETHEUS_FIRST = _prometheus_first_base()
"""checks[0] is the prometheus check, for the paths under checks[].prometheus (the walk uses item 0)."""
ENTRIES_PATH = ("spec", "verify", "stages", 0, "analytics", 0, "min")
PROMETHEUS_PATH = ("spec", "verify", "stages", 0, "checks", 0, "prometheus")

WRONG_TYPE: dict[str, object] = {
    "string": 12,
    "integer": "900",
    "number": "0.5",
    "boolean": "false",
    "object": "not-a-mapping",
    "array": "not-a-list",
}
"""A value of another type for each OpenAPI type; strings that look like the right value on purpose."""

PATTERN_BREAKERS = ("../escape", "/absolute", "Not_Valid!", "   ")
"""Tried in order: the first that does not match a field's pattern (and fits its lengths) is used."""


@dataclass(frozen=True)
class DerivedCase:
    path: Path
    keyword: str
    value: object
    """The violating value, or MISSING to delete the key."""
    reason: str

    @property
    def id(self) -> str:
        return f"{field_path(self.path)}:{self.keyword}"

    @property
    def field(self) -> str:
        """The field as flowrelease names it: `spec.verify.stages[0].bakeSeconds`."""
        return field_path(self.path)

    @property
    def pointer(self) -> str:
        """The field as a JSON pointer, as kubeconform names it; for `required`, the parent object."""
        path = self.path[:-1] if self.keyword == "required" else self.path
        return "".join(f"/{part}" for part in path)

    def document(self) -> dict[str, Any]:
        document = copy.deepcopy(base_for(self.path))
        parent = _get(document, self.path[:-1])
        if self.value is MISSING:
            del parent[self.path[-1]]
        else:
            parent[self.path[-1]] = self.value
        return document


MISSING = object()


def field_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def base_for(path: Path) -> dict[str, Any]:
    if path[: len(FROM_RELEASE_PATH)] == FROM_RELEASE_PATH:
        return BASE_FROM_RELEASE
    if path[:2] == ("spec", "source"):
        return BASE_SOURCE
    if path[: len(PROMETHEUS_PATH)] == PROMETHEUS_PATH:
        return BASE_PROMETHEUS_FIRST
    return BASE_ENTRIES if path == ENTRIES_PATH else BASE_PROMOTE


def _get(document: Any, path: Path) -> Any:
    for part in path:
        document = document[part]
    return document


def derive_cases(schema: dict[str, Any]) -> list[DerivedCase]:
    """Every case the schema implies, for metadata.name and everything under spec."""
    cases = list(_walk(schema["properties"]["metadata"]["properties"]["name"], ("metadata", "name")))
    if "spec" in schema.get("required", []):
        cases.append(DerivedCase(("spec",), "required", MISSING, "the root requires spec"))
    cases += list(_walk(schema["properties"]["spec"], ("spec",)))
    return cases


def _walk(node: dict[str, Any], path: Path) -> Iterator[DerivedCase]:
    kind = node.get("type", "")
    where = field_path(path)
    if path != ("spec",) and kind in WRONG_TYPE:
        wrong = WRONG_TYPE[kind]
        yield DerivedCase(path, "type", wrong, f"{where} is a {kind}; {wrong!r} is not")
    if kind == "object":
        for key in node.get("required", []):
            yield DerivedCase((*path, key), "required", MISSING, f"{where} requires {key}")
        for key, child in node.get("properties", {}).items():
            yield from _walk(child, (*path, key))
        values = node.get("additionalProperties")
        if isinstance(values, dict):
            sample = next(iter(_get(base_for(path), path)))
            yield from _walk(values, (*path, sample))
        return
    if kind == "array":
        if "maxItems" in node:
            limit = int(node["maxItems"])
            template = _get(base_for(path), path)[0]
            items = [_distinct(template, index) for index in range(limit + 1)]
            yield DerivedCase(path, "maxItems", items, f"{where} holds at most {limit} items")
        yield from _walk(node["items"], (*path, 0))
        return
    yield from _scalar_cases(node, path)


def _distinct(template: Any, index: int) -> Any:
    """The `index`-th copy of a list item, named apart where items must have distinct names."""
    if isinstance(template, dict) and "name" in template:
        return {**template, "name": f"item-{index}"}
    return template


def _scalar_cases(node: dict[str, Any], path: Path) -> Iterator[DerivedCase]:
    where = field_path(path)
    valid = _get(base_for(path), path)
    pattern = node.get("pattern")
    if "enum" in node:
        allowed = [str(value) for value in node["enum"]]
        wrong = next(
            candidate
            for candidate in (allowed[0].upper(), allowed[0].lower(), allowed[0] + "x")
            if candidate not in allowed
        )
        yield DerivedCase(path, "enum", wrong, f"{where} is one of {', '.join(allowed)}")
    if "minimum" in node:
        step = 1 if node.get("type") == "integer" else 0.5
        yield DerivedCase(path, "minimum", node["minimum"] - step, f"{where} >= {node['minimum']}")
    if "maximum" in node:
        step = 1 if node.get("type") == "integer" else 0.5
        yield DerivedCase(path, "maximum", node["maximum"] + step, f"{where} <= {node['maximum']}")
    if node.get("minLength", 0) >= 1:
        yield DerivedCase(path, "minLength", "", f"{where} must not be empty")
    if "maxLength" in node:
        limit = int(node["maxLength"])
        padded = str(valid or "a") + "a" * (limit + 1 - len(str(valid or "a")))
        assert pattern is None or re.search(pattern, padded), f"{where}: padding breaks the pattern too"
        yield DerivedCase(path, "maxLength", padded, f"{where} is at most {limit} characters")
    if pattern is not None:
        minimum, maximum = node.get("minLength", 0), node.get("maxLength", 10**6)
        breaker = next(
            candidate
            for candidate in PATTERN_BREAKERS
            if not re.search(pattern, candidate) and minimum <= len(candidate) <= maximum
        )
        yield DerivedCase(path, "pattern", breaker, f"{where} must match {pattern}")
