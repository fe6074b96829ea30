"""`ExternalCheckProbe`: the engine's `CheckProbe` over HTTP — one attempt of an http or prometheus check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import httpx

from flowrelease.api.models import SecretKeyRef, SecretRef, VerifyCheck
from flowrelease.audit.redaction import redact
from flowrelease.checks.http_probe import read_http
from flowrelease.checks.prometheus_probe import read_prometheus
from flowrelease.engine.checks import CheckReading


@dataclass(frozen=True)
class CheckSecrets:
    """The Secrets the checks of a release name, by Secret name (loaded by the shell, like credentials)."""

    secrets: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)

    def bearer_token(self, ref: SecretKeyRef | None) -> str | None:
        if ref is None:
            return None
        return self.secrets.get(ref.name, {}).get(ref.key)

    def headers(self, ref: SecretRef | None) -> dict[str, str]:
        return dict(self.secrets.get(ref.name, {})) if ref is not None else {}

    def values(self) -> list[str]:
        """Every secret value, for redaction."""
        return [value for data in self.secrets.values() for value in data.values() if value]

    def missing(self, ref: SecretKeyRef | SecretRef | None) -> str:
        """Why `ref` cannot be used, or "" (names only, never values)."""
        if ref is None:
            return ""
        if ref.name not in self.secrets:
            return f"Secret {ref.name} was not loaded"
        if isinstance(ref, SecretKeyRef) and not self.secrets[ref.name].get(ref.key):
            return f"Secret {ref.name} has no key {ref.key}"
        return ""


class ExternalCheckProbe:
    """One attempt of a check per `read`, over a shared client; readings never carry a secret."""

    def __init__(self, client: httpx.AsyncClient, secrets: CheckSecrets | None = None) -> None:
        self._client = client
        self._secrets = secrets or CheckSecrets()

    async def read(self, check: VerifyCheck) -> CheckReading:
        if check.http is not None:
            reading = await read_http(self._client, check.http, self._secrets)
        else:
            assert check.prometheus is not None
            reading = await read_prometheus(self._client, check.prometheus, self._secrets)
        secrets = self._secrets.values()
        return replace(reading, target=redact(reading.target, secrets), error=redact(reading.error, secrets))
