"""The shell's Kubernetes client on the operator's own ServiceAccount (deploy/ applied, a real token from the
TokenRequest API): logged in as a pod is (token and CA files, service host in the environment) and through a
kubeconfig, every call the shell makes works within deploy/rbac.yaml; and the whole operator, on that token,
releases to Ready."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path

import pytest
import yaml

from flowrelease.k8s.kube_api import KubeApi, KubeApiError, ObjectGone, ObjectRef, ServiceAccountFiles
from tests.deploy.rendered import DEPLOY, NAMESPACE
from tests.e2e.conftest import Cluster, GenesysClientCreds, condition, is_ready, release_manifest
from tests.support.apiserver_metrics import gets_now
from tests.support.emulator import EmulatorHandle
from tests.support.kube import KubeCluster

pytestmark = [pytest.mark.kube, pytest.mark.timeout(180)]

# A refused call as the shell logs it: the apiserver's reason or the bare status code, not digits inside an
# operation id (a uuid like fd392da0-257e-4032-... holds "403" by chance) or a number (an audit record's
# "latency_ms": 403.2 on a loaded machine).
REFUSAL = re.compile(r"Forbidden|(?<![0-9A-Za-z.-])403(?![0-9A-Za-z-]|\.[0-9])")


def service_account_token(kube: KubeCluster) -> str:
    kube.kubectl("apply", "--server-side", "--force-conflicts", "-k", str(DEPLOY))
    return kube.kubectl("create", "token", "flowrelease", "-n", NAMESPACE, "--duration=1h").stdout.strip()


def token_kubeconfig(kube: KubeCluster, token: str, path: Path) -> Path:
    admin = yaml.safe_load(kube.kubeconfig.read_text())
    cluster = admin["clusters"][0]
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [cluster],
                "users": [{"name": "flowrelease", "user": {"token": token}}],
                "contexts": [{"name": "sa", "context": {"cluster": cluster["name"], "user": "flowrelease"}}],
                "current-context": "sa",
            }
        )
    )
    return path


async def connect(kube: KubeCluster, token: str, tmp_path: Path, login: str) -> KubeApi:
    if login == "kubeconfig":
        return await KubeApi.connect(kubeconfig=str(token_kubeconfig(kube, token, tmp_path / "kubeconfig")))
    (tmp_path / "token").write_text(token)
    ca = yaml.safe_load(kube.kubeconfig.read_text())["clusters"][0]["cluster"]["certificate-authority-data"]
    (tmp_path / "ca.crt").write_bytes(base64.b64decode(ca))
    host, port = kube.server.removeprefix("https://").rsplit(":", 1)
    return await KubeApi.connect(
        environ={"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port},
        service_account=ServiceAccountFiles(token=tmp_path / "token", ca=tmp_path / "ca.crt"),
    )


@pytest.mark.parametrize("login", ["in-cluster", "kubeconfig"])
async def test_every_shell_call_works_on_the_service_account(
    cluster: Cluster, emulator: EmulatorHandle, tmp_path: Path, login: str
) -> None:
    token = service_account_token(cluster.kube)
    cluster.apply(release_manifest("sa-calls", environment=emulator.base_url))
    cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "src"}, "data": {"a": "b"}})
    cluster.apply(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "stringData": {"clientId": "c"}}
    )
    api = await connect(cluster.kube, token, tmp_path, login)
    try:
        obj = await api.get_release(cluster.namespace, "sa-calls")
        assert obj["metadata"]["name"] == "sa-calls"
        await api.replace_status(cluster.namespace, "sa-calls", {"phase": "Pending", "observedGeneration": 1})
        assert cluster.release("sa-calls")["status"] == {"phase": "Pending", "observedGeneration": 1}
        assert (await api.read_secret(cluster.namespace, "creds")).data == {"clientId": "c"}
        assert (await api.read_config_map(cluster.namespace, "src")).data == {"a": "b"}
        ref = ObjectRef(namespace=cluster.namespace, name="sa-calls", uid=obj["metadata"]["uid"])
        await api.post_event(ref, type="Normal", reason="Probe", message="posted on the ServiceAccount")
        assert "Probe" in cluster.event_reasons("sa-calls", "Probe")
        with pytest.raises(ObjectGone):
            await api.read_secret(cluster.namespace, "absent")
        with pytest.raises(ObjectGone):
            await api.get_release(cluster.namespace, "absent")
        # The CRD's schema refuses a phase it does not know: 422, not retried, the status left as it was.
        with pytest.raises(KubeApiError) as refused:
            await api.replace_status(
                cluster.namespace, "sa-calls", {"phase": "Bogus", "observedGeneration": 1}
            )
        assert refused.value.status == 422
        assert cluster.release("sa-calls")["status"] == {"phase": "Pending", "observedGeneration": 1}
    finally:
        await api.close()


async def test_overlapping_reads_of_one_secret_share_a_get_and_never_a_stale_answer(
    cluster: Cluster, tmp_path: Path
) -> None:
    """A fleet created at once reads its one credentials Secret once per burst, not once per release; a
    read after the burst sees a rotation; a missing Secret fails every reader alike."""
    token = service_account_token(cluster.kube)
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "shared"},
            "stringData": {"clientId": "a"},
        }
    )
    api = await connect(cluster.kube, token, tmp_path, "kubeconfig")
    try:
        before = gets_now(cluster.kube)[("secrets", "GET")]
        burst = await asyncio.gather(*(api.read_secret(cluster.namespace, "shared") for _ in range(50)))
        assert {r.data["clientId"] for r in burst} == {"a"}
        read = gets_now(cluster.kube)[("secrets", "GET")] - before
        assert 1 <= read < 50, f"50 overlapping reads made {read} GETs"
        cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "shared"},
                "stringData": {"clientId": "b"},
            }
        )
        assert (await api.read_secret(cluster.namespace, "shared")).data["clientId"] == "b", (
            "no cached answer"
        )
        missing = await asyncio.gather(
            *(api.read_secret(cluster.namespace, "absent") for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(m, ObjectGone) for m in missing), missing
    finally:
        await api.close()


def test_the_operator_releases_to_ready_on_its_service_account_token(
    cluster: Cluster,
    emulator: EmulatorHandle,
    genesys_client: GenesysClientCreds,
    start_operator,
    tmp_path: Path,
) -> None:
    token = service_account_token(cluster.kube)
    cluster.apply_credentials(genesys_client)
    operator = start_operator(
        cluster.namespace, kubeconfig=token_kubeconfig(cluster.kube, token, tmp_path / "sa")
    )
    cluster.apply(release_manifest("on-sa", environment=emulator.base_url, version="3.0"))
    obj = cluster.wait_release("on-sa", is_ready, timeout=60, what="Ready")
    assert obj["status"]["publishedVersion"] == "3.0"
    assert condition(obj, "Ready")["observedGeneration"] == obj["metadata"]["generation"]
    assert "Ready" in cluster.event_reasons("on-sa", "Ready")
    assert not REFUSAL.search(operator.logs()), REFUSAL.findall(operator.logs())
