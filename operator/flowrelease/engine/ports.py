"""The engine's ports: what it needs from the world, as Protocols and plain values.

Adapters implement them: `flowrelease.genesys` (FlowApi), `flowrelease.gitops` (ArtifactStore),
`flowrelease.k8s` / `flowrelease.local` (StatusStore), `flowrelease.audit` (AuditSink), `flowrelease.k8s`
(FlowClaims). The engine imports none of those; they import this module.

Values crossing a port are frozen dataclasses in Genesys vocabulary (version ids are strings such as "12.0",
flow types UPPER-case as `Flow.type`), so the planner can decide on them without I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from flowrelease.api.models import ChangeKind, FlowRelease, FlowReleaseStatus, GitExport
from flowrelease.engine.verification import VersionSample

# --------------------------------------------------------------------------------- Genesys values


@dataclass(frozen=True)
class LockHolder:
    """Who holds a flow's lock (Flow.lockedUser / Flow.lockedClient)."""

    kind: Literal["user", "client"]
    id: str
    name: str = ""
    is_self: bool = False
    """True when the lock belongs to the OAuth client flowrelease itself authenticates as."""


@dataclass(frozen=True)
class OperationState:
    """Flow.currentOperation (genesys-api.md §4.1)."""

    id: str
    action_name: str
    """CREATE, CHECKIN, CHECKOUT, ... PUBLISH ..."""
    action_status: str
    """LOCKED, UNLOCKED, STARTED, PENDING_GENERATION, PENDING_BACKEND_NOTIFICATION, SUCCESS, FAILURE"""
    complete: bool
    error_message: str = ""
    error_code: str = ""
    client_id: str = ""
    """Operation.client.id: the OAuth client that started it ("" when Genesys does not say)."""
    is_self: bool = False
    """True when `client_id` is the OAuth client flowrelease itself authenticates as."""


@dataclass(frozen=True)
class FlowState:
    """What Genesys says about a flow right now (GET /api/v2/flows/{id})."""

    id: str
    name: str
    type: str
    published_version: str | None = None
    checked_in_version: str | None = None
    saved_version: str | None = None
    lock: LockHolder | None = None
    current_operation: OperationState | None = None
    deleted: bool = False


@dataclass(frozen=True)
class VersionInfo:
    """GET /api/v2/flows/{id}/versions/{versionId}."""

    id: str
    type: str
    """PUBLISH | CHECKIN | SAVE"""
    date_created_ms: int | None = None


@dataclass(frozen=True)
class Dependency:
    """One consumed resource from dependency tracking (genesys-api.md §8)."""

    type: str
    id: str
    name: str = ""
    version: str = ""
    deleted: bool = False
    updated: bool = False
    state_unknown: bool = False


@dataclass(frozen=True)
class DependencyReport:
    consumed: tuple[Dependency, ...]
    build_operational: bool = True
    """False when GET .../dependencytracking/build is not OPERATIONAL: the data may be stale."""


@dataclass(frozen=True)
class JobMessage:
    type: str
    """Error | Warning | Unknown"""
    text: str


@dataclass(frozen=True)
class JobState:
    """An Architect job (import, validate or export) as last read."""

    id: str
    status: Literal["Registered", "Started", "Success", "Failure"]
    flow_id: str = ""
    messages: tuple[JobMessage, ...] = ()
    download_url: str = ""
    """export: the signed URL of the exported YAML, once the job succeeded."""
    throttled: bool = False
    """export: the failure is Archy's internal rate limit (retried later, genesys-api.md §7)."""


@dataclass(frozen=True)
class ServiceUnavailable:
    """An optional (preview) service answered that it is not available to this org or client."""

    status: int
    """The HTTP status: 404, 403 or 501."""
    message: str


@dataclass(frozen=True)
class ExportedFlow:
    """What went live, as exported: Archy YAML (export job) and the version configuration (JSON)."""

    flow_id: str
    flow_name: str
    flow_type: str
    version: str
    yaml: str
    configuration: Mapping[str, object]


# ----------------------------------------------------------------------------------- errors


class FlowApiError(Exception):
    """Base of every error a FlowApi adapter raises. Subclasses say what the engine should do next.

    FlowApiError
     ├── AuthenticationFailed      credentials wrong or revoked: stop, tell the user (not retried)
     ├── PermissionDenied          a permission such as architect:flow:publish is missing (not retried)
     ├── NotFound                  the flow/version/job does not exist
     ├── Conflict                  locked / busy / state conflict (409)
     │    └── Gone                 the flow was deleted (410)
     ├── InvalidRequest            Genesys refused the request as malformed (400) — a bug or bad input
     ├── Unavailable               an optional service (the preview validate jobs) is not available here
     │                             (404/403/501 on its endpoints)
     └── Transient                 worth retrying later: rate limited, 5xx, transport error, timeout
          ├── RateLimited          carries retry_after seconds
          └── Timeout
    """

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class AuthenticationFailed(FlowApiError):
    pass


class PermissionDenied(FlowApiError):
    pass


class NotFound(FlowApiError):
    pass


class Gone(NotFound):
    pass


class Conflict(FlowApiError):
    pass


class InvalidRequest(FlowApiError):
    pass


class Unavailable(FlowApiError):
    pass


class Transient(FlowApiError):
    def __init__(
        self, message: str, *, status: int | None = None, code: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class RateLimited(Transient):
    pass


class Timeout(Transient):
    pass


class ArtifactStoreError(Exception):
    """Exporting or committing the artifact failed; the release stays published.

    A transient error (the default) is retried with backoff; a `permanent` one (a rejected credential, an
    unusable target) stalls the release with the reason until the spec changes or a reconcile is requested.
    Subclasses may set `permanent = True` as a class attribute, or pass `permanent=` when raising.
    `field` names the spec field to fix (`spec.export.git.secretRef`, `.path`, ...), "" when it is the
    remote itself (`spec.export.git.url`).
    """

    permanent: bool = False
    field: str = ""

    def __init__(self, *args: object, permanent: bool | None = None) -> None:
        super().__init__(*args)
        if permanent is not None:
            self.permanent = permanent


# ------------------------------------------------------------------------------------- ports


@dataclass(frozen=True)
class FlowTarget:
    """Which Genesys org a release talks to; adapters key clients and rate limiters on it."""

    environment: str
    client_id: str


class FlowApi(Protocol):
    """The Genesys Cloud Architect operations the engine uses, one request each (the engine polls, the
    client never sleeps for a job). Every method is safe to repeat except `publish_version`, `checkin`,
    `start_import`/`upload_import` and `create_version`, which the engine guards with status persisted
    before the call."""

    async def find_flow(self, *, flow_id: str = "", name: str = "", flow_type: str = "") -> FlowState | None:
        """By id, or by exact name + lower-case type. None when no such flow exists."""
        ...

    async def get_flow(self, flow_id: str) -> FlowState: ...

    async def get_version(self, flow_id: str, version_id: str) -> VersionInfo | None: ...

    async def consumed_resources(self, flow_id: str, version_id: str, flow_type: str) -> DependencyReport:
        """All pages of dependency tracking's consumed resources for one flow version."""
        ...

    async def start_validate(self, flow_id: str, version_id: str) -> str:
        """POST /flows/validate/jobs: the job id. Raises Unavailable when the (preview) service is not
        available to this org or client (404/403/501)."""
        ...

    async def get_validate_job(self, job_id: str) -> JobState:
        """GET /flows/validate/jobs/{id}?expand=messages. Raises Unavailable like start_validate."""
        ...

    async def unlock(self, flow_id: str) -> None: ...

    async def publish_version(self, flow_id: str, version_id: str) -> OperationState:
        """POST /flows/actions/publish; returns the async Operation (poll with get_flow)."""
        ...

    async def version_configuration(self, flow_id: str, version_id: str) -> Mapping[str, object]: ...

    async def create_version(self, flow_id: str, configuration: Mapping[str, object]) -> VersionInfo:
        """POST /flows/{id}/versions: a new saved version holding `configuration`."""
        ...

    async def checkin(self, flow_id: str) -> OperationState: ...

    async def checkout(self, flow_id: str) -> FlowState: ...

    async def start_import(self) -> tuple[str, str, Mapping[str, str]]:
        """POST /flows/jobs: (job id, presigned upload URL, required upload headers)."""
        ...

    async def upload_import(self, url: str, headers: Mapping[str, str], yaml_text: str) -> None: ...

    async def get_job(self, job_id: str) -> JobState:
        """GET /flows/jobs/{id}?expand=messages."""
        ...

    async def flow_version_sample(
        self, flow_id: str, version: str, since: datetime, until: datetime
    ) -> VersionSample:
        """Flow aggregates of ONE version of the flow over [since, until): POST
        /api/v2/analytics/flows/aggregates/query filtered on flowId AND flowVersion (genesys-api.md §9)."""
        ...

    async def start_export(self, flow_id: str, version_id: str) -> str:
        """POST /flows/export/jobs for one version as Archy YAML: the job id."""
        ...

    async def get_export_job(self, job_id: str) -> JobState:
        """GET /flows/export/jobs/{id}?expand=messages (download_url once it succeeded)."""
        ...

    async def download_export(self, url: str) -> str:
        """The exported YAML from the job's signed download URL (no bearer token)."""
        ...


@dataclass(frozen=True)
class ArtifactProvenance:
    """What a commit must say about where an artifact came from (commit trailers, metadata file)."""

    release: str
    """namespace/name"""
    label: str
    flow_id: str
    flow_name: str
    flow_type: str
    version: str
    dependency_hash: str
    operation_id: str
    exported_at: str
    source_digest: str = ""
    """Source mode: `sha256:` of the substituted Archy YAML the version was imported from ("" in promote
    mode). What a run without a state file compares its source with before importing it again."""


@dataclass(frozen=True)
class StoredArtifact:
    path: str
    """Folder in the repository holding the files."""
    commit: str
    """The commit holding these exact files (a new one, or HEAD when nothing changed)."""
    changed: bool


class ArtifactStore(Protocol):
    async def store(
        self,
        target: GitExport,
        credentials: Mapping[str, str],
        flow: ExportedFlow,
        provenance: ArtifactProvenance,
    ) -> StoredArtifact:
        """Write, commit and push; no commit when nothing changed. Raises ArtifactStoreError."""
        ...

    async def check_target(self, target: GitExport, credentials: Mapping[str, str]) -> None:
        """Read-only: raise the ArtifactStoreError an export to `target` would meet, as far as can be told
        without writing (the URL, branch, path and credentials; the remote answering with them)."""
        ...


@dataclass(frozen=True, order=True)
class FlowClaim:
    """A release that claims a flow, as the one-owner rule orders them: oldest first, then namespace/name."""

    created: str
    """`metadata.creationTimestamp` (RFC 3339 UTC, so text order is time order)."""
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


class FlowClaims(Protocol):
    """Which releases claim a flow (the cluster's FlowReleases; `sync` refuses two up front instead)."""

    def claims(self, release: str, flow: FlowState) -> Sequence[FlowClaim]:
        """Every release that claims `flow` — by its id, or by its name and type while it has not resolved
        one — `release` (namespace/name) included."""
        ...


class StatusStore(Protocol):
    async def save(self, key: str, status: FlowReleaseStatus) -> None:
        """Persist durably before returning: the engine calls it before every side effect."""
        ...


class Milestone(StrEnum):
    """What a step achieved, for metrics: typed, so nothing depends on step names."""

    VALIDATION_FAILED = "ValidationFailed"
    VALIDATION_SERVICE_UNAVAILABLE = "ValidationServiceUnavailable"
    PUBLISHED = "Published"
    ROLLBACK_STARTED = "RollbackStarted"
    ROLLBACK_ROUTE_LEFT = "RollbackRouteLeft"
    ROLLBACK_SUCCEEDED = "RollbackSucceeded"
    ROLLBACK_FAILED = "RollbackFailed"
    EXPORTED = "Exported"
    EXPORT_FAILED = "ExportFailed"
    ATTEMPT_STARTED = "AttemptStarted"
    STAGE_PASSED = "StagePassed"
    STAGE_BREACHED = "StageBreached"
    """A verify stage failed: a signal breached, a check failed or too few samples (see the reason)."""
    STAGE_NOT_JUDGED = "StageNotJudged"
    """Passed without judgement (onInsufficientData: Pass)."""
    STAGE_EXTENDED = "StageExtended"
    CHECK_ATTEMPTED = "CheckAttempted"
    READY = "Ready"


@dataclass(frozen=True)
class AuditEvent:
    timestamp: str
    release: str
    flow_id: str
    flow_name: str
    version: str
    action: str
    """observe, validate, publish, poll, verify, rollback, restore, import, export, drift, suspend"""
    outcome: str
    """ok | waiting | failed | skipped | error"""
    latency_ms: float
    attempt: int
    validation_error_rate: float
    operation_id: str = ""
    details: Mapping[str, object] = field(default_factory=dict)
    milestone: Milestone | None = None
    rollback_route: str = ""
    """With a rollback milestone: the route (republish, restore, reimport)."""
    route_result: str = ""
    """With ROLLBACK_ROUTE_LEFT: why the route was left (refused, ignored, failed, timedOut)."""


class AuditSink(Protocol):
    def emit(self, event: AuditEvent) -> None: ...


@dataclass(frozen=True)
class Pushed:
    """What flow notifications say about a flow right now (`CompletionHints.pushed`)."""

    live: bool
    """Events about the flow arrive: its `v2.flows.{id}` topic is subscribed on a connected socket."""
    noticed_seconds_ago: float | None = None
    """Seconds since the last event worth a look arrived about the flow; None when none did."""
    heard_seconds_ago: float | None = None
    """Seconds since the last event of any kind about the flow arrived (a publish starting counts); None
    when none did since it was watched."""
    channel_lost_seconds_ago: float | None = None
    """Seconds since the channel the flow's events come on (shared by every release of the OAuth client)
    last showed a lost event; None when it never did."""


class CompletionHints(Protocol):
    """Optional: Genesys telling a release early that something finished on its flow (notifications).

    An event is a hint, never a fact the engine decides on: it only changes how soon the engine reads the
    flow again. The engine `watch`es a flow before a POST whose completion it will wait for (and while it
    validates, so the subscription is live by then), `unwatch`es it once nothing is in flight, reads
    `pushed` to pick its polling cadence, and after a POST `expect`s its started event. Implementations
    never raise: `watch` answers False when events will not come (the engine then polls as before). Waking
    the release when an event arrives is the shell's job (it waits on the release instead of sleeping
    `after`)."""

    async def watch(self, release: str, flow_id: str, *, ahead: bool = False, late: bool = False) -> bool:
        """`ahead`: the release only validates, nothing waits for the subscription yet (it may be paced to
        share a request with other releases'); otherwise a POST waits for it in its reconcile slot. `late`:
        the work is already posted (a restart, or the flow an import created): its events may have gone
        out before the topic was watched, so their absence is no sign of loss."""

    def unwatch(self, release: str, flow_id: str) -> None: ...

    def pushed(self, flow_id: str) -> Pushed: ...

    def expect(self, release: str, flow_id: str, seconds: float) -> None:
        """Wake `release` if no event at all about `flow_id` arrives within `seconds`: the engine just
        POSTed work whose start Genesys announces, and silence means this publish's events are not coming."""

    def finished(self, release: str, flow_id: str) -> None:
        """A read found the work in flight on `flow_id` finished. When no event announced it since the topic
        was watched before its POST, the channel loses events (its other releases' completions may be lost
        too)."""


# ------------------------------------------------------------------------------------------ promotion


@dataclass(frozen=True)
class Change:
    """What a release carries, compared across orgs: the Archy YAML's digest before substitution (source)
    or spec.release.label (label) — version ids differ per org."""

    kind: ChangeKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


@dataclass(frozen=True)
class UpstreamRelease:
    """An upstream FlowRelease named by spec.promotion.requires, as read now; `release` None: not found."""

    key: str
    """`namespace/name`."""
    release: FlowRelease | None


class ReleaseDirectory(Protocol):
    """Other FlowReleases, with their status: the cluster (operator) or the folder and state file (sync)."""

    async def find_release(self, namespace: str, name: str) -> FlowRelease | None:
        """The FlowRelease with its current status, or None when it does not exist."""
        ...


@dataclass(frozen=True)
class UpstreamArtifact:
    """What an upstream release's Git export target holds under its path (docs/promotion.md)."""

    location: str
    """`<url> <branch>:<path>`, for messages (the URL without credentials)."""
    flow_yaml: str | None
    """flow.yaml, None when the folder has none."""
    metadata: Mapping[str, object] | None
    """release.json parsed, None when absent or not a JSON object."""


class UpstreamExports(Protocol):
    """Reads what another FlowRelease exported to Git (spec.source.fromRelease), with that release's Git
    credentials, which the shell holds."""

    async def read_export(self, upstream: FlowRelease) -> UpstreamArtifact:
        """The files under the upstream's spec.export.git; raises ArtifactStoreError when the remote, the
        branch or the credentials cannot be read."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...
