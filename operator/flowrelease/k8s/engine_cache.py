"""One Genesys client and one release engine per (environment, OAuth client, exact credentials).

Every release using the same org and OAuth client shares them: one access token, one rate limiter (from the
registry, per org+client), one engine (which keeps per-release retry streaks between passes). A rotated
secret changes the fingerprint: the next pass builds a fresh client (and token) and drops the old one.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from flowrelease.engine.ports import FlowApi
from flowrelease.engine.reconciler import ReleaseReconciler
from flowrelease.genesys import GenesysClient, RateLimiterRegistry, resolve_base_url
from flowrelease.k8s.secrets import GenesysCredentials

OnResponse = Callable[[str, str, int], None]
BuildEngine = Callable[[FlowApi], ReleaseReconciler]


class EngineCache:
    def __init__(
        self,
        http: httpx.AsyncClient,
        limiters: RateLimiterRegistry,
        build_engine: BuildEngine,
        *,
        on_response: OnResponse | None = None,
    ) -> None:
        self._http = http
        self._limiters = limiters
        self._build_engine = build_engine
        self._on_response = on_response
        self._engines: dict[tuple[str, str, str], ReleaseReconciler] = {}

    def engine_for(self, environment: str, credentials: GenesysCredentials) -> ReleaseReconciler:
        """Raises `flowrelease.genesys.UnknownEnvironment` when `environment` names no Genesys region."""
        key = (environment, credentials.client_id, credentials.fingerprint)
        engine = self._engines.get(key)
        if engine is None:
            client = GenesysClient(
                self._http,
                base_url=resolve_base_url(environment),
                client_id=credentials.client_id,
                client_secret=credentials.client_secret,
                limiter=self._limiters.for_target(environment, credentials.client_id),
                on_response=self._on_response,
            )
            for stale in [k for k in self._engines if k[:2] == key[:2]]:
                del self._engines[stale]
            engine = self._engines[key] = self._build_engine(client)
        return engine

    def __len__(self) -> int:
        return len(self._engines)
