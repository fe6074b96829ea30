"""Manifest errors that say where, what and how to fix it.

A `ManifestProblem` names the FILE (and document), the RESOURCE (`Kind namespace/name`), the FIELD (a dotted
camelCase path such as `spec.publish.timeoutSeconds`) and the FIX (a sentence a user can act on). A
`ManifestError` carries every problem found, so one run reports them all.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails


@dataclass(frozen=True)
class ManifestProblem:
    file: str
    fix: str
    document: int | None = None
    """1-based index of the YAML document in its file; None for file-level problems (syntax, unreadable)."""
    resource: str = ""
    """`Kind namespace/name`, when the document names one."""
    field: str = ""
    """Dotted camelCase path of the offending field, e.g. `spec.verify.stages[0].bakeSeconds`."""

    def __str__(self) -> str:
        where = self.file if self.document is None else f"{self.file} (document {self.document})"
        parts = [where]
        if self.resource:
            parts.append(self.resource)
        if self.field:
            parts.append(self.field)
        parts.append(self.fix)
        return ": ".join(parts)


class ManifestError(Exception):
    """One or more manifests are invalid; nothing should be reconciled. `problems` lists them all."""

    def __init__(self, problems: Iterable[ManifestProblem]) -> None:
        self.problems: tuple[ManifestProblem, ...] = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


# ------------------------------------------------------------------ pydantic errors -> fixes

_EXAMPLES: dict[str, str] = {
    "apiVersion": "flowrelease.io/v1alpha1",
    "metadata": "{name: support-ivr, namespace: contact-center}",
    "metadata.name": "support-ivr",
    "metadata.namespace": "contact-center",
    "spec": '{genesys: {...}, flow: {...}, version: "12.0"}',
    "spec.genesys": "{environment: mypurecloud.com, credentialsSecretRef: {name: genesys-prod}}",
    "spec.genesys.environment": "mypurecloud.com",
    "spec.genesys.credentialsSecretRef": "{name: genesys-prod}",
    "spec.genesys.credentialsSecretRef.name": "genesys-prod",
    "spec.flow": "{type: inboundcall, name: Support IVR}",
    "spec.flow.type": "inboundcall",
    "spec.flow.name": "Support IVR",
    "spec.version": '"12.0"',
    "spec.source": "{configMapRef: {name: support-ivr-flow, key: flow.yaml}}",
    "spec.source.configMapRef": "{name: support-ivr-flow, key: flow.yaml}",
    "spec.source.configMapRef.name": "support-ivr-flow",
    "spec.source.configMapRef.key": "flow.yaml",
    "spec.source.fromRelease": "{name: support-ivr, namespace: cc-test}",
    "spec.source.fromRelease.name": "support-ivr",
    "spec.source.fromRelease.namespace": "cc-test",
    "spec.source.substitutions": "{queue_name: Support}",
    "spec.release": "{label: 2.4.1}",
    "spec.publish": "{timeoutSeconds: 900, lockPolicy: Fail}",
    "spec.publish.timeoutSeconds": "900",
    "spec.verify": "{stages: [{name: bake, bakeSeconds: 600}]}",
    "spec.verify.stages": "[{name: bake, bakeSeconds: 600}]",
    "spec.verify.stages.name": "bake",
    "spec.verify.stages.bakeSeconds": "600",
    "spec.verify.stages.maxFailureRatio": "0.05",
    "spec.verify.stages.minSamples": "20",
    "spec.verify.stages.settleSeconds": "120",
    "spec.verify.stages.maxBakeSeconds": "1800",
    "spec.verify.stages.analytics": "[{signal: outcomeFailureRatio, max: 0.05}]",
    "spec.verify.stages.analytics.max": "0.05",
    "spec.verify.stages.analytics.min": "20",
    "spec.verify.stages.checks": "[{name: synthetic-call, http: {url: https://monitor.example.com/ivr}}]",
    "spec.verify.stages.checks.name": "synthetic-call",
    "spec.verify.stages.checks.retries": "2",
    "spec.verify.stages.checks.http": "{url: https://monitor.example.com/ivr}",
    "spec.verify.stages.checks.http.url": "https://monitor.example.com/ivr",
    "spec.verify.stages.checks.http.timeoutSeconds": "10",
    "spec.verify.stages.checks.http.jsonPath": "checks.ivr.passRate",
    "spec.verify.stages.checks.http.bearerTokenSecretRef": "{name: monitor-token, key: token}",
    "spec.verify.stages.checks.prometheus": "{url: http://prometheus.monitoring:9090, query: up, min: 1}",
    "spec.verify.stages.checks.prometheus.url": "http://prometheus.monitoring:9090",
    "spec.verify.stages.checks.prometheus.query": "sum(rate(ivr_errors_total[5m]))",
    "spec.verify.stages.checks.prometheus.bearerTokenSecretRef": "{name: prometheus-token, key: token}",
    "spec.export": "{git: {url: https://git.example.com/cc/flows.git, path: flows/support-ivr}}",
    "spec.export.git": "{url: https://git.example.com/cc/flows.git, path: flows/support-ivr}",
    "spec.export.git.url": "https://git.example.com/cc/flows.git",
    "spec.export.git.branch": "main",
    "spec.export.git.path": "flows/support-ivr",
    "spec.export.git.secretRef": "{name: flows-git}",
    "spec.export.git.secretRef.name": "flows-git",
    "spec.validation.failOnWarnings": "false",
    "spec.suspend": "false",
}


_NAME_RULE = "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
_PATTERN_FIXES: dict[str, str] = {
    "metadata.name": f"must be a Kubernetes object name: {_NAME_RULE}, e.g. support-ivr",
    "metadata.namespace": (
        "must be a Kubernetes namespace name: lower-case letters, digits and '-', starting and ending with a "
        "letter or digit, e.g. contact-center"
    ),
    "spec.genesys.credentialsSecretRef.name": f"must be a Secret name: {_NAME_RULE}, e.g. genesys-prod",
    "spec.export.git.secretRef.name": f"must be a Secret name: {_NAME_RULE}, e.g. flows-git",
    "spec.source.configMapRef.name": f"must be a ConfigMap name: {_NAME_RULE}, e.g. support-ivr-flow",
    "spec.source.configMapRef.key": "must be a ConfigMap key: letters, digits, '-', '_', '.', e.g. flow.yaml",
    "spec.export.git.path": (
        "must be a relative folder inside the repository: no leading '/', no '..' or other folder starting "
        "with '.', each folder name of letters, digits, '.', '_' and '-', e.g. flows/support-ivr"
    ),
    "spec.export.git.branch": (
        "must be a Git branch name of letters, digits, '_', '+' and '-', with '.' and '/' only between them "
        "(no '..', no leading '-' or '.'), e.g. main or releases/prod"
    ),
    "spec.version": 'must not be empty; give a version id such as "12.0"',
    "spec.promotion.requires.name": f"must be a FlowRelease name: {_NAME_RULE}, e.g. support-ivr-test",
    "spec.source.fromRelease.name": f"must be a FlowRelease name: {_NAME_RULE}, e.g. support-ivr",
    "spec.source.fromRelease.namespace": (
        "must be a Kubernetes namespace name: lower-case letters, digits and '-', starting and ending with a "
        "letter or digit, e.g. cc-test"
    ),
    "spec.promotion.requires.namespace": (
        "must be a Kubernetes namespace name: lower-case letters, digits and '-', starting and ending with a "
        "letter or digit, e.g. cc-test"
    ),
    "spec.verify.stages.checks.name": (
        "must be a check name: lower-case letters, digits and '-', starting and ending with a letter or "
        "digit, e.g. synthetic-call"
    ),
    "spec.verify.stages.checks.http.headersSecretRef.name": f"must be a Secret name: {_NAME_RULE}",
    "spec.verify.stages.checks.http.bearerTokenSecretRef.name": f"must be a Secret name: {_NAME_RULE}",
    "spec.verify.stages.checks.prometheus.bearerTokenSecretRef.name": f"must be a Secret name: {_NAME_RULE}",
    "spec.verify.stages.checks.http.bearerTokenSecretRef.key": (
        "must be a Secret key: letters, digits, '-', '_', '.', e.g. token"
    ),
    "spec.verify.stages.checks.prometheus.bearerTokenSecretRef.key": (
        "must be a Secret key: letters, digits, '-', '_', '.', e.g. token"
    ),
    "spec.verify.stages.checks.http.jsonPath": (
        "must be a dotted path of letters, digits, '_' and '-' (a number indexes a list), "
        "e.g. checks.ivr.passRate"
    ),
    "spec.release.dependencyHash": (
        "must be sha256: and 64 lower-case hex digits (copy status.dependencyHash), or empty for no pin"
    ),
}
"""What a value must look like, per field (list indices left out), when it does not match its pattern."""
_UNQUOTED_HINT = "not a string; write it without quotes"


def pattern_fix(path: str, value: object) -> str:
    """The fix for a value of the field at dotted `path` that does not match the field's pattern."""
    fix = _PATTERN_FIXES.get(re.sub(r"\[\d+\]", "", path), "has the wrong format")
    if path == "spec.version":
        return fix
    return f"{fix} (got {_shown(value)})"


def field_path(loc: Sequence[str | int]) -> str:
    """`('spec', 'verify', 'stages', 0, 'bakeSeconds')` -> `spec.verify.stages[0].bakeSeconds`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _example(loc: Sequence[str | int]) -> str:
    return _EXAMPLES.get(".".join(part for part in loc if isinstance(part, str)), "")


def _shown(value: object) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value, default=str)


def _fields_of(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that validates the object at `loc` (None when `loc` is not a model)."""
    current: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            continue
        if current is None:
            return None
        fields = {info.alias or name: info for name, info in current.model_fields.items()}
        info = fields.get(part) or current.model_fields.get(part)
        current = _model_in(info.annotation) if info is not None else None
    return current


def _input_at(document: object, loc: Sequence[str | int]) -> object:
    current = document
    for part in loc:
        if isinstance(part, int) and isinstance(current, list) and part < len(current):
            current = current[part]
        elif isinstance(part, str) and isinstance(current, Mapping):
            current = current.get(part)
        else:
            return None
    return current


def _closest(word: str, candidates: Sequence[str]) -> str | None:
    by_lower = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[matches[0]] if matches else None


def _unknown_field_guess(root: type[BaseModel], loc: Sequence[str | int]) -> str | None:
    return _closest(str(loc[-1]), _fields_of(_model_at(root, loc[:-1])))


def _unknown_field_fix(root: type[BaseModel], loc: Sequence[str | int]) -> str:
    parent = loc[:-1]
    allowed = _fields_of(_model_at(root, parent))
    guess = _unknown_field_guess(root, loc)
    if guess is not None:
        return f"unknown field; did you mean {field_path([*parent, guess])}?"
    return f"unknown field; allowed here: {', '.join(allowed)}"


def _missing_fix(root: type[BaseModel], loc: Sequence[str | int], document: object) -> str:
    name = str(loc[-1])
    example = _example(loc)
    fix = f"missing; add {name}: {example}" if example else f"missing; add {name}"
    present = _input_at(document, loc[:-1])
    if isinstance(present, Mapping):
        allowed = set(_fields_of(_model_at(root, loc[:-1])))
        strays = [str(key) for key in present if str(key) not in allowed]
        guess = _closest(name, strays)
        if guess is not None:
            fix += f" (found {guess}; is it misspelled?)"
    return fix


def _choices(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


def _literal_fix(value: object, expected: str) -> str:
    choices = _choices(expected)
    if len(choices) == 1:
        return f"must be {choices[0]} (got {_shown(value)})"
    fix = f"must be one of {', '.join(choices)} (got {_shown(value)})"
    guess = _closest(str(value), choices) if isinstance(value, str) else None
    return f"{fix}; did you mean {guess}?" if guess else fix


def _with_example(fix: str, loc: Sequence[str | int]) -> str:
    example = _example(loc)
    return f"{fix}, e.g. {example}" if example else fix


_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def _parsed_path(head: str) -> tuple[str | int, ...] | None:
    """`verify.stages[1].name` -> ('verify', 'stages', 1, 'name'); None when `head` is not a field path."""
    parts: list[str | int] = []
    for segment in head.split("."):
        match = _SEGMENT.match(segment)
        if match is None:
            return None
        parts.append(match.group(1))
        parts.extend(int(index) for index in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(parts)


def _refined_field(loc: Sequence[str | int], message: str) -> tuple[str | int, ...]:
    """A model-level check names its field first (`flow.type is required ...`): point at that field."""
    segments = _parsed_path(message.split(" ", 1)[0])
    if segments is None or len(segments) < 2:
        return tuple(loc)
    if loc and segments[0] == loc[0]:
        return segments
    if loc and segments[0] == loc[-1]:
        return (*loc, *segments[1:])
    return tuple(loc)


_BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "1", "0"})


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def fix_for(root: type[BaseModel], error: ErrorDetails, document: object) -> tuple[str, str]:
    """Translate one pydantic error into (field path, fix sentence)."""
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return field_path(loc), _unknown_field_fix(root, loc)
    if kind == "missing":
        return field_path(loc), _missing_fix(root, loc, document)
    if kind == "literal_error":
        return field_path(loc), _literal_fix(value, str(ctx.get("expected", "")))
    if kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        refined = _refined_field(loc, message)
        if refined != loc:
            message = message.split(" ", 1)[1]
        return field_path(refined), message
    if value is None and kind not in {"dict_type", "model_type", "list_type"}:
        return field_path(loc), _with_example("has no value; set it", loc)
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        fix = _with_example(f"must be {bounds[kind]} {limit}", loc)
        return field_path(loc), f"{fix} (got {_shown(value)})"
    if kind == "string_too_short":
        return field_path(loc), _with_example("must not be empty", loc)
    if kind == "string_too_long":
        limit = ctx.get("max_length", "")
        return field_path(loc), f"must be at most {limit} characters (got {len(str(value))})"
    if kind == "too_long":
        limit = ctx.get("max_length", "")
        return field_path(loc), f"must have at most {limit} items (got {ctx.get('actual_length', '')})"
    if kind == "string_pattern_mismatch":
        return field_path(loc), pattern_fix(field_path(loc), value)
    if kind == "string_type":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return field_path(loc), f'must be a string; quote it in YAML: "{value}"'
        return field_path(loc), f"{_with_example('must be a string', loc)} (got {_shown(value)})"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        what = "must be a whole number"
        if isinstance(value, str) and _looks_numeric(value):
            what += f", {_UNQUOTED_HINT}"
        return field_path(loc), f"{_with_example(what, loc)} (got {_shown(value)})"
    if kind in {"float_parsing", "float_type"}:
        what = "must be a number"
        if isinstance(value, str) and _looks_numeric(value):
            what += f", {_UNQUOTED_HINT}"
        return field_path(loc), f"{_with_example(what, loc)} (got {_shown(value)})"
    if kind in {"bool_parsing", "bool_type"}:
        if isinstance(value, str) and value.strip().lower() in _BOOLEAN_WORDS:
            return field_path(loc), f"must be true or false, {_UNQUOTED_HINT} (got {_shown(value)})"
        return field_path(loc), f"must be true or false (got {_shown(value)})"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return field_path(loc), f"{_with_example('must be a mapping', loc)} (got {_shown(value)})"
    if kind == "list_type":
        return field_path(loc), f"{_with_example('must be a list', loc)} (got {_shown(value)})"
    return field_path(loc), str(error["msg"])


def problems_from_validation(
    error: ValidationError,
    *,
    root: type[BaseModel],
    document: object,
    file: str,
    index: int,
    resource: str,
) -> list[ManifestProblem]:
    problems = []
    details = error.errors(include_url=False)
    misspelt = {
        (*detail["loc"][:-1], _unknown_field_guess(root, detail["loc"]))
        for detail in details
        if detail["type"] == "extra_forbidden"
    }
    for detail in details:
        if detail["type"] == "missing" and tuple(detail["loc"]) in misspelt:
            continue  # the unknown-field problem for the misspelling already says what to do
        path, fix = fix_for(root, detail, document)
        problems.append(ManifestProblem(file=file, document=index, resource=resource, field=path, fix=fix))
    return problems
