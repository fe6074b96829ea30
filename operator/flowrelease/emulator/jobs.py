"""Architect jobs (YAML import + publish), export jobs and validate jobs.

An Architect job is registered, receives its YAML on the emulator's own presigned upload URL, and then runs:
the document is checked (`archy`) at upload and the result lands when the job's `Progress` completes — a
Success creates or updates the flow by name and type, adds a checked-in version and publishes it. Export and
validate jobs resolve their flows at registration and finish the same way.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

from flowrelease.emulator.archy import ArchyFlow, ArchyRejected, parse_archy
from flowrelease.emulator.dependencies import reference_problems
from flowrelease.emulator.export import archy_yaml, export_file_name, zip_files
from flowrelease.emulator.model import Flow, FlowVersion
from flowrelease.emulator.state import Org
from flowrelease.emulator.transitions import Progress
from flowrelease.emulator.wire import ApiError, JsonObject, bad_request, iso_datetime, not_found

FINAL = frozenset({"Success", "Failure"})
UPLOAD_TOKEN_HEADER = "x-amz-meta-upload-token"  # noqa: S105 - a header name


@dataclass
class JobMessage:
    type: str
    text: str
    at: float


@dataclass
class ArchitectJob:
    id: str
    client_id: str
    upload_token: str
    status: str = "Registered"
    flow_id: str = ""
    messages: list[JobMessage] = field(default_factory=list)
    progress: Progress | None = None
    parsed: ArchyFlow | None = None


@dataclass
class ExportedFlow:
    flow_id: str
    version_id: str
    file_name: str


@dataclass
class ExportJob:
    id: str
    download_token: str
    flows: list[ExportedFlow]
    progress: Progress
    status: str = "Registered"
    messages: list[JobMessage] = field(default_factory=list)
    content: bytes = b""
    content_name: str = ""


@dataclass
class ValidateJob:
    id: str
    targets: list[tuple[str, str]]
    progress: Progress
    status: str = "Registered"
    messages: list[JobMessage] = field(default_factory=list)


def message_json(message: JobMessage) -> JsonObject:
    return {"dateTime": iso_datetime(message.at), "type": message.type, "text": message.text}


class JobBook:
    """Every job of the org, keyed by id."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.architect: dict[str, ArchitectJob] = {}
        self.exports: dict[str, ExportJob] = {}
        self.validations: dict[str, ValidateJob] = {}
        self.timed: set[tuple[str, str]] = set()  # (kind, job id) of unfinished jobs that complete by time

    def _track(self, kind: str, job_id: str, progress: Progress) -> None:
        if progress.mode.mode == "seconds":
            self.timed.add((kind, job_id))

    def _message(self, kind: str, text: str) -> JobMessage:
        return JobMessage(kind, text, self.org.clock.now())

    # -- Architect jobs --------------------------------------------------------------------------------

    def register_architect_job(self, client_id: str) -> ArchitectJob:
        job = ArchitectJob(id=str(uuid.uuid4()), client_id=client_id, upload_token=secrets.token_hex(16))
        self.architect[job.id] = job
        return job

    def upload_headers(self, job: ArchitectJob) -> dict[str, str]:
        return {"Content-Type": "application/octet-stream", UPLOAD_TOKEN_HEADER: job.upload_token}

    def receive_upload(self, job_id: str, headers: dict[str, str], body: bytes) -> None:
        job = self.architect.get(job_id)
        if job is None:
            raise ApiError(404, "not.found", f"No upload is expected at job '{job_id}'.")
        if headers.get(UPLOAD_TOKEN_HEADER) != job.upload_token or not headers.get(
            "content-type", ""
        ).startswith("application/octet-stream"):
            raise ApiError(
                403,
                "signature.does.not.match",
                "The upload must carry every header from the job's `headers` (Content-Type and "
                f"{UPLOAD_TOKEN_HEADER}).",
            )
        if job.status != "Registered":
            raise ApiError(409, "conflict", f"Job '{job_id}' already received its file.")
        job.status = "Started"
        job.progress = self.org.transitions.mode_for("architect_job").start(self.org.clock.now())
        try:
            job.parsed = parse_archy(body.decode("utf-8", errors="replace"), self.org)
            job.messages = [self._message(m.type, m.text) for m in job.parsed.warnings]
        except ArchyRejected as rejected:
            job.messages = [self._message(m.type, m.text) for m in rejected.messages]
            job.messages.append(self._message("Error", "setting the Archy exit code to 101"))
        if job.progress.due(self.org.clock.now()):
            self._finish_architect_job(job)
        else:
            self._track("architect", job.id, job.progress)

    def architect_job(self, job_id: str, *, observe: bool) -> ArchitectJob:
        job = self.architect.get(job_id)
        if job is None:
            raise not_found("Architect job", job_id)
        if observe and job.status == "Started" and job.progress and job.progress.poll(self.org.clock.now()):
            self._finish_architect_job(job)
        return job

    def _finish_architect_job(self, job: ArchitectJob) -> None:
        if job.parsed is None:
            job.status = "Failure"
            return
        try:
            job.flow_id = self._publish_document(job.parsed, job.client_id)
            job.status = "Success"
        except ApiError as error:
            job.messages.append(self._message("Error", error.message))
            job.status = "Failure"

    def _publish_document(self, parsed: ArchyFlow, client_id: str) -> str:
        org = self.org
        existing = [f for f in org.flows_named(parsed.name) if f.type == parsed.flow_type]
        division = org.division_named(parsed.division) or org.home_division()
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
        return flow.id

    # -- export jobs -----------------------------------------------------------------------------------

    def register_export(self, body: object) -> ExportJob:
        targets = _flow_targets(body, "RegisterArchitectExportJob")
        job = ExportJob(
            id=str(uuid.uuid4()),
            download_token=secrets.token_hex(16),
            flows=[],
            progress=self.org.transitions.mode_for("export_job").start(self.org.clock.now()),
        )
        for reference, file_name in targets:
            try:
                flow_id, version_id = self._resolve_target(reference)
                flow = self.org.flow(flow_id)
                job.flows.append(ExportedFlow(flow_id, version_id, export_file_name(flow, file_name)))
            except ApiError as error:
                job.messages.append(self._message("Error", error.message))
        self.exports[job.id] = job
        if job.progress.due(self.org.clock.now()):
            self._finish_export(job)
        else:
            self._track("export", job.id, job.progress)
        return job

    def export_job(self, job_id: str, *, observe: bool) -> ExportJob:
        job = self.exports.get(job_id)
        if job is None:
            raise not_found("Export job", job_id)
        if observe and job.status in {"Registered", "Started"}:
            if job.progress.poll(self.org.clock.now()):
                self._finish_export(job)
            else:
                job.status = "Started"
        return job

    def _finish_export(self, job: ExportJob) -> None:
        if job.messages or not job.flows:
            job.messages.append(self._message("Error", "Archy failed: setting the Archy exit code to 107"))
            job.status = "Failure"
            return
        files: list[tuple[str, bytes]] = []
        for exported in job.flows:
            found = self._still_there(exported.flow_id, exported.version_id)
            if found is None:
                job.messages.append(
                    self._message(
                        "Error",
                        f"Exception info: could not find the flow with id '{exported.flow_id}' "
                        f"version '{exported.version_id}'. Archy failed: setting the Archy exit code to 107",
                    )
                )
                job.status = "Failure"
                return
            files.append((exported.file_name, archy_yaml(*found)))
        if len(files) == 1:
            job.content_name, job.content = files[0]
        else:
            job.content_name, job.content = f"export-{job.id}.zip", zip_files(files)
        job.status = "Success"

    def download(self, job_id: str, signature: str) -> ExportJob:
        job = self.exports.get(job_id)
        if (
            job is None
            or job.status != "Success"
            or not secrets.compare_digest(signature, job.download_token)
        ):
            raise ApiError(
                403, "access.denied", "The download URL is not valid (unknown job or bad signature)."
            )
        return job

    # -- validate jobs ---------------------------------------------------------------------------------

    def register_validation(self, body: object) -> ValidateJob:
        targets = _flow_targets(body, "RegisterArchitectValidateJob")
        job = ValidateJob(
            id=str(uuid.uuid4()),
            targets=[],
            progress=self.org.transitions.mode_for("validate_job").start(self.org.clock.now()),
        )
        for reference, _ in targets:
            try:
                job.targets.append(self._resolve_target(reference))
            except ApiError as error:
                job.messages.append(self._message("Error", error.message))
        self.validations[job.id] = job
        if job.progress.due(self.org.clock.now()):
            self._finish_validation(job)
        else:
            self._track("validate", job.id, job.progress)
        return job

    def validation(self, job_id: str, *, observe: bool) -> ValidateJob:
        job = self.validations.get(job_id)
        if job is None:
            raise not_found("Validate job", job_id)
        if observe and job.status in {"Registered", "Started"}:
            if job.progress.poll(self.org.clock.now()):
                self._finish_validation(job)
            else:
                job.status = "Started"
        return job

    def _finish_validation(self, job: ValidateJob) -> None:
        for flow_id, version_id in job.targets:
            found = self._still_there(flow_id, version_id)
            if found is None:
                job.messages.append(
                    self._message("Error", f"Flow {flow_id} version {version_id} no longer exists.")
                )
                continue
            flow, version = found
            for problem in reference_problems(self.org, version):
                job.messages.append(self._message("Error", f"{flow.name} v{version.id}: {problem}"))
            for key in ((flow_id, ""), (flow_id, version_id)):
                for text in self.org.validation_warnings.get(key, []):
                    job.messages.append(self._message("Warning", f"{flow.name} v{version.id}: {text}"))
        failed = any(m.type == "Error" for m in job.messages)
        job.status = "Failure" if failed else "Success"

    def settle(self) -> None:
        """Finish every job whose time has come (only `seconds` jobs are tracked here)."""
        now = self.org.clock.now()
        for kind, job_id in sorted(self.timed):
            if kind == "architect":
                job = self.architect[job_id]
                if job.status == "Started" and job.progress and job.progress.due(now):
                    self._finish_architect_job(job)
                done = job.status in FINAL
            elif kind == "export":
                export = self.exports[job_id]
                if export.status not in FINAL and export.progress.due(now):
                    self._finish_export(export)
                done = export.status in FINAL
            else:
                validation = self.validations[job_id]
                if validation.status not in FINAL and validation.progress.due(now):
                    self._finish_validation(validation)
                done = validation.status in FINAL
            if done:
                self.timed.discard((kind, job_id))

    # -- shared ----------------------------------------------------------------------------------------

    def _still_there(self, flow_id: str, version_id: str) -> tuple[Flow, FlowVersion] | None:
        """The flow version a job was registered for, unless it has gone meanwhile (e.g. a reverted draft)."""
        flow = self.org.flows.get(flow_id)
        version = flow.versions.get(version_id) if flow is not None else None
        return (flow, version) if flow is not None and version is not None else None

    # -- resolving ----------------------------------------------------------------------------------------

    def _resolve_target(self, reference: JsonObject) -> tuple[str, str]:
        flow_id = reference.get("id")
        if isinstance(flow_id, str) and flow_id:
            flow = self.org.flows.get(flow_id)
            if flow is None or flow.deleted:
                raise ApiError(
                    404, "not.found", f"Exception info: could not find the flow with id '{flow_id}'"
                )
        else:
            name, flow_type = reference.get("name"), reference.get("type")
            matches = [f for f in self.org.flows_named(str(name)) if f.type == flow_type]
            if not matches:
                raise ApiError(404, "not.found", f"could not find the {flow_type} flow named '{name}'")
            flow = matches[0]
        requested = reference.get("version")
        version_id = requested if isinstance(requested, str) and requested else flow.published_version_id
        version_id = version_id or flow.checked_in_version_id
        if not version_id or version_id not in flow.versions:
            raise ApiError(
                404,
                "not.found",
                f"could not find version '{requested or ''}' of the flow with id '{flow.id}'",
            )
        return flow.id, version_id


def _flow_targets(body: object, model: str) -> list[tuple[JsonObject, str]]:
    flows = body.get("flows") if isinstance(body, dict) else None
    if not isinstance(flows, list) or not flows:
        raise bad_request(
            f"{model}.flows must be a non-empty list of {{flow: {{id, version}}}}.", field="flows"
        )
    targets: list[tuple[JsonObject, str]] = []
    for index, entry in enumerate(flows):
        reference = entry.get("flow") if isinstance(entry, dict) else None
        if not isinstance(reference, dict):
            raise bad_request(f"flows[{index}].flow must be an ArchitectFlowReference object.", field="flows")
        has_id = isinstance(reference.get("id"), str) and reference["id"]
        has_name = isinstance(reference.get("name"), str) and isinstance(reference.get("type"), str)
        if not has_id and not has_name:
            raise bad_request(f"flows[{index}].flow needs an id, or both name and type.", field="flows")
        file_name = entry.get("fileName") if isinstance(entry, dict) else None
        export_type = entry.get("exportType", "Yaml") if isinstance(entry, dict) else "Yaml"
        if export_type not in {"Yaml", "Architect"}:
            raise bad_request(f"flows[{index}].exportType must be Yaml or Architect.", field="exportType")
        targets.append((reference, file_name if isinstance(file_name, str) else ""))
    return targets
