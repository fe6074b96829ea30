"""Read-after-write lag (R1): reads of a flow keep showing what it was before the last POST action.

Before a POST action (publish, checkin, unlock, checkout, revert) or an Architect job's publish changes a
flow, the org takes a `FlowView` snapshot of the fields reads lag on: `currentOperation`, `publishedVersion`,
`checkedInVersion`, `savedVersion`, and whether the flow existed at all (a flow a job creates is a 404 at
first, as CX as Code's retries show). `GET /flows/{id}` and `GET /flows` serve the snapshot until BOTH
`reads` reads were served stale AND `seconds` passed on the emulator clock. A later action replaces the
snapshot with the state just before it. Everything else of the flow (name, lock, versions list) is live.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from flowrelease.emulator.behaviour import ReadLag
from flowrelease.emulator.model import Flow, FlowVersion, Operation


@dataclass(frozen=True)
class FlowView:
    """What a read shows of the lagging fields; `exists=False`: the flow is not visible at all."""

    exists: bool
    current_operation: Operation | None = None
    published: FlowVersion | None = None
    checked_in: FlowVersion | None = None
    saved: FlowVersion | None = None


def live_view(flow: Flow) -> FlowView:
    """The flow as it is now (not copied: for rendering a fresh read)."""
    return FlowView(
        exists=True,
        current_operation=flow.current_operation,
        published=flow.versions.get(flow.published_version_id),
        checked_in=flow.versions.get(flow.checked_in_version_id),
        saved=flow.versions.get(flow.saved_version_id),
    )


def snapshot(flow: Flow | None) -> FlowView:
    """A frozen copy of the flow's lagging fields (`None`: the flow does not exist yet)."""
    if flow is None:
        return FlowView(exists=False)
    return copy.deepcopy(live_view(flow))


@dataclass
class StaleRead:
    view: FlowView
    lag: ReadLag
    started_at: float
    reads_served: int = 0

    def over(self, now: float) -> bool:
        return self.reads_served >= self.lag.reads and now >= self.started_at + self.lag.seconds


class ReadLagBook:
    """The stale snapshot of each flow whose last change reads do not show yet."""

    def __init__(self) -> None:
        self._stale: dict[str, StaleRead] = {}

    def begin(self, flow_id: str, view: FlowView, lag: ReadLag, now: float) -> None:
        if lag.enabled:
            self._stale[flow_id] = StaleRead(view, lag, now)
        else:
            self._stale.pop(flow_id, None)

    def read(self, flow_id: str, now: float) -> FlowView | None:
        """One read of the flow: the stale view it serves (and counts), or None once the lag is over."""
        stale = self._stale.get(flow_id)
        if stale is None:
            return None
        if stale.over(now):
            del self._stale[flow_id]
            return None
        stale.reads_served += 1
        return stale.view

    def clear(self) -> None:
        self._stale.clear()
