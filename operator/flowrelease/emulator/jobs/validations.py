"""Validate jobs: check existing flow versions — an Error for every reference whose resource was deleted or
never existed, plus the Warnings set on the control plane. Any Error makes the job a Failure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flowrelease.emulator.dependencies import reference_problems
from flowrelease.emulator.jobs.lifecycle import Job, Jobs
from flowrelease.emulator.jobs.targets import flow_targets, resolve_target, still_there
from flowrelease.emulator.wire import ApiError


@dataclass
class ValidateJob(Job):
    targets: list[tuple[str, str]] = field(default_factory=list)


class ValidateJobs(Jobs[ValidateJob]):
    kind = "validate_job"
    label = "Validate job"

    def register(self, body: object) -> ValidateJob:
        targets = flow_targets(body, "RegisterArchitectValidateJob")
        job = ValidateJob(id=str(uuid.uuid4()))
        for reference, _ in targets:
            try:
                job.targets.append(resolve_target(self.org, reference))
            except ApiError as error:
                job.messages.append(self.message("Error", error.message))
        self.jobs[job.id] = job
        self.begin(job)
        return job

    def finish(self, job: ValidateJob) -> None:
        for flow_id, version_id in job.targets:
            found = still_there(self.org, flow_id, version_id)
            if found is None:
                job.messages.append(
                    self.message("Error", f"Flow {flow_id} version {version_id} no longer exists.")
                )
                continue
            flow, version = found
            for problem in reference_problems(self.org, version):
                job.messages.append(self.message("Error", f"{flow.name} v{version.id}: {problem}"))
            for key in ((flow_id, ""), (flow_id, version_id)):
                for text in self.org.validation_warnings.get(key, []):
                    job.messages.append(self.message("Warning", f"{flow.name} v{version.id}: {text}"))
        job.status = "Failure" if any(m.type == "Error" for m in job.messages) else "Success"
