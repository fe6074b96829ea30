"""Every malformed manifest in tests/fixtures/manifests/invalid/ produces exactly the error expected.yaml
lists for it: file, resource, field and fix, word for word."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flowrelease.api.manifests import ManifestError, load_manifests, resolve_releases

INVALID = Path(__file__).resolve().parents[2] / "fixtures" / "manifests" / "invalid"
EXPECTED: dict[str, list[str]] = yaml.safe_load((INVALID / "expected.yaml").read_text())


def test_the_corpus_is_complete() -> None:
    fixtures = {path.name for path in INVALID.glob("*.yaml")} - {"expected.yaml"}
    assert fixtures == set(EXPECTED), "every fixture has an expected error and every expectation a fixture"
    assert len(fixtures) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_manifest_reports_the_exact_error(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    with pytest.raises(ManifestError) as caught:
        resolve_releases(load_manifests([Path(name)]), environ={})
    assert [str(problem) for problem in caught.value.problems] == EXPECTED[name]
    assert str(caught.value) == "\n".join(EXPECTED[name])


def test_every_problem_in_the_folder_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID.parent)
    with pytest.raises(ManifestError) as caught:
        load_manifests([Path("invalid")])
    files = {problem.file for problem in caught.value.problems}
    assert "invalid/syntax-error.yaml" in files
    assert "invalid/unknown-field-typo.yaml" in files
    assert len(files) > 20
