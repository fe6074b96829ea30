"""One reconcile pass of one FlowRelease object: map the object to the engine and back.

parse the object -> load what it refers to (Secrets, ConfigMap) -> pick the shared Genesys client -> run the
engine (one release at a time per key, at most --max-concurrent at once, work in flight first) -> post its
Events. A release that waits keeps a `Session` (its parsed object, inputs and the status the engine
returned), so the next pass — a poll half a second later — reads nothing from the cluster again.

No release decisions are made here; the engine's Outcome says what happened and when to come back. What stops
a pass before the engine (an object that is not a valid FlowRelease, a missing Secret or ConfigMap) and the
first status of a new object get their status from `shell_status`. The status store writes each pass's
status once, when it ends (and before its side effects), or keeps it for the next pass when this one ends
waiting a few seconds: see status_store.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from flowrelease.api.errors import field_path, fix_for
from flowrelease.api.models import REQUESTED_AT_ANNOTATION, FlowRelease, FlowReleaseStatus, Phase
from flowrelease.checks import ExternalCheckProbe
from flowrelease.engine.outcome import Outcome, OutcomeKind, ReleaseEvent
from flowrelease.engine.reconciler import ReleaseReconciler
from flowrelease.genesys import RateLimiter, UnknownEnvironment, in_flight_first
from flowrelease.k8s import shell_status
from flowrelease.k8s.events import post_release_events
from flowrelease.k8s.kube_api import ObjectRef
from flowrelease.k8s.runtime import Runtime
from flowrelease.k8s.secrets import ReferenceUnavailable, ReleaseInputs, load_release_inputs
from flowrelease.k8s.slots import Priority
from flowrelease.k8s.status_store import KubeStatusStore
from flowrelease.k8s.triggers import SETTLED_PHASES, priority_of, settled_and_handled

logger = logging.getLogger(__name__)

REFERENCE_RETRY_S = 15.0
"""How soon a release whose Secret/ConfigMap is missing looks again."""
INLINE_WAIT_MAX_S = 2.0
"""With --peering (kopf drives every pass): waits up to this long are slept inside the handler."""
STATUS_DEFER_S = 5.0
"""A pass that ends polling again within this long (or notified: `keeps_status_in_memory`) keeps its status
in memory for the next pass to write."""
SESSION_MAX_S = 60.0
"""A waiting release reads its object's inputs (Secrets, ConfigMap) afresh at least this often."""


def release_key(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _object_ref(obj: Mapping[str, Any]) -> ObjectRef:
    meta = obj.get("metadata") or {}
    return ObjectRef(
        namespace=str(meta.get("namespace", "")), name=str(meta.get("name", "")), uid=str(meta.get("uid", ""))
    )


def _spec_problem(error: ValidationError, obj: Mapping[str, Any]) -> str:
    problems = []
    for detail in error.errors(include_url=False):
        path, fix = fix_for(FlowRelease, detail, obj)
        problems.append(f"{path or field_path(detail['loc'])}: {fix}")
    return "; ".join(problems)


def inline_wait(
    outcome: Outcome, deadline: float, *, notified: bool = False, now: float | None = None
) -> float | None:
    """Seconds to wait before running the engine again inside this pass, or None to hand back. PURE given
    `now`.

    `notified`: the release's flow sends events, so the wait ends early when one comes (a `--peering`
    handler cannot be woken once it has handed back): it is waited here for as long as the budget allows,
    and what is left of it when no event came is handed back to kopf's requeue."""
    if outcome.kind is not OutcomeKind.WAITING:
        return None
    after = max(outcome.after or 0.0, 0.0)
    left = deadline - (time.monotonic() if now is None else now)
    if notified and left > 0:
        return min(after, left)
    if after > INLINE_WAIT_MAX_S or after >= left:
        return None
    return after


def _requests_first(priority: Priority) -> contextlib.AbstractContextManager[None]:
    """Work in flight goes first in its slot queue and, here, in its org's rate limiter too."""
    return in_flight_first() if priority is Priority.IN_FLIGHT else contextlib.nullcontext()


def keeps_status_in_memory(outcome: Outcome, *, notified: bool) -> bool:
    """A pass that ends polling work in flight again within STATUS_DEFER_S leaves its status for the next
    pass to write: that one comes within seconds, and writes when the release settles, before its next side
    effect, or when it waits longer (a bake stage, a lock, a retry, a slower poll). PURE.

    `notified`: notifications are live for the release's flow, so its poll wait (16 s) is only the safety
    net and the next pass comes with the event, usually within seconds too. Its status is kept as well: after
    a publish POST it differs from the cluster's (the intent, written before the POST) only in the
    operation's acknowledgement, which a restart finds again on the flow."""
    if outcome.kind is not OutcomeKind.WAITING or not outcome.poll:
        return False
    return notified or (outcome.after or 0.0) <= STATUS_DEFER_S


@dataclass(frozen=True)
class Prepared:
    release: FlowRelease
    inputs: ReleaseInputs
    engine: ReleaseReconciler
    limiter: RateLimiter
    """The request budget of the release's org + OAuth client (new starts leave some to work in flight)."""
    checks: ExternalCheckProbe


@dataclass(frozen=True)
class Session:
    """What a waiting release keeps between passes: its parsed object and inputs (nothing is read from the
    cluster again for a poll) and the status the engine returned."""

    prepared: Prepared
    status: FlowReleaseStatus
    opened: float
    """time.monotonic() when the inputs were read: a session older than SESSION_MAX_S is read afresh."""

    def fresh(self, now: float) -> bool:
        return now - self.opened < SESSION_MAX_S


@dataclass(frozen=True)
class PassResult:
    outcome: Outcome
    session: Session | None
    """Set when the release waits: the next pass may reuse it."""


async def run_release_pass(
    runtime: Runtime,
    obj: Mapping[str, Any],
    *,
    fresh_read: bool = True,
    session: Session | None = None,
    priority: Priority | None = None,
    inline_budget_s: float = 0.0,
) -> PassResult:
    """Reconcile one object; only Kubernetes API failures (status writes) escape, for the caller to retry.

    `fresh_read`: `obj` was just read from the cluster, so its status is the cluster's now; False for a copy
    from a watch event, which may predate this operator's own last write (the status store's is used then).
    `session`: the previous pass's inputs and status, reused as they are. `priority`: in the slot queue
    (default: by the status). `inline_budget_s`: with --peering, short waits are slept here."""
    key = release_key(obj)
    deadline = time.monotonic() + inline_budget_s
    store = runtime.statuses
    ref = _object_ref(obj)
    async with runtime.locks.lock(key):
        outcome: Outcome | None = None
        prepared: Prepared | None = None
        if session is not None:
            status, prepared = session.status, session.prepared
        else:
            read = obj.get("status") or {}
            known = store.start_from(key, read if fresh_read or not store.knows(key) else None)
            status = _parsed_status(key, known)
            first = (priority or priority_of(status)) if not known else None
            outcome, prepared, status = await _prepare(runtime, obj, key, status, acknowledge=first)
        started = status.phase
        while True:
            if prepared is not None:
                slot = priority if priority is not None else priority_of(status)
                async with (
                    runtime.slots.slot(slot, admit=runtime.budget.gate(prepared.limiter, slot)),
                    runtime.budget.starting(prepared.limiter, slot),
                    store.pass_of(key) as writes,
                ):
                    with runtime.metrics.tracking_in_flight(), _requests_first(slot):
                        outcome = await _run_engine(prepared, status)
                    if keeps_status_in_memory(outcome, notified=prepared.engine.pushed(key)):
                        writes.keep_in_memory()
                # Counted as soon as the status says so, not after the Events: a scrape that sees the
                # phase sees the count.
                _record_if_finished(runtime, outcome, started)
            assert outcome is not None
            if outcome.events:
                await post_release_events(runtime.api, ref, outcome.events, redact=runtime.redactor.redact)
            notified = prepared is not None and prepared.engine.pushed(key)
            sleep = inline_wait(outcome, deadline, notified=notified) if prepared is not None else None
            if sleep is None:
                break
            if notified:
                woken = await runtime.wakeups.wait(key, sleep)
                left = (outcome.after or 0.0) - sleep
                if not woken and left > 0:
                    outcome = replace(outcome, after=left)  # no event within the budget: kopf's requeue
                    break
            else:
                await asyncio.sleep(sleep)
            status = outcome.status
            priority = None
    kept = None
    if prepared is not None and outcome.kind is OutcomeKind.WAITING:
        opened = session.opened if session is not None else time.monotonic()
        kept = Session(prepared, outcome.status, opened)
    return PassResult(outcome, kept)


def _record_if_finished(runtime: Runtime, outcome: Outcome, started: Phase) -> None:
    settled = (
        outcome.kind in (OutcomeKind.READY, OutcomeKind.STALLED) and outcome.status.phase in SETTLED_PHASES
    )
    if settled and (outcome.status.phase != started or outcome.events):
        runtime.metrics.record_result(outcome.status.phase.value)


def _parsed_status(key: str, wire: Mapping[str, object] | None) -> FlowReleaseStatus:
    try:
        return FlowReleaseStatus.model_validate(wire or {})
    except ValidationError:
        logger.warning("%s: ignoring a status that does not parse; starting from an empty one", key)
        return FlowReleaseStatus()


def _acknowledgement(runtime: Runtime, obj: Mapping[str, Any]) -> FlowReleaseStatus:
    generation = int((obj.get("metadata") or {}).get("generation") or 1)
    return shell_status.accepted(
        generation=generation,
        now=runtime.clock.now(),
        message=(
            f"Accepted by the operator; starting as soon as one of {runtime.config.max_concurrent} "
            "release slots is free"
        ),
    )


async def _prepare(
    runtime: Runtime,
    obj: Mapping[str, Any],
    key: str,
    status: FlowReleaseStatus,
    *,
    acknowledge: Priority | None = None,
) -> tuple[Outcome, None, FlowReleaseStatus] | tuple[None, Prepared, FlowReleaseStatus]:
    """Parse the object and load what it refers to: an Outcome of our own when that fails.

    `acknowledge` (a new object, with its priority): write its first status before it waits for a slot
    among --max-concurrent or for its org's request budget (not for one created suspended: it has nothing
    in progress to report). With every slot busy it is written before anything is read from the cluster,
    so a fleet created at once gets its statuses while the Secret reads queue; when the pass would get a
    slot at once, its own first write follows as soon, and this one is saved."""
    generation = int((obj.get("metadata") or {}).get("generation") or 1)
    store = runtime.statuses
    now = runtime.clock.now()
    try:
        release = FlowRelease.model_validate(obj)
    except ValidationError as error:
        message = f"The FlowRelease is not valid: {_spec_problem(error, obj)}"
        stalled = await _stall(store, key, status, generation, shell_status.INVALID_SPEC, message, now)
        return stalled, None, status

    acknowledged = False
    if acknowledge is not None and not release.spec.suspend and not runtime.slots.free_now():
        status, acknowledged = _acknowledgement(runtime, obj), True
        await store.save(key, status)
    namespace = release.metadata.namespace
    try:
        inputs = await load_release_inputs(runtime.api, namespace, release.spec)
        runtime.redactor.register(*inputs.secret_values())
        engine, limiter = runtime.engines.engine_for(release.spec.genesys.environment, inputs.credentials)
    except ReferenceUnavailable as error:
        reason = shell_status.REFERENCE_UNAVAILABLE
        requested_at = release.metadata.annotations.get(REQUESTED_AT_ANNOTATION, "")
        if settled_and_handled(status, generation, requested_at):
            return _unchanged_for_now(status, reason, str(error)), None, status
        waiting = await _wait_for_reference(store, key, status, generation, reason, str(error), now)
        return waiting, None, status
    except UnknownEnvironment as error:
        message = (
            str(error)
            if str(error).startswith("spec.genesys.environment")
            else f"spec.genesys.environment: {error}"
        )
        reason = shell_status.UNKNOWN_ENVIRONMENT
        return await _stall(store, key, status, generation, reason, message, now), None, status
    if (
        acknowledge is not None
        and not acknowledged
        and not release.spec.suspend
        and not runtime.budget.would_admit(limiter, acknowledge)
    ):
        status = _acknowledgement(runtime, obj)
        await store.save(key, status)
    checks = ExternalCheckProbe(runtime.http, inputs.check_secrets)
    prepared = Prepared(release=release, inputs=inputs, engine=engine, limiter=limiter, checks=checks)
    return None, prepared, status


async def _run_engine(prepared: Prepared, status: FlowReleaseStatus) -> Outcome:
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
