"""What every job shares: its record, messages, and the lifecycle Registered → Started → Success/Failure.

A job gets a `Progress` when its work starts (registration, or the upload for an Architect job). A GET of the
job counts as a poll; `seconds`-mode jobs are also finished by `settle` once their time has come. A job can
be held `Registered` for its first `registered_polls` GETs after its work started (R6), or until
`registered_until` (emulator clock) when that comes first: it cannot finish while held. Without a
`registered_until` only GETs release it (the adversarial reading: a job no one reads never finishes).
`messages_withheld` (R6, message-less failures) renders no `messages` at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from flowrelease.emulator.state import Org
from flowrelease.emulator.transitions import Progress
from flowrelease.emulator.wire import JsonObject, iso_datetime, not_found

FINAL = frozenset({"Success", "Failure"})


@dataclass
class JobMessage:
    type: str  # Error | Warning | Unknown
    text: str
    at: float

    def as_json(self) -> JsonObject:
        return {"dateTime": iso_datetime(self.at), "type": self.type, "text": self.text}


@dataclass
class Job:
    id: str
    status: str = "Registered"
    messages: list[JobMessage] = field(default_factory=list)
    progress: Progress | None = None
    registered_polls: int = 0
    registered_until: float | None = None
    messages_withheld: bool = False

    def held(self, now: float) -> bool:
        """Still `Registered` by R6: GETs are owed and (when it has one) its time has not come. PURE."""
        if not self.registered_polls:
            return False
        return self.registered_until is None or now < self.registered_until

    def due_at(self) -> float | None:
        """The emulator-clock time a `seconds`-mode job finishes by itself; None when only GETs (or nothing
        timed) can finish it."""
        progress = self.progress
        if progress is None or progress.mode.mode != "seconds":
            return None
        due = progress.started_at + progress.mode.seconds
        if not self.registered_polls:
            return due
        return None if self.registered_until is None else max(due, self.registered_until)

    def fail(self, *, withhold_messages: bool) -> None:
        self.status = "Failure"
        if withhold_messages:
            self.messages = []
            self.messages_withheld = True


JobT = TypeVar("JobT", bound=Job)


class Jobs(ABC, Generic[JobT]):
    """The jobs of one kind, keyed by id, advancing by the transition rule for `kind`."""

    kind: str
    label: str

    def __init__(self, org: Org) -> None:
        self.org = org
        self.jobs: dict[str, JobT] = {}
        self._timed: set[str] = set()

    def message(self, kind: str, text: str) -> JobMessage:
        return JobMessage(kind, text, self.org.clock.now())

    def begin(self, job: JobT) -> None:
        """Start the job's work: it finishes now, on a later poll, or when its time comes."""
        now = self.org.clock.now()
        job.progress = self.org.transition_for(self.kind).start(now)
        if job.progress.due(now) and not job.held(now):
            self.finish(job)
        elif job.progress.mode.mode == "seconds":
            self._timed.add(job.id)

    def get(self, job_id: str, *, observe: bool) -> JobT:
        job = self.jobs.get(job_id)
        if job is None:
            raise not_found(self.label, job_id)
        if observe and job.progress is not None and job.status not in FINAL:
            if job.held(self.org.clock.now()):
                job.registered_polls -= 1
                job.status = "Registered"
            elif job.progress.poll(self.org.clock.now()):
                self.finish(job)
            else:
                job.status = "Started"
        return job

    def settle(self) -> None:
        now = self.org.clock.now()
        for job_id in sorted(self._timed):
            job = self.jobs[job_id]
            if job.held(now):
                continue
            if job.status not in FINAL and job.progress is not None and job.progress.due(now):
                self.finish(job)
            if job.status in FINAL:
                self._timed.discard(job_id)

    @abstractmethod
    def finish(self, job: JobT) -> None:
        """Land the job's result and set its final status."""
