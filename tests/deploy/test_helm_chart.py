"""charts/flowrelease, checked by a real helm (built from the Go module proxy): it lints, renders for the
default and a full set of values, renders the same RBAC and pod spec as `kubectl kustomize deploy/`, and
`helm install` into a real apiserver yields the same objects as `kubectl apply -k deploy/` does."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.rendered import DEPLOY, NAMESPACE, REPO_ROOT, by_kind, only, render
from tests.support.kube import KubeCluster, find_kube_bins, skip_or_fail_without_binaries
from tests.support.private_kube import private_cluster

CHART = REPO_ROOT / "charts" / "flowrelease"
FULL_VALUES = REPO_ROOT / "tests" / "fixtures" / "helm" / "full-values.yaml"
RELEASE = "flowrelease"
HELM_LABELS = {
    "helm.sh/chart",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
}
SERVER_FIELDS = {"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"}
TOOL_ANNOTATIONS = ("meta.helm.sh/", "kubectl.kubernetes.io/last-applied-configuration")


def _helm(
    helm: Path, *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(
            f"helm {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def _template(helm: Path, *args: str) -> list[dict[str, Any]]:
    out = _helm(helm, "template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def _named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (obj,) = [o for o in by_kind(objects, kind) if o["metadata"]["name"] == name]
    return obj


@pytest.fixture(scope="module")
def kubectl_bin() -> Path:
    bin_dir, why = find_kube_bins()
    if bin_dir is None:
        skip_or_fail_without_binaries(why)
    return bin_dir / "kubectl"


@pytest.fixture(scope="module")
def kustomized(kubectl_bin: Path) -> list[dict[str, Any]]:
    return render(kubectl_bin)


@pytest.fixture(scope="module")
def default_render(helm: Path) -> list[dict[str, Any]]:
    return _template(helm, "--include-crds")


@pytest.fixture(scope="module")
def full_render(helm: Path) -> list[dict[str, Any]]:
    return _template(helm, "--include-crds", "--values", str(FULL_VALUES))


# --------------------------------------------------------------------------------------------- lint


def test_helm_lint_passes_strictly_for_the_default_and_the_full_values(helm: Path) -> None:
    for extra in ((), ("--values", str(FULL_VALUES))):
        result = _helm(helm, "lint", "--strict", str(CHART), *extra, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 chart(s) failed" in result.stdout


def test_the_charts_crd_is_the_crd_in_crds() -> None:
    shipped = (CHART / "crds" / "flowreleases.flowrelease.io.yaml").read_text()
    assert shipped == (REPO_ROOT / "crds" / "flowreleases.flowrelease.io.yaml").read_text()


# ------------------------------------------------------------------------------------ default = deploy/


def _rbac(objects: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    rbac: dict[tuple[str, str], Any] = {}
    for obj in objects:
        if obj["kind"] in {"ClusterRole", "Role"}:
            rbac[(obj["kind"], obj["metadata"]["name"])] = obj["rules"]
        elif obj["kind"] in {"ClusterRoleBinding", "RoleBinding"}:
            key = (obj["kind"], obj["metadata"]["name"])
            rbac[key] = {
                "roleRef": obj["roleRef"],
                "subjects": obj["subjects"],
                "ns": obj["metadata"].get("namespace"),
            }
    return rbac


def test_the_default_render_has_the_same_rbac_as_kustomize(
    default_render: list[dict[str, Any]], kustomized: list[dict[str, Any]]
) -> None:
    assert _rbac(default_render) == _rbac(kustomized)
    sa = only(default_render, "ServiceAccount")
    assert (sa["metadata"]["name"], sa["metadata"]["namespace"]) == ("flowrelease", NAMESPACE)


def test_the_default_render_has_the_same_pod_spec_deployment_and_service_as_kustomize(
    default_render: list[dict[str, Any]], kustomized: list[dict[str, Any]]
) -> None:
    for kind in ("Deployment", "Service"):
        ours, theirs = only(default_render, kind), only(kustomized, kind)
        assert ours["metadata"]["name"] == theirs["metadata"]["name"]
        assert ours["spec"] == theirs["spec"], kind
    deployment = only(default_render, "Deployment")
    assert (
        deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        == "ghcr.io/flowrelease/flowrelease:0.1.0"
    )


def test_the_default_render_has_the_same_objects_as_kustomize_but_the_namespace(
    default_render: list[dict[str, Any]], kustomized: list[dict[str, Any]]
) -> None:
    def kinds(objects: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(o["kind"], o["metadata"]["name"]) for o in objects}

    # Helm installs into a namespace it is given (--create-namespace); docs/kubernetes.md labels it.
    assert kinds(default_render) == kinds(kustomized) - {("Namespace", NAMESPACE)}
    for obj in default_render:
        labels = obj["metadata"].get("labels", {})
        assert labels.get("app.kubernetes.io/name") == "flowrelease", obj["kind"]
        assert labels.get("app.kubernetes.io/part-of") == "flowrelease", obj["kind"]


# ------------------------------------------------------------------------------------------ full values


def test_every_value_reaches_the_rendered_objects(full_render: list[dict[str, Any]]) -> None:
    deployment = only(full_render, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == (
        "registry.example.test/platform/flowrelease@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    )
    assert container["imagePullPolicy"] == "Always"
    assert container["args"] == [
        "operator",
        "--namespace=contact-center",
        "--namespace=billing",
        "--standalone",
        "--liveness=http://0.0.0.0:8081/healthz",
        "--metrics-port=9091",
        "--selector=shard=a",
        "--verbose",
        "--drift-interval=120",
        "--max-concurrent=4",
        "--genesys-rate-limit=150",
        "--priority=0",
    ]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["HTTPS_PROXY"] == "http://proxy.example.test:3128"
    assert env["FLOWRELEASE_WORKDIR"] == "/var/lib/flowrelease"
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"health": 8081, "metrics": 9091}
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "768Mi"}
    assert pod["securityContext"]["runAsUser"] == 20002
    assert pod["serviceAccountName"] == "flowrelease-ops"
    assert pod["imagePullSecrets"] == [{"name": "registry-pull"}]
    assert pod["terminationGracePeriodSeconds"] == 45
    assert pod["priorityClassName"] == "platform-critical"
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert "nodeAffinity" in pod["affinity"]
    assert {v["name"]: v["emptyDir"]["sizeLimit"] for v in pod["volumes"]} == {
        "tmp": "128Mi",
        "workdir": "2Gi",
    }
    assert deployment["spec"]["template"]["metadata"]["labels"]["example.test/tier"] == "control"
    assert deployment["spec"]["template"]["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9091",
        "example.test/team": "platform",
    }
    assert only(full_render, "Service")["spec"]["ports"][0]["port"] == 9091
    assert only(full_render, "ServiceAccount")["metadata"]["annotations"] == {
        "example.test/owner": "platform"
    }


def test_watching_namespaces_binds_secret_reading_per_namespace_instead_of_cluster_wide(
    full_render: list[dict[str, Any]],
) -> None:
    bindings = by_kind(full_render, "RoleBinding")
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["billing", "contact-center"]
    for binding in bindings:
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "flowrelease-read-sources",
        }
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "flowrelease-ops", "namespace": NAMESPACE}
        ]
    assert [b["metadata"]["name"] for b in by_kind(full_render, "ClusterRoleBinding")] == [
        "flowrelease-operator"
    ]


def test_monitoring_objects_are_the_ones_in_deploy_monitoring(
    full_render: list[dict[str, Any]], kubectl_bin: Path
) -> None:
    monitoring = render(kubectl_bin, DEPLOY / "monitoring")
    rule = only(full_render, "PrometheusRule")
    assert rule["spec"] == only(monitoring, "PrometheusRule")["spec"]
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    monitor = only(full_render, "ServiceMonitor")
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "15s"}]
    assert monitor["spec"]["selector"] == only(monitoring, "ServiceMonitor")["spec"]["selector"]
    assert (
        monitor["spec"]["selector"]["matchLabels"].items()
        <= only(full_render, "Service")["metadata"]["labels"].items()
    )
    dashboard = only(full_render, "ConfigMap")
    assert dashboard["metadata"]["namespace"] == "grafana"
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = only(monitoring, "ConfigMap")
    assert json.loads(dashboard["data"]["flowrelease.json"]) == json.loads(
        shipped["data"]["flowrelease.json"]
    )
    assert shipped["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_monitoring_is_off_by_default(default_render: list[dict[str, Any]]) -> None:
    assert not [o for o in default_render if o["kind"] in {"ServiceMonitor", "PrometheusRule", "ConfigMap"}]


@pytest.mark.parametrize(
    ("case", "values", "message"),
    [
        (
            "a glob cannot get a RoleBinding",
            ["--set", "watchNamespaces={team-*}"],
            "readSourcesClusterWide: true",
        ),
        ("an unknown log level", ["--set", "logLevel=trace"], 'logLevel: "trace" is not supported'),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else "",
)
def test_values_the_operator_cannot_run_with_fail_with_the_fix(
    helm: Path, case: str, values: list[str], message: str
) -> None:
    result = _helm(helm, "template", RELEASE, str(CHART), *values, check=False)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_glob_works_with_cluster_wide_secret_reading(helm: Path) -> None:
    objects = _template(helm, "--set", "watchNamespaces={team-*}", "--set", "readSourcesClusterWide=true")
    assert (
        "--namespace=team-*"
        in only(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    )
    assert _named(objects, "ClusterRoleBinding", "flowrelease-read-sources")


# --------------------------------------------------------------------------------- install = apply -k


def _normalized(obj: dict[str, Any]) -> dict[str, Any]:
    obj = json.loads(json.dumps(obj))
    meta = obj["metadata"]
    for key in SERVER_FIELDS:
        meta.pop(key, None)
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in HELM_LABELS}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if not k.startswith(TOOL_ANNOTATIONS)
    }
    annotations.pop("deployment.kubernetes.io/revision", None)
    meta["labels"], meta["annotations"] = labels, annotations
    obj.pop("status", None)
    if obj["kind"] == "Service":  # allocated by the apiserver, differently in each cluster
        obj["spec"].pop("clusterIP", None)
        obj["spec"].pop("clusterIPs", None)
    return obj


def _live(cluster: KubeCluster, objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    live = {}
    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        namespace = obj["metadata"].get("namespace")
        args = ["get", kind, name, *(("-n", namespace) if namespace else ())]
        live[(kind, name)] = _normalized(cluster.kubectl_json(*args))
    return live


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeCluster]:
    with private_cluster(tmp_path_factory.mktemp("kube-kustomize")) as cluster:
        cluster.kubectl("apply", "--server-side", "-k", str(DEPLOY))
        yield cluster


@pytest.fixture(scope="module")
def helm_installed(helm: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeCluster]:
    with private_cluster(tmp_path_factory.mktemp("kube-helm")) as cluster:
        # As docs/kubernetes.md says: the namespace with the Pod Security labels deploy/namespace.yaml sets.
        _install(helm, cluster)
        yield cluster


def _install(helm: Path, cluster: KubeCluster) -> None:
    """As docs/kubernetes.md says: the namespace with the Pod Security labels deploy/namespace.yaml sets,
    then `helm install`."""
    cluster.kubectl("create", "namespace", NAMESPACE)
    labels = only(list(yaml.safe_load_all((DEPLOY / "namespace.yaml").read_text())), "Namespace")["metadata"][
        "labels"
    ]
    cluster.kubectl("label", "namespace", NAMESPACE, *(f"{k}={v}" for k, v in labels.items()))
    _helm(
        helm,
        "install",
        RELEASE,
        str(CHART),
        "--namespace",
        NAMESPACE,
        "--kubeconfig",
        str(cluster.kubeconfig),
    )


@pytest.mark.kube
def test_helm_install_yields_the_same_objects_as_kubectl_apply_k(
    applied: KubeCluster, helm_installed: KubeCluster, kustomized: list[dict[str, Any]], helm: Path
) -> None:
    from_kustomize = _live(applied, kustomized)
    from_helm = _live(helm_installed, kustomized)
    namespace = ("Namespace", NAMESPACE)

    def pod_security(obj: dict[str, Any]) -> dict[str, str]:
        return {k: v for k, v in obj["metadata"]["labels"].items() if k.startswith("pod-security.")}

    assert pod_security(from_helm[namespace]) == pod_security(from_kustomize[namespace])
    assert len(pod_security(from_kustomize[namespace])) == 3
    for key in set(from_kustomize) - {namespace}:
        assert from_helm[key] == from_kustomize[key], key
    manifest = _helm(
        helm, "get", "manifest", RELEASE, "-n", NAMESPACE, "--kubeconfig", str(helm_installed.kubeconfig)
    )
    installed = {(o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all(manifest.stdout) if o}
    crd = ("CustomResourceDefinition", "flowreleases.flowrelease.io")
    assert installed | {crd, ("Namespace", NAMESPACE)} == set(from_kustomize)


@pytest.mark.kube
def test_helm_installs_an_established_crd_and_a_release_helm_can_upgrade(helm: Path, tmp_path: Path) -> None:
    with private_cluster(tmp_path / "kube") as helm_installed:
        _install(helm, helm_installed)
        _upgrade_and_check(helm, helm_installed)


def _upgrade_and_check(helm: Path, helm_installed: KubeCluster) -> None:
    crd = helm_installed.kubectl_json("get", "crd", "flowreleases.flowrelease.io")
    assert {c["type"]: c["status"] for c in crd["status"]["conditions"]}["Established"] == "True"
    kubeconfig = ("--namespace", NAMESPACE, "--kubeconfig", str(helm_installed.kubeconfig))
    _helm(helm, "upgrade", RELEASE, str(CHART), "--set", "driftIntervalSeconds=60", *kubeconfig)
    deployment = helm_installed.kubectl_json("get", "deployment", "flowrelease-operator", "-n", NAMESPACE)
    assert "--drift-interval=60" in deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    status = json.loads(_helm(helm, "status", RELEASE, "-o", "json", *kubeconfig).stdout)
    assert (status["info"]["status"], status["version"]) == ("deployed", 2)
