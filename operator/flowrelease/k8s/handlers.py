"""kopf handlers: wire the runtime at start-up, and turn each reconcile pass's Outcome into a kopf requeue.

How a release comes back after the delay the engine asks for (a WAITING outcome), without blocking:

- Short waits (publish polling starts at 0.5 s) are waited for inside the pass, for at most
  INLINE_BUDGET_S in total: an `asyncio.sleep` in this object's own kopf worker, so no other object and no
  other coroutine waits. Going through kopf for each 0.5 s poll would cost a progress-annotation patch, a
  touch patch and two extra watch events per poll; and the pass neither re-reads the object, its Secrets
  and ConfigMap nor writes a status that did not change.
- Longer waits (bake stages, lock waits, retries after errors) raise `kopf.TemporaryError(delay=)`: kopf
  records the due time in the object's annotations, frees the worker, sleeps and re-runs the handler
  (after a restart too). The delay is capped at MAX_REQUEUE_S because kopf does not re-run a delayed
  handler early when the spec changes; the cap bounds how long a change waits to be noticed.
- The operation id is already in `.status` (the engine saved it through the status subresource before the
  side effect), so a restart that loses the worker's state never repeats a publish.

READY books the next drift check (see drift.py); STALLED and SUSPENDED end the handling until the object
changes. The same handler serves resume (operator start), create and update (spec, labels, annotations —
so the `reconcile.flowrelease.io/requestedAt` annotation triggers one more pass). There is no deletion
handler and no finalizer: deleting a FlowRelease never touches the Genesys flow.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kopf

from flowrelease.api.models import GROUP, PLURAL, VERSION
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.k8s.config import OperatorConfig
from flowrelease.k8s.drift import DriftScheduler
from flowrelease.k8s.kube_api import KubeApiError, ObjectGone
from flowrelease.k8s.log_levels import REQUEUE_PREFIX
from flowrelease.k8s.promotion_wakeups import PromotionWakeups
from flowrelease.k8s.release_pass import release_key, run_release_pass
from flowrelease.k8s.runtime import Runtime, open_runtime

logger = logging.getLogger(__name__)

INLINE_BUDGET_S = 10.0
MAX_REQUEUE_S = 30.0
MIN_REQUEUE_S = 0.5
API_ERROR_RETRY_S = 15.0
BUSY_RETRY_S = 15.0


@dataclass
class OperatorMemo:
    """kopf's `memo`: the flags, and the runtime the startup handler builds (shared by every object)."""

    config: OperatorConfig
    runtime: Runtime | None = None
    drift: DriftScheduler | None = None
    promotion: PromotionWakeups | None = None

    def require(self) -> tuple[Runtime, DriftScheduler | None]:
        if self.runtime is None:
            raise kopf.TemporaryError("the operator is still starting", delay=1)
        return self.runtime, self.drift


def requeue_error(outcome: Outcome) -> kopf.TemporaryError:
    delay = min(max(outcome.after or MIN_REQUEUE_S, MIN_REQUEUE_S), MAX_REQUEUE_S)
    return kopf.TemporaryError(f"{REQUEUE_PREFIX}{delay:.1f}s: {outcome.message}", delay=delay)


def _split(key: str) -> tuple[str, str]:
    namespace, _, name = key.partition("/")
    return namespace, name


async def startup(settings: kopf.OperatorSettings, memo: OperatorMemo, **_: Any) -> None:
    runtime = await open_runtime(memo.config, settings)
    memo.runtime = runtime
    if memo.config.drift_seconds > 0:

        async def check(key: str) -> float | None:
            return await drift_check(runtime, key)

        memo.drift = DriftScheduler(check)
        memo.drift.start()

    async def rerun(key: str) -> None:
        await promotion_rerun(runtime, memo.drift, key)

    memo.promotion = PromotionWakeups(rerun)
    logger.info(
        "flowrelease operator started: %s, at most %d releases at once, drift checks %s",
        "all namespaces" if memo.config.clusterwide else "namespaces " + ", ".join(memo.config.namespaces),
        memo.config.max_concurrent,
        f"every {memo.config.drift_seconds:g}s" if memo.drift is not None else "off",
    )


async def cleanup(memo: OperatorMemo, **_: Any) -> None:
    if memo.promotion is not None:
        await memo.promotion.close()
        memo.promotion = None
    if memo.drift is not None:
        await memo.drift.stop()
        memo.drift = None
    if memo.runtime is not None:
        await memo.runtime.close()
        memo.runtime = None


async def drift_check(runtime: Runtime, key: str) -> float | None:
    """One scheduled check of a settled release; returns when to check again (None: stop)."""
    if runtime.locks.lock(key).locked():
        return BUSY_RETRY_S
    namespace, name = _split(key)
    try:
        obj = await runtime.api.get_release(namespace, name)
    except ObjectGone:
        runtime.locks.forget(key)
        runtime.statuses.forget(key)
        return None
    outcome = await run_release_pass(runtime, obj)
    if outcome.kind is OutcomeKind.READY:
        return runtime.config.drift_seconds
    if outcome.kind is OutcomeKind.WAITING:
        return max(outcome.after or MIN_REQUEUE_S, MIN_REQUEUE_S)
    return None


async def promotion_rerun(runtime: Runtime, drift: DriftScheduler | None, key: str) -> None:
    """One extra pass of a gated release because an upstream changed (kopf's requeue remains the backstop)."""
    try:
        obj = await runtime.api.get_release(*_split(key))
    except ObjectGone:
        return
    outcome = await run_release_pass(runtime, obj, inline_budget_s=INLINE_BUDGET_S)
    if drift is not None and outcome.kind is OutcomeKind.READY:
        drift.schedule(key, runtime.config.drift_seconds)


def _upstream_changed(
    type: str | None = None, event: kopf.RawEvent | None = None, memo: OperatorMemo | None = None, **_: Any
) -> bool:
    """Feeds every watch event to the promotion wakeups; lets through only those that wake a downstream."""
    if memo is None or memo.promotion is None or event is None:
        return False
    return bool(memo.promotion.observe(type, event["object"]))


async def wake_downstream(event: kopf.RawEvent, memo: OperatorMemo, **_: Any) -> None:
    """An upstream's change, phase or health moved: its downstream releases get a pass now."""
    if memo.promotion is None:
        return
    key = release_key(event["object"])
    memo.promotion.wake(memo.promotion.downstream_of(key), because=key)


async def reconcile(body: kopf.Body, memo: OperatorMemo, **_: Any) -> None:
    runtime, drift = memo.require()
    key = release_key(body)
    try:
        # kopf's body is the latest event it has processed, which can predate our own last status write;
        # the engine must start from what the cluster holds now. One read per handler call: the inline
        # polls inside the pass reuse what this read and the engine returned.
        obj: Mapping[str, Any] = await runtime.api.get_release(*_split(key))
        outcome = await run_release_pass(runtime, obj, inline_budget_s=INLINE_BUDGET_S)
    except ObjectGone:
        logger.info("%s was deleted while it was being reconciled; nothing more to do", key)
        runtime.statuses.forget(key)
        if drift is not None:
            drift.cancel(key)
        return
    except KubeApiError as error:
        raise kopf.TemporaryError(f"Kubernetes API: {error}", delay=API_ERROR_RETRY_S) from error

    if drift is not None:
        if outcome.kind is OutcomeKind.READY:
            drift.schedule(key, runtime.config.drift_seconds)
        else:
            drift.cancel(key)
    if outcome.kind is OutcomeKind.WAITING:
        raise requeue_error(outcome)
    logger.info("%s: %s (%s)", key, outcome.kind.value, outcome.message or outcome.status.phase.value)


def _is_deletion(type: str | None = None, **_: Any) -> bool:
    """Only DELETED watch events reach `forget_deleted` (kopf would log every other call at INFO)."""
    return type == "DELETED"


async def forget_deleted(event: kopf.RawEvent, memo: OperatorMemo, **_: Any) -> None:
    """Drop what the operator keeps per release once the object is gone (no finalizer, no Genesys call)."""
    if memo.runtime is None:
        return
    key = release_key(event["object"])
    memo.runtime.locks.forget(key)
    memo.runtime.statuses.forget(key)
    if memo.drift is not None:
        memo.drift.cancel(key)


def login(settings: kopf.OperatorSettings, **kwargs: Any) -> kopf.ConnectionInfo | None:
    """The in-cluster ServiceAccount, else KUBECONFIG / ~/.kube/config (kopf's built-in readers, which
    need no Kubernetes client library)."""
    info: kopf.ConnectionInfo | None = kopf.login_with_service_account(settings=settings, **kwargs)
    return info or kopf.login_with_kubeconfig(settings=settings, **kwargs)


def build_registry() -> kopf.OperatorRegistry:
    """A registry of flowrelease's handlers (not kopf's global one), so nothing else sneaks in."""
    registry = kopf.OperatorRegistry()
    kopf.on.login(registry=registry)(login)
    kopf.on.startup(registry=registry)(startup)
    kopf.on.cleanup(registry=registry)(cleanup)
    resource = (GROUP, VERSION, PLURAL)
    kopf.on.resume(*resource, id="reconcile-on-resume", registry=registry)(reconcile)
    kopf.on.create(*resource, id="reconcile-on-create", registry=registry)(reconcile)
    kopf.on.update(*resource, id="reconcile-on-update", registry=registry)(reconcile)
    kopf.on.event(*resource, id="forget-deleted", when=_is_deletion, registry=registry)(forget_deleted)
    kopf.on.event(*resource, id="promotion-wakeups", when=_upstream_changed, registry=registry)(
        wake_downstream
    )
    return registry
