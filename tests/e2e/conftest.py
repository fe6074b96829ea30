"""Fixtures for the operator's end-to-end tests: real kube-apiserver + the emulator on loopback + real git,
and `flowrelease operator` as a subprocess watching the test's namespace."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.operator_process import OperatorProcess
from tests.support.emulator import EmulatorHandle
from tests.support.kube import KubeCluster

GROUP, VERSION, PLURAL = "flowrelease.io", "v1alpha1", "flowreleases"
CREDENTIALS_SECRET = "genesys-e2e"


@dataclass(frozen=True)
class GenesysClientCreds:
    client_id: str
    client_secret: str


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    for item in (obj.get("status") or {}).get("conditions") or []:
        if item.get("type") == type_:
            return dict(item)
    return {}


class Cluster:
    """The test's view of the cluster: kubectl for writes (as a user would), the Python client for reads."""

    def __init__(self, kube: KubeCluster, namespace: str) -> None:
        from kubernetes import client

        self.kube = kube
        self.namespace = namespace
        self._api_client = kube.api_client()
        self.custom = client.CustomObjectsApi(self._api_client)
        self.core = client.CoreV1Api(self._api_client)

    def apply(self, manifest: dict[str, Any]) -> None:
        import json

        self.kube.kubectl("apply", "-n", self.namespace, "-f", "-", input=json.dumps(manifest))

    def apply_credentials(self, creds: GenesysClientCreds, name: str = CREDENTIALS_SECRET) -> None:
        self.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name},
                "stringData": {"clientId": creds.client_id, "clientSecret": creds.client_secret},
            }
        )

    def release(self, name: str) -> dict[str, Any]:
        obj: dict[str, Any] = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name
        )
        return obj

    def releases(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.custom.list_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL
        )["items"]
        return items

    def patch_release(self, name: str, patch: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name, patch)

    def wait_release(
        self,
        name: str,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = 60.0,
        what: str = "",
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        obj: dict[str, Any] = {}
        while time.monotonic() < deadline:
            obj = self.release(name)
            if predicate(obj):
                return obj
            time.sleep(0.25)
        raise AssertionError(
            f"{name}: {what or 'condition'} not reached in {timeout}s; status: {obj.get('status')}"
        )

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        items = self.core.list_namespaced_event(self.namespace).items
        events = [self._api_client.sanitize_for_serialization(item) for item in items]
        if name is not None:
            events = [e for e in events if e["involvedObject"]["name"] == name]
        return events

    def event_reasons(self, name: str, *expected: str, timeout: float = 15.0) -> list[str]:
        """The reasons of the object's Events, once every `expected` reason is among them (Events are
        posted right after the status write that a test usually waits for)."""
        deadline = time.monotonic() + timeout
        while True:
            reasons = [e["reason"] for e in self.events(name)]
            if all(reason in reasons for reason in expected) or time.monotonic() > deadline:
                return reasons
            time.sleep(0.2)

    def close(self) -> None:
        self._api_client.close()


@pytest.fixture
def cluster(kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str) -> Iterator[Cluster]:
    view = Cluster(kube_cluster, kube_namespace)
    yield view
    view.close()


WORK_SECONDS = 0.3


@pytest.fixture(autouse=True)
def work_finishes_by_time(request: pytest.FixtureRequest) -> None:
    """Publishes, check-ins and imports finish WORK_SECONDS after they start, as in a real org. (On the ideal
    profile they would finish only when a read looks, which an operator woken by notifications does not do
    until its safety-net poll.) A test may set its own transitions."""
    if "emulator" not in request.fixturenames:
        return
    emulator: EmulatorHandle = request.getfixturevalue("emulator")
    rules = [{"kind": kind, "mode": "seconds", "seconds": WORK_SECONDS} for kind in ("publish", "checkin")]
    rules.append({"kind": "architect_job", "mode": "seconds", "seconds": WORK_SECONDS})
    emulator.control.set_transition_mode("polls", polls=1, rules=rules)


@pytest.fixture
def genesys_client(emulator: EmulatorHandle) -> GenesysClientCreds:
    """A fresh OAuth client in the emulated org with a random secret, so a leak is unmistakable."""
    creds = GenesysClientCreds(
        client_id=f"e2e-{secrets.token_hex(4)}", client_secret=secrets.token_urlsafe(24)
    )
    emulator.control.seed(
        {"clients": [{"id": creds.client_id, "secret": creds.client_secret, "rateLimitPerMinute": 6000}]}
    )
    return creds


@pytest.fixture
def start_operator(
    kube_cluster: KubeCluster, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., OperatorProcess]]:
    started: list[OperatorProcess] = []

    def start(
        *namespaces: str,
        extra_args: tuple[str, ...] = (),
        drift_interval: float | None = 0.0,
        standalone: bool = True,
        kubeconfig: Path | None = None,
    ) -> OperatorProcess:
        workdir = tmp_path / f"operator-{len(started)}"
        workdir.mkdir()
        process = OperatorProcess(
            kubeconfig=kubeconfig or kube_cluster.kubeconfig,
            workdir=workdir,
            namespaces=namespaces,
            extra_args=extra_args,
            drift_interval=drift_interval,
            standalone=standalone,
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for process in started:
            print(f"--- operator logs ({process.workdir}) ---\n{process.logs()[-15000:]}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]


def release_manifest(
    name: str,
    *,
    environment: str,
    version: str = "3.0",
    flow_name: str = "Support IVR",
    flow_type: str = "inboundcall",
    secret: str = CREDENTIALS_SECRET,
    stages: list[dict[str, Any]] | None = None,
    export: dict[str, Any] | None = None,
    suspend: bool = False,
    labels: dict[str, str] | None = None,
    label: str = "e2e",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "genesys": {"environment": environment, "credentialsSecretRef": {"name": secret}},
        "flow": {"type": flow_type, "name": flow_name},
        "version": version,
        "release": {"label": label},
        "publish": {"timeoutSeconds": 60},
        "suspend": suspend,
    }
    if stages is not None:
        spec["verify"] = {"stages": stages}
    if export is not None:
        spec["export"] = {"git": export}
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "FlowRelease", "metadata": metadata, "spec": spec}


def is_ready(obj: dict[str, Any]) -> bool:
    return condition(obj, "Ready").get("status") == "True"


def phase_is(*phases: str) -> Callable[[dict[str, Any]], bool]:
    def check(obj: dict[str, Any]) -> bool:
        return (obj.get("status") or {}).get("phase") in phases

    return check
