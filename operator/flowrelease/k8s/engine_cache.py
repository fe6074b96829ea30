"""One Genesys client and one release engine per (org, OAuth client id, client secret).

Releases share a client (one access token) and an engine (which keeps per-release retry streaks between
passes) only when they use the same org, client id AND secret, compared as a keyed hash (`ClientKey`): a
release whose Secret holds a wrong secret gets a client of its own, fails with AuthenticationFailed, and
never rides on another release's token. The rate limiter (from the registry) is per org + client id, as
Genesys limits the OAuth client. A rotated secret makes a new key; the least recently used secrets of a
client id beyond `SECRETS_PER_CLIENT` are forgotten, so rotations do not pile up clients.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import httpx

from flowrelease.api.client_keys import ClientKey, ClientKeys
from flowrelease.engine.reconciler import ReleaseReconciler
from flowrelease.genesys import GenesysClient, HttpSender, RateLimiter, RateLimiterRegistry, resolve_base_url
from flowrelease.k8s.secrets import GenesysCredentials

OnResponse = Callable[[str, str, int], None]
BuildEngine = Callable[[GenesysClient, str], ReleaseReconciler]
"""(the client, the org's API host) -> the engine serving it."""
SECRETS_PER_CLIENT = 4
"""Distinct secrets kept per (org, client id): a rotation plus releases still holding a wrong one."""


class EngineCache:
    def __init__(
        self,
        http: httpx.AsyncClient | HttpSender,
        limiters: RateLimiterRegistry,
        build_engine: BuildEngine,
        *,
        on_response: OnResponse | None = None,
    ) -> None:
        self._http = http
        self._limiters = limiters
        self._build_engine = build_engine
        self._on_response = on_response
        self._keys = ClientKeys()
        self._engines: OrderedDict[ClientKey, ReleaseReconciler] = OrderedDict()

    def engine_for(
        self, environment: str, credentials: GenesysCredentials
    ) -> tuple[ReleaseReconciler, RateLimiter]:
        """The engine for this org and client, and the client's rate limiter. Raises
        `flowrelease.genesys.UnknownEnvironment` when `environment` names no Genesys region."""
        base_url = resolve_base_url(environment)
        limiter = self._limiters.for_target(environment, credentials.client_id)
        key = self._keys.key_for(base_url.lower(), credentials.client_id, credentials.client_secret)
        engine = self._engines.get(key)
        if engine is not None:
            self._engines.move_to_end(key)
            return engine, limiter
        client = GenesysClient(
            self._http,
            base_url=base_url,
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            limiter=limiter,
            on_response=self._on_response,
        )
        same_client = [k for k in self._engines if (k.org, k.client_id) == (key.org, key.client_id)]
        for stale in same_client[: max(0, len(same_client) - SECRETS_PER_CLIENT + 1)]:
            del self._engines[stale]
        engine = self._engines[key] = self._build_engine(client, base_url.lower())
        return engine, limiter

    def __len__(self) -> int:
        return len(self._engines)
