"""The few Kubernetes API calls flowrelease makes itself, through `lightkube` (a public client on httpx2).

kopf keeps its own session for watching; these calls (read a FlowRelease, its Secrets and ConfigMap, replace
its status, post an Event) go through one `KubeApi` built at start-up from the same sources kopf logs in
with, in the same order: the in-cluster ServiceAccount (token re-read from its file as the kubelet rotates
it), else the kubeconfig (`KUBECONFIG`, else ~/.kube/config). Nothing here touches kopf.

lightkube builds and reads every request; its bytes travel on aiohttp (`kube_transport`), at a fraction of
httpx2's own transport's CPU. lightkube and not `kubernetes_asyncio`: kopf imports
`kubernetes_asyncio.client` (every API and model class, about 30 MiB) whenever it is installed, so the
operator's memory falls only when it is not.

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
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx2
from lightkube import AsyncClient
from lightkube.config.client_adapter import verify_cluster
from lightkube.config.kubeconfig import DEFAULT_KUBECONFIG, KubeConfig
from lightkube.config.models import Cluster, User
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.core_v1 import EventSource, ObjectReference
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Event, Secret
from lightkube.types import PatchType

from flowrelease.api.models import GROUP, PLURAL, VERSION
from flowrelease.k8s.kube_transport import AiohttpKubeTransport

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_BACKOFFS = (0.5, 1.0, 2.0)
"""Waits before retrying a call that met a connection error, a 429 or a 5xx; anything else fails at once,
for the engine or the handler to decide."""
REQUEST_TIMEOUT_S = 30.0
SERVICE_HOST_ENV_NAME = "KUBERNETES_SERVICE_HOST"
SERVICE_PORT_ENV_NAME = "KUBERNETES_SERVICE_PORT"
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")

FlowReleaseResource = create_namespaced_resource(GROUP, VERSION, "FlowRelease", PLURAL)


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

    token: Path = SERVICE_ACCOUNT_DIR / "token"
    ca: Path = SERVICE_ACCOUNT_DIR / "ca.crt"


def load_configuration(
    *,
    environ: Mapping[str, str] | None = None,
    service_account: ServiceAccountFiles | None = None,
    kubeconfig: str | None = None,
) -> KubeConfig:
    """The in-cluster ServiceAccount when this runs in a pod (host in the environment and a token file),
    else the kubeconfig: `kubeconfig`, `KUBECONFIG`, or ~/.kube/config."""
    env = dict(os.environ if environ is None else environ)
    files = service_account or ServiceAccountFiles()
    host = env.get(SERVICE_HOST_ENV_NAME, "")
    if kubeconfig is None and host and files.token.is_file():
        if ":" in host:
            host = f"[{host}]"  # an IPv6 service address
        server = f"https://{host}:{env.get(SERVICE_PORT_ENV_NAME) or '443'}"
        logger.debug("Kubernetes API: in-cluster ServiceAccount at %s", server)
        # A token file, not the token: the client re-reads it on every request, as the kubelet rotates it.
        return KubeConfig.from_one(
            cluster=Cluster(server=server, certificate_auth=str(files.ca)),
            user=User(token_file=str(files.token)),
        )
    path = kubeconfig or (env.get("KUBECONFIG") or "").split(os.pathsep)[0] or DEFAULT_KUBECONFIG
    logger.debug("Kubernetes API: kubeconfig %s", path)
    return KubeConfig.from_file(path)


def _tls_context(configuration: KubeConfig) -> ssl.SSLContext | None:
    """What lightkube verifies the apiserver with (and presents to it) for the current context."""
    single = configuration.get()
    if single is None or single.user is None or not single.cluster.server.startswith("https:"):
        return None
    return verify_cluster(single.cluster, single.user, single.abs_file, trust_env=True)


def _answered(error: Exception) -> httpx2.HTTPStatusError | None:
    """The error answer behind `error`. lightkube 1.0 reads an error answer's Content-Type header
    unguarded, so one without it surfaces as a KeyError raised while handling the HTTPStatusError."""
    if isinstance(error, httpx2.HTTPStatusError):
        return error
    if isinstance(error, KeyError) and isinstance(error.__context__, httpx2.HTTPStatusError):
        return error.__context__
    return None


def _status_code(error: httpx2.HTTPStatusError) -> int:
    return int(error.response.status_code)


class KubeApi:
    """FlowReleases, their status subresource, Secrets, ConfigMaps and core/v1 Events."""

    def __init__(self, configuration: KubeConfig, *, reporting_instance: str = "") -> None:
        # trust_env as kubectl: HTTPS_PROXY/NO_PROXY and SSL_CERT_FILE apply, read once here.
        self._transport = AiohttpKubeTransport(_tls_context(configuration))
        self._client = AsyncClient(
            configuration, timeout=httpx2.Timeout(REQUEST_TIMEOUT_S), transport=self._transport
        )
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
        configuration = await asyncio.to_thread(
            load_configuration, environ=environ, service_account=service_account, kubeconfig=kubeconfig
        )
        return cls(configuration, reporting_instance=reporting_instance)

    async def close(self) -> None:
        await self._client.close()
        await self._transport.aclose()

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        for attempt, backoff in enumerate((*RETRY_BACKOFFS, None)):
            try:
                return await call()
            except (httpx2.HTTPStatusError, KeyError) as error:
                # lightkube.ApiError when the apiserver answered with a Status, the plain error otherwise
                # (a proxy's 502 page): both carry the response; its body is never in the message.
                answered = _answered(error)
                if answered is None:
                    raise
                status = _status_code(answered)
                if status == 404:
                    raise ObjectGone(f"{what}: not found", status=404) from None
                if backoff is None or not (status == 429 or status >= 500):
                    raise KubeApiError(f"{what}: HTTP {status}", status=status) from None
                logger.debug("%s: HTTP %d, retry %d in %.1fs", what, status, attempt + 1, backoff)
            except ValueError:
                # A 2xx whose body is no JSON or not the object asked for (lightkube decodes strictly).
                raise KubeApiError(f"{what}: the answer is not a Kubernetes object") from None
            except (OSError, TimeoutError, httpx2.TransportError) as error:
                if backoff is None:
                    raise KubeApiError(f"{what}: {type(error).__name__}") from None
                logger.debug("%s: %s, retry %d in %.1fs", what, type(error).__name__, attempt + 1, backoff)
            await asyncio.sleep(backoff)
        raise AssertionError("unreachable: the last attempt either returns or raises")

    async def get_release(self, namespace: str, name: str) -> Mapping[str, Any]:
        body: Mapping[str, Any] = await self._call(
            f"reading FlowRelease {namespace}/{name}",
            lambda: self._client.get(FlowReleaseResource, name, namespace=namespace),
        )
        return body

    async def replace_status(self, namespace: str, name: str, status: Mapping[str, object]) -> None:
        """Replace `.status` as a whole (JSON patch on the status subresource): fields the new status no
        longer has are removed, which a merge patch would keep."""
        await self._call(
            f"writing the status of FlowRelease {namespace}/{name}",
            lambda: self._client.patch(
                FlowReleaseResource.Status,
                name,
                [{"op": "add", "path": "/status", "value": dict(status)}],
                namespace=namespace,
                patch_type=PatchType.JSON,
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
            lambda: self._client.get(Secret, name, namespace=namespace),
        )
        data: dict[str, str] = {}
        for key, value in (secret.data or {}).items():
            try:
                data[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                continue  # binary values are no credentials flowrelease reads
        version = secret.metadata.resourceVersion if secret.metadata else None
        return StringData(data=data, resource_version=str(version or ""))

    async def read_config_map(self, namespace: str, name: str) -> StringData:
        """The ConfigMap as it is now; overlapping reads of one share one GET, as for Secrets."""
        return await self._shared_read(
            ("configmap", namespace, name), lambda: self._read_config_map(namespace, name)
        )

    async def _read_config_map(self, namespace: str, name: str) -> StringData:
        config_map = await self._call(
            f"reading ConfigMap {namespace}/{name}",
            lambda: self._client.get(ConfigMap, name, namespace=namespace),
        )
        data = {str(key): str(value) for key, value in (config_map.data or {}).items()}
        version = config_map.metadata.resourceVersion if config_map.metadata else None
        return StringData(data=data, resource_version=str(version or ""))

    async def post_event(self, ref: ObjectRef, *, type: str, reason: str, message: str) -> None:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        event = Event(
            metadata=ObjectMeta(generateName=f"{ref.name}.", namespace=ref.namespace),
            involvedObject=ObjectReference(
                apiVersion=ref.api_version,
                kind=ref.kind,
                name=ref.name,
                namespace=ref.namespace,
                uid=ref.uid,
            ),
            type=type,
            reason=reason,
            message=message[:1024],
            source=EventSource(component="flowrelease-operator"),
            reportingComponent="flowrelease-operator",
            reportingInstance=self._instance,
            firstTimestamp=now,
            lastTimestamp=now,
            count=1,
        )
        await self._call(
            f"posting Event {reason} for {ref.namespace}/{ref.name}",
            lambda: self._client.create(event),  # into metadata.namespace
        )
