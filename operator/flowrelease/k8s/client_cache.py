"""One GenesysClient per (environment, OAuth client, exact credentials), shared by every release using it.

Sharing keeps one access token and one rate limiter per org+client however many FlowReleases point at it.
A rotated secret changes the fingerprint: the next pass gets a fresh client (and a fresh token), and the
client built from the old secret is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from flowrelease.genesys import GenesysClient, RateLimiterRegistry, resolve_base_url
from flowrelease.k8s.secrets import GenesysCredentials

OnResponse = Callable[[str, str, int], None]


class GenesysClientCache:
    def __init__(
        self,
        http: httpx.AsyncClient,
        limiters: RateLimiterRegistry,
        *,
        on_response: OnResponse | None = None,
    ) -> None:
        self._http = http
        self._limiters = limiters
        self._on_response = on_response
        self._clients: dict[tuple[str, str, str], GenesysClient] = {}

    def client_for(self, environment: str, credentials: GenesysCredentials) -> GenesysClient:
        """Raises `flowrelease.genesys.UnknownEnvironment` when `environment` names no Genesys region."""
        key = (environment, credentials.client_id, credentials.fingerprint)
        client = self._clients.get(key)
        if client is None:
            client = GenesysClient(
                self._http,
                base_url=resolve_base_url(environment),
                client_id=credentials.client_id,
                client_secret=credentials.client_secret,
                limiter=self._limiters.for_target(environment, credentials.client_id),
                on_response=self._on_response,
            )
            stale = [k for k in self._clients if k[:2] == key[:2]]
            for old in stale:
                del self._clients[old]
            self._clients[key] = client
        return client

    def __len__(self) -> int:
        return len(self._clients)
