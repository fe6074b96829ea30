"""The few Kubernetes API calls flowrelease makes itself, through `kubernetes_asyncio` (a public client).

kopf keeps its own session for watching; these calls (read a FlowRelease, its Secrets and ConfigMap, replace
its status, post an Event) go through one `KubeApi` built at start-up from the same sources kopf logs in
with, in the same order: the in-cluster ServiceAccount (token re-read from its file as the kubelet rotates
it), else the kubeconfig (`KUBECONFIG`, else ~/.kube/config). Nothing here touches kopf.

KubeApiError
 └── ObjectGone       the object (FlowRelease, Secret, ConfigMap) does not exist (404)
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.config.incluster_config import (
    SERVICE_CERT_FILENAME,
    SERVICE_HOST_ENV_NAME,
    SERVICE_TOKEN_FILENAME,
    InClusterConfigLoader,
)

from flowrelease.api.models import GROUP, PLURAL, VERSION

logger = logging.getLogger(__name__)
# The client logs whole response bodies at DEBUG, and a Secret's body (or its last-applied annotation) holds
# credentials before the redactor can know them: never below INFO, also under --verbose.
logging.getLogger("kubernetes_asyncio").setLevel(logging.INFO)

T = TypeVar("T")

RETRY_BACKOFFS = (0.5, 1.0, 2.0)
"""Waits before retrying a call that met a connection error, a 429 or a 5xx; anything else fails at once,
for the engine or the handler to decide."""
REQUEST_TIMEOUT_S = 30.0
CONNECTION_POOL_SIZE = 32


class KubeApiError(Exception):
    """A Kubernetes API call failed; the message says which call and the HTTP status, never a body."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ObjectGone(KubeApiError):
    pass


@dataclass(frozen=True)
class StringData:
    """A Secret's or ConfigMap's data as text, with the resourceVersion it was read at."""

    data: Mapping[str, str]
    resource_version: str


@dataclass(frozen=True)
class ObjectRef:
    """What an Event's involvedObject needs."""

    namespace: str
    name: str
    uid: str = ""
    api_version: str = f"{GROUP}/{VERSION}"
    kind: str = "FlowRelease"


@dataclass(frozen=True)
class ServiceAccountFiles:
    """Where a pod finds its ServiceAccount token and the cluster's CA (the kubelet mounts them)."""

    token: Path = Path(SERVICE_TOKEN_FILENAME)
    ca: Path = Path(SERVICE_CERT_FILENAME)


async def load_configuration(
    *,
    environ: Mapping[str, str] | None = None,
    service_account: ServiceAccountFiles | None = None,
    kubeconfig: str | None = None,
) -> client.Configuration:
    """The in-cluster ServiceAccount when this runs in a pod (host in the environment and a token file),
    else the kubeconfig: `kubeconfig`, `KUBECONFIG`, or ~/.kube/config."""
    env = dict(os.environ if environ is None else environ)
    files = service_account or ServiceAccountFiles()
    configuration = client.Configuration()
    if kubeconfig is None and env.get(SERVICE_HOST_ENV_NAME) and files.token.is_file():
        InClusterConfigLoader(
            token_filename=str(files.token), cert_filename=str(files.ca), environ=env
        ).load_and_set(configuration)
        logger.debug("Kubernetes API: in-cluster ServiceAccount at %s", configuration.host)
    else:
        path = kubeconfig or (env.get("KUBECONFIG") or "").split(os.pathsep)[0] or None
        await config.load_kube_config(
            config_file=path, client_configuration=configuration, persist_config=False
        )
        logger.debug("Kubernetes API: kubeconfig %s at %s", path or "~/.kube/config", configuration.host)
    configuration.connection_pool_maxsize = CONNECTION_POOL_SIZE
    return configuration


async def _unread(request: Awaitable[Any]) -> None:
    """A write whose answer flowrelease does not use (a status patch, an Event): sent with
    `_preload_content=False`, so the client does not decode the object it returns into its models, and
    failed by status code as the client would."""
    response = await request
    try:
        status = int(response.status)
        if not 200 <= status <= 299:
            raise ApiException(status=status, reason=str(response.reason))
    finally:
        response.release()


class KubeApi:
    """FlowReleases, their status subresource, Secrets, ConfigMaps and core/v1 Events."""

    def __init__(self, configuration: client.Configuration, *, reporting_instance: str = "") -> None:
        self._client = client.ApiClient(configuration)
        self._custom = client.CustomObjectsApi(self._client)
        self._core = client.CoreV1Api(self._client)
        self._instance = reporting_instance
        self._reads: dict[tuple[str, ...], asyncio.Future[Any]] = {}

    @classmethod
    async def connect(
        cls,
        *,
        reporting_instance: str = "",
        environ: Mapping[str, str] | None = None,
        service_account: ServiceAccountFiles | None = None,
        kubeconfig: str | None = None,
    ) -> KubeApi:
        configuration = await load_configuration(
            environ=environ, service_account=service_account, kubeconfig=kubeconfig
        )
        return cls(configuration, reporting_instance=reporting_instance)

    async def close(self) -> None:
        await self._client.close()

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        for attempt, backoff in enumerate((*RETRY_BACKOFFS, None)):
            try:
                return await call()
            except ApiException as error:
                status = int(error.status or 0)
                if status == 404:
                    raise ObjectGone(f"{what}: not found", status=404) from None
                if backoff is None or not (status == 429 or status >= 500):
                    raise KubeApiError(f"{what}: HTTP {status}", status=status) from None
                logger.debug("%s: HTTP %d, retry %d in %.1fs", what, status, attempt + 1, backoff)
            except (OSError, TimeoutError, aiohttp.ClientError) as error:
                if backoff is None:
                    raise KubeApiError(f"{what}: {type(error).__name__}") from None
                logger.debug("%s: %s, retry %d in %.1fs", what, type(error).__name__, attempt + 1, backoff)
            await asyncio.sleep(backoff)
        raise AssertionError("unreachable: the last attempt either returns or raises")

    async def get_release(self, namespace: str, name: str) -> Mapping[str, Any]:
        body: Mapping[str, Any] = await self._call(
            f"reading FlowRelease {namespace}/{name}",
            lambda: self._custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, name, _request_timeout=REQUEST_TIMEOUT_S
            ),
        )
        return body

    async def replace_status(self, namespace: str, name: str, status: Mapping[str, object]) -> None:
        """Replace `.status` as a whole (JSON patch on the status subresource): fields the new status no
        longer has are removed, which a merge patch would keep."""
        await self._call(
            f"writing the status of FlowRelease {namespace}/{name}",
            lambda: _unread(
                self._custom.patch_namespaced_custom_object_status(
                    GROUP,
                    VERSION,
                    namespace,
                    PLURAL,
                    name,
                    [{"op": "add", "path": "/status", "value": dict(status)}],
                    _request_timeout=REQUEST_TIMEOUT_S,
                    _preload_content=False,
                )
            ),
        )

    async def read_secret(self, namespace: str, name: str) -> StringData:
        """The Secret as it is now. Reads of one Secret that overlap share one GET (a fleet created at once
        shares its credentials Secret): a reader gets the answer of a read that started at most a request's
        time before it asked, never a cached one."""
        key = ("secret", namespace, name)
        return await self._shared_read(key, lambda: self._read_secret(namespace, name))

    async def _shared_read(self, key: tuple[str, ...], read: Callable[[], Awaitable[T]]) -> T:
        task = self._reads.get(key)
        if task is None:
            task = asyncio.ensure_future(read())
            self._reads[key] = task
            task.add_done_callback(lambda done: self._read_done(key, done))
        result: T = await asyncio.shield(task)
        return result

    def _read_done(self, key: tuple[str, ...], task: asyncio.Future[Any]) -> None:
        if self._reads.get(key) is task:
            del self._reads[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so a read whose readers all gave up logs no warning

    async def _read_secret(self, namespace: str, name: str) -> StringData:
        secret = await self._call(
            f"reading Secret {namespace}/{name}",
            lambda: self._core.read_namespaced_secret(name, namespace, _request_timeout=REQUEST_TIMEOUT_S),
        )
        data: dict[str, str] = {}
        for key, value in (secret.data or {}).items():
            try:
                data[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                continue  # binary values are no credentials flowrelease reads
        return StringData(data=data, resource_version=str(secret.metadata.resource_version or ""))

    async def read_config_map(self, namespace: str, name: str) -> StringData:
        """The ConfigMap as it is now; overlapping reads of one share one GET, as for Secrets."""
        return await self._shared_read(
            ("configmap", namespace, name), lambda: self._read_config_map(namespace, name)
        )

    async def _read_config_map(self, namespace: str, name: str) -> StringData:
        config_map = await self._call(
            f"reading ConfigMap {namespace}/{name}",
            lambda: self._core.read_namespaced_config_map(
                name, namespace, _request_timeout=REQUEST_TIMEOUT_S
            ),
        )
        data = {str(key): str(value) for key, value in (config_map.data or {}).items()}
        return StringData(data=data, resource_version=str(config_map.metadata.resource_version or ""))

    async def post_event(self, ref: ObjectRef, *, type: str, reason: str, message: str) -> None:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        # A plain dict body: the client serialises it as it is (its models would drop nothing we set).
        event: Any = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{ref.name}.", "namespace": ref.namespace},
            "involvedObject": {
                "apiVersion": ref.api_version,
                "kind": ref.kind,
                "name": ref.name,
                "namespace": ref.namespace,
                "uid": ref.uid,
            },
            "type": type,
            "reason": reason,
            "message": message[:1024],
            "source": {"component": "flowrelease-operator"},
            "reportingComponent": "flowrelease-operator",
            "reportingInstance": self._instance,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        await self._call(
            f"posting Event {reason} for {ref.namespace}/{ref.name}",
            lambda: _unread(
                self._core.create_namespaced_event(
                    ref.namespace, event, _request_timeout=REQUEST_TIMEOUT_S, _preload_content=False
                )
            ),
        )
