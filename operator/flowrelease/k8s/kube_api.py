"""The few Kubernetes API calls flowrelease makes itself, through kopf's authenticated session.

kopf already holds credentials for the cluster (kubeconfig, in-cluster ServiceAccount, or a login handler)
and refreshes them on 401; these calls reuse that session instead of building a second client. kopf keeps its
request helpers in a private module (`kopf._cogs.clients.api`), so this is the only module that imports it:
a kopf upgrade that moves it breaks here and nowhere else.

Calls must run inside the operator (handlers, or tasks started from a startup handler), where kopf's
credentials vault is in context.

KubeApiError
 └── ObjectGone       the object (FlowRelease, Secret, ConfigMap) does not exist (404)
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import kopf
from kopf._cogs.clients import api as kopf_api
from kopf._cogs.clients import errors as kopf_errors

from flowrelease.api.models import GROUP, PLURAL, VERSION

logger = logging.getLogger(__name__)

# Reads and our own writes should fail fast and let the engine/handler decide; kopf's default retries a 403
# for almost a minute (it expects RBAC to settle during upgrades).
_BACKOFFS = (0.5, 1.0, 2.0)


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


def release_url(namespace: str, name: str, *, status: bool = False) -> str:
    url = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}/{name}"
    return f"{url}/status" if status else url


class KubeApi:
    def __init__(self, settings: kopf.OperatorSettings, *, reporting_instance: str = "") -> None:
        self._settings = settings
        self._instance = reporting_instance

    async def _call(
        self,
        method: str,
        url: str,
        *,
        what: str,
        payload: object | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        try:
            response = await kopf_api.request(
                method,
                url,
                payload=payload,
                headers=headers,
                settings=self._settings,
                logger=logger,
                backoffs=_BACKOFFS,
            )
            async with response:
                return await response.json()
        except kopf_errors.APINotFoundError as error:
            raise ObjectGone(f"{what}: not found", status=404) from error
        except kopf_errors.APIError as error:
            raise KubeApiError(f"{what}: HTTP {error.status}", status=error.status) from error
        except (OSError, TimeoutError, aiohttp.ClientError, kopf_errors.APISessionClosed) as error:
            raise KubeApiError(f"{what}: {type(error).__name__}") from error

    async def get_release(self, namespace: str, name: str) -> Mapping[str, Any]:
        body: Mapping[str, Any] = await self._call(
            "get", release_url(namespace, name), what=f"reading FlowRelease {namespace}/{name}"
        )
        return body

    async def replace_status(self, namespace: str, name: str, status: Mapping[str, object]) -> None:
        """Replace `.status` as a whole (JSON patch on the status subresource): fields the new status no
        longer has are removed, which a merge patch would keep."""
        await self._call(
            "patch",
            release_url(namespace, name, status=True),
            what=f"writing the status of FlowRelease {namespace}/{name}",
            payload=[{"op": "add", "path": "/status", "value": dict(status)}],
            headers={"Content-Type": "application/json-patch+json"},
        )

    async def read_secret(self, namespace: str, name: str) -> StringData:
        body = await self._call(
            "get", f"/api/v1/namespaces/{namespace}/secrets/{name}", what=f"reading Secret {namespace}/{name}"
        )
        data: dict[str, str] = {}
        for key, value in (body.get("data") or {}).items():
            try:
                data[key] = base64.b64decode(str(value), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                continue  # binary values are no credentials flowrelease reads
        return StringData(data=data, resource_version=str(body["metadata"].get("resourceVersion", "")))

    async def read_config_map(self, namespace: str, name: str) -> StringData:
        body = await self._call(
            "get",
            f"/api/v1/namespaces/{namespace}/configmaps/{name}",
            what=f"reading ConfigMap {namespace}/{name}",
        )
        data = {str(key): str(value) for key, value in (body.get("data") or {}).items()}
        return StringData(data=data, resource_version=str(body["metadata"].get("resourceVersion", "")))

    async def post_event(self, ref: ObjectRef, *, type: str, reason: str, message: str) -> None:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {
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
            "post",
            f"/api/v1/namespaces/{ref.namespace}/events",
            what=f"posting Event {reason} for {ref.namespace}/{ref.name}",
            payload=event,
        )
