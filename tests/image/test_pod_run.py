"""The Deployment -> `podman run` translation the image tests rely on: each pod field becomes the podman
option that enforces it, and a field it cannot reproduce is refused rather than dropped."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.rendered import DEPLOY
from tests.support.pod_run import KUBECONFIG_MOUNT, UnsupportedPodSpec, pod_run

DIRS = {"tmp": Path("/h/tmp"), "workdir": Path("/h/work")}
PORTS = {8080: 18080, 9090: 19090}


def _deployment() -> dict[str, Any]:
    return next(
        d for d in yaml.safe_load_all((DEPLOY / "deployment.yaml").read_text()) if d["kind"] == "Deployment"
    )


def _run(deployment: dict[str, Any]) -> list[str]:
    return pod_run(
        deployment,
        image="img",
        namespace="ns",
        host_ports=PORTS,
        emptydirs=DIRS,
        kubeconfig=Path("/h/kc"),
        name="c",
    ).argv


def test_the_shipped_deployment_becomes_these_exact_podman_arguments() -> None:
    run = pod_run(
        _deployment(),
        image="img",
        namespace="ns",
        host_ports=PORTS,
        emptydirs=DIRS,
        kubeconfig=Path("/h/kc"),
        name="c",
    )
    assert run.argv == [
        "--name", "c", "--pull=missing", "--network", "host", "--ulimit", "host", "--user", "10001:10001",
        "--group-add", "10001", "--read-only", "--read-only-tmpfs=false",
        "--security-opt", "no-new-privileges",
        "--cap-drop=all", "--volume", "/h/tmp:/tmp:rw", "--volume", "/h/work:/var/lib/flowrelease:rw",
        "--volume", f"/h/kc:{KUBECONFIG_MOUNT}:ro", "--env", f"KUBECONFIG={KUBECONFIG_MOUNT}",
        "--env", "FLOWRELEASE_WORKDIR=/var/lib/flowrelease", "--env", "HOME=/tmp", "--env", "TMPDIR=/tmp",
        "--env", "PYTHONUNBUFFERED=1", "--env", "POD_NAMESPACE=ns", "--cpus", "0.5", "--memory", "512m",
        "img", "operator", "--all-namespaces", "--standalone", "--liveness=http://0.0.0.0:18080/healthz",
        "--metrics-port=19090",
    ]  # fmt: skip
    assert run.grace_seconds == 30
    assert run.named_ports == {"health": 18080, "metrics": 19090}
    assert run.probes == {"liveness": ("/healthz", 18080), "readiness": ("/healthz", 18080)}
    assert run.writable == {"/tmp": DIRS["tmp"], "/var/lib/flowrelease": DIRS["workdir"]}


def _with(path: str, value: Any) -> dict[str, Any]:
    """The shipped Deployment with the pod-spec field at `path` ("c." = the container, dots) set."""
    deployment = copy.deepcopy(_deployment())
    node: Any = deployment["spec"]["template"]["spec"]
    keys: list[Any] = [
        int(k) if k.isdigit() else k for k in path.replace("c.", "containers.0.", 1).split(".")
    ]
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
    return deployment


@pytest.mark.parametrize(
    ("case", "path", "value", "message"),
    [
        ("host network is not the Deployment's", "hostNetwork", True, "pod spec fields"),
        ("an init container would not run", "initContainers", [], "pod spec fields"),
        ("a sidecar field is not reproduced", "c.lifecycle", {}, "container fields"),
        ("a ConfigMap volume is not an emptyDir", "volumes.0", {"name": "tmp", "configMap": {}}, "emptyDir"),
        ("env from a Secret", "c.env.0", {"name": "X", "valueFrom": {"secretKeyRef": {}}}, "env X"),
        ("Localhost seccomp", "c.securityContext.seccompProfile", {"type": "Localhost"}, "seccompProfile"),
        ("root with runAsNonRoot never starts", "securityContext.runAsUser", 0, "runAsNonRoot"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else "",
)  # fmt: skip
def test_a_field_that_cannot_be_reproduced_is_refused(case: str, path: str, value: Any, message: str) -> None:
    with pytest.raises(UnsupportedPodSpec, match=message):
        _run(_with(path, value))


@pytest.mark.parametrize(
    ("case", "path", "value", "expected"),
    [
        ("added capabilities", "c.securityContext.capabilities.add", ["NET_RAW"], "--cap-add=net_raw"),
        ("no seccomp", "c.securityContext.seccompProfile", {"type": "Unconfined"}, "seccomp=unconfined"),
        ("a read-only mount stays read-only", "c.volumeMounts.0.readOnly", True, "/h/tmp:/tmp:ro"),
        ("memory in Gi", "c.resources.limits.memory", "1Gi", "1g"),
        ("whole CPUs", "c.resources.limits.cpu", "2", "2"),
        ("Never pull", "c.imagePullPolicy", "Never", "--pull=never"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else "",
)  # fmt: skip
def test_each_setting_reaches_podman(case: str, path: str, value: Any, expected: str) -> None:
    assert expected in _run(_with(path, value))
