"""One reconcile pass of one FlowRelease object: map the object to the engine and back.

read the object -> parse it -> load what it refers to (Secrets, ConfigMap) -> pick the shared Genesys client
-> run the engine (one release at a time per key, at most --max-concurrent at once) -> post its Events.

No release decisions are made here; the engine's Outcome says what happened and when to come back. The two
things that stop a pass before the engine (an object that is not a valid FlowRelease, a missing Secret or
ConfigMap) get their status from `shell_status`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from flowrelease.api.errors import field_path, fix_for
from flowrelease.api.models import REQUESTED_AT_ANNOTATION, FlowRelease, FlowReleaseStatus, Phase
from flowrelease.engine.outcome import Outcome, OutcomeKind, ReleaseEvent
from flowrelease.genesys import UnknownEnvironment
from flowrelease.k8s import shell_status
from flowrelease.k8s.events import post_release_events
from flowrelease.k8s.kube_api import ObjectRef
from flowrelease.k8s.runtime import Runtime
from flowrelease.k8s.secrets import ReferenceUnavailable, load_release_inputs
from flowrelease.k8s.status_store import KubeStatusStore

logger = logging.getLogger(__name__)

REFERENCE_RETRY_S = 15.0
"""How soon a release whose Secret/ConfigMap is missing looks again."""

SETTLED_PHASES = frozenset({Phase.READY, Phase.ROLLED_BACK, Phase.VALIDATION_FAILED, Phase.FAILED})


def release_key(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _object_ref(obj: Mapping[str, Any]) -> ObjectRef:
    meta = obj.get("metadata") or {}
    return ObjectRef(
        namespace=str(meta.get("namespace", "")), name=str(meta.get("name", "")), uid=str(meta.get("uid", ""))
    )


def _current_status(obj: Mapping[str, Any]) -> FlowReleaseStatus:
    try:
        return FlowReleaseStatus.model_validate(obj.get("status") or {})
    except ValidationError:
        logger.warning(
            "%s: ignoring a status that does not parse; starting from an empty one", release_key(obj)
        )
        return FlowReleaseStatus()


def _spec_problem(error: ValidationError, obj: Mapping[str, Any]) -> str:
    problems = []
    for detail in error.errors(include_url=False):
        path, fix = fix_for(FlowRelease, detail, obj)
        problems.append(f"{path or field_path(detail['loc'])}: {fix}")
    return "; ".join(problems)


async def run_release_pass(runtime: Runtime, obj: Mapping[str, Any]) -> Outcome:
    """Reconcile one object once. Only Kubernetes API failures (status writes) escape, for kopf to retry."""
    key = release_key(obj)
    async with runtime.locks.lock(key), runtime.concurrency:
        with runtime.metrics.tracking_in_flight():
            outcome, started = await _reconcile(runtime, obj, key)
    if outcome.events:
        await post_release_events(
            runtime.api, _object_ref(obj), outcome.events, redact=runtime.redactor.redact
        )
    finished = (
        outcome.kind in (OutcomeKind.READY, OutcomeKind.STALLED) and outcome.status.phase in SETTLED_PHASES
    )
    if finished and (outcome.status.phase != started or outcome.events):
        runtime.metrics.record_result(outcome.status.phase.value)
    return outcome


async def _reconcile(runtime: Runtime, obj: Mapping[str, Any], key: str) -> tuple[Outcome, Phase]:
    meta = obj.get("metadata") or {}
    generation = int(meta.get("generation") or 1)
    status = _current_status(obj)
    store = runtime.statuses
    store.remember(key, obj.get("status") or {})
    now = runtime.clock.now()

    try:
        release = FlowRelease.model_validate(obj)
    except ValidationError as error:
        message = f"The FlowRelease is not valid: {_spec_problem(error, obj)}"
        outcome = await _stall(store, key, status, generation, shell_status.INVALID_SPEC, message, now)
        return outcome, status.phase

    namespace = release.metadata.namespace
    try:
        inputs = await load_release_inputs(runtime.api, namespace, release.spec)
        runtime.redactor.register(*inputs.secret_values())
        engine = runtime.engines.engine_for(release.spec.genesys.environment, inputs.credentials)
    except ReferenceUnavailable as error:
        return await _wait_for_reference(
            store, key, status, generation, shell_status.REFERENCE_UNAVAILABLE, str(error), now
        ), status.phase
    except UnknownEnvironment as error:
        message = (
            str(error)
            if str(error).startswith("spec.genesys.environment")
            else f"spec.genesys.environment: {error}"
        )
        outcome = await _stall(store, key, status, generation, shell_status.UNKNOWN_ENVIRONMENT, message, now)
        return outcome, status.phase

    outcome = await engine.reconcile(
        release,
        status,
        generation=generation,
        git_credentials=inputs.git_credentials,
        requested_at=release.metadata.annotations.get(REQUESTED_AT_ANNOTATION, ""),
        source_yaml=inputs.source_yaml,
    )
    await store.save(key, outcome.status)
    return outcome, status.phase


def _first_report(status: FlowReleaseStatus, reason: str, message: str) -> tuple[ReleaseEvent, ...]:
    """An Event for this problem, unless the status already says exactly this (a repeat pass)."""
    reported = any(
        c.type == "Ready" and c.reason == reason and c.message == message for c in status.conditions
    )
    return () if reported else (ReleaseEvent(type="Warning", reason=reason, message=message),)


async def _stall(
    store: KubeStatusStore,
    key: str,
    status: FlowReleaseStatus,
    generation: int,
    reason: str,
    message: str,
    now: datetime,
) -> Outcome:
    stalled = shell_status.invalid_spec(
        status, generation=generation, reason=reason, message=message, now=now
    )
    await store.save(key, stalled)
    return Outcome(
        OutcomeKind.STALLED, stalled, message=message, events=_first_report(status, reason, message)
    )


async def _wait_for_reference(
    store: KubeStatusStore,
    key: str,
    status: FlowReleaseStatus,
    generation: int,
    reason: str,
    message: str,
    now: datetime,
) -> Outcome:
    waiting = shell_status.waiting_for_reference(
        status, generation=generation, reason=reason, message=message, now=now
    )
    await store.save(key, waiting)
    events = _first_report(status, reason, message)
    return Outcome(OutcomeKind.WAITING, waiting, after=REFERENCE_RETRY_S, message=message, events=events)
