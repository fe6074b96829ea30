"""`sync` in a fresh CI runner: no state file, no clone, twice in a row. The second run rebuilds what it needs
from Genesys (the live version) and from the artifact already in Git (release.json), so there is exactly one
publish and one commit, and the provenance (dependency hash, operation id, trailers) never degrades."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowrelease.engine.archy_source import source_digest
from flowrelease.engine.dependency_hash import dependency_hash
from flowrelease.genesys import GenesysClient
from tests.integration.gitops.conftest import Repository
from tests.support.emulator import EmulatorHandle
from tests.support.git_http import GitHttpServer
from tests.support.orgs import QUICK_TIMING

CLI = [sys.executable, "-c", "from flowrelease.cli import main; main()"]
PUBLISH_PATH = "/api/v2/flows/actions/publish"
IMPORT_PATH = "/api/v2/flows/jobs"


@pytest.fixture(params=["ideal", "realistic"])
def genesys(request: pytest.FixtureRequest) -> EmulatorHandle:
    """The emulator on both profiles; `realistic` (read lag, renumbered drafts, async work taking time,
    every behaviour on) with its timing shortened, as the sync tests run it."""
    if request.param == "ideal":
        handle: EmulatorHandle = request.getfixturevalue("emulator")
        return handle
    handle = request.getfixturevalue("realistic_emulator")
    handle.control.set_behaviour(timing=QUICK_TIMING)
    return handle


RELEASE = """\
apiVersion: v1
kind: Secret
metadata: {{name: genesys, namespace: cc}}
stringData: {{clientId: {client_id}, clientSecret: {client_secret}}}
---
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: support-ivr, namespace: cc}}
spec:
  genesys: {{environment: {environment}, credentialsSecretRef: {{name: genesys}}}}
  flow: {{type: inboundcall, name: Support IVR}}
  version: "3.0"
  release: {{label: "2.4.1"}}
  verify: {{stages: [{{name: bake, bakeSeconds: 1, settleSeconds: 0}}]}}
  export:
    git: {{url: "{url}", branch: main, path: flows/support-ivr{secret_ref}}}
{git_secret}"""


def fresh_runner(
    root: Path, manifests: Path, run: int, command: str = "sync"
) -> subprocess.CompletedProcess[str]:
    """One `command` as a fresh CI runner runs it: a state file and a clone folder that do not exist yet."""
    runner = root / f"runner-{run}"
    writes = ["--git-workdir", str(runner / "git"), "--timeout", "120"] if command == "sync" else []
    return subprocess.run(
        [*CLI, command, str(manifests), "--output", "json", "--state", str(runner / "state.json"), *writes],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
    )


def fresh_runner_sync(root: Path, manifests: Path, run: int) -> dict[str, Any]:
    done = fresh_runner(root, manifests, run)
    assert done.returncode == 0, done.stderr + done.stdout
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def write_manifests(root: Path, emulator: EmulatorHandle, url: str, git_secret: str = "") -> Path:
    manifests = root / "manifests"
    manifests.mkdir(parents=True)
    # healthy counts for 3.0, whatever the window: the 1 s stage is judged, never passed on no data
    emulator.control.set_analytics(
        emulator.flow_id("Support IVR"),
        version="3.0",
        n_flow=100,
        n_flow_outcome=100,
        n_flow_outcome_failed=1,
    )
    (manifests / "release.yaml").write_text(
        RELEASE.format(
            client_id=emulator.client_id,
            client_secret=emulator.client_secret,
            environment=emulator.base_url,
            url=url,
            secret_ref=", secretRef: {name: flows-git}" if git_secret else "",
            git_secret=git_secret,
        )
    )
    return manifests


def assert_one_publish_one_commit_full_provenance(emulator: EmulatorHandle, repo: Repository) -> None:
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 1
    (commit,) = repo.commits()
    trailers = repo.trailers(commit)
    metadata = json.loads(repo.show("main", "flows/support-ivr/release.json"))
    operation_id = trailers["Operation-Id"]
    assert operation_id and metadata["operationId"] == operation_id
    assert trailers["Dependency-Hash"].startswith("sha256:") and len(trailers["Dependency-Hash"]) == 71
    assert metadata["dependencyHash"] == trailers["Dependency-Hash"]
    assert trailers["Flow-Version"] == metadata["flow"]["version"] == "3.0"
    assert trailers["Flow-Id"] == metadata["flow"]["id"] == emulator.flow_id("Support IVR")
    assert trailers["FlowRelease"] == "cc/support-ivr" and trailers["Release-Label"] == "2.4.1"
    assert metadata["release"] == {"namespace": "cc", "name": "support-ivr", "label": "2.4.1"}


def test_two_fresh_runner_syncs_make_one_publish_and_one_commit_with_full_provenance(
    tmp_path: Path, genesys: EmulatorHandle, bare_repo: Repository
) -> None:
    emulator = genesys
    manifests = write_manifests(tmp_path, emulator, bare_repo.url)

    first = fresh_runner_sync(tmp_path, manifests, 1)
    second = fresh_runner_sync(tmp_path, manifests, 2)

    for summary in (first, second):
        (release,) = summary["releases"]
        assert (release["phase"], release["publishedVersion"]) == ("Ready", "3.0")
    assert_one_publish_one_commit_full_provenance(emulator, bare_repo)
    state = json.loads((tmp_path / "runner-2" / "state.json").read_text())
    status = state["releases"]["cc/support-ivr"]["status"]
    assert status["artifact"]["commit"] == bare_repo.commits()[0]
    assert status["dependencyHash"] == bare_repo.trailers(bare_repo.commits()[0])["Dependency-Hash"]


def test_the_same_over_https_with_credentials(
    tmp_path: Path, emulator: EmulatorHandle, http_repo: Repository, git_http_server: GitHttpServer
) -> None:
    ca = "".join(f"    {line}\n" for line in git_http_server.ca_certificate.splitlines())
    secret = (
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: flows-git, namespace: cc}\nstringData:\n"
        f"  username: {git_http_server.username}\n  password: {git_http_server.password}\n  ca.crt: |\n{ca}"
    )
    manifests = write_manifests(tmp_path, emulator, http_repo.url, git_secret=secret)
    fresh_runner_sync(tmp_path, manifests, 1)
    fresh_runner_sync(tmp_path, manifests, 2)
    assert_one_publish_one_commit_full_provenance(emulator, http_repo)


def test_a_relabel_without_a_new_version_commits_nothing(
    tmp_path: Path, emulator: EmulatorHandle, bare_repo: Repository
) -> None:
    manifests = write_manifests(tmp_path, emulator, bare_repo.url)
    fresh_runner_sync(tmp_path, manifests, 1)
    release = manifests / "release.yaml"
    release.write_text(release.read_text().replace('label: "2.4.1"', 'label: "2.4.2"'))
    fresh_runner_sync(tmp_path, manifests, 2)
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == 1
    commits = bare_repo.commits()
    assert len(commits) == 1, "the label names the release that published: a relabel alone commits nothing"
    assert bare_repo.trailers(commits[0])["Release-Label"] == "2.4.1"


SOURCE_YAML = """\
inboundCall:
  name: Billing IVR
  division: Home
  startUpRef: "/inboundCall/menus/menu[Main Menu_10]"
  defaultLanguage: en-us
  menus:
    - menu:
        name: {{menu}}
        refId: Main Menu_10
        choices:
          - menuTransferToAcd:
              name: Billing
              dtmf: digit_1
              targetQueue:
                lit:
                  name: Billing
"""
SUBSTITUTED = SOURCE_YAML.replace("{{menu}}", "Main Menu")

SOURCE_RELEASE = """\
apiVersion: v1
kind: Secret
metadata: {{name: genesys, namespace: cc}}
stringData: {{clientId: {client_id}, clientSecret: {client_secret}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: billing-flow, namespace: cc}}
data:
  flow.yaml: |
{source}
---
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: billing-ivr, namespace: cc}}
spec:
  genesys: {{environment: {environment}, credentialsSecretRef: {{name: genesys}}}}
  flow: {{type: inboundcall, name: Billing IVR}}
  source:
    configMapRef: {{name: billing-flow, key: flow.yaml}}
    substitutions: {{menu: Main Menu}}
  export:
    git: {{url: "{url}", branch: main, path: flows/billing-ivr}}
"""


def write_source_manifests(root: Path, emulator: EmulatorHandle, url: str) -> Path:
    manifests = root / "manifests"
    manifests.mkdir()
    (manifests / "release.yaml").write_text(
        SOURCE_RELEASE.format(
            client_id=emulator.client_id,
            client_secret=emulator.client_secret,
            environment=emulator.base_url,
            url=url,
            source="".join(f"    {line}\n" for line in SOURCE_YAML.splitlines()).rstrip("\n"),
        )
    )
    return manifests


def source_artifact(emulator: EmulatorHandle, repo: Repository) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The one commit, its trailers and release.json, checked for full provenance of the imported version."""
    (commit,) = repo.commits()
    trailers = repo.trailers(commit)
    metadata: dict[str, Any] = json.loads(repo.show("main", "flows/billing-ivr/release.json"))
    assert trailers["Source-Digest"] == metadata["sourceDigest"] == source_digest(SUBSTITUTED)
    assert trailers["Operation-Id"] and metadata["operationId"] == trailers["Operation-Id"]
    assert (
        metadata["dependencyHash"]
        == trailers["Dependency-Hash"]
        == asyncio.run(consumed_hash(emulator, "Billing IVR", metadata["flow"]["version"]))
    )
    assert trailers["Flow-Id"] == metadata["flow"]["id"] == emulator.flow_id("Billing IVR")
    assert trailers["Flow-Version"] == metadata["flow"]["version"]
    assert trailers["FlowRelease"] == "cc/billing-ivr"
    return commit, trailers, metadata


def live_version(emulator: EmulatorHandle, name: str) -> str:
    flows = emulator.control.state()["flows"]
    assert isinstance(flows, list)
    (flow,) = [flow for flow in flows if flow["name"] == name]
    return str(flow["publishedVersion"])


def reader(emulator: EmulatorHandle, http: httpx.AsyncClient) -> GenesysClient:
    return GenesysClient(
        http, base_url=emulator.base_url, client_id=emulator.client_id, client_secret=emulator.client_secret
    )


async def consumed_hash(emulator: EmulatorHandle, name: str, version: str) -> str:
    """The hash of what dependency tracking reports `version` consumes (here: the Billing queue)."""
    async with httpx.AsyncClient() as http:
        report = await reader(emulator, http).consumed_resources(
            emulator.flow_id(name), version, "INBOUNDCALL"
        )
    assert [(d.type, d.name) for d in report.consumed] == [("QUEUE", "Billing")]
    return dependency_hash(report.consumed)


async def publish_by_hand(emulator: EmulatorHandle, name: str, version: str) -> None:
    """Someone in Architect publishes `version`; read back (polls and read lag served) until it is live."""
    flow_id = emulator.flow_id(name)
    emulator.control.publish_as(flow_id, client_id="architect-ui", version=version)
    emulator.control.advance_clock(30)  # realistic: the publish and its stale reads take emulator time
    async with httpx.AsyncClient() as http:
        client = reader(emulator, http)
        for _ in range(5):
            if (await client.get_flow(flow_id)).published_version == version:
                break
    assert live_version(emulator, name) == version


def test_two_fresh_runner_syncs_of_a_source_release_import_once(
    tmp_path: Path, genesys: EmulatorHandle, bare_repo: Repository
) -> None:
    emulator = genesys
    manifests = write_source_manifests(tmp_path, emulator, bare_repo.url)
    fresh_runner_sync(tmp_path, manifests, 1)
    publishes = emulator.control.request_count(method="POST", path=PUBLISH_PATH)
    second = fresh_runner_sync(tmp_path, manifests, 2)

    assert emulator.control.request_count(method="POST", path=IMPORT_PATH) == 1
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == publishes
    commit, trailers, metadata = source_artifact(emulator, bare_repo)
    (release,) = second["releases"]
    assert (release["phase"], release["publishedVersion"]) == ("Ready", metadata["flow"]["version"])
    assert live_version(emulator, "Billing IVR") == metadata["flow"]["version"]
    status = json.loads((tmp_path / "runner-2" / "state.json").read_text())["releases"]["cc/billing-ivr"][
        "status"
    ]
    assert status["artifact"]["commit"] == commit
    assert (status["sourceDigest"], status["dependencyHash"], status["publishedOperationId"]) == (
        trailers["Source-Digest"],
        trailers["Dependency-Hash"],
        trailers["Operation-Id"],
    )


def test_a_fresh_runner_plans_no_import_for_the_source_already_live(
    tmp_path: Path, emulator: EmulatorHandle, bare_repo: Repository
) -> None:
    manifests = write_source_manifests(tmp_path, emulator, bare_repo.url)
    fresh_runner_sync(tmp_path, manifests, 1)
    plan = fresh_runner(tmp_path, manifests, 2, command="plan")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    (planned,) = json.loads(plan.stdout)["releases"]
    assert planned["action"] == "nothing", planned
    assert emulator.control.request_count(method="POST", path=IMPORT_PATH) == 1


def test_a_version_published_by_hand_is_replaced_by_the_sources_own_without_importing_a_copy(
    tmp_path: Path, genesys: EmulatorHandle, bare_repo: Repository
) -> None:
    """Git says version N came from this source; someone published 2.0 by hand since. A fresh runner makes
    N live again (as promote mode does with spec.version), importing nothing and committing nothing."""
    emulator = genesys
    manifests = write_source_manifests(tmp_path, emulator, bare_repo.url)
    fresh_runner_sync(tmp_path, manifests, 1)
    _, _, metadata = source_artifact(emulator, bare_repo)
    imported = metadata["flow"]["version"]
    assert imported != "2.0"
    publishes = emulator.control.request_count(method="POST", path=PUBLISH_PATH)
    asyncio.run(publish_by_hand(emulator, "Billing IVR", "2.0"))

    fresh_runner_sync(tmp_path, manifests, 2)

    assert live_version(emulator, "Billing IVR") == imported
    assert emulator.control.request_count(method="POST", path=IMPORT_PATH) == 1
    assert emulator.control.request_count(method="POST", path=PUBLISH_PATH) == publishes + 1
    source_artifact(emulator, bare_repo)  # still the one commit, provenance intact


def test_a_fresh_runner_that_cannot_read_release_json_imports_nothing_and_says_why(
    tmp_path: Path, emulator: EmulatorHandle, bare_repo: Repository
) -> None:
    """The remote answers `git ls-remote` (the preflight passes) but cannot serve its objects: without
    release.json the run cannot tell the live version is this source's, so it stops before any write."""
    manifests = write_source_manifests(tmp_path, emulator, bare_repo.url)
    fresh_runner_sync(tmp_path, manifests, 1)
    for objects in (bare_repo.path / "objects").iterdir():
        if len(objects.name) == 2:
            shutil.rmtree(objects)

    done = fresh_runner(tmp_path, manifests, 2)

    assert done.returncode == 2, done.stdout + done.stderr
    problems = json.loads(done.stdout)["problems"]
    assert any(
        "FlowRelease cc/billing-ivr: spec.export.git.url:" in problem
        and "reads release.json" in problem
        and "nothing was imported, published or committed" in problem
        for problem in problems
    ), problems
    assert emulator.control.request_count(method="POST", path=IMPORT_PATH) == 1
    assert not (tmp_path / "runner-2" / "state.json").exists()
