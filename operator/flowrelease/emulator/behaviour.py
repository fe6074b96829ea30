"""How the emulated org behaves where Genesys does not document it: one knob per behaviour, and profiles.

Each knob plays one behaviour of `genesys-realism.md` §2 (R1 to R10; R11 is always on), and
`ingestionDelay` plays §3's undocumented delay before a flow aggregate includes a new metric. A profile is a
named set of knob values: `ideal` is the kind reading (everything done on the first poll, reads never lag,
metrics at once), and `realistic` turns every behaviour on in its least kind plausible reading, with
publishes and jobs taking seconds of the emulator's clock. Values are frozen; the control plane replaces them
whole (`behaviour_json` parses and renders them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DraftIds = Literal["numbered", "savedVersionUuid"]
OlderVersionPublish = Literal["accept", "refuse", "ignore"]
MissingVersionPublish = Literal["reject", "ignore"]
ValidateJobs = Literal["available", 404, 403, 501]
DeletedFlowStatus = Literal[404, 410]
ProfileName = Literal["ideal", "realistic"]

DRAFT_IDS: tuple[DraftIds, ...] = ("numbered", "savedVersionUuid")
OLDER_VERSION_PUBLISH: tuple[OlderVersionPublish, ...] = ("accept", "refuse", "ignore")
MISSING_VERSION_PUBLISH: tuple[MissingVersionPublish, ...] = ("reject", "ignore")
VALIDATE_JOBS: tuple[ValidateJobs, ...] = ("available", 404, 403, 501)
DELETED_FLOW_STATUS: tuple[DeletedFlowStatus, ...] = (404, 410)


@dataclass(frozen=True)
class ReadLag:
    """R1: reads keep showing a flow's previous state until `reads` stale reads AND `seconds` have passed."""

    reads: int = 0
    seconds: float = 0.0

    @property
    def enabled(self) -> bool:
        return self.reads > 0 or self.seconds > 0


@dataclass(frozen=True)
class Timing:
    """R10: seconds of the emulator clock each kind of async work takes, ± `jitter` (a fraction, seeded)."""

    publish_seconds: float
    checkin_seconds: float
    import_job_seconds: float
    export_job_seconds: float
    validate_job_seconds: float
    jitter: float = 0.0

    def seconds_for(self, kind: str) -> float:
        """The base duration for a work kind of `transitions.WORK_KINDS`."""
        return {
            "publish": self.publish_seconds,
            "checkin": self.checkin_seconds,
            "architect_job": self.import_job_seconds,
            "export_job": self.export_job_seconds,
            "validate_job": self.validate_job_seconds,
        }[kind]


@dataclass(frozen=True)
class IngestionDelay:
    """§3: a flow metric shows in aggregates `seconds` ± `jitter` (a fraction, seeded) after its emit time."""

    seconds: float = 0.0
    jitter: float = 0.0


@dataclass(frozen=True)
class Behaviour:
    """Every knob; the defaults are the `ideal` profile (today's kind emulator)."""

    read_lag: ReadLag = field(default_factory=ReadLag)  # R1
    operation_id_mismatch: bool = False  # R2
    draft_ids: DraftIds = "numbered"  # R3
    older_version_publish: OlderVersionPublish = "accept"  # R4
    missing_version_publish: MissingVersionPublish = "reject"  # R5
    job_registered_polls: int = 0  # R6
    job_registered_seconds: float | None = None  # R6
    """A held job moves on after `job_registered_polls` GETs OR this many seconds after its upload, whichever
    comes first (a Genesys job runs on its own clock); None: only GETs move it on (the adversarial reading,
    under which a job no one reads never finishes)."""
    messageless_failures: bool = False  # R6
    validate_jobs: ValidateJobs = "available"  # R7
    rate_limit_headers: bool = False  # R8
    token_rate_limit_per_minute: int | None = None  # R8
    deleted_flow_status: DeletedFlowStatus = 404  # R9
    timing: Timing | None = None  # R10
    ingestion_delay: IngestionDelay = field(default_factory=IngestionDelay)  # §3


REALISTIC_TIMING = Timing(
    publish_seconds=4.0,
    checkin_seconds=2.0,
    import_job_seconds=6.0,
    export_job_seconds=2.0,
    validate_job_seconds=2.0,
    jitter=0.25,
)

PROFILES: dict[ProfileName, Behaviour] = {
    "ideal": Behaviour(),
    "realistic": Behaviour(
        read_lag=ReadLag(reads=2, seconds=1.5),
        operation_id_mismatch=True,
        draft_ids="savedVersionUuid",
        older_version_publish="ignore",
        missing_version_publish="ignore",
        job_registered_polls=3,
        job_registered_seconds=1.0,
        messageless_failures=True,
        validate_jobs=404,
        rate_limit_headers=False,
        token_rate_limit_per_minute=60,
        deleted_flow_status=410,
        timing=REALISTIC_TIMING,
        ingestion_delay=IngestionDelay(seconds=60.0, jitter=0.5),
    ),
}
PROFILE_NAMES: tuple[ProfileName, ...] = ("ideal", "realistic")
DEFAULT_PROFILE: ProfileName = "ideal"


def profile_behaviour(name: str) -> Behaviour:
    """The knob values of profile `name`; `ValueError` for an unknown name."""
    for known, behaviour in PROFILES.items():
        if known == name:
            return behaviour
    raise ValueError(f"unknown emulator profile {name!r}; choose one of {', '.join(PROFILE_NAMES)}")
