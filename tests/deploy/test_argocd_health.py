"""deploy/argocd/health.lua run the way Argo CD runs a health customization: Lua 5.1 (Argo CD embeds
gopher-lua, a 5.1 implementation) with no os/io/require, the live object as the global `obj`, JSON numbers
as Lua numbers, and the returned table's `status` and `message` read back."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from lupa import lua51

from tests.deploy.rendered import DEPLOY

HEALTH_LUA = DEPLOY / "argocd" / "health.lua"
ARGOCD_CM = DEPLOY / "argocd" / "argocd-cm.yaml"
HEALTH_KEY = "resource.customizations.health.flowrelease.io_FlowRelease"
ARGO_HEALTH_STATUSES = {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}


def run_health(obj: dict[str, Any], script: str | None = None) -> dict[str, str]:
    lua = lua51.LuaRuntime(unpack_returned_tuples=True)
    for unsafe in ("os", "io", "require", "dofile", "loadfile", "package", "debug"):
        lua.globals()[unsafe] = None
    # JSON through the same conversion Argo CD does: objects and arrays become tables, numbers are floats.
    lua.globals().obj = lua.table_from(json.loads(json.dumps(obj), parse_int=float), recursive=True)
    result = lua.execute(script if script is not None else HEALTH_LUA.read_text())
    return {"status": result["status"], "message": result["message"]}


def _condition(type_: str, status: str, reason: str = "", message: str = "") -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": "2026-11-27T10:00:00Z",
        "observedGeneration": 2,
    }


def _release(
    *, generation: int = 2, suspend: bool = False, status: dict[str, Any] | None = None
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "flowrelease.io/v1alpha1",
        "kind": "FlowRelease",
        "metadata": {"name": "support-ivr", "namespace": "contact-center", "generation": generation},
        "spec": {
            "genesys": {"environment": "mypurecloud.com"},
            "flow": {"type": "inboundcall", "name": "Support IVR"},
            "version": "12.0",
            "suspend": suspend,
        },
    }
    if status is not None:
        obj["status"] = status
    return obj


def _status(phase: str, *conditions: dict[str, Any], observed: int = 2, **extra: Any) -> dict[str, Any]:
    return {"observedGeneration": observed, "phase": phase, "conditions": list(conditions), **extra}


@dataclass(frozen=True)
class Case:
    id: str
    obj: dict[str, Any]
    status: str
    message: str
    reason: str = field(default="")


CASES = [
    Case(
        "ready-and-observed",
        _release(
            status=_status(
                "Ready",
                _condition("Ready", "True", "Published", "version 12.0 published and verified"),
                _condition("Reconciling", "False"),
                publishedVersion="12.0",
            )
        ),
        "Healthy",
        "version 12.0 published and verified",
        "Ready True for the current generation",
    ),
    Case(
        "ready-without-message",
        _release(status=_status("Ready", _condition("Ready", "True"), publishedVersion="12.0")),
        "Healthy",
        "Published version 12.0",
        "the message falls back to the published version",
    ),
    Case(
        "suspended",
        _release(suspend=True, status=_status("Ready", _condition("Ready", "True"))),
        "Suspended",
        "spec.suspend: true",
        "suspend wins over everything but deletion",
    ),
    Case(
        "no-status-yet",
        _release(),
        "Progressing",
        "Waiting for the flowrelease operator",
        "freshly applied, the operator has not written status",
    ),
    Case(
        "generation-not-observed",
        _release(generation=3, status=_status("Ready", _condition("Ready", "True"), observed=2)),
        "Progressing",
        "observe generation 3",
        "a spec change the operator has not seen yet: the old Ready is stale",
    ),
    Case(
        "stale-stalled-is-not-degraded",
        _release(generation=4, status=_status("RolledBack", _condition("Stalled", "True"), observed=3)),
        "Progressing",
        "observe generation 4",
        "a new spec after a rollback is being picked up, not still failing",
    ),
    Case(
        "reconciling",
        _release(
            status=_status(
                "Verifying",
                _condition("Ready", "Unknown", "Verifying"),
                _condition("Reconciling", "True", "Verifying", "baking version 12.0 for 600s"),
            )
        ),
        "Progressing",
        "baking version 12.0 for 600s",
        "Reconciling True",
    ),
    Case(
        "rolling-back",
        _release(
            status=_status(
                "RollingBack",
                _condition("Ready", "False", "RollingBack"),
                _condition("Reconciling", "True", "RollingBack", "restoring 11.0"),
            )
        ),
        "Progressing",
        "restoring 11.0",
        "a rollback in flight is progress; its outcome decides",
    ),
    Case(
        "stalled",
        _release(
            status=_status(
                "Publishing",
                _condition("Ready", "False", "LockedByOther"),
                _condition("Stalled", "True", "LockedByOther", "flow is locked by jane@example.com"),
            )
        ),
        "Degraded",
        "flow is locked by jane@example.com",
        "Stalled True",
    ),
    Case(
        "rolled-back",
        _release(
            status=_status(
                "RolledBack",
                _condition("Ready", "False", "RolledBack", "13.0 failed verification; 12.0 restored"),
            )
        ),
        "Degraded",
        "RolledBack: 13.0 failed verification; 12.0 restored",
        "phase RolledBack",
    ),
    Case(
        "failed",
        _release(
            status=_status("Failed", _condition("Ready", "False", "PublishTimeout", "publish timed out"))
        ),
        "Degraded",
        "Failed: publish timed out",
        "phase Failed",
    ),
    Case(
        "validation-failed",
        _release(status=_status("ValidationFailed")),
        "Degraded",
        "ValidationFailed: see the FlowRelease's conditions",
        "phase ValidationFailed without conditions still explains where to look",
    ),
    Case(
        "not-ready",
        _release(
            status=_status("Exporting", _condition("Ready", "False", "ExportFailed", "git push rejected"))
        ),
        "Degraded",
        "git push rejected",
        "Ready False and not reconciling",
    ),
    Case(
        "pending",
        _release(status=_status("Pending", _condition("Ready", "Unknown"))),
        "Progressing",
        "Waiting for the FlowRelease to become ready (phase Pending)",
        "Ready Unknown",
    ),
    Case(
        "being-deleted",
        {
            **_release(status=_status("Ready", _condition("Ready", "True"))),
            "metadata": {
                "name": "support-ivr",
                "generation": 2,
                "deletionTimestamp": "2026-11-27T11:00:00Z",
                "finalizers": ["flowrelease.io/finalizer"],
            },
        },
        "Progressing",
        "being deleted",
        "deletion waits on the operator's finalizer",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_health_of_flowrelease(case: Case) -> None:
    health = run_health(case.obj)
    assert health["status"] == case.status, case.reason
    assert case.message in health["message"], case.reason


def test_every_documented_state_is_covered() -> None:
    assert {c.status for c in CASES} == {"Healthy", "Progressing", "Degraded", "Suspended"}
    assert {c.status for c in CASES} <= ARGO_HEALTH_STATUSES


def test_script_does_not_modify_the_object() -> None:
    for case in CASES:
        original = copy.deepcopy(case.obj)
        run_health(case.obj)
        assert case.obj == original


def test_argocd_cm_snippet_installs_exactly_health_lua_under_the_argocd_key() -> None:
    configmap = yaml.safe_load(ARGOCD_CM.read_text())
    assert configmap["metadata"] == {
        "name": "argocd-cm",
        "namespace": "argocd",
        "labels": {"app.kubernetes.io/name": "argocd-cm", "app.kubernetes.io/part-of": "argocd"},
    }
    assert configmap["data"] == {HEALTH_KEY: HEALTH_LUA.read_text()}
    ready = CASES[0]
    assert run_health(ready.obj, configmap["data"][HEALTH_KEY])["status"] == "Healthy"
