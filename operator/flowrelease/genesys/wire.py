"""Reading Genesys JSON into the engine's values: small, typed, and tolerant.

Unknown fields are ignored and unknown enum values are kept as the text Genesys sent (the real API can be
newer than any SDK, genesys-api.md §3.1 note), except where the engine's type is closed: an unknown Architect
job status reads as "Started" (still running), so polling continues and stays bounded by its schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from flowrelease.engine.ports import (
    Dependency,
    FlowState,
    JobMessage,
    JobState,
    LockHolder,
    OperationState,
    VersionInfo,
)
from flowrelease.genesys.jobs import archy_throttled

JobStatus = Literal["Registered", "Started", "Success", "Failure"]
_JOB_STATUSES: dict[str, JobStatus] = {
    "registered": "Registered",
    "started": "Started",
    "success": "Success",
    "failure": "Failure",
}


def _obj(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _text(fields: Mapping[str, object], key: str) -> str:
    value = fields.get(key)
    return value if isinstance(value, str) else "" if value is None else str(value)


def _flag(fields: Mapping[str, object], key: str) -> bool:
    return fields.get(key) is True


def _count(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return int(value)
    return 0


def _ref_id(fields: Mapping[str, object], key: str) -> str | None:
    return _text(_obj(fields.get(key)), "id") or None


def operation_state(body: object, own_client_id: str = "") -> OperationState | None:
    """An `Operation` (publish/check-in response, Flow.currentOperation); None when absent.

    `client.id` says which OAuth client started it: with `own_client_id` it tells whether it is ours."""
    fields = _obj(body)
    if not fields:
        return None
    client_id = _text(_obj(fields.get("client")), "id")
    return OperationState(
        id=_text(fields, "id"),
        action_name=_text(fields, "actionName").upper(),
        action_status=_text(fields, "actionStatus").upper(),
        complete=_flag(fields, "complete"),
        error_message=_text(fields, "errorMessage"),
        error_code=_text(fields, "errorCode"),
        client_id=client_id,
        is_self=bool(client_id) and client_id == own_client_id,
    )


def lock_holder(fields: Mapping[str, object], own_client_id: str) -> LockHolder | None:
    """`lockedClient` (what a client-credentials checkout sets) wins over `lockedUser`."""
    client = _obj(fields.get("lockedClient"))
    if _text(client, "id"):
        client_id = _text(client, "id")
        return LockHolder("client", client_id, _text(client, "name"), is_self=client_id == own_client_id)
    user = _obj(fields.get("lockedUser"))
    if _text(user, "id"):
        return LockHolder("user", _text(user, "id"), _text(user, "name"))
    return None


def flow_state(body: object, own_client_id: str) -> FlowState:
    fields = _obj(body)
    return FlowState(
        id=_text(fields, "id"),
        name=_text(fields, "name"),
        type=_text(fields, "type").upper(),
        published_version=_ref_id(fields, "publishedVersion"),
        checked_in_version=_ref_id(fields, "checkedInVersion"),
        saved_version=_ref_id(fields, "savedVersion"),
        lock=lock_holder(fields, own_client_id),
        current_operation=operation_state(fields.get("currentOperation"), own_client_id),
        deleted=_flag(fields, "deleted"),
    )


def version_info(body: object) -> VersionInfo:
    fields = _obj(body)
    created = fields.get("dateCreated")
    return VersionInfo(
        id=_text(fields, "id"),
        type=_text(fields, "type").upper(),
        date_created_ms=created if isinstance(created, int) and not isinstance(created, bool) else None,
    )


def job_status(value: object) -> JobStatus:
    return _JOB_STATUSES.get(str(value or "").strip().lower(), "Started")


def job_status_of(body: object) -> JobStatus:
    return job_status(_obj(body).get("status"))


def job_messages(body: object) -> tuple[JobMessage, ...]:
    raw = _obj(body).get("messages")
    items = raw if isinstance(raw, list) else []
    return tuple(JobMessage(_text(_obj(m), "type") or "Unknown", _text(_obj(m), "text")) for m in items)


def job_state(body: object, *, flow_id: str = "") -> JobState:
    """An Architect job (import, validate, export). For an export, `downloadUrl` once it succeeded, and
    whether a failure is Archy's internal rate limit (genesys-api.md §7)."""
    fields = _obj(body)
    messages = job_messages(fields)
    status = job_status(fields.get("status"))
    return JobState(
        id=_text(fields, "id"),
        status=status,
        flow_id=_ref_id(fields, "flow") or flow_id,
        messages=messages,
        download_url=_text(fields, "downloadUrl"),
        throttled=status == "Failure" and archy_throttled(m.text for m in messages),
    )


def dependency(body: object) -> Dependency:
    fields = _obj(body)
    return Dependency(
        type=_text(fields, "type").upper(),
        id=_text(fields, "id"),
        name=_text(fields, "name"),
        version=_text(fields, "version"),
        deleted=_flag(fields, "deleted"),
        updated=_flag(fields, "updated"),
        state_unknown=_flag(fields, "stateUnknown"),
    )


def entities(body: object) -> list[object]:
    raw = _obj(body).get("entities")
    return list(raw) if isinstance(raw, list) else []


def page_count(body: object) -> int:
    return _count(_obj(body).get("pageCount"))


def import_registration(body: object) -> tuple[str, str, dict[str, str]]:
    fields = _obj(body)
    headers = {str(k): str(v) for k, v in _obj(fields.get("headers")).items()}
    return _text(fields, "id"), _text(fields, "presignedUrl"), headers


DEPENDENCY_OBJECT_TYPES: dict[str, str] = {
    "BOT": "BOTFLOW",
    "COMMONMODULE": "COMMONMODULEFLOW",
    "DIGITALBOT": "DIGITALBOTFLOW",
    "INBOUNDCALL": "INBOUNDCALLFLOW",
    "INBOUNDCHAT": "INBOUNDCHATFLOW",
    "INBOUNDEMAIL": "INBOUNDEMAILFLOW",
    "INBOUNDSHORTMESSAGE": "INBOUNDSHORTMESSAGEFLOW",
    "INQUEUECALL": "INQUEUECALLFLOW",
    "INQUEUEEMAIL": "INQUEUEEMAILFLOW",
    "INQUEUESHORTMESSAGE": "INQUEUESHORTMESSAGEFLOW",
    "OUTBOUNDCALL": "OUTBOUNDCALLFLOW",
    "SECURECALL": "SECURECALLFLOW",
    "SURVEYINVITE": "SURVEYINVITEFLOW",
    "VOICE": "VOICEFLOW",
    "VOICEMAIL": "VOICEMAILFLOW",
    "WORKFLOW": "WORKFLOW",
    "WORKITEM": "WORKITEMFLOW",
    # Not mapped by CX as Code; the object types exist in the Dependency.type enum (genesys-api.md §8).
    "EMAILSEND": "EMAILSENDFLOW",
    "VOICESURVEY": "VOICESURVEYFLOW",
    "BUSINESSPROCESS": "BUSINESSPROCESSFLOW",
}
