"""`flowrelease sync` with spec.source.fromRelease: prod imports what test exported to Git for its live
version — byte for byte, with prod's own replacements — each environment its own org (realistic emulators)
and a real bare repository behind file://.

Bad input (the release itself, an upstream outside the folder, one without an export target, a cycle) is
refused up front with exit 2, naming the file and the field; an artifact that vanished from Git stops the
import with the fix named. In every refusal prod's org receives nothing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from flowrelease.engine.archy_source import source_digest
from tests.integration.local.conftest import cli
from tests.support.orgs import Org, promotion_documents, queue_of, support_ivr_yaml

V1 = support_ivr_yaml("Welcome to support.")
TEST = "cc-test/support-ivr-test"
PROD = "cc-prod/support-ivr-prod"


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "flows.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    return bare


def with_export(documents: str, url: str, path: str) -> str:
    return documents.replace(
        "  verify:\n", f"  export:\n    git: {{url: '{url}', path: {path}}}\n  verify:\n", 1
    )


def prod_documents(
    org: Org,
    *,
    upstream: str = "support-ivr-test",
    namespace: str = "cc-test",
    replace: dict[str, str] | None = None,
    gated: bool = True,
    export: str = "",
) -> str:
    replacements = replace if replace is not None else {queue_of("test"): queue_of("prod")}
    shown = ", ".join(f"'{key}': '{value}'" for key, value in replacements.items())
    promotion = (
        f"\n  promotion:\n    requires:\n      - {{name: {upstream}, namespace: {namespace}}}"
        if gated
        else ""
    )
    return f"""\
apiVersion: v1
kind: Secret
metadata: {{name: genesys-prod, namespace: cc-prod}}
stringData: {{clientId: {org.client_id}, clientSecret: {org.client_secret}}}
---
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: support-ivr-prod, namespace: cc-prod}}
spec:
  genesys:
    environment: {org.base_url}
    credentialsSecretRef: {{name: genesys-prod}}
  flow: {{type: inboundcall, name: Support IVR}}
  source:
    fromRelease: {{name: {upstream}, namespace: {namespace}}}
    substitutions: {{{shown}}}{export}
  verify:
    stages:
      - {{name: bake, bakeSeconds: 1, maxFailureRatio: 0.05, minSamples: 1, settleSeconds: 0}}{promotion}
"""


def write_folder(folder: Path, orgs: dict[str, Org], remote: Path, prod: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # prod first on disk: sync must run test (its fromRelease upstream) first.
    (folder / "0-prod.yaml").write_text(prod if prod is not None else prod_documents(orgs["prod"]))
    test = promotion_documents(orgs["test"], flow_yaml=V1)
    (folder / "1-test.yaml").write_text(with_export(test, remote.as_uri(), "flows/support-ivr-test"))


def sync(folder: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    run = cli(
        "sync", str(folder), "--output", "json", "--state", str(tmp_path / "state.json"), *args, cwd=tmp_path
    )
    releases = run.releases() if run.exit_code != 2 else {}
    return run.exit_code, releases, run.stderr


def state(tmp_path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((tmp_path / "state.json").read_text())
    return {key: record["status"] for key, record in document["releases"].items()}


def test_prod_imports_byte_for_byte_what_test_exported(
    tmp_path: Path, orgs: dict[str, Org], remote: Path
) -> None:
    folder = tmp_path / "releases"
    write_folder(folder, orgs, remote)

    code, releases, stderr = sync(folder, tmp_path, "--timeout", "120")

    assert code == 0, stderr
    assert {key: item["phase"] for key, item in releases.items()} == {TEST: "Ready", PROD: "Ready"}
    exported = git("--git-dir", str(remote), "show", "main:flows/support-ivr-test/flow.yaml")
    assert queue_of("test") in exported, "test's export holds test's own queue"
    assert exported != V1.replace("{{support_queue}}", queue_of("test")), (
        "the realistic org re-renders its export: importing the export is not importing the template"
    )
    uploads = orgs["prod"].control.uploads()
    assert uploads == [exported.replace(queue_of("test"), queue_of("prod"))], (
        "prod's org received exactly test's export with prod's replacement, once"
    )
    statuses = state(tmp_path)
    same_change = ("source", source_digest(V1))
    for key in (TEST, PROD):
        promotion = statuses[key]["promotion"]
        assert (promotion["changeKind"], promotion["change"]) == same_change, key
    assert statuses[PROD]["sourceDigest"] == source_digest(uploads[0])
    assert statuses[PROD]["promotion"]["gate"] == "Open"


def refused(tmp_path: Path, orgs: dict[str, Org], folder: Path) -> str:
    before = orgs["prod"].control.state()
    code, _, stderr = sync(folder, tmp_path, "--timeout", "60")
    assert code == 2, stderr
    assert orgs["prod"].imports() == 0 and orgs["test"].imports() == 0, "nothing was imported anywhere"
    assert orgs["prod"].control.state() == before
    return stderr


def test_from_release_naming_itself_is_bad_input(tmp_path: Path, orgs: dict[str, Org], remote: Path) -> None:
    folder = tmp_path / "releases"
    prod = prod_documents(orgs["prod"], upstream="support-ivr-prod", namespace="cc-prod", gated=False)
    write_folder(folder, orgs, remote, prod)

    stderr = refused(tmp_path, orgs, folder)

    assert (
        f"{folder / '0-prod.yaml'} (document 2): FlowRelease {PROD}: spec.source.fromRelease: names this "
        "release itself; name the upstream FlowRelease whose export this one imports" in stderr
    )


def test_an_upstream_outside_the_folder_is_bad_input(
    tmp_path: Path, orgs: dict[str, Org], remote: Path
) -> None:
    folder = tmp_path / "releases"
    write_folder(folder, orgs, remote, prod_documents(orgs["prod"], upstream="support-ivr-qa", gated=False))

    stderr = refused(tmp_path, orgs, folder)

    assert (
        f"{folder / '0-prod.yaml'} (document 2): FlowRelease {PROD}: spec.source.fromRelease: FlowRelease "
        "cc-test/support-ivr-qa is not among the manifests; sync imports from a release of the same run, so "
        "add its manifest to the folder or fix spec.source.fromRelease" in stderr
    )


def test_an_upstream_without_export_target_is_bad_input(
    tmp_path: Path, orgs: dict[str, Org], remote: Path
) -> None:
    folder = tmp_path / "releases"
    write_folder(folder, orgs, remote)
    (folder / "1-test.yaml").write_text(promotion_documents(orgs["test"], flow_yaml=V1))

    stderr = refused(tmp_path, orgs, folder)

    assert (
        f"FlowRelease {PROD}: spec.source.fromRelease: {TEST} ({folder / '1-test.yaml'} (document 3)) has no "
        f"export target (spec.export.git); fromRelease imports what the upstream exported to Git, so give "
        f"{TEST} spec.export.git" in stderr
    )


def test_a_cycle_of_imports_is_bad_input(tmp_path: Path, orgs: dict[str, Org], remote: Path) -> None:
    folder = tmp_path / "releases"
    export = f"\n  export:\n    git: {{url: '{remote.as_uri()}', path: flows/prod}}"
    write_folder(folder, orgs, remote, prod_documents(orgs["prod"], gated=False, export=export))
    test = (folder / "1-test.yaml").read_text()
    test = test.replace(
        "    configMapRef: {name: support-ivr-flow, key: flow.yaml}\n",
        "    fromRelease: {name: support-ivr-prod, namespace: cc-prod}\n",
    ).replace("substitutions: {support_queue: Support Test}", "substitutions: {}")
    (folder / "1-test.yaml").write_text(test)

    stderr = refused(tmp_path, orgs, folder)

    assert "spec.source.fromRelease forms a cycle: " in stderr
    assert (
        f"{PROD} ({folder / '0-prod.yaml'} (document 2)) -> {TEST} ({folder / '1-test.yaml'} (document 3))"
        in stderr
    )


def test_an_artifact_gone_from_git_stops_the_import(
    tmp_path: Path, orgs: dict[str, Org], remote: Path
) -> None:
    folder = tmp_path / "releases"
    write_folder(folder, orgs, remote)
    (folder / "0-prod.yaml").unlink()
    code, _, stderr = sync(folder, tmp_path, "--timeout", "120")
    assert code == 0, stderr
    work = tmp_path / "work"
    git("clone", "--quiet", str(remote), str(work))
    git(
        "-c",
        "user.name=someone",
        "-c",
        "user.email=someone@example.com",
        "rm",
        "--quiet",
        "flows/support-ivr-test/flow.yaml",
        cwd=work,
    )
    git(
        "-c",
        "user.name=someone",
        "-c",
        "user.email=someone@example.com",
        "commit",
        "--quiet",
        "-m",
        "oops",
        cwd=work,
    )
    git("push", "--quiet", "origin", "main", cwd=work)
    write_folder(folder, orgs, remote)

    code, releases, stderr = sync(folder, tmp_path, "--timeout", "60")

    assert code == 1, stderr
    assert releases[TEST]["phase"] == "Ready"
    prod = state(tmp_path)[PROD]
    assert prod["phase"] == "ValidationFailed"
    stalled = next(c for c in prod["conditions"] if c["type"] == "Stalled")
    assert stalled["message"] == (
        "Validation failed, nothing was published: "
        f"spec.source.fromRelease: {TEST}'s export at {remote.as_uri()} main:flows/support-ivr-test holds no "
        f"flow.yaml, though {TEST} exported version {state(tmp_path)[TEST]['artifact']['version']} (commit "
        f"{state(tmp_path)[TEST]['artifact']['commit']}); restore it or request a reconcile of {TEST} so it "
        "exports again"
    )
    assert orgs["prod"].imports() == 0, "nothing was imported into prod"
