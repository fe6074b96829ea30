"""The FlowRelease resource (group flowrelease.io, version v1alpha1): spec and status as pydantic models.

Field names are the CRD's camelCase wire names (aliases); Python attributes are snake_case. The CRD in
`crds/` is the source of truth for the cluster; a test proves the two agree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

GROUP = "flowrelease.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "FlowRelease"
PLURAL = "flowreleases"

# Lower-case flow types, as GET /api/v2/flows?type= takes them (genesys-api.md §3).
FlowType = Literal[
    "bot",
    "commonmodule",
    "digitalbot",
    "emailsend",
    "inboundcall",
    "inboundchat",
    "inboundemail",
    "inboundshortmessage",
    "outboundcall",
    "inqueuecall",
    "inqueueemail",
    "inqueueshortmessage",
    "speech",
    "securecall",
    "surveyinvite",
    "voice",
    "voicemail",
    "voicesurvey",
    "workflow",
    "workitem",
]

FLOW_TYPES: tuple[str, ...] = get_args(FlowType)

LockPolicy = Literal["Fail", "Wait", "ForceUnlock"]
RollbackStrategy = Literal["PreviousVersion", "None"]
DriftPolicy = Literal["Enforce", "Observe"]


class _Wire(BaseModel):
    """camelCase on the wire, snake_case in Python, unknown fields rejected, values immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class _Spec(_Wire):
    """What users write: strict types, as the apiserver applies them — `"900"` is not a number, `"yes"` and
    `"false"` are not booleans. (Status is read back from JSON the engine wrote, so it stays lax.)"""

    model_config = ConfigDict(strict=True)


# ------------------------------------------------------------------------------------------ formats
# Each pattern is also in the CRD (tests/crd proves they are the same), so offline validators, the
# apiserver and `flowrelease sync` refuse the same values. RE2-compatible: no lookarounds.

DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
"""RFC 1123 subdomain: names of FlowReleases, Secrets and ConfigMaps."""
DNS_SUBDOMAIN_MAX = 253
DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
"""RFC 1123 label: namespace names."""
DNS_LABEL_MAX = 63
CONFIG_KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
"""A key of a ConfigMap's (or Secret's) data."""
CONFIG_KEY_MAX = 253
EXPORT_PATH_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*/?$"
"""A relative folder: no leading `/`, no `..`, `.git` or other dot-folders, no `//`, plain characters."""
EXPORT_PATH_MAX = 512
_BRANCH_WORD = r"[A-Za-z0-9_][A-Za-z0-9_+-]*"
BRANCH_PATTERN = rf"^{_BRANCH_WORD}(\.{_BRANCH_WORD})*(/{_BRANCH_WORD}(\.{_BRANCH_WORD})*)*$"
"""A branch `git check-ref-format --branch` accepts, in plain characters (GitExport adds `.lock`)."""
BRANCH_MAX = 255
DEPENDENCY_HASH_PATTERN = r"^(sha256:[0-9a-f]{64})?$"
VERSION_PATTERN = r"\S"
"""Unanchored, as JSON Schema patterns are: the version holds at least one non-blank character."""
VERSION_MAX = 64
LABEL_MAX = 256
STAGE_NAME_MAX = 63
URL_MAX = 2048


def _integral_float(value: object) -> object:
    """`900.0` is the number 900 to the apiserver (JSON has one number type); `900.5` and `"900"` are not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_integral_float)]
KubeName = Annotated[str, Field(min_length=1, max_length=DNS_SUBDOMAIN_MAX, pattern=DNS_SUBDOMAIN_PATTERN)]


# --------------------------------------------------------------------------------------------- spec


class SecretRef(_Spec):
    name: KubeName


class ConfigMapKeyRef(_Spec):
    name: KubeName
    key: Annotated[str, Field(min_length=1, max_length=CONFIG_KEY_MAX, pattern=CONFIG_KEY_PATTERN)]


class GenesysTarget(_Spec):
    environment: Annotated[str, Field(min_length=1, max_length=253)]
    """A region domain such as `mypurecloud.com`, or a base URL (`http://127.0.0.1:8080`)."""
    credentials_secret_ref: SecretRef | None = None


class FlowSelector(_Spec):
    type: FlowType | None = None
    name: Annotated[str, Field(max_length=256)] = ""
    id: Annotated[str, Field(max_length=128)] = ""

    @model_validator(mode="after")
    def _name_or_id(self) -> FlowSelector:
        if not self.name and not self.id:
            raise ValueError("set flow.name (with flow.type) or flow.id to say which flow to release")
        if self.name and self.type is None:
            raise ValueError("flow.type is required with flow.name, e.g. type: inboundcall")
        return self


NamespaceName = Annotated[str, Field(min_length=1, max_length=DNS_LABEL_MAX, pattern=DNS_LABEL_PATTERN)]


class ReleaseRef(_Spec):
    """Another FlowRelease, by name; `namespace` None: this release's namespace."""

    name: KubeName
    namespace: NamespaceName | None = None


class FlowSource(_Spec):
    config_map_ref: ConfigMapKeyRef | None = None
    from_release: ReleaseRef | None = None
    """Import what this upstream FlowRelease exported to Git for its live version (docs/promotion.md)."""
    substitutions: dict[str, str] = Field(default_factory=dict)
    """configMapRef: values of `{{key}}` placeholders; fromRelease: literal text of the upstream's export
    replaced by the value (the export holds the upstream's values, its placeholders are gone)."""

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> FlowSource:
        if (self.config_map_ref is None) == (self.from_release is None):
            raise ValueError(
                "set exactly one of spec.source.configMapRef (Archy YAML from a ConfigMap) or "
                "spec.source.fromRelease (the YAML an upstream FlowRelease exported to Git)"
            )
        return self


class ReleaseInfo(_Spec):
    label: Annotated[str, Field(max_length=LABEL_MAX)] = ""
    dependency_hash: Annotated[str, Field(pattern=DEPENDENCY_HASH_PATTERN)] = ""


class ValidationPolicy(_Spec):
    fail_on_warnings: bool = False
    require_validate_job: bool = False
    """Fail validation when the Architect validate job (a preview API) is unavailable to this org/client
    (404/403/501) or does not finish; by default the release continues on the other checks with a
    `ValidationServiceUnavailable` warning."""


class PublishPolicy(_Spec):
    timeout_seconds: Annotated[WholeNumber, Field(gt=0)] = 900
    lock_policy: LockPolicy = "Fail"


SignalName = Literal["outcomeFailureRatio", "disconnectRatio", "entries"]
RATIO_SIGNALS: tuple[SignalName, ...] = ("outcomeFailureRatio", "disconnectRatio")
InsufficientData = Literal["Fail", "Pass", "Extend"]
CheckMethod = Literal["GET", "HEAD", "POST"]
IN_QUEUE_FLOW_TYPES: tuple[str, ...] = ("inqueuecall", "inqueueemail", "inqueueshortmessage")
CHECK_NAME_PATTERN = DNS_LABEL_PATTERN
JSON_PATH_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
"""A dotted path into a JSON document: `checks.ivr.passRate`, `items.0.value` (a number indexes a list)."""
HTTP_URL_PREFIXES = ("http://", "https://")
MAX_CHECK_HEADERS = 32
Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[WholeNumber, Field(ge=1)]


class AnalyticsSignal(_Spec):
    """One built-in signal a stage judges on Genesys flow aggregates of the released version (docs/engine.md).

    `outcomeFailureRatio` and `disconnectRatio` breach above `max`, and are judged only on at least
    `minSamples` outcomes / ended interactions (default: the stage's minSamples); `entries` breaches below
    `min` entries into the version (the flow is not reached)."""

    signal: SignalName
    max_value: Ratio | None = Field(default=None, alias="max")
    min_value: Count | None = Field(default=None, alias="min")
    min_samples: Count | None = None

    @model_validator(mode="after")
    def _threshold_fits_the_signal(self) -> AnalyticsSignal:
        if self.signal == "entries":
            if self.min_value is None or self.max_value is not None or self.min_samples is not None:
                raise ValueError(
                    "the entries signal takes min (breach below that many entries) and no max or "
                    "minSamples; set e.g. {signal: entries, min: 20}"
                )
        elif self.max_value is None or self.min_value is not None:
            raise ValueError(
                f"the {self.signal} signal takes max (a fraction; breach above it) and no min; "
                f"set e.g. {{signal: {self.signal}, max: 0.05}}"
            )
        return self


class SecretKeyRef(_Spec):
    name: KubeName
    key: Annotated[str, Field(min_length=1, max_length=CONFIG_KEY_MAX, pattern=CONFIG_KEY_PATTERN)] = "token"


def _http_url(url: str, where: str) -> None:
    if not url.startswith(HTTP_URL_PREFIXES):
        raise ValueError(f"{where}.url must be an http:// or https:// URL")


class _Threshold(_Spec):
    min_value: float | None = Field(default=None, alias="min")
    max_value: float | None = Field(default=None, alias="max")


class HttpCheck(_Threshold):
    """A request to a synthetic-monitoring or health URL: passes on the status code and, with `jsonPath`,
    on the number at that path of the JSON answer compared with `min`/`max`."""

    url: Annotated[str, Field(min_length=1, max_length=URL_MAX)]
    method: CheckMethod = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    headers_secret_ref: SecretRef | None = None
    """Every key of the Secret is sent as a header (values never appear in any output)."""
    bearer_token_secret_ref: SecretKeyRef | None = None
    body: Annotated[str, Field(max_length=65_536)] = ""
    timeout_seconds: Annotated[WholeNumber, Field(ge=1, le=300)] = 10
    expect_status: Annotated[list[Annotated[WholeNumber, Field(ge=100, le=599)]], Field(max_length=16)] = (
        Field(default_factory=list)
    )
    """Status codes that pass; empty: any 2xx."""
    json_path: Annotated[str, Field(max_length=256, pattern=JSON_PATH_PATTERN)] = ""

    @model_validator(mode="after")
    def _consistent(self) -> HttpCheck:
        _http_url(self.url, "http")
        if len(self.headers) > MAX_CHECK_HEADERS:
            raise ValueError(f"http.headers holds at most {MAX_CHECK_HEADERS} headers; remove some")
        if any(name.lower() == "authorization" for name in self.headers):
            raise ValueError(
                "http.headers must not carry Authorization (it would be stored in plain text); put the "
                "token in a Secret and name it with bearerTokenSecretRef"
            )
        has_threshold = self.min_value is not None or self.max_value is not None
        if bool(self.json_path) != has_threshold:
            raise ValueError(
                "http.jsonPath needs min and/or max, and min/max need jsonPath; set both or neither"
            )
        return self


class PrometheusCheck(_Threshold):
    """An instant PromQL query whose single scalar (or one-sample vector) result is compared with
    `min`/`max`; no result at all fails the check."""

    url: Annotated[str, Field(min_length=1, max_length=URL_MAX)]
    """The Prometheus server's base URL, e.g. http://prometheus.monitoring:9090."""
    query: Annotated[str, Field(min_length=1, max_length=4_096)]
    bearer_token_secret_ref: SecretKeyRef | None = None
    timeout_seconds: Annotated[WholeNumber, Field(ge=1, le=300)] = 10

    @model_validator(mode="after")
    def _consistent(self) -> PrometheusCheck:
        _http_url(self.url, "prometheus")
        if self.min_value is None and self.max_value is None:
            raise ValueError(
                "the prometheus check needs a threshold: set min and/or max for the query's value"
            )
        return self


class VerifyCheck(_Spec):
    """An external check of a stage: exactly one of `http` or `prometheus`, retried within the stage."""

    name: Annotated[str, Field(min_length=1, max_length=DNS_LABEL_MAX, pattern=CHECK_NAME_PATTERN)]
    http: HttpCheck | None = None
    prometheus: PrometheusCheck | None = None
    retries: Annotated[WholeNumber, Field(ge=0, le=10)] = 2
    """Attempts after a failed one before the check counts as failed."""
    retry_interval_seconds: Annotated[WholeNumber, Field(ge=1, le=600)] = 10

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> VerifyCheck:
        if (self.http is None) == (self.prometheus is None):
            raise ValueError(f"check {self.name!r}: give exactly one of http or prometheus")
        return self


class VerifyStage(_Spec):
    name: Annotated[str, Field(min_length=1, max_length=STAGE_NAME_MAX)]
    bake_seconds: Annotated[WholeNumber, Field(gt=0)]
    max_failure_ratio: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    """The max of the default outcomeFailureRatio signal (when `analytics` is not set)."""
    min_samples: Annotated[WholeNumber, Field(ge=0)] = 10
    """Entries (nFlow) of the released version needed before its analytics are judged (0 counts as 1)."""
    settle_seconds: Annotated[WholeNumber, Field(ge=0, le=3_600)] = 120
    """Wait after the window closes before the last query, for metrics still being ingested."""
    on_insufficient_data: InsufficientData = "Extend"
    max_bake_seconds: Annotated[WholeNumber, Field(gt=0)] | None = None
    """With Extend: the longest the window may grow to (default 3 times bakeSeconds); then the stage fails."""
    analytics: Annotated[list[AnalyticsSignal], Field(max_length=8)] | None = None
    """The signals judged; not set: outcomeFailureRatio ≤ maxFailureRatio, or entries ≥ minSamples for an
    in-queue flow (which cannot set flow outcomes). `[]` judges no analytics (then give checks)."""
    checks: Annotated[list[VerifyCheck], Field(max_length=8)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> VerifyStage:
        if self.max_bake_seconds is not None and self.max_bake_seconds < self.bake_seconds:
            raise ValueError(
                f"stage {self.name!r}: maxBakeSeconds ({self.max_bake_seconds}) must be at least "
                f"bakeSeconds ({self.bake_seconds})"
            )
        if self.analytics == [] and not self.checks:
            raise ValueError(
                f"stage {self.name!r} judges nothing: analytics is [] and there are no checks; add "
                "checks or remove analytics: []"
            )
        signals = [signal.signal for signal in self.analytics or []]
        if len(set(signals)) != len(signals):
            raise ValueError(f"stage {self.name!r}: each analytics signal may appear once; remove the repeat")
        names = [check.name for check in self.checks]
        if len(set(names)) != len(names):
            raise ValueError(f"stage {self.name!r}: two checks have the same name; give each its own name")
        return self

    @property
    def bake_limit_seconds(self) -> int:
        """How long the window may grow with onInsufficientData: Extend."""
        return self.max_bake_seconds or 3 * self.bake_seconds


class VerifyPolicy(_Spec):
    stages: Annotated[list[VerifyStage], Field(max_length=16)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct_stage_names(self) -> VerifyPolicy:
        first: dict[str, int] = {}
        for index, stage in enumerate(self.stages):
            earlier = first.setdefault(stage.name, index)
            if earlier != index:
                raise ValueError(
                    f"verify.stages[{index}].name repeats {stage.name!r}, the name of "
                    f"spec.verify.stages[{earlier}]; give each stage its own name"
                )
        return self


class RollbackPolicy(_Spec):
    strategy: RollbackStrategy = "PreviousVersion"


GIT_URL_PREFIXES = ("https://", "ssh://", "git@", "file://")


def url_without_password(url: str) -> str | None:
    """`url` with an embedded password masked (`https://user:***@host/...`); None when it embeds none."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return None
    if password is None or parts.hostname is None:
        return None
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


class GitExport(_Spec):
    url: Annotated[str, Field(min_length=1, max_length=URL_MAX)]
    branch: Annotated[str, Field(min_length=1, max_length=BRANCH_MAX, pattern=BRANCH_PATTERN)] = "main"
    path: Annotated[str, Field(min_length=1, max_length=EXPORT_PATH_MAX, pattern=EXPORT_PATH_PATTERN)]
    secret_ref: SecretRef | None = None

    @model_validator(mode="after")
    def _usable_url_and_branch(self) -> GitExport:
        if not self.url.startswith(GIT_URL_PREFIXES):
            raise ValueError(
                "spec.export.git.url must be an https://, ssh://, git@host:path or file:// URL "
                "(plain http:// would send Git credentials unencrypted)"
            )
        masked = url_without_password(self.url)
        if masked is not None:
            raise ValueError(
                f"spec.export.git.url embeds a password ({masked}); remove it from the URL and put the "
                "credentials in the Secret named by spec.export.git.secretRef (keys username and password, "
                "or token)"
            )
        if any(part.endswith(".lock") for part in self.branch.split("/")):
            raise ValueError(
                "spec.export.git.branch has a part ending in .lock, which Git reserves for its lock files; "
                "choose another branch name, e.g. main or releases/prod"
            )
        return self


class ExportPolicy(_Spec):
    git: GitExport | None = None


PROMOTION_REQUIRES_MAX = 8


class PromotionRequirement(_Spec):
    """An upstream FlowRelease that must have released the same change, healthy, before this one publishes."""

    name: KubeName
    namespace: NamespaceName | None = None
    """Defaults to this release's namespace."""


class PromotionPolicy(_Spec):
    requires: Annotated[list[PromotionRequirement], Field(max_length=PROMOTION_REQUIRES_MAX)]
    """Empty: no gate."""
    soak_seconds: Annotated[WholeNumber, Field(ge=0)] = 0
    """How long each upstream must have been healthy (Healthy=True, still on the same change)."""


class FlowReleaseSpec(_Spec):
    genesys: GenesysTarget
    flow: FlowSelector
    version: Annotated[str, Field(max_length=VERSION_MAX, pattern=VERSION_PATTERN)] | None = None
    source: FlowSource | None = None
    release: ReleaseInfo = Field(default_factory=ReleaseInfo)
    validation: ValidationPolicy = Field(default_factory=ValidationPolicy)
    publish: PublishPolicy = Field(default_factory=PublishPolicy)
    verify: VerifyPolicy = Field(default_factory=VerifyPolicy)
    rollback: RollbackPolicy = Field(default_factory=RollbackPolicy)
    export: ExportPolicy | None = None
    suspend: bool = False
    drift_policy: DriftPolicy = "Enforce"
    promotion: PromotionPolicy | None = None

    @model_validator(mode="after")
    def _exactly_one_mode(self) -> FlowReleaseSpec:
        if (self.version is None) == (self.source is None):
            raise ValueError(
                "set exactly one of spec.version (promote an existing checked-in version) "
                "or spec.source (publish Archy YAML from a ConfigMap)"
            )
        if self.promotion is not None and self.version is not None and not self.release.label:
            raise ValueError(
                "spec.promotion with spec.version needs spec.release.label: version ids differ per org, so "
                "the label is what says two releases carry the same change; set the same label upstream"
            )
        return self

    @model_validator(mode="after")
    def _outcomes_only_where_they_can_exist(self) -> FlowReleaseSpec:
        if self.flow.type not in IN_QUEUE_FLOW_TYPES:
            return self
        for index, stage in enumerate(self.verify.stages):
            if any(signal.signal == "outcomeFailureRatio" for signal in stage.analytics or []):
                raise ValueError(
                    f"spec.verify.stages[{index}].analytics cannot use outcomeFailureRatio: {self.flow.type} "
                    "flows cannot set flow outcomes, so it would never be judged; remove it and use "
                    "entries, disconnectRatio or checks"
                )
        return self


class ObjectMeta(BaseModel):
    """The subset of Kubernetes metadata flowrelease reads; other fields are kept, not validated."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True, strict=True
    )

    name: KubeName
    namespace: Annotated[str, Field(min_length=1, max_length=DNS_LABEL_MAX, pattern=DNS_LABEL_PATTERN)] = (
        "default"
    )
    generation: int = 1
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


# ------------------------------------------------------------------------------------------- status


class Phase(StrEnum):
    PENDING = "Pending"
    VALIDATING = "Validating"
    PUBLISHING = "Publishing"
    VERIFYING = "Verifying"
    EXPORTING = "Exporting"
    READY = "Ready"
    VALIDATION_FAILED = "ValidationFailed"
    ROLLING_BACK = "RollingBack"
    ROLLED_BACK = "RolledBack"
    SUSPENDED = "Suspended"
    FAILED = "Failed"


ConditionStatus = Literal["True", "False", "Unknown"]


class Condition(_Wire):
    type: str
    status: ConditionStatus
    reason: str = ""
    message: str = ""
    last_transition_time: str = ""
    observed_generation: int | None = None


class FlowIdentity(_Wire):
    id: str = ""
    name: str = ""
    type: str = ""
    """UPPER-case Flow.type as Genesys returns it, e.g. INBOUNDCALL."""


OperationKind = Literal["publish", "import", "rollback", "restore", "checkin", "reimport"]
"""publish/import: the release itself; rollback: publishing a version during a rollback; restore: saving the
last good configuration as a new draft; checkin: checking that draft in; reimport: importing the last good
export through an Architect job."""

RollbackRoute = Literal["republish", "restore", "reimport"]
ROLLBACK_ROUTES: tuple[RollbackRoute, ...] = get_args(RollbackRoute)
"""The rollback routes, in the order they are tried."""

RouteResult = Literal["refused", "ignored", "failed", "timedOut"]


class OperationSnapshot(_Wire):
    """Flow.currentOperation as read when an intent was recorded: an operation with this id is not ours."""

    id: str = ""
    action: str = ""
    status: str = ""


class Refusal(_Wire):
    """Genesys refused the side effect (HTTP 400/404/409): the planner decides what comes next."""

    status: int = 0
    code: str = ""
    message: str = ""
    at: str = ""


class OperationRecord(_Wire):
    """In-flight work, persisted before its side effect so a restart resumes instead of repeating it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    kind: OperationKind
    id: str = ""
    """The Operation id the POST answered with (publish/rollback/checkin) or the Architect job id
    (import/reimport); empty until known. The id shown later on flow.currentOperation may differ (R2)."""
    version: str = ""
    """publish/rollback: the version being published; restore/reimport: the last good version whose
    configuration is restored; checkin: the draft being checked in."""
    started_at: str = ""
    """When the intent was recorded: publish.timeoutSeconds counts from here."""
    posted_at: str = ""
    """When Genesys acknowledged the side effect (POST answered, YAML upload accepted); empty until then."""
    prior_operation: OperationSnapshot | None = None
    """flow.currentOperation when the intent was recorded."""
    prior_version: str = ""
    """What the side effect changes, as it was at intent time: publishedVersion (publish, rollback, import,
    reimport), checkedInVersion (checkin) or savedVersion (restore)."""
    refused: Refusal | None = None
    completed_at: str = ""
    """import/reimport: when the Architect job was first seen Success (reads may lag behind it)."""


class RouteAttempt(_Wire):
    route: RollbackRoute
    result: RouteResult
    message: str = ""


class RollbackRecord(_Wire):
    """The rollback in progress (or done): the route being tried and the version ids it produced."""

    route: RollbackRoute = "republish"
    target_version: str = ""
    """The last good version whose configuration is restored (the old id)."""
    draft_version: str = ""
    """restore: the draft `POST /flows/{id}/versions` returned (saved_version_<uuid> on real orgs)."""
    restored_version: str = ""
    """The version live after the rollback (the new id): the target for republish, the checkedInVersion the
    org reported after our check-in for restore, the publishedVersion after the job for reimport."""
    route_started_at: str = ""
    left: list[RouteAttempt] = Field(default_factory=list)
    """Routes tried and left, in order, with why."""


JobKind = Literal["validate", "export"]


class JobRecord(_Wire):
    """An Architect job that changes nothing (validate, export), polled across passes by the planner."""

    kind: JobKind
    id: str = ""
    version: str = ""
    started_at: str = ""
    unavailable: str = ""
    """validate: why the validate service could not be used (HTTP 404/403/501); the job did not run."""


class ExportFailure(_Wire):
    """The export of `version` failed: retried with backoff, or stalled when `permanent`."""

    version: str = ""
    message: str = ""
    permanent: bool = False
    since: str = ""
    """First failure of this export."""
    at: str = ""
    """Latest failure."""


class ExportTargetCheck(_Wire):
    """`spec.export.git` checked (read-only: the URL, branch, path, Secret and `git ls-remote`) before the
    first side effect of the attempt; cleared when a new attempt starts."""

    checked_at: str = ""
    """When the target answered; "" while it has not."""
    message: str = ""
    """Why it did not (`<field>: <what is wrong>`)."""
    permanent: bool = False
    """Retrying cannot help: validation fails. Otherwise the check is retried with backoff."""
    since: str = ""
    """First failure of this check."""
    at: str = ""
    """Latest failure."""


class ValidationMessage(_Wire):
    type: str
    text: str


class ValidationSummary(_Wire):
    errors: int = 0
    warnings: int = 0
    messages: list[ValidationMessage] = Field(default_factory=list)


SignalState = Literal["healthy", "breached", "insufficient"]
CheckKindName = Literal["http", "prometheus"]
StageVerdictName = Literal["passed", "passedNotJudged", "breached", "checkFailed", "insufficientData"]


class SignalRecord(_Wire):
    """One signal as judged: what was measured, the value, the threshold, the samples and the verdict."""

    signal: str
    measured: str = ""
    value: float | None = None
    threshold: str = ""
    samples: int = 0
    verdict: SignalState = "insufficient"
    message: str = ""


class CheckRecord(_Wire):
    """The latest attempt of an external check in the current stage (what it read, never a secret)."""

    name: str
    kind: CheckKindName = "http"
    attempts: int = 0
    last_attempt_at: str = ""
    target: str = ""
    """What was asked: `GET https://monitor.example.com/ivr` (no query string or user info)."""
    http_status: int | None = None
    value: float | None = None
    error: str = ""
    retry_after_seconds: int | None = None
    """The pause the check's server asked for (`Retry-After` on a 429 or 503), honoured before a retry."""
    threshold: str = ""
    passed: bool = False
    message: str = ""


class StageRecord(_Wire):
    """A judged verify stage: its verdict in words, on how many samples, and every signal and check."""

    name: str
    verdict: StageVerdictName
    message: str = ""
    version: str = ""
    window_seconds: int = 0
    entries: int = 0
    judged_at: str = ""
    signals: list[SignalRecord] = Field(default_factory=list)
    checks: list[CheckRecord] = Field(default_factory=list)


class VerificationProgress(_Wire):
    stage: str = ""
    started_at: str = ""
    window_seconds: int = 0
    """The stage's window as it stands: bakeSeconds, grown by Extend (0 before the stage starts)."""
    samples: int = 0
    """Entries (nFlow) of the released version in the window."""
    outcomes: int = 0
    failed: int = 0
    """Failed flow outcomes (nFlowOutcomeFailed)."""
    failure_ratio: float = 0.0
    """failed / outcomes (0 without outcomes)."""
    exits: int = 0
    disconnects: int = 0
    sampled_at: str = ""
    """When the window's aggregates were read (after it closed and settled); the planner judges them."""
    checks: list[CheckRecord] = Field(default_factory=list)
    """This stage's external checks so far."""
    stages: list[StageRecord] = Field(default_factory=list)
    """The stages of this attempt judged so far, in order."""


class ArtifactRecord(_Wire):
    path: str = ""
    commit: str = ""
    exported_at: str = ""
    version: str = ""
    """The flow version this artifact holds; an export is due when it differs from publishedVersion."""


class HistoryEntry(_Wire):
    version: str
    label: str = ""
    result: str = ""
    """Ready | RolledBack | ValidationFailed | Failed"""
    started_at: str = ""
    finished_at: str = ""
    message: str = ""


PromotionGateState = Literal["Open", "Waiting", "Blocked"]
ChangeKind = Literal["source", "label"]


class PromotionStatus(_Wire):
    """The change this release carries (what downstream releases compare); with spec.promotion, its gate."""

    change_kind: ChangeKind | None = None
    change: str = ""
    """source: `sha256:<hex>` of the Archy YAML before substitution; label: spec.release.label."""
    gate: PromotionGateState | None = None
    message: str = ""


class FlowReleaseStatus(_Wire):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    observed_generation: int | None = None
    """The generation the engine handled when it wrote this status (every write, errors included)."""
    attempt_generation: int | None = None
    """The generation the current attempt started for; a different generation starts a new attempt."""
    phase: Phase = Phase.PENDING
    conditions: list[Condition] = Field(default_factory=list)
    flow: FlowIdentity | None = None
    desired_version: str = ""
    published_version: str = ""
    last_good_version: str = ""
    failed_version: str = ""
    operation: OperationRecord | None = None
    rollback: RollbackRecord | None = None
    job: JobRecord | None = None
    published_operation_id: str = ""
    """The Genesys operation id (mode A) or Architect job id (mode B) that made publishedVersion live."""
    export_failure: ExportFailure | None = None
    export_check: ExportTargetCheck | None = None
    dependency_hash: str = ""
    source_digest: str = ""
    """Mode B: sha256 of the substituted Archy YAML last published (or failed), for idempotence."""
    validation: ValidationSummary | None = None
    verification: VerificationProgress | None = None
    artifact: ArtifactRecord | None = None
    history: list[HistoryEntry] = Field(default_factory=list)
    last_handled_reconcile_at: str = ""
    promotion: PromotionStatus | None = None

    def to_wire(self) -> dict[str, object]:
        """The JSON object to store as `.status` (camelCase, no nulls)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class FlowRelease(BaseModel):
    """A whole FlowRelease object as read from a manifest or the Kubernetes API."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    api_version: Literal["flowrelease.io/v1alpha1"]
    kind: Literal["FlowRelease"]
    metadata: ObjectMeta
    spec: FlowReleaseSpec
    status: FlowReleaseStatus | None = None

    @property
    def key(self) -> str:
        """`namespace/name`, the release's identity in audit events, commits and state files."""
        return f"{self.metadata.namespace}/{self.metadata.name}"


HISTORY_LIMIT = 10
REQUESTED_AT_ANNOTATION = "reconcile.flowrelease.io/requestedAt"
