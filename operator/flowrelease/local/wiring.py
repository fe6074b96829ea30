"""The composition root of `flowrelease sync`/`plan`: every adapter built once, here, and nowhere else.

One aiohttp session for Genesys (and an httpx client for the external checks), one RateLimiterRegistry,
one GenesysClient and one notification channel per (org, client id, client secret) and one rate limiter per
(org, client id), the releases' wake-ups, one GitArtifactStore, the audit sinks, the state file and the
SecretRedactor that every output goes through.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import httpx

from flowrelease.api.client_keys import ClientKey, ClientKeys
from flowrelease.api.manifests import CLIENT_ID_KEY, GenesysCredentials, ManifestSet, ResolvedRelease
from flowrelease.audit.events import FanoutAuditSink, JsonLinesAuditSink
from flowrelease.audit.metrics import (
    MetricsAuditSink,
    ReleaseMetrics,
    genesys_request_observer,
    rate_limit_sleep,
)
from flowrelease.audit.redaction import SecretRedactor
from flowrelease.engine.clock import SystemClock
from flowrelease.engine.ports import Clock, ReleaseDirectory, StatusStore, UpstreamExports
from flowrelease.engine.reconciler import ReleaseReconciler
from flowrelease.genesys import (
    AiohttpSender,
    GenesysClient,
    HttpSender,
    RateLimiterRegistry,
    UnknownEnvironment,
    open_aiohttp_session,
    resolve_base_url,
)
from flowrelease.genesys.notifications import FlowNotifications, NotificationState
from flowrelease.genesys.wakeups import NotifiedHints, ReleaseWakeups
from flowrelease.gitops import GitArtifactStore

HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""The external checks' client."""


NOT_SECRET_KEYS = frozenset({CLIENT_ID_KEY, "username", "known_hosts"})
"""Secret keys whose values are identifiers, not secrets: shown as they are."""


def secret_values(manifests: ManifestSet, releases: Iterable[ResolvedRelease]) -> list[str]:
    """Every value to redact: Secret values (but ids), the clients' secrets, and their Basic-auth forms."""
    values = [
        value
        for secret in manifests.secrets.values()
        for key, value in secret.data.items()
        if key not in NOT_SECRET_KEYS
    ]
    for release in releases:
        credentials = release.credentials
        values.append(credentials.client_secret)
        pair = f"{credentials.client_id}:{credentials.client_secret}".encode()
        values.append(base64.b64encode(pair).decode())
        values.extend(
            value for key, value in (release.git_credentials or {}).items() if key not in NOT_SECRET_KEYS
        )
    return values


def install_redaction(redactor: SecretRedactor, verbosity: int) -> logging.Handler:
    """Log to stderr at WARNING (-v INFO, -vv DEBUG), every record scrubbed of registered secrets."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redactor.install(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel([logging.WARNING, logging.INFO, logging.DEBUG][min(verbosity, 2)])
    return handler


def org_of(environment: str) -> str:
    """The org an environment names (its base URL), so `mypurecloud.com` and `us-east-1` share."""
    try:
        return resolve_base_url(environment).lower()
    except UnknownEnvironment:
        return environment.strip().lower()


class GenesysClients:
    """One GenesysClient (and token) per (org, client id, client secret); one rate limiter per (org, client
    id), since Genesys limits the OAuth client whatever secret it uses. A wrong secret therefore fails its
    own release with AuthenticationFailed and never borrows another release's token."""

    def __init__(self, http: httpx.AsyncClient | HttpSender, metrics: ReleaseMetrics | None = None) -> None:
        self.http = http
        self.metrics = metrics
        self.limiters = (
            RateLimiterRegistry(sleep=rate_limit_sleep(metrics))
            if metrics is not None
            else RateLimiterRegistry()
        )
        self._observer = genesys_request_observer(metrics) if metrics is not None else None
        self._keys = ClientKeys()
        self._clients: dict[ClientKey, GenesysClient] = {}
        self._notifications: dict[ClientKey, FlowNotifications] = {}

    def notifications_for(self, environment: str, credentials: GenesysCredentials) -> FlowNotifications:
        """The notification channel of that client, shared by its releases; opened on the first `watch`."""
        key = self._keys.key_for(org_of(environment), credentials.client_id, credentials.client_secret)
        found = self._notifications.get(key)
        if found is None:
            client = self.for_release(environment, credentials)
            found = self._notifications[key] = FlowNotifications(client.transport, on_state=self._on_state)
        return found

    def _on_state(self, state: NotificationState) -> None:
        if self.metrics is not None:
            self.metrics.observe_notifications(state.live, unavailable=state.unavailable, lossy=state.lossy)

    async def aclose(self) -> None:
        for notifications in self._notifications.values():
            await notifications.aclose()

    def for_release(self, environment: str, credentials: GenesysCredentials) -> GenesysClient:
        key = self._keys.key_for(org_of(environment), credentials.client_id, credentials.client_secret)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = GenesysClient(
                self.http,
                base_url=resolve_base_url(environment),
                client_id=credentials.client_id,
                client_secret=credentials.client_secret,
                limiter=self.limiters.for_target(environment, credentials.client_id),
                on_response=self._observer,
            )
        return client


class SyncWiring:
    """Owns the adapters for one run; use as an async context manager so the HTTP client is closed."""

    def __init__(
        self,
        *,
        statuses: StatusStore,
        audit_log: Path,
        git_workdir: Path,
        redactor: SecretRedactor,
        metrics: ReleaseMetrics | None = None,
        notifications: bool = True,
        clock: Clock | None = None,
    ) -> None:
        self.statuses = statuses
        self.notifications = notifications
        self.wakeups = ReleaseWakeups()
        self.redactor = redactor
        self.metrics = metrics or ReleaseMetrics()
        self.http = httpx.AsyncClient(timeout=HTTP_TIMEOUT)
        self.genesys_http = open_aiohttp_session()
        self.clients = GenesysClients(AiohttpSender(self.genesys_http), self.metrics)
        self.artifacts = GitArtifactStore(git_workdir)
        self.clock: Clock = clock or SystemClock()
        self._audit_log = audit_log
        self._audit_file: JsonLinesAuditSink | None = None
        self._audit: FanoutAuditSink | None = None

    def open_audit_log(self) -> None:
        """Create (or append to) the audit log: only once the preflight passed, so a refused run writes
        nothing. Raises OSError when the file cannot be opened."""
        self._audit_file = JsonLinesAuditSink(self._audit_log, redactor=self.redactor)
        self._audit = FanoutAuditSink(self._audit_file, MetricsAuditSink(self.metrics))

    def reconciler_for(
        self,
        environment: str,
        resolved: ResolvedRelease,
        releases: ReleaseDirectory | None = None,
        exports: UpstreamExports | None = None,
    ) -> ReleaseReconciler:
        assert self._audit is not None, "open_audit_log() first"
        return ReleaseReconciler(
            releases=releases,
            upstream_exports=exports,
            flow_api=self.clients.for_release(environment, resolved.credentials),
            statuses=self.statuses,
            audit=self._audit,
            clock=self.clock,
            artifacts=self.artifacts,
            hints=self.hints_for(environment, resolved),
        )

    def hints_for(self, environment: str, resolved: ResolvedRelease) -> NotifiedHints | None:
        """Notifications for the engine of this release's client, unless --no-notifications."""
        if not self.notifications:
            return None
        return self.wakeups.hints_for(self.clients.notifications_for(environment, resolved.credentials))

    async def __aenter__(self) -> SyncWiring:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.clients.aclose()
        await self.http.aclose()
        await self.genesys_http.close()
        if self._audit_file is not None:
            self._audit_file.close()
