"""Folding the promotion steps into the status: PURE (table-tested with the gate).

`RecordChange` writes `status.promotion.change` for the attempt; `HoldForPromotion` writes the gate's state:
Open clears `WaitingForPromotion`; Waiting keeps the release Progressing (`Reconciling=True` and
`WaitingForPromotion=True`, both naming what is missing); Blocked stalls it (`Stalled=True`, reason
`PromotionBlocked`) without settling it, so the next look at the upstreams can open the gate again.
"""

from __future__ import annotations

from flowrelease.api import conditions as C
from flowrelease.api.models import Condition, ConditionStatus, FlowReleaseStatus, PromotionStatus
from flowrelease.engine.status_folding import Folder, drop_conditions, set_condition
from flowrelease.engine.steps import HoldForPromotion, RecordChange


def change_recorded(status: FlowReleaseStatus, step: RecordChange) -> FlowReleaseStatus:
    record = PromotionStatus(change_kind=step.change.kind, change=step.change.id)
    conditions = drop_conditions(status.conditions, C.WAITING_FOR_PROMOTION)
    return status.model_copy(update={"promotion": record, "conditions": conditions})


def gate_held(status: FlowReleaseStatus, step: HoldForPromotion, folder: Folder) -> FlowReleaseStatus:
    before = status.promotion or PromotionStatus()
    record = before.model_copy(update={"gate": step.gate, "message": step.message})
    conditions = status.conditions

    def put(items: list[Condition], type_: str, state: ConditionStatus, reason: str) -> list[Condition]:
        return set_condition(
            items, type_, state, reason, step.message, now=folder.now, generation=folder.generation
        )

    if step.gate == "Open":
        conditions = drop_conditions(conditions, C.WAITING_FOR_PROMOTION)
        if _stalled_by_gate(conditions):
            conditions = drop_conditions(conditions, C.STALLED)
    elif step.gate == "Waiting":
        conditions = put(conditions, C.WAITING_FOR_PROMOTION, "True", C.WAITING_FOR_PROMOTION)
        conditions = put(conditions, C.RECONCILING, "True", C.WAITING_FOR_PROMOTION)
        conditions = put(conditions, C.READY, "False", C.WAITING_FOR_PROMOTION)
        conditions = drop_conditions(conditions, C.STALLED)
    else:
        conditions = drop_conditions(conditions, C.WAITING_FOR_PROMOTION, C.RECONCILING)
        conditions = put(conditions, C.STALLED, "True", C.PROMOTION_BLOCKED)
        conditions = put(conditions, C.READY, "False", C.PROMOTION_BLOCKED)
    return status.model_copy(update={"promotion": record, "conditions": conditions})


def _stalled_by_gate(conditions: list[Condition]) -> bool:
    return any(c.type == C.STALLED and c.reason == C.PROMOTION_BLOCKED for c in conditions)
