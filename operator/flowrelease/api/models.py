"""The FlowRelease resource (group flowrelease.io, version v1alpha1): spec and status as pydantic models.

Field names are the CRD's camelCase wire names (aliases); Python attributes are snake_case. The CRD in
`crds/` is the source of truth for the cluster; a test proves the two agree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator
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


# --------------------------------------------------------------------------------------------- spec


class SecretRef(_Wire):
    name: Annotated[str, Field(min_length=1)]


class ConfigMapKeyRef(_Wire):
    name: Annotated[str, Field(min_length=1)]
    key: Annotated[str, Field(min_length=1)]


class GenesysTarget(_Wire):
    environment: Annotated[str, Field(min_length=1)]
    """A region domain such as `mypurecloud.com`, or a base URL (`http://127.0.0.1:8080`)."""
    credentials_secret_ref: SecretRef | None = None


class FlowSelector(_Wire):
    type: FlowType | None = None
    name: str = ""
    id: str = ""

    @model_validator(mode="after")
    def _name_or_id(self) -> FlowSelector:
        if not self.name and not self.id:
            raise ValueError("set flow.name (with flow.type) or flow.id to say which flow to release")
        if self.name and self.type is None:
            raise ValueError("flow.type is required with flow.name, e.g. type: inboundcall")
        return self


class FlowSource(_Wire):
    config_map_ref: ConfigMapKeyRef
    substitutions: dict[str, str] = Field(default_factory=dict)


class ReleaseInfo(_Wire):
    label: str = ""
    dependency_hash: str = ""


class ValidationPolicy(_Wire):
    fail_on_warnings: bool = False


class PublishPolicy(_Wire):
    timeout_seconds: Annotated[int, Field(gt=0)] = 900
    lock_policy: LockPolicy = "Fail"


class VerifyStage(_Wire):
    name: Annotated[str, Field(min_length=1)]
    bake_seconds: Annotated[int, Field(gt=0)]
    max_failure_ratio: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    min_samples: Annotated[int, Field(ge=0)] = 0


class VerifyPolicy(_Wire):
    stages: list[VerifyStage] = Field(default_factory=list)


class RollbackPolicy(_Wire):
    strategy: RollbackStrategy = "PreviousVersion"


GIT_URL_PREFIXES = ("https://", "ssh://", "git@", "file://")


class GitExport(_Wire):
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    branch: Annotated[str, Field(min_length=1)] = "main"
    path: Annotated[str, Field(min_length=1)]
    secret_ref: SecretRef | None = None

    @model_validator(mode="after")
    def _known_scheme(self) -> GitExport:
        if not self.url.startswith(GIT_URL_PREFIXES):
            raise ValueError(
                "spec.export.git.url must be an https://, ssh://, git@host:path or file:// URL "
                "(plain http:// would send Git credentials unencrypted)"
            )
        return self


class ExportPolicy(_Wire):
    git: GitExport | None = None


class FlowReleaseSpec(_Wire):
    genesys: GenesysTarget
    flow: FlowSelector
    version: str | None = None
    source: FlowSource | None = None
    release: ReleaseInfo = Field(default_factory=ReleaseInfo)
    validation: ValidationPolicy = Field(default_factory=ValidationPolicy)
    publish: PublishPolicy = Field(default_factory=PublishPolicy)
    verify: VerifyPolicy = Field(default_factory=VerifyPolicy)
    rollback: RollbackPolicy = Field(default_factory=RollbackPolicy)
    export: ExportPolicy | None = None
    suspend: bool = False
    drift_policy: DriftPolicy = "Enforce"

    @model_validator(mode="after")
    def _exactly_one_mode(self) -> FlowReleaseSpec:
        if (self.version is None) == (self.source is None):
            raise ValueError(
                "set exactly one of spec.version (promote an existing checked-in version) "
                "or spec.source (publish Archy YAML from a ConfigMap)"
            )
        if self.version is not None and not self.version.strip():
            raise ValueError('spec.version must not be empty; give a version id such as "12.0"')
        return self


class ObjectMeta(BaseModel):
    """The subset of Kubernetes metadata flowrelease reads; other fields are kept, not validated."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)

    name: Annotated[str, Field(min_length=1)]
    namespace: str = "default"
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


OperationKind = Literal["publish", "rollback", "restore", "import"]


class OperationRecord(_Wire):
    """In-flight work, persisted before its side effect so a restart resumes instead of repeating it."""

    kind: OperationKind
    id: str = ""
    """Genesys operation id (publish/rollback/restore) or Architect job id (import); empty until known."""
    version: str = ""
    """The version being published; for `restore`, the old version whose configuration is restored."""
    started_at: str = ""
    polls: int = 0
    restored_version: str = ""
    """`restore` only: the new version created from the old configuration, once created."""


class ValidationMessage(_Wire):
    type: str
    text: str


class ValidationSummary(_Wire):
    errors: int = 0
    warnings: int = 0
    messages: list[ValidationMessage] = Field(default_factory=list)


class VerificationProgress(_Wire):
    stage: str = ""
    started_at: str = ""
    samples: int = 0
    failure_ratio: float = 0.0


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


class FlowReleaseStatus(_Wire):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    observed_generation: int | None = None
    phase: Phase = Phase.PENDING
    conditions: list[Condition] = Field(default_factory=list)
    flow: FlowIdentity | None = None
    desired_version: str = ""
    published_version: str = ""
    last_good_version: str = ""
    failed_version: str = ""
    operation: OperationRecord | None = None
    dependency_hash: str = ""
    source_digest: str = ""
    """Mode B: sha256 of the substituted Archy YAML last published (or failed), for idempotence."""
    validation: ValidationSummary | None = None
    verification: VerificationProgress | None = None
    artifact: ArtifactRecord | None = None
    history: list[HistoryEntry] = Field(default_factory=list)
    last_handled_reconcile_at: str = ""

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
