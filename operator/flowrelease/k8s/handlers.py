"""kopf handlers: wire the runtime at start-up, and hand FlowReleases to whatever runs their passes.

Both modes index every FlowRelease by the flow it claims (`flow_claims`, a kopf index: one owner per flow).

- **Standalone** (the default, one replica): one kopf *event* handler hands every watch event (the initial
  listing after a restart included) to the `ReleaseScheduler`, which runs each release's passes when they
  are due — at once on a change, when the engine's wait ends, on `wake(key)` (a flow's owner went away, an
  upstream of a promotion gate moved), for drift checks. kopf writes nothing to the objects (no progress or
  diff-base annotations, no finalizer).
- **--peering**: the schedule must pause when kopf peering pauses this replica, and only kopf's own handlers
  do, so kopf's create/update/resume handlers run the passes. Short waits (publish polling) are slept inside
  the handler for at most INLINE_BUDGET_S; longer ones raise `kopf.TemporaryError(delay=)`: kopf records the
  due time in the object's annotations, frees the worker and re-runs the handler (after a restart too), at
  most MAX_REQUEUE_S later, because kopf does not re-run a delayed handler early when the spec changes. A
  release held back by another one's flow (FlowConflict), or waiting at its promotion gate, is looked at
  again the same way (nothing wakes it early). There is no drift check with --peering (config.py).

In both modes the operation id and intent are in `.status` before any side effect (the engine saved them
through the status subresource), so a restart never repeats a publish. There is no deletion handler and no
finalizer: deleting a FlowRelease never touches the Genesys flow.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kopf

from flowrelease.api.models import GROUP, PLURAL, VERSION
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.engine.ports import FlowClaim
from flowrelease.k8s.config import OperatorConfig
from flowrelease.k8s.flow_claims import INDEX_ID, ClaimIndex, ClaimKey, index_flow_claims
from flowrelease.k8s.kube_api import KubeApiError, ObjectGone
from flowrelease.k8s.log_levels import REQUEUE_PREFIX
from flowrelease.k8s.release_pass import release_key, run_release_pass
from flowrelease.k8s.runtime import Runtime, open_runtime
from flowrelease.k8s.scheduler import ReleaseScheduler

logger = logging.getLogger(__name__)

INLINE_BUDGET_S = 10.0
MAX_REQUEUE_S = 30.0
MIN_REQUEUE_S = 0.5
API_ERROR_RETRY_S = 15.0


@dataclass
class OperatorMemo:
    """kopf's `memo`: the flags, and what the startup handler builds (shared by every object)."""

    config: OperatorConfig
    runtime: Runtime | None = None
    scheduler: ReleaseScheduler | None = None

    def require(self) -> Runtime:
        if self.runtime is None:
            raise kopf.TemporaryError("the operator is still starting", delay=1)
        return self.runtime


def requeue_error(outcome: Outcome) -> kopf.TemporaryError:
    delay = min(max(outcome.after or MIN_REQUEUE_S, MIN_REQUEUE_S), MAX_REQUEUE_S)
    return kopf.TemporaryError(f"{REQUEUE_PREFIX}{delay:.1f}s: {outcome.message}", delay=delay)


def _split(key: str) -> tuple[str, str]:
    namespace, _, name = key.partition("/")
    return namespace, name


def _keep_index(runtime: Runtime, kwargs: Mapping[str, Any]) -> None:
    """kopf hands its indexes to every handler as keyword arguments; the runtime keeps the claims index."""
    index: ClaimIndex | None = kwargs.get(INDEX_ID)
    if index is not None:
        runtime.claims_index = index


async def startup(settings: kopf.OperatorSettings, memo: OperatorMemo, **kwargs: Any) -> None:
    runtime = await open_runtime(memo.config, settings)
    _keep_index(runtime, kwargs)
    memo.runtime = runtime
    if memo.config.peering is None:
        memo.scheduler = ReleaseScheduler(runtime)
        # A v2.flows event for a release's flow runs its next pass now instead of at the engine's safety net.
        runtime.wakeups.forward = memo.scheduler.wake
        memo.scheduler.start()
    drift = memo.config.drift_seconds
    logger.info(
        "flowrelease operator started: %s, at most %d releases at once, drift checks %s",
        "all namespaces" if memo.config.clusterwide else "namespaces " + ", ".join(memo.config.namespaces),
        memo.config.max_concurrent,
        f"every {drift:g}s" if drift > 0 else "off",
    )


async def cleanup(memo: OperatorMemo, **_: Any) -> None:
    if memo.scheduler is not None:
        await memo.scheduler.stop()
        memo.scheduler = None
    if memo.runtime is not None:
        await memo.runtime.close()
        memo.runtime = None


# ------------------------------------------------------------------------------------------ standalone


async def notice(event: kopf.RawEvent, memo: OperatorMemo, **kwargs: Any) -> None:
    """Every watch event of a FlowRelease goes to the scheduler."""
    if memo.runtime is None or memo.scheduler is None:
        return
    _keep_index(memo.runtime, kwargs)
    body: Mapping[str, Any] = event["object"]
    if event["type"] == "DELETED":
        memo.scheduler.forget(body)
    else:
        memo.scheduler.notice(body)


# --------------------------------------------------------------------------------------------- peering


async def reconcile(body: kopf.Body, memo: OperatorMemo, **kwargs: Any) -> None:
    runtime = memo.require()
    _keep_index(runtime, kwargs)
    key = release_key(body)
    try:
        # kopf's body is the latest event it has processed, which can predate our own last status write
        # (or another replica's): start from what the cluster holds now. One read per handler call: the
        # inline polls inside the pass reuse what this read and the engine returned.
        obj: Mapping[str, Any] = await runtime.api.get_release(*_split(key))
        outcome = (await run_release_pass(runtime, obj, inline_budget_s=INLINE_BUDGET_S)).outcome
    except ObjectGone:
        logger.info("%s was deleted while it was being reconciled; nothing more to do", key)
        runtime.statuses.forget(key)
        return
    except KubeApiError as error:
        raise kopf.TemporaryError(f"Kubernetes API: {error}", delay=API_ERROR_RETRY_S) from error
    if outcome.kind is OutcomeKind.WAITING or (outcome.kind is OutcomeKind.STALLED and outcome.after):
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


# ------------------------------------------------------------------------------------------- registry


async def index_claims(body: kopf.Body, **_: Any) -> dict[ClaimKey, FlowClaim]:
    """The claims index function, as a coroutine: kopf runs a plain function in a thread, a hop per event."""
    return index_flow_claims(body)


def login(settings: kopf.OperatorSettings, **kwargs: Any) -> kopf.ConnectionInfo | None:
    """The in-cluster ServiceAccount, else KUBECONFIG / ~/.kube/config (kopf's built-in readers, which
    need no Kubernetes client library)."""
    info: kopf.ConnectionInfo | None = kopf.login_with_service_account(settings=settings, **kwargs)
    return info or kopf.login_with_kubeconfig(settings=settings, **kwargs)


def build_registry(config: OperatorConfig | None = None) -> kopf.OperatorRegistry:
    """A registry of flowrelease's handlers (not kopf's global one), so nothing else sneaks in."""
    registry = kopf.OperatorRegistry()
    kopf.on.login(registry=registry)(login)
    kopf.on.startup(registry=registry)(startup)
    kopf.on.cleanup(registry=registry)(cleanup)
    resource = (GROUP, VERSION, PLURAL)
    kopf.index(*resource, id=INDEX_ID, registry=registry)(index_claims)
    if config is not None and config.peering is not None:
        kopf.on.resume(*resource, id="reconcile-on-resume", registry=registry)(reconcile)
        kopf.on.create(*resource, id="reconcile-on-create", registry=registry)(reconcile)
        kopf.on.update(*resource, id="reconcile-on-update", registry=registry)(reconcile)
        kopf.on.event(*resource, id="forget-deleted", when=_is_deletion, registry=registry)(forget_deleted)
    else:
        kopf.on.event(*resource, id="notice", registry=registry)(notice)
    return registry
