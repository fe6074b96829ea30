"""Cases derived from the CRD schema (tests/crd/derived_cases.py): the CLI loader, the real apiserver and
kubeconform each refuse every one, and accept the valid bases they were derived from."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from flowrelease.api.errors import ManifestError
from flowrelease.api.manifests import load_manifests
from tests.crd.derived_cases import (
    BASE_FROM_RELEASE,
    BASE_PROMOTE,
    BASE_SOURCE,
    NAME,
    DerivedCase,
    derive_cases,
)
from tests.crd.manifests import crd_schema
from tests.support.kube import KubeCluster
from tests.support.kubeconform import Kubeconform

CASES = derive_cases(crd_schema())
FIX_WORDS = re.compile(r"\b(must|missing|add|give|set|remove|unknown)\b")


def _write(folder: Path, name: str, document: object) -> Path:
    path = folder / f"{name.replace('/', '_').replace(':', '-')}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_the_schema_yields_a_case_for_every_kind_of_keyword() -> None:
    keywords = Counter(case.keyword for case in CASES)
    assert set(keywords) == {
        "type",
        "required",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "maxItems",
    }
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "base", [BASE_PROMOTE, BASE_SOURCE, BASE_FROM_RELEASE], ids=["promote", "source", "from-release"]
)
def test_the_bases_are_valid_for_the_cli(tmp_path: Path, base: dict[str, object]) -> None:
    (loaded,) = load_manifests([_write(tmp_path, "base", base)]).releases
    assert loaded.release.metadata.name == NAME


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_cli_loader_refuses_the_case_naming_file_resource_field_and_fix(
    tmp_path: Path, case: DerivedCase
) -> None:
    path = _write(tmp_path, case.id, case.document())
    with pytest.raises(ManifestError) as caught:
        load_manifests([path])
    problems = [problem for problem in caught.value.problems if problem.field == case.field]
    assert problems, f"{case.reason}: no problem names {case.field}: {caught.value}"
    (problem,) = problems
    assert (problem.file, problem.document) == (str(path), 1)
    assert problem.resource.startswith("FlowRelease default/")
    assert FIX_WORDS.search(problem.fix) and "Input should" not in problem.fix, problem.fix


@pytest.mark.kube
def test_the_apiserver_accepts_the_bases(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str
) -> None:
    for base in (BASE_PROMOTE, BASE_SOURCE, BASE_FROM_RELEASE):
        kube_cluster.kubectl(
            "apply", "--dry-run=server", "-n", kube_namespace, "-f", "-", input=yaml.safe_dump(base)
        )


@pytest.mark.kube
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_apiserver_refuses_the_case_naming_the_field(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str, case: DerivedCase
) -> None:
    result = kube_cluster.kubectl(  # create, not apply: apply would first GET the object by its (bad) name
        "create",
        "--dry-run=server",
        "-n",
        kube_namespace,
        "-f",
        "-",
        input=yaml.safe_dump(case.document()),
        check=False,
    )
    assert result.returncode != 0, f"{case.reason}: the apiserver accepted it:\n{result.stdout}"
    assert case.field in result.stderr, f"{case.reason}: {case.field} not named in:\n{result.stderr}"


def test_kubeconform_refuses_every_case_at_its_field_and_accepts_the_bases(
    kubeconform: Kubeconform, tmp_path: Path
) -> None:
    files = {case.id: _write(tmp_path, case.id, case.document()) for case in CASES}
    bases = [
        _write(tmp_path, "base-promote", BASE_PROMOTE),
        _write(tmp_path, "base-source", BASE_SOURCE),
        _write(tmp_path, "base-from-release", BASE_FROM_RELEASE),
    ]
    verdicts = kubeconform.validate([*files.values(), *bases])
    for base in bases:
        assert verdicts[str(base)].status == "statusValid", verdicts[str(base)]
    unrefused = []
    for case in CASES:
        verdict = verdicts[str(files[case.id])]
        named = verdict.status == "statusError" or any(
            pointer == case.pointer or pointer.startswith(case.pointer + "/") for pointer, _ in verdict.errors
        )
        if not (verdict.refused and named):
            unrefused.append(f"{case.id}: {verdict}")
    assert unrefused == []
