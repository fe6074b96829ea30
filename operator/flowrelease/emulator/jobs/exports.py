"""Export jobs: resolve the flows at registration, render their Archy YAML when the job completes, and
hand the bytes out on a signed download URL."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

from flowrelease.emulator.export import archy_yaml, export_file_name, zip_files
from flowrelease.emulator.jobs.lifecycle import Job, Jobs
from flowrelease.emulator.jobs.targets import flow_targets, resolve_target, still_there
from flowrelease.emulator.wire import ApiError

ARCHY_EXIT_107 = "Archy failed: setting the Archy exit code to 107"


@dataclass(frozen=True)
class ExportedFlow:
    flow_id: str
    version_id: str
    file_name: str


@dataclass
class ExportJob(Job):
    download_token: str = ""
    flows: list[ExportedFlow] = field(default_factory=list)
    content: bytes = b""
    content_name: str = ""


class ExportJobs(Jobs[ExportJob]):
    kind = "export_job"
    label = "Export job"

    def register(self, body: object) -> ExportJob:
        targets = flow_targets(body, "RegisterArchitectExportJob")
        job = ExportJob(id=str(uuid.uuid4()), download_token=secrets.token_hex(16))
        for reference, file_name in targets:
            try:
                flow_id, version_id = resolve_target(self.org, reference)
            except ApiError as error:
                job.messages.append(self.message("Error", error.message))
                continue
            flow = self.org.flows[flow_id]
            job.flows.append(ExportedFlow(flow_id, version_id, export_file_name(flow, file_name)))
        self.jobs[job.id] = job
        self.begin(job)
        return job

    def finish(self, job: ExportJob) -> None:
        if job.messages or not job.flows:
            job.messages.append(self.message("Error", ARCHY_EXIT_107))
            job.status = "Failure"
            return
        files: list[tuple[str, bytes]] = []
        for exported in job.flows:
            found = still_there(self.org, exported.flow_id, exported.version_id)
            if found is None:
                text = (
                    f"Exception info: could not find the flow with id '{exported.flow_id}' "
                    f"version '{exported.version_id}'. {ARCHY_EXIT_107}"
                )
                job.messages.append(self.message("Error", text))
                job.status = "Failure"
                return
            files.append((exported.file_name, archy_yaml(*found)))
        if len(files) == 1:
            job.content_name, job.content = files[0]
        else:
            job.content_name, job.content = f"export-{job.id}.zip", zip_files(files)
        job.status = "Success"

    def download(self, job_id: str, signature: str) -> ExportJob:
        job = self.jobs.get(job_id)
        if (
            job is None
            or job.status != "Success"
            or not secrets.compare_digest(signature, job.download_token)
        ):
            raise ApiError(
                403, "access.denied", "The download URL is not valid (unknown job or bad signature)."
            )
        return job
