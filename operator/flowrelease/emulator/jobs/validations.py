"""Validate jobs: check existing flow versions — an Error for every reference whose resource was deleted or
never existed, plus the Warnings set on the control plane. Any Error makes the job a Failure (carrying no
messages under `messagelessFailures`). Where the org does not offer this preview API (`validateJobs` 404,
403 or 501, R7) registering and reading a validate job answer that status."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flowrelease.emulator.dependencies import reference_problems
from flowrelease.emulator.jobs.lifecycle import Job, Jobs
from flowrelease.emulator.jobs.targets import flow_targets, resolve_target, still_there
from flowrelease.emulator.wire import ApiError

UNAVAILABLE: dict[int, tuple[str, str]] = {
    404: ("not.found", "No resource matches {method} /api/v2/flows/validate/jobs in this org."),
    403: ("missing.permissions", "This org's OAuth client is not allowed to use Architect validate jobs."),
    501: ("not.implemented", "Architect validate jobs are not available in this org."),
}


@dataclass
class ValidateJob(Job):
    targets: list[tuple[str, str]] = field(default_factory=list)


class ValidateJobs(Jobs[ValidateJob]):
    kind = "validate_job"
    label = "Validate job"

    def require_service(self, method: str) -> None:
        """Raise the status `validateJobs` names when this org does not offer validate jobs (R7)."""
        status = self.org.behaviour.validate_jobs
        if status != "available":
            code, message = UNAVAILABLE[status]
            raise ApiError(status, code, message.format(method=method))

    def get(self, job_id: str, *, observe: bool) -> ValidateJob:
        self.require_service("GET")
        return super().get(job_id, observe=observe)

    def register(self, body: object) -> ValidateJob:
        self.require_service("POST")
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
        if any(m.type == "Error" for m in job.messages):
            job.fail(withhold_messages=self.org.behaviour.messageless_failures)
        else:
            job.status = "Success"
