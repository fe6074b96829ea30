"""Architect jobs: register, receive Archy YAML on the presigned URL, check it, then create and publish.

The document is checked (`archy`) when it arrives; the result lands when the job's progress completes. A
Success creates or updates the flow by name and type, adds a checked-in version, publishes it and records
the flow id on the job; a Failure carries Error messages saying what to fix (none at all under
`messagelessFailures`). Under `jobRegisteredPolls` the job still says `Registered` for that many GETs after
the upload, or (`jobRegisteredSeconds`) until that many seconds passed, whichever comes first. A Success
is a POST-like change of the flow: reads of it lag behind (R1, see `readlag`); a flow the job created is
not visible at all until the lag is over.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from flowrelease.emulator.archy import ArchyFlow, ArchyRejected, parse_archy
from flowrelease.emulator.jobs.lifecycle import Job, Jobs
from flowrelease.emulator.readlag import snapshot
from flowrelease.emulator.wire import ApiError

UPLOAD_TOKEN_HEADER = "x-amz-meta-upload-token"  # noqa: S105 - a header name
UPLOAD_CONTENT_TYPE = "application/octet-stream"


@dataclass
class ArchitectJob(Job):
    client_id: str = ""
    upload_token: str = ""
    flow_id: str = ""
    parsed: ArchyFlow | None = None
    uploaded: bool = False
    upload: bytes = b""
    """The file exactly as received (the control plane shows it: what an import really sent)."""


class ArchitectJobs(Jobs[ArchitectJob]):
    kind = "architect_job"
    label = "Architect job"

    def register(self, client_id: str) -> ArchitectJob:
        job = ArchitectJob(id=str(uuid.uuid4()), client_id=client_id, upload_token=secrets.token_hex(16))
        self.jobs[job.id] = job
        return job

    @staticmethod
    def upload_headers(job: ArchitectJob) -> dict[str, str]:
        """The `headers` a client must send with its PUT, as a presigned S3 URL would require."""
        return {"Content-Type": UPLOAD_CONTENT_TYPE, UPLOAD_TOKEN_HEADER: job.upload_token}

    def receive_upload(self, job_id: str, headers: dict[str, str], body: bytes) -> None:
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "not.found", f"No upload is expected at job '{job_id}'.")
        content_type_ok = headers.get("content-type", "").startswith(UPLOAD_CONTENT_TYPE)
        if headers.get(UPLOAD_TOKEN_HEADER) != job.upload_token or not content_type_ok:
            raise ApiError(
                403,
                "signature.does.not.match",
                f"The upload must carry every header from the job's `headers` (Content-Type and "
                f"{UPLOAD_TOKEN_HEADER}).",
            )
        if job.uploaded:
            raise ApiError(409, "conflict", f"Job '{job_id}' already received its file.")
        job.uploaded = True
        job.upload = body
        behaviour = self.org.behaviour
        job.registered_polls = behaviour.job_registered_polls
        if behaviour.job_registered_seconds is not None:
            job.registered_until = self.org.clock.now() + behaviour.job_registered_seconds
        job.status = "Registered" if job.held(self.org.clock.now()) else "Started"
        try:
            job.parsed = parse_archy(body.decode("utf-8", errors="replace"), self.org)
            job.messages = [self.message(m.type, m.text) for m in job.parsed.warnings]
        except ArchyRejected as rejected:
            job.messages = [self.message(m.type, m.text) for m in rejected.messages]
            job.messages.append(self.message("Error", "setting the Archy exit code to 101"))
        self.begin(job)

    def finish(self, job: ArchitectJob) -> None:
        withhold = self.org.behaviour.messageless_failures
        if job.parsed is None:
            job.fail(withhold_messages=withhold)
            return
        try:
            job.flow_id = self._publish_document(job.parsed, job.client_id)
            job.status = "Success"
        except ApiError as error:
            job.messages.append(self.message("Error", error.message))
            job.fail(withhold_messages=withhold)

    def _publish_document(self, parsed: ArchyFlow, client_id: str) -> str:
        org = self.org
        existing = [f for f in org.flows_named(parsed.name) if f.type == parsed.flow_type]
        division = org.division_named(parsed.division) or org.home_division()
        before = snapshot(existing[0] if existing else None)
        if existing:
            flow = existing[0]
            if flow.lock is not None and flow.lock.client_id != client_id:
                raise ApiError(
                    409,
                    "architect.flow.locked",
                    f"Flow '{flow.name}' is locked by client '{flow.lock.client_name}'; "
                    "it cannot be published.",
                )
            if flow.pending is not None:
                raise ApiError(409, "conflict", f"Flow '{flow.name}' has an operation in progress.")
            if parsed.description:
                flow.description = parsed.description
        else:
            flow = org.create_flow(
                parsed.name,
                parsed.flow_type,
                client_id,
                division_id=division.id,
                description=parsed.description,
                lock=False,
            )
        if flow.saved_version_id:
            del flow.versions[flow.saved_version_id]
            flow.saved_version_id = ""
        version = org.add_version(flow, parsed.document, client_id, "CHECKIN")
        org.publish_now(flow, version, client_id)
        org.lag_reads(flow.id, before)
        return flow.id
