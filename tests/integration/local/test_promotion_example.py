"""examples/promotion/: its kustomize overlays render with the real kubectl, the real apiserver accepts what
they render, and the CI script releases dev -> test -> prod against one emulator per org."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.local.conftest import REPO, clean_env
from tests.support.kube import KubeCluster, find_kube_bins

EXAMPLE = REPO / "examples" / "promotion"
ENVS = ("dev", "test", "prod")


def kubectl_bin() -> Path:
    bin_dir, why = find_kube_bins()
    if bin_dir is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"kubectl is required under CI=true: {why}")
        pytest.skip(why)
    return bin_dir


def render(env: str) -> str:
    done = subprocess.run(
        [str(kubectl_bin() / "kubectl"), "kustomize", str(EXAMPLE / "overlays" / env)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def test_each_overlay_renders_its_own_org_and_gate() -> None:
    releases = {}
    for env in ENVS:
        docs = list(yaml.safe_load_all(render(env)))
        assert sorted(d["kind"] for d in docs) == ["ConfigMap", "FlowRelease", "Secret"], env
        assert {d["metadata"]["namespace"] for d in docs} == {f"cc-{env}"}
        releases[env] = next(d for d in docs if d["kind"] == "FlowRelease")
    environments = {env: r["spec"]["genesys"]["environment"] for env, r in releases.items()}
    assert len(set(environments.values())) == 3, "each environment is its own org"
    assert "promotion" not in releases["dev"]["spec"]
    assert releases["test"]["spec"]["promotion"]["requires"] == [
        {"name": "support-ivr", "namespace": "cc-dev"}
    ]
    assert releases["prod"]["spec"]["promotion"]["requires"] == [
        {"name": "support-ivr", "namespace": "cc-test"}
    ]
    queues = {r["spec"]["source"]["substitutions"]["support_queue"] for r in releases.values()}
    assert len(queues) == 3, "per-environment substitutions"


@pytest.mark.kube
def test_the_apiserver_accepts_the_rendered_overlays(kube_cluster: KubeCluster, flowrelease_crd: str) -> None:
    names = {env: kube_cluster.create_namespace(f"example-{env}") for env in ENVS}
    for env in ENVS:
        text = render(env)
        for other in ENVS:
            text = text.replace(f"namespace: cc-{other}", f"namespace: {names[other]}")
        applied = kube_cluster.kubectl("apply", "--server-side", "-f", "-", input=text)
        assert "flowrelease.flowrelease.io/support-ivr serverside-applied" in applied.stdout, applied.stdout
    prod: dict[str, Any] = kube_cluster.kubectl_json("get", "fr", "support-ivr", "-n", names["prod"])
    assert prod["spec"]["promotion"] == {
        "requires": [{"name": "support-ivr", "namespace": names["test"]}],
        "soakSeconds": 600,
    }


def test_the_ci_script_promotes_dev_test_prod_against_emulators(tmp_path: Path) -> None:
    env = clean_env(
        PATH=f"{kubectl_bin()}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        RENDERED_DIR=str(tmp_path),
    )
    done = subprocess.run(
        [str(EXAMPLE / "ci" / "promote.sh"), "--emulator", "--output", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [(r["release"], r["phase"]) for r in summary["releases"]] == [
        ("cc-dev/support-ivr", "Ready"),
        ("cc-test/support-ivr", "Ready"),
        ("cc-prod/support-ivr", "Ready"),
    ], "sync ran upstreams first"
    assert isinstance(summary["emulator"], dict) and len(set(summary["emulator"].values())) == 3
    state = json.loads((tmp_path / ".flowrelease" / "state.json").read_text())["releases"]
    prod, test = state["cc-prod/support-ivr"]["status"], state["cc-test/support-ivr"]["status"]
    assert prod["promotion"]["gate"] == "Open"
    assert prod["promotion"]["change"] == test["promotion"]["change"]
    assert "stayed healthy for 600 s" in prod["promotion"]["message"]


def test_the_applicationset_deploys_each_overlay_into_its_namespace() -> None:
    appset = yaml.safe_load((EXAMPLE / "argocd" / "applicationset.yaml").read_text())
    assert appset["kind"] == "ApplicationSet"
    envs = [element["env"] for element in appset["spec"]["generators"][0]["list"]["elements"]]
    assert envs == list(ENVS)
    template = appset["spec"]["template"]["spec"]
    for env in envs:
        path = template["source"]["path"].replace("{{.env}}", env)
        assert (REPO / path / "kustomization.yaml").is_file(), path
        assert template["destination"]["namespace"].replace("{{.env}}", env) == f"cc-{env}"
