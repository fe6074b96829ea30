"""The pydantic model (flowrelease.api.models) and the CRD schema describe the same resource.

Structure is compared field by field in both directions, for spec and status: names (camelCase aliases),
types, enums, required-ness, defaults and every single-field rule, which the CRD states in OpenAPI keywords
(`minLength`, `maxLength`, `pattern`, `minimum`, `maximum`, `maxItems`) and never in CEL. Cross-field rules
cannot be compared structurally, so they are compared by behaviour: the model must accept every manifest the
apiserver accepts and reject every one it rejects (and tests/crd/test_crd_derived_cases.py derives a
violation of every keyword and proves both refuse it).
"""

from __future__ import annotations

import copy
import types
import typing
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import pydantic
import pytest
import yaml
from pydantic import BaseModel

from flowrelease.api import models
from tests.crd.manifests import (
    InvalidCase,
    crd,
    crd_schema,
    full_status,
    invalid_cases,
    kubernetes_documents,
    valid_manifests,
)

SCALARS: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _describe(annotation: Any) -> tuple[str, Any]:
    """(openapi type, detail): detail is the enum values, the item annotation or the model class."""
    annotation = _strip_optional(annotation)
    if get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) is Literal:
        return "string", sorted(get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "string", sorted(member.value for member in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object", annotation
    if get_origin(annotation) is list:
        return "array", get_args(annotation)[0]
    if get_origin(annotation) is dict:
        return "map", get_args(annotation)[1]
    if annotation in SCALARS:
        return SCALARS[annotation], None
    raise AssertionError(f"no CRD mapping for {annotation!r}")


KEYWORDS = ("minLength", "maxLength", "pattern", "minimum", "maximum", "maxItems")


def _constraints(field: pydantic.fields.FieldInfo, openapi_type: str) -> dict[str, Any]:
    """The model's constraints on a field, as the OpenAPI keywords the CRD must state."""
    found: dict[str, Any] = {}
    metadata = list(field.metadata)
    annotation = _strip_optional(field.annotation)
    if get_origin(annotation) is typing.Annotated:  # `Annotated[str, Field(...)] | None`
        metadata += [m for m in get_args(annotation)[1:] if not isinstance(m, pydantic.fields.FieldInfo)]
        for inner in get_args(annotation)[1:]:
            if isinstance(inner, pydantic.fields.FieldInfo):
                metadata += inner.metadata
    for constraint in metadata:
        if isinstance(constraint, annotated_types.MinLen) and constraint.min_length:
            found["minLength"] = constraint.min_length
        elif isinstance(constraint, annotated_types.MaxLen):
            found["maxItems" if openapi_type == "array" else "maxLength"] = constraint.max_length
        elif isinstance(constraint, annotated_types.Gt):
            # Only integers have exclusive bounds in the model: > n is minimum n + 1.
            assert openapi_type == "integer", f"exclusive bound on a {openapi_type}"
            found["minimum"] = constraint.gt + 1
        elif isinstance(constraint, annotated_types.Ge):
            found["minimum"] = constraint.ge
        elif isinstance(constraint, annotated_types.Le):
            found["maximum"] = constraint.le
        elif getattr(constraint, "pattern", None):
            found["pattern"] = constraint.pattern
    return found


def _keywords(prop: dict[str, Any]) -> dict[str, Any]:
    return {key: prop[key] for key in KEYWORDS if key in prop}


def _cel_bounds(schema: dict[str, Any]) -> list[str]:
    """Single-field comparisons (`self > 0`, `size(self) < 5`) in a property's own CEL rules: there must be
    none, because offline validators skip CEL."""
    bounds = []
    for validation in schema.get("x-kubernetes-validations", []):
        for part in validation["rule"].split("&&"):
            part = part.strip()
            if part.split(" ")[0] in {"self", "size(self)"} and part.split()[1:2] in (
                [">"],
                [">="],
                ["<"],
                ["<="],
            ):
                bounds.append(part)
    return bounds


def _model_default(field: pydantic.fields.FieldInfo) -> Any:
    """The default a user would see on the wire, or None when it is absent/empty (nothing to default)."""
    if field.is_required() or field.default_factory is not None:
        return None
    default = field.default
    if isinstance(default, Enum):
        default = default.value
    if default is None or default == "":
        return None
    return default


def _compare(model: type[BaseModel], schema: dict[str, Any], path: str, *, defaults: bool) -> list[str]:
    problems: list[str] = []
    assert schema.get("type") == "object", f"{path} is not an object in the CRD"
    properties: dict[str, Any] = schema.get("properties", {})
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}

    for name in sorted(set(fields) - set(properties)):
        problems.append(
            f"{path}.{name}: in the model ({model.__name__}) but not in the CRD (it would be pruned)"
        )
    for name in sorted(set(properties) - set(fields)):
        problems.append(f"{path}.{name}: in the CRD but not in the model ({model.__name__})")

    required = set(schema.get("required", []))
    for name in sorted(set(fields) & set(properties)):
        field, prop, where = fields[name], properties[name], f"{path}.{name}"
        if field.is_required() != (name in required):
            problems.append(f"{where}: required in the {'model' if field.is_required() else 'CRD'} only")
        problems += _compare_type(field.annotation, prop, where, defaults=defaults)
        model_keywords = _constraints(field, str(prop.get("type")))
        if _keywords(prop) != model_keywords:
            problems.append(f"{where}: keywords model={model_keywords} CRD={_keywords(prop)}")
        if _cel_bounds(prop):
            problems.append(f"{where}: bounds in CEL {_cel_bounds(prop)}; state them as OpenAPI keywords")
        if defaults:
            crd_default = prop.get("default")
            model_default = _model_default(field)
            if isinstance(crd_default, dict):
                if field.is_required() or crd_default:
                    problems.append(f"{where}: CRD default {crd_default} but the model field is required")
            elif crd_default != model_default:
                problems.append(f"{where}: default model={model_default!r} CRD={crd_default!r}")
    return problems


def _compare_type(annotation: Any, prop: dict[str, Any], where: str, *, defaults: bool) -> list[str]:
    kind, detail = _describe(annotation)
    if kind == "object":
        return _compare(detail, prop, where, defaults=defaults)
    if kind == "array":
        if prop.get("type") != "array":
            return [f"{where}: list in the model, {prop.get('type')} in the CRD"]
        return _compare_type(detail, prop["items"], f"{where}[]", defaults=defaults)
    if kind == "map":
        if prop.get("type") != "object" or "additionalProperties" not in prop:
            return [f"{where}: a map in the model but not a map (additionalProperties) in the CRD"]
        return _compare_type(detail, prop["additionalProperties"], f"{where}{{}}", defaults=defaults)
    problems = []
    if prop.get("type") != kind:
        problems.append(f"{where}: {kind} in the model, {prop.get('type')} in the CRD")
    if (detail is not None or "enum" in prop) and sorted(prop.get("enum", [])) != (detail or []):
        problems.append(f"{where}: enum model={detail} CRD={sorted(prop.get('enum', []))}")
    return problems


def test_spec_model_and_crd_schema_have_the_same_fields_types_enums_and_defaults() -> None:
    problems = _compare(models.FlowReleaseSpec, crd_schema()["properties"]["spec"], "spec", defaults=True)
    assert problems == []


def test_status_model_and_crd_schema_have_the_same_fields_types_and_enums() -> None:
    problems = _compare(
        models.FlowReleaseStatus, crd_schema()["properties"]["status"], "status", defaults=False
    )
    assert problems == []


def test_comparison_reports_every_kind_of_disagreement() -> None:
    """The checker is not vacuous: each kind of drift between model and CRD is reported."""
    schema = copy.deepcopy(crd_schema())
    spec, status = schema["properties"]["spec"], schema["properties"]["status"]
    del status["properties"]["sourceDigest"]
    status["properties"]["extra"] = {"type": "string"}
    spec["properties"]["publish"]["properties"]["lockPolicy"]["enum"].append("Steal")
    spec["properties"]["publish"]["properties"]["timeoutSeconds"]["default"] = 60
    spec["properties"]["verify"]["properties"]["stages"]["items"]["required"] = ["name"]
    spec["properties"]["suspend"]["type"] = "string"
    del spec["properties"]["verify"]["properties"]["stages"]["items"]["properties"]["minSamples"]["minimum"]
    spec["properties"]["export"]["properties"]["git"]["properties"]["path"]["pattern"] = "^.*$"
    spec["properties"]["publish"]["properties"]["timeoutSeconds"]["x-kubernetes-validations"] = [
        {"rule": "self > 0", "message": "positive"}
    ]

    problems = "\n".join(
        _compare(models.FlowReleaseSpec, spec, "spec", defaults=True)
        + _compare(models.FlowReleaseStatus, status, "status", defaults=False)
    )
    for expected in (
        "status.sourceDigest: in the model",
        "status.extra: in the CRD but not in the model",
        "spec.publish.lockPolicy: enum",
        "spec.publish.timeoutSeconds: default model=900 CRD=60",
        "spec.verify.stages[].bakeSeconds: required in the model only",
        "spec.suspend: boolean in the model, string in the CRD",
        "spec.verify.stages[].minSamples: keywords",
        "spec.export.git.path: keywords",
        "spec.publish.timeoutSeconds: bounds in CEL",
    ):
        assert expected in problems


def test_metadata_name_rules_are_the_models() -> None:
    """The apiserver requires a name itself, so the CRD states only its format."""
    name = crd_schema()["properties"]["metadata"]["properties"]["name"]
    model = _constraints(models.ObjectMeta.model_fields["name"], "string")
    assert model.pop("minLength") == 1
    assert _keywords(name) == model


def test_crd_names_match_the_model_constants() -> None:
    spec = crd()["spec"]
    assert spec["group"] == models.GROUP
    assert spec["names"]["kind"] == models.KIND
    assert spec["names"]["plural"] == models.PLURAL
    assert [v["name"] for v in spec["versions"]] == [models.VERSION]
    assert crd()["metadata"]["name"] == f"{models.PLURAL}.{models.GROUP}"


def test_model_reads_and_writes_back_every_status_field_the_crd_declares() -> None:
    status = full_status()
    assert models.FlowReleaseStatus.model_validate(status).to_wire() == status


def _flowrelease_docs() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.name}:{doc['metadata']['name']}", doc)
        for path in valid_manifests()
        for doc in kubernetes_documents(path)
        if doc["kind"] == "FlowRelease"
    ]


@pytest.mark.parametrize(("name", "doc"), _flowrelease_docs(), ids=[n for n, _ in _flowrelease_docs()])
def test_model_accepts_every_manifest_the_apiserver_accepts(name: str, doc: dict[str, Any]) -> None:
    release = models.FlowRelease.model_validate(doc)
    assert release.metadata.name == doc["metadata"]["name"]
    assert release.spec.model_dump(mode="json", by_alias=True, exclude_unset=True) == _as_json(doc["spec"])


def _as_json(value: Any) -> Any:
    return yaml.safe_load(yaml.safe_dump(value))


# Manifests the apiserver rejects but the model (currently) accepts: disagreements to fix in the model.
# Reported to the model's owner; strict xfail flips to a failure once the model is fixed, so remove the entry.
MODEL_GAPS: dict[str, str] = {}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=MODEL_GAPS[c.name]))
        if c.name in MODEL_GAPS
        else c
        for c in invalid_cases()
    ],
    ids=lambda c: c.name,
)
def test_model_rejects_every_manifest_the_apiserver_rejects(case: InvalidCase) -> None:
    with pytest.raises(pydantic.ValidationError):
        models.FlowRelease.model_validate(case.document)
