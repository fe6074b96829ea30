"""What the planner decides on, in one frozen value: spec, status, observation and the time. PURE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flowrelease.api.models import FlowReleaseSpec, FlowReleaseStatus
from flowrelease.engine.bounds import visibility_grace
from flowrelease.engine.evidence import parse_time, seconds_since
from flowrelease.engine.poll_schedule import (
    LOSSY_NET_CAP_SECONDS,
    NEWS_WINDOW_SECONDS,
    PUSHED_POLL,
    PollSchedule,
    events_missing,
    lossy_channel,
    net_delay,
)
from flowrelease.engine.status_folding import timestamp
from flowrelease.engine.steps import Observation, Wait

MIN_WAIT_SECONDS = 0.1


@dataclass(frozen=True)
class Situation:
    spec: FlowReleaseSpec
    status: FlowReleaseStatus
    observation: Observation
    now: datetime
    poll: PollSchedule
    pushed_poll: PollSchedule = PUSHED_POLL

    @property
    def timeout(self) -> float:
        return float(self.spec.publish.timeout_seconds)

    @property
    def grace(self) -> float:
        return visibility_grace(self.spec.publish.timeout_seconds)

    def since(self, moment: str) -> float:
        return seconds_since(moment, self.now)

    def poll_wait(
        self,
        started_at: str,
        reason: str,
        message: str,
        *,
        until: str = "",
        regular: bool = False,
        announced: bool = True,
    ) -> Wait:
        """A poll of work started at `started_at`: the schedule's interval for the time spent, cut to the
        time left before the timeout (and before `until`, the end of a grace, when given).

        While notifications are live for the flow the safety-net schedule applies instead, except just after
        an event worth a look, when the regular schedule runs from the event (see `poll_schedule`), and
        when `regular`: a read that does not show the work yet may be stale (R1 lags by reads, not only by
        time), so the grace is spent on the regular schedule, never on one or two safety-net looks — and
        when the POST's start was never announced (`events_missing`): this publish's events are not coming —
        and while the channel showed a lost event lately (`lossy_channel`): the regular schedule, capped at
        `LOSSY_NET_CAP_SECONDS`, is the net.
        `announced`: whether Genesys announces the work's start on the flow's topic at all (a publish does;
        an Architect job does not: its flow changes only when the job ends), so silence after the POST
        means something only when it is."""
        elapsed = self.since(started_at)
        delay = self.poll.delay(elapsed)
        pushed = self.observation.pushed
        op = self.status.operation
        posted = self.since(op.posted_at) if op is not None and op.posted_at else None
        if (
            pushed is not None
            and pushed.live
            and not regular
            and not (announced and events_missing(pushed.heard_seconds_ago, posted))
        ):
            noticed = pushed.noticed_seconds_ago
            if noticed is not None and noticed < NEWS_WINDOW_SECONDS:
                delay = self.poll.delay(noticed)
            elif not lossy_channel(pushed.channel_lost_seconds_ago, posted):
                delay = net_delay(elapsed if posted is None else posted, self.pushed_poll)
            else:  # the channel loses events: the regular schedule, capped, is the net (events still wake)
                delay = min(delay, LOSSY_NET_CAP_SECONDS)
        after = min(delay, max(self.timeout - elapsed, MIN_WAIT_SECONDS))
        if until:
            after = min(after, max((parse_time(until) - self.now).total_seconds(), MIN_WAIT_SECONDS))
        return Wait(after, reason, message, poll=True)

    def later(self, moment: str, seconds: float) -> str:
        """`moment` plus `seconds`, as a status timestamp."""
        return timestamp(parse_time(moment) + timedelta(seconds=seconds))
