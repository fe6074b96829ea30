"""The knobs on the wire: `/_emulator/behaviour` JSON to and from `Behaviour` (pure functions).

A PUT body is partial. If it has `profile`, every knob is first set to that profile's value; then each other
key overrides one knob. `readLag`, `timing` and `ingestionDelay` objects may be partial too: a missing key
keeps its current value (for `timing`, the realistic profile's value when timing was null). Unknown keys and
bad values raise `ApiError` 400 whose message and `details[].fieldName` name the field (`timing.jitter`,
`readLag.reads`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from flowrelease.emulator.behaviour import (
    DELETED_FLOW_STATUS,
    DRAFT_IDS,
    MISSING_VERSION_PUBLISH,
    OLDER_VERSION_PUBLISH,
    PROFILE_NAMES,
    REALISTIC_TIMING,
    VALIDATE_JOBS,
    Behaviour,
    IngestionDelay,
    ReadLag,
    Timing,
    profile_behaviour,
)
from flowrelease.emulator.wire import JsonObject, bad_request

MAX_SECONDS = 86_400.0 * 365
MAX_COUNT = 1_000_000

TIMING_FIELDS: dict[str, str] = {
    "publishSeconds": "publish_seconds",
    "checkinSeconds": "checkin_seconds",
    "importJobSeconds": "import_job_seconds",
    "exportJobSeconds": "export_job_seconds",
    "validateJobSeconds": "validate_job_seconds",
    "jitter": "jitter",
}


@dataclass(frozen=True)
class BehaviourChoice:
    """The knobs in force and the profile last applied (`GET /_emulator/behaviour` shows both)."""

    profile: str
    behaviour: Behaviour


def _choices(values: tuple[Any, ...]) -> str:
    return ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)


def _count(value: object, where: str, *, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= MAX_COUNT:
        raise bad_request(f"{where} must be an integer from {minimum} to {MAX_COUNT}.", field=where)
    return value


def _seconds(value: object, where: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_SECONDS
    ):
        raise bad_request(f"{where} must be a number of seconds from 0 to {MAX_SECONDS:.0f}.", field=where)
    return float(value)


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise bad_request(f"{where} must be true or false.", field=where)
    return value


def _one_of(values: tuple[Any, ...]) -> Callable[[object, str], Any]:
    def parse(value: object, where: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | str) or value not in values:
            raise bad_request(f"{where} must be one of {_choices(values)}.", field=where)
        return value

    return parse


def _object(value: object, where: str, keys: tuple[str, ...]) -> JsonObject:
    if not isinstance(value, dict):
        raise bad_request(f"{where} must be an object with keys {', '.join(keys)}.", field=where)
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise bad_request(
            f"{where}.{unknown[0]} is not a key of {where} (keys: {', '.join(keys)}).",
            field=f"{where}.{unknown[0]}",
        )
    return value


def _read_lag(value: object, current: Behaviour) -> ReadLag:
    body = _object(value, "readLag", ("reads", "seconds"))
    lag = current.read_lag
    return ReadLag(
        reads=_count(body["reads"], "readLag.reads") if "reads" in body else lag.reads,
        seconds=_seconds(body["seconds"], "readLag.seconds") if "seconds" in body else lag.seconds,
    )


def _timing(value: object, current: Behaviour) -> Timing | None:
    if value is None:
        return None
    body = _object(value, "timing", tuple(TIMING_FIELDS))
    base = current.timing or REALISTIC_TIMING
    changes: dict[str, float] = {}
    for key, attribute in TIMING_FIELDS.items():
        if key in body:
            changes[attribute] = _seconds(body[key], f"timing.{key}")
    if changes.get("jitter", 0.0) >= 1:
        raise bad_request("timing.jitter must be a fraction from 0 to below 1.", field="timing.jitter")
    return replace(base, **changes)


def _ingestion_delay(value: object, current: Behaviour) -> IngestionDelay:
    body = _object(value, "ingestionDelay", ("seconds", "jitter"))
    delay = current.ingestion_delay
    jitter = _seconds(body["jitter"], "ingestionDelay.jitter") if "jitter" in body else delay.jitter
    if jitter >= 1:
        raise bad_request(
            "ingestionDelay.jitter must be a fraction from 0 to below 1.", field="ingestionDelay.jitter"
        )
    seconds = _seconds(body["seconds"], "ingestionDelay.seconds") if "seconds" in body else delay.seconds
    return IngestionDelay(seconds=seconds, jitter=jitter)


def _token_limit(value: object, current: Behaviour) -> int | None:
    return None if value is None else _count(value, "tokenRateLimitPerMinute", minimum=1)


# JSON name → (attribute of Behaviour, parser of the JSON value given the behaviour being changed)
KNOBS: dict[str, tuple[str, Callable[[object, Behaviour], Any]]] = {
    "readLag": ("read_lag", _read_lag),
    "operationIdMismatch": ("operation_id_mismatch", lambda v, _: _flag(v, "operationIdMismatch")),
    "draftIds": ("draft_ids", lambda v, _: _one_of(DRAFT_IDS)(v, "draftIds")),
    "olderVersionPublish": (
        "older_version_publish",
        lambda v, _: _one_of(OLDER_VERSION_PUBLISH)(v, "olderVersionPublish"),
    ),
    "missingVersionPublish": (
        "missing_version_publish",
        lambda v, _: _one_of(MISSING_VERSION_PUBLISH)(v, "missingVersionPublish"),
    ),
    "jobRegisteredPolls": ("job_registered_polls", lambda v, _: _count(v, "jobRegisteredPolls")),
    "jobRegisteredSeconds": (
        "job_registered_seconds",
        lambda v, _: None if v is None else _seconds(v, "jobRegisteredSeconds"),
    ),
    "messagelessFailures": ("messageless_failures", lambda v, _: _flag(v, "messagelessFailures")),
    "validateJobs": ("validate_jobs", lambda v, _: _one_of(VALIDATE_JOBS)(v, "validateJobs")),
    "rateLimitHeaders": ("rate_limit_headers", lambda v, _: _flag(v, "rateLimitHeaders")),
    "tokenRateLimitPerMinute": ("token_rate_limit_per_minute", _token_limit),
    "deletedFlowStatus": (
        "deleted_flow_status",
        lambda v, _: _one_of(DELETED_FLOW_STATUS)(v, "deletedFlowStatus"),
    ),
    "timing": ("timing", _timing),
    "ingestionDelay": ("ingestion_delay", _ingestion_delay),
}
KNOB_NAMES: tuple[str, ...] = tuple(KNOBS)


def updated_behaviour(current: BehaviourChoice, body: object) -> BehaviourChoice:
    """`current` after the partial PUT `body` (see the module docstring); raises `ApiError` 400."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object of knobs.", field="body")
    unknown = sorted(key for key in body if key != "profile" and key not in KNOBS)
    if unknown:
        raise bad_request(
            f"'{unknown[0][:60]}' is not an emulator knob; knobs: profile, {', '.join(KNOB_NAMES)}.",
            field=unknown[0][:60],
        )
    profile, behaviour = current.profile, current.behaviour
    if "profile" in body:
        profile = parse_profile(body["profile"])
        behaviour = profile_behaviour(profile)
    changes = {
        attribute: parse(body[key], behaviour) for key, (attribute, parse) in KNOBS.items() if key in body
    }
    return BehaviourChoice(profile, replace(behaviour, **changes))


def parse_profile(value: object, where: str = "profile") -> str:
    if not isinstance(value, str) or value not in PROFILE_NAMES:
        raise bad_request(f"{where} must be one of {_choices(PROFILE_NAMES)}.", field=where)
    return value


def timing_json(timing: Timing | None) -> JsonObject | None:
    if timing is None:
        return None
    return {key: getattr(timing, attribute) for key, attribute in TIMING_FIELDS.items()}


def behaviour_json(choice: BehaviourChoice) -> JsonObject:
    """The full knob object, plus `profile`."""
    behaviour = choice.behaviour
    return {
        "profile": choice.profile,
        "readLag": {"reads": behaviour.read_lag.reads, "seconds": behaviour.read_lag.seconds},
        "operationIdMismatch": behaviour.operation_id_mismatch,
        "draftIds": behaviour.draft_ids,
        "olderVersionPublish": behaviour.older_version_publish,
        "missingVersionPublish": behaviour.missing_version_publish,
        "jobRegisteredPolls": behaviour.job_registered_polls,
        "jobRegisteredSeconds": behaviour.job_registered_seconds,
        "messagelessFailures": behaviour.messageless_failures,
        "validateJobs": behaviour.validate_jobs,
        "rateLimitHeaders": behaviour.rate_limit_headers,
        "tokenRateLimitPerMinute": behaviour.token_rate_limit_per_minute,
        "deletedFlowStatus": behaviour.deleted_flow_status,
        "timing": timing_json(behaviour.timing),
        "ingestionDelay": {
            "seconds": behaviour.ingestion_delay.seconds,
            "jitter": behaviour.ingestion_delay.jitter,
        },
    }
