"""What a release refers to in its namespace: Genesys credentials, git credentials, the Archy YAML.

Read through the API on every reconcile pass (overlapping reads of one object share a GET: kube_api), so a
rotated Secret or an edited ConfigMap takes effect on the next pass without a restart (no watch, no stale
cache). Values never appear in messages; every error names the field, the object and the fix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from flowrelease.api.models import FlowReleaseSpec
from flowrelease.checks import CheckSecrets
from flowrelease.checks.secret_refs import check_secret_refs, missing_key
from flowrelease.k8s.kube_api import KubeApi, KubeApiError, ObjectGone

CLIENT_ID_KEY = "clientId"
CLIENT_SECRET_KEY = "clientSecret"  # noqa: S105 - a Secret key name, not a secret
GIT_KEYS = (
    "username",
    "password",
    "token",
    "ssh-privatekey",
    "known_hosts",
    "ca.crt",
    "insecure-ignore-host-key",
)
GIT_LOGIN_KEYS = ("username", "password", "token", "ssh-privatekey")


class ReferenceUnavailable(Exception):
    """A referenced Secret/ConfigMap (or a key in it) is missing or unreadable. Creating or fixing it is
    enough: the release is retried. `field` is the spec field that names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class GenesysCredentials:
    client_id: str
    client_secret: str = field(repr=False)

    @property
    def fingerprint(self) -> str:
        """Identifies this exact pair without revealing it (clients are cached by it)."""
        digest = hashlib.sha256(f"{self.client_id}\0{self.client_secret}".encode()).hexdigest()
        return digest[:16]


@dataclass(frozen=True)
class ReleaseInputs:
    credentials: GenesysCredentials
    git_credentials: Mapping[str, str] | None = field(default=None, repr=False)
    source_yaml: str | None = field(default=None, repr=False)
    check_secrets: CheckSecrets = field(default_factory=CheckSecrets, repr=False)

    def secret_values(self) -> list[str]:
        """Every credential value, for the log/event redactor."""
        values = [self.credentials.client_secret, *self.check_secrets.values()]
        if self.git_credentials:
            values += [v for k, v in self.git_credentials.items() if k != "username" and k != "known_hosts"]
        return [value for value in values if value]


async def _secret(api: KubeApi, namespace: str, name: str, field: str) -> Mapping[str, str]:
    try:
        return (await api.read_secret(namespace, name)).data
    except ObjectGone:
        raise ReferenceUnavailable(
            field, f"Secret {namespace}/{name} does not exist; create it in namespace {namespace}"
        ) from None
    except KubeApiError as error:
        fix = " (grant the operator get on secrets)" if error.status == 403 else ""
        raise ReferenceUnavailable(field, f"cannot read Secret {namespace}/{name}: {error}{fix}") from None


async def load_genesys_credentials(api: KubeApi, namespace: str, spec: FlowReleaseSpec) -> GenesysCredentials:
    ref = spec.genesys.credentials_secret_ref
    field_name = "spec.genesys.credentialsSecretRef"
    if ref is None:
        raise ReferenceUnavailable(
            field_name,
            "missing; add credentialsSecretRef: {name: genesys-prod} naming a Secret with keys "
            f"{CLIENT_ID_KEY} and {CLIENT_SECRET_KEY} (an OAuth client-credentials grant)",
        )
    data = await _secret(api, namespace, ref.name, field_name)
    missing = [key for key in (CLIENT_ID_KEY, CLIENT_SECRET_KEY) if not data.get(key)]
    if missing:
        raise ReferenceUnavailable(
            field_name,
            f"Secret {namespace}/{ref.name} has no {' or '.join(missing)}; it needs keys "
            f"{CLIENT_ID_KEY} and {CLIENT_SECRET_KEY}",
        )
    return GenesysCredentials(
        client_id=data[CLIENT_ID_KEY].strip(), client_secret=data[CLIENT_SECRET_KEY].strip()
    )


async def load_git_credentials(
    api: KubeApi, namespace: str, spec: FlowReleaseSpec
) -> Mapping[str, str] | None:
    git = spec.export.git if spec.export else None
    if git is None or git.secret_ref is None:
        return None
    field_name = "spec.export.git.secretRef"
    data = await _secret(api, namespace, git.secret_ref.name, field_name)
    credentials = {key: data[key] for key in GIT_KEYS if data.get(key)}
    if not any(key in credentials for key in GIT_LOGIN_KEYS):
        raise ReferenceUnavailable(
            field_name,
            f"Secret {namespace}/{git.secret_ref.name} has none of the keys username+password, token or "
            "ssh-privatekey; add the one your git server takes",
        )
    return credentials


async def load_source_yaml(api: KubeApi, namespace: str, spec: FlowReleaseSpec) -> str | None:
    ref = spec.source.config_map_ref if spec.source is not None else None
    if ref is None:
        return None
    field_name = "spec.source.configMapRef"
    try:
        data = (await api.read_config_map(namespace, ref.name)).data
    except ObjectGone:
        raise ReferenceUnavailable(
            field_name,
            f"ConfigMap {namespace}/{ref.name} does not exist; "
            f"create it with the Archy YAML under key {ref.key}",
        ) from None
    except KubeApiError as error:
        raise ReferenceUnavailable(
            field_name, f"cannot read ConfigMap {namespace}/{ref.name}: {error}"
        ) from None
    if ref.key not in data:
        keys = ", ".join(sorted(data)) or "none"
        raise ReferenceUnavailable(
            f"{field_name}.key",
            f"ConfigMap {namespace}/{ref.name} has no key {ref.key} (it has: {keys}); "
            "fix the key or the ConfigMap",
        )
    return data[ref.key]


async def load_check_secrets(api: KubeApi, namespace: str, spec: FlowReleaseSpec) -> CheckSecrets:
    """The Secrets the verify checks name (bearer tokens, secret headers), each read once."""
    loaded: dict[str, Mapping[str, str]] = {}
    for ref in check_secret_refs(spec):
        if ref.name not in loaded:
            loaded[ref.name] = await _secret(api, namespace, ref.name, ref.field)
        problem = missing_key(ref, loaded[ref.name], namespace)
        if problem:
            raise ReferenceUnavailable(ref.field, problem)
    return CheckSecrets(loaded)


async def load_release_inputs(api: KubeApi, namespace: str, spec: FlowReleaseSpec) -> ReleaseInputs:
    return ReleaseInputs(
        credentials=await load_genesys_credentials(api, namespace, spec),
        git_credentials=await load_git_credentials(api, namespace, spec),
        source_yaml=await load_source_yaml(api, namespace, spec),
        check_secrets=await load_check_secrets(api, namespace, spec),
    )
