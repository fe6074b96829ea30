"""One reconcile pass of one FlowRelease object: map the object to the engine and back.

parse the object -> load what it refers to (Secrets, ConfigMap) -> pick the shared Genesys client -> run the
engine (one release at a time per key, at most --max-concurrent at once) -> post its Events; then, while the
engine asks to look again within INLINE_WAIT_MAX_S and the caller's budget lasts, sleep and run the engine
again with the status it returned — without reading the object, its Secrets or ConfigMap again.

No release decisions are made here; the engine's Outcome says what happened and when to come back. What stops
a pass before the engine (an object that is not a valid FlowRelease, a missing Secret or ConfigMap) and the
first status of a new object get their status from `shell_status`. The status store writes each engine run's
status once, when it ends (and before its side effects): see status_store.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from flowrelease.api.errors import field_path, fix_for
from flowrelease.api.models import REQUESTED_AT_ANNOTATION, FlowRelease, FlowReleaseStatus, Phase
from flowrelease.checks import ExternalCheckProbe
from flowrelease.engine.outcome import Outcome, OutcomeKind, ReleaseEvent
from flowrelease.engine.reconciler import ReleaseReconciler
from flowrelease.genesys import UnknownEnvironment
from flowrelease.k8s import shell_status
from flowrelease.k8s.events import post_release_events
from flowrelease.k8s.kube_api import ObjectRef
from flowrelease.k8s.runtime import Runtime
from flowrelease.k8s.secrets import ReferenceUnavailable, ReleaseInputs, load_release_inputs
from flowrelease.k8s.status_store import KubeStatusStore

logger = logging.getLogger(__name__)

REFERENCE_RETRY_S = 15.0
"""How soon a release whose Secret/ConfigMap is missing looks again."""
INLINE_WAIT_MAX_S = 2.0
"""Waits up to this long are slept inside the pass (publish polling); longer ones go back to the caller."""

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


def inline_wait(outcome: Outcome, deadline: float) -> float | None:
    """Seconds to sleep before running the engine again inside this pass, or None to hand back."""
    if outcome.kind is not OutcomeKind.WAITING:
        return None
    after = max(outcome.after or 0.0, 0.0)
    if after > INLINE_WAIT_MAX_S or time.monotonic() + after >= deadline:
        return None
    return after


@dataclass(frozen=True)
class _Prepared:
    release: FlowRelease
    inputs: ReleaseInputs
    engine: ReleaseReconciler
    checks: ExternalCheckProbe


async def run_release_pass(
    runtime: Runtime, obj: Mapping[str, Any], *, inline_budget_s: float = 0.0
) -> Outcome:
    """Reconcile one object; only Kubernetes API failures (status writes) escape, for kopf to retry."""
    key = release_key(obj)
    deadline = time.monotonic() + inline_budget_s
    store = runtime.statuses
    ref = _object_ref(obj)
    async with runtime.locks.lock(key):
        store.remember(key, obj.get("status") or {})
        status = _current_status(obj)
        started = status.phase
        if not obj.get("status") and (obj.get("spec") or {}).get("suspend") is not True:
            status = await _acknowledge(runtime, key, obj)
        prepared: _Prepared | None = None
        outcome: Outcome | None = None
        while True:
            async with runtime.concurrency, store.pass_of(key):
                with runtime.metrics.tracking_in_flight():
                    if prepared is None:
                        outcome, prepared = await _prepare(runtime, obj, key, status)
                    if prepared is not None:
                        outcome = await _run_engine(prepared, status)
            assert outcome is not None
            if outcome.events:
                await post_release_events(runtime.api, ref, outcome.events, redact=runtime.redactor.redact)
            sleep = inline_wait(outcome, deadline) if prepared is not None else None
            if sleep is None:
                break
            await asyncio.sleep(sleep)
            status = outcome.status
    assert outcome is not None
    finished = (
        prepared is not None
        and outcome.kind in (OutcomeKind.READY, OutcomeKind.STALLED)
        and outcome.status.phase in SETTLED_PHASES
    )
    if finished and (outcome.status.phase != started or outcome.events):
        runtime.metrics.record_result(outcome.status.phase.value)
    return outcome


async def _acknowledge(runtime: Runtime, key: str, obj: Mapping[str, Any]) -> FlowReleaseStatus:
    """A new object's first status, written before it waits for a slot among --max-concurrent (not for
    one created suspended: it has nothing in progress to report)."""
    generation = int((obj.get("metadata") or {}).get("generation") or 1)
    status = shell_status.accepted(
        generation=generation,
        now=runtime.clock.now(),
        message=(
            f"Accepted by the operator; starting as soon as one of {runtime.config.max_concurrent} "
            "release slots is free"
        ),
    )
    await runtime.statuses.save(key, status)
    return status


async def _prepare(
    runtime: Runtime, obj: Mapping[str, Any], key: str, status: FlowReleaseStatus
) -> tuple[Outcome, None] | tuple[None, _Prepared]:
    """Parse the object and load what it refers to: an Outcome of our own when that fails."""
    generation = int((obj.get("metadata") or {}).get("generation") or 1)
    store = runtime.statuses
    now = runtime.clock.now()
    try:
        release = FlowRelease.model_validate(obj)
    except ValidationError as error:
        message = f"The FlowRelease is not valid: {_spec_problem(error, obj)}"
        return await _stall(store, key, status, generation, shell_status.INVALID_SPEC, message, now), None

    namespace = release.metadata.namespace
    try:
        inputs = await load_release_inputs(runtime.api, namespace, release.spec)
        runtime.redactor.register(*inputs.secret_values())
        engine = runtime.engines.engine_for(release.spec.genesys.environment, inputs.credentials)
    except ReferenceUnavailable as error:
        reason = shell_status.REFERENCE_UNAVAILABLE
        requested_at = release.metadata.annotations.get(REQUESTED_AT_ANNOTATION, "")
        if settled_and_handled(status, generation, requested_at):
            return _unchanged_for_now(status, reason, str(error)), None
        return await _wait_for_reference(store, key, status, generation, reason, str(error), now), None
    except UnknownEnvironment as error:
        message = (
            str(error)
            if str(error).startswith("spec.genesys.environment")
            else f"spec.genesys.environment: {error}"
        )
        reason = shell_status.UNKNOWN_ENVIRONMENT
        return await _stall(store, key, status, generation, reason, message, now), None
    checks = ExternalCheckProbe(runtime.http, inputs.check_secrets)
    return None, _Prepared(release=release, inputs=inputs, engine=engine, checks=checks)


async def _run_engine(prepared: _Prepared, status: FlowReleaseStatus) -> Outcome:
    release = prepared.release
    return await prepared.engine.reconcile(
        release,
        shell_status.for_engine(status),
        generation=release.metadata.generation,
        git_credentials=prepared.inputs.git_credentials,
        requested_at=release.metadata.annotations.get(REQUESTED_AT_ANNOTATION, ""),
        source_yaml=prepared.inputs.source_yaml,
        checks=prepared.checks,
    )


def settled_and_handled(status: FlowReleaseStatus, generation: int, requested_at: str) -> bool:
    """The release is settled and the engine has handled this spec and request: a pass would only look
    for drift (Ready) or stay stalled, so a missing Secret or ConfigMap changes nothing it reports."""
    return (
        status.phase in SETTLED_PHASES
        and shell_status.for_engine(status).observed_generation == generation
        and (not requested_at or requested_at == status.last_handled_reconcile_at)
    )


def _unchanged_for_now(status: FlowReleaseStatus, reason: str, message: str) -> Outcome:
    """A settled release whose reference went missing keeps its status (Ready stays Ready, a stall stays a
    stall); a Warning Event says why its next look could not run."""
    kind = OutcomeKind.READY if status.phase is Phase.READY else OutcomeKind.STALLED
    text = f"{message} (the release stays {status.phase.value} until it can be read)"
    return Outcome(kind, status, message=text, events=(ReleaseEvent("Warning", reason, text),))


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
