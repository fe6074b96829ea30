"""How notifications change the planner's polling (pure tables), and which polls need no flow read."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.engine import steps as S
from flowrelease.engine.in_flight import job_cadence
from flowrelease.engine.observing import job_answers
from flowrelease.engine.planner import plan
from flowrelease.engine.poll_schedule import (
    PUSHED_POLL,
    PollSchedule,
    events_missing,
    lossy_channel,
    net_delay,
    unannounced,
)
from flowrelease.engine.ports import JobState, Pushed
from tests.unit.engine.builders import NOW, current, flow, op, spec, status
from tests.unit.engine.test_planner import PREPARED, SOURCE, importing

RUNNING = "Publishing version 3.0: operation op-1 is STARTED (timeout 900s)"
LIVE = Pushed(live=True, heard_seconds_ago=0.5)
"""Live, and the POST's start was heard (an event arrived after the acknowledgement)."""
UNHEARD = Pushed(live=True)


@dataclass(frozen=True)
class CadenceCase:
    id: str
    reason: str
    pushed: Pushed | None
    started: float
    """Seconds since the operation's intent was recorded."""
    want_after: float


CADENCE_CASES = [
    CadenceCase("polling", "no notifications: the regular schedule (20 % of 10 s elapsed)", None, 10, 2.0),
    CadenceCase("not-live", "not live for this flow: poll as before", Pushed(False), 10, 2.0),
    CadenceCase("live-early", "live: the safety net looks 16 s later", LIVE, 1, 16.0),
    CadenceCase("live-later", "on the grid from the POST: 24 s after it, the look at 32 s", LIVE, 25, 8.0),
    CadenceCase(
        "live-long", "299 s after the POST: 304 s is too close (5 s), so the look at 320 s", LIVE, 300, 21.0,
    ),
    CadenceCase(
        "start-pending", "no event yet, but the POST is 3 s old: its start may still come (look at 16 s)",
        UNHEARD, 4, 13.0,
    ),
    CadenceCase(
        "start-unheard", "nothing heard 9 s after the POST: its events are not coming, poll (20 % of 10 s)",
        UNHEARD, 10, 2.0,
    ),
    CadenceCase(
        "heard-before-post", "the last event came before this POST: its start was not heard either",
        Pushed(True, heard_seconds_ago=30.0), 10, 2.0,
    ),
    CadenceCase(
        "news-lag", "an event arrived 1 s ago and the read does not show it yet (R1): look again soon",
        Pushed(True, noticed_seconds_ago=1.0, heard_seconds_ago=1.0), 60, 0.5,
    ),
    CadenceCase(
        "news-lag-grows", "5 s after the event: 20 % of the time since it",
        Pushed(True, noticed_seconds_ago=5.0, heard_seconds_ago=5.0), 60, 1.0,
    ),
    CadenceCase(
        "news-old", "an event 10 s or more ago is old news: back to the net (59 s after the POST: 80 s)",
        Pushed(True, noticed_seconds_ago=12.0, heard_seconds_ago=12.0), 60, 21.0,
    ),
    CadenceCase(
        "timeout-cuts", "the wait never passes the publish timeout", LIVE, 890, 10.0,
    ),
    CadenceCase(
        "lossy-channel", "the channel lost an event 30 s ago: the regular schedule is the net (20 % of 25 s)",
        Pushed(True, heard_seconds_ago=20.0, channel_lost_seconds_ago=30.0), 25, 5.0,
    ),
    CadenceCase(
        "lossy-early", "lossy channel, 2 s in: the regular schedule's 0.5 s, not the net's 16 s",
        Pushed(True, heard_seconds_ago=0.5, channel_lost_seconds_ago=5.0), 2, 0.5,
    ),
    CadenceCase(
        "lossy-long", "lossy, 100 s in: the regular schedule's 10 s, capped at the lossy net's 5 s",
        Pushed(True, heard_seconds_ago=20.0, channel_lost_seconds_ago=30.0), 100, 5.0,
    ),
    CadenceCase(
        "lossy-at-post", "a long publish posted 50 s after the channel's last loss: the lossy net to the end "
        "(the window of 600 s counts to its POST), not the sparse one",
        Pushed(True, heard_seconds_ago=20.0, channel_lost_seconds_ago=650.0), 600, 5.0,
    ),
    CadenceCase(
        "loss-long-ago", "the last loss 700 s ago: the channel is clean again, the net (24 s in: 32 s)",
        Pushed(True, heard_seconds_ago=20.0, channel_lost_seconds_ago=700.0), 25, 8.0,
    ),
    CadenceCase(
        "lossy-news", "lossy, but an event 1 s ago: the news window's schedule, as on a clean channel",
        Pushed(True, noticed_seconds_ago=1.0, heard_seconds_ago=1.0, channel_lost_seconds_ago=5.0), 60, 0.5,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case_id", "lost_ago", "want", "reason"),
    [
        ("never", None, False, "no loss ever seen: the sparse net"),
        ("just", 0.0, True, "a loss this moment"),
        ("recent", 599.0, True, "within the window"),
        ("expired", 600.0, False, "the window is over: clean again"),
        ("clock-oddity", -1.0, False, "a loss in the future (clock moved back) is not trusted"),
    ],
)
def test_lossy_channel(case_id: str, lost_ago: float | None, want: bool, reason: str) -> None:
    assert lossy_channel(lost_ago) is want, (case_id, reason)


@pytest.mark.parametrize(
    ("case_id", "lost_ago", "posted_ago", "want", "reason"),
    [
        ("lost-before-post", 700.0, 200.0, True, "lost 500 s before this POST: the work keeps the lossy net"),
        ("lost-since-post", 100.0, 200.0, True, "lost while the work ran"),
        (
            "long-before-post",
            900.0,
            200.0,
            False,
            "lost 700 s before the POST: clean by then",
        ),
        ("not-posted", 700.0, None, False, "no POST to hold on to: the window counts from now"),
    ],
)
def test_lossy_channel_holds_for_work_posted_while_lossy(
    case_id: str, lost_ago: float, posted_ago: float | None, want: bool, reason: str
) -> None:
    assert lossy_channel(lost_ago, posted_ago) is want, (case_id, reason)


@pytest.mark.parametrize(
    ("case_id", "noticed_ago", "watched_ago", "want", "reason"),
    [
        ("announced", 2.0, 10.0, False, "an event came 8 s after the watch before the POST"),
        ("none-ever", None, 10.0, True, "finished, and no event worth a look ever came"),
        ("only-before", 30.0, 10.0, True, "the last event came before this POST's watch: lost"),
        ("same-moment", 10.0, 10.0, False, "an event at the moment of the watch still counts"),
        ("watched-late", None, None, False, "watched only after the POST: its events may have gone before"),
    ],
)
def test_unannounced(
    case_id: str, noticed_ago: float | None, watched_ago: float | None, want: bool, reason: str
) -> None:
    assert unannounced(noticed_ago, watched_ago) is want, (case_id, reason)


@pytest.mark.parametrize("case", CADENCE_CASES, ids=lambda case: case.id)
def test_notifications_decide_how_soon_a_running_publish_is_read_again(case: CadenceCase) -> None:
    observation = S.Observation(flow=flow(current_operation=current("op-1")), pushed=case.pushed)
    got = plan(
        spec(),
        status(Phase.PUBLISHING, operation=op(started=case.started, posted=case.started - 1)),
        observation,
        now=NOW,
        generation=1,
    )
    assert got == S.Wait(case.want_after, C.PUBLISHING, RUNNING, poll=True), case.reason


def test_a_grace_ending_sooner_still_cuts_the_safety_net() -> None:
    """Acknowledged 25 s ago and nothing visible: the grace ends in 5 s, so the look comes then."""
    observation = S.Observation(flow=flow(), pushed=LIVE)
    got = plan(
        spec(),
        status(Phase.PUBLISHING, operation=op(started=26, posted=25)),
        observation,
        now=NOW,
        generation=1,
    )
    assert isinstance(got, S.Wait) and got.after == 5.0


@pytest.mark.parametrize(
    ("case_id", "started", "posted", "want_after", "reason"),
    [
        ("acked-unseen", 21, 20, 4.2, "acknowledged, not visible 20 s in: 20 % of 21 s, not 20 s more"),
        ("acked-unseen-late", 29, 28, 2.0, "the grace ends in 2 s: the look comes then"),
        ("unacked-unseen", 21, None, 4.2, "never acknowledged, not visible: the regular schedule too"),
    ],
)
def test_a_read_that_does_not_show_the_work_yet_is_followed_on_the_regular_schedule(
    case_id: str, started: float, posted: float | None, want_after: float, reason: str
) -> None:
    """Realistic reads lag by count as well as by time (R1): with looks 20-30 s apart the grace would end
    after one stale read and call an acknowledged publish ignored; so the grace runs on the regular
    schedule although notifications are live."""
    observation = S.Observation(flow=flow(), pushed=LIVE)
    got = plan(
        spec(),
        status(Phase.PUBLISHING, operation=op(started=started, posted=posted)),
        observation,
        now=NOW,
        generation=1,
    )
    assert isinstance(got, S.Wait) and got.poll and got.after == pytest.approx(want_after), (
        case_id,
        reason,
        got,
    )


def test_the_safety_net_schedule_is_configurable_and_pure() -> None:
    tight = PollSchedule(initial=5.0, cap=5.0, elapsed_share=1.0)
    observation = S.Observation(flow=flow(current_operation=current("op-1")), pushed=LIVE)
    running = status(Phase.PUBLISHING, operation=op(started=100, posted=99))
    got = plan(spec(), running, observation, now=NOW, generation=1, pushed_poll=tight)
    assert isinstance(got, S.Wait) and got.after == 6.0, "99 s after the POST: 100 s is too close, 105 s"
    assert [PUSHED_POLL.delay(t) for t in (0, 20, 40, 70, 1000)] == [16.0] * 5


@pytest.mark.parametrize(
    ("case_id", "since_post", "want", "reason"),
    [
        ("posted", 0.0, 16.0, "just acknowledged: the first look 16 s after the POST"),
        ("on-time", 16.0, 16.0, "a look right on the grid: the next one a whole interval later"),
        ("late", 17.6, 14.4, "a look 1.6 s late (jitter): the next still at 32 s, drift does not add up"),
        ("early", 14.4, 17.6, "a look 1.6 s early: 32 s, not a second look 1.6 s later at 16 s"),
        ("half", 24.0, 8.0, "half an interval before the grid point: still that point"),
        ("just-over-half", 24.1, 23.9, "less than half an interval before it: the one after"),
        ("negative", -1.0, 16.0, "a clock oddity (the POST in the future): from the POST"),
        ("long", 300.0, 20.0, "300 s in: the look at 320 s (304 s is 4 s away)"),
    ],
)
def test_net_delay(case_id: str, since_post: float, want: float, reason: str) -> None:
    assert net_delay(since_post) == pytest.approx(want), (case_id, reason)


@dataclass(frozen=True)
class JobCadenceCase:
    id: str
    reason: str
    job_status: str
    pushed: Pushed | None
    started: float
    want_after: float


JOB_CADENCE_CASES = [
    JobCadenceCase(
        "started-live", "Started: its end publishes the flow, which the topic announces: the 16 s net",
        "Started", Pushed(live=True), 17, 16.0,
    ),
    JobCadenceCase(
        "started-silent", "no start event is announced for a job: silence after the upload is no sign",
        "Started", Pushed(live=True), 40, 9.0,
    ),
    JobCadenceCase(
        "registered-live", "Registered (R6): no event says it began, so the regular schedule (20 % of 10 s)",
        "Registered", Pushed(live=True), 10, 2.0,
    ),
    JobCadenceCase(
        "started-not-live", "the flow's topic is not live: the regular schedule", "Started", Pushed(False),
        10, 2.0,
    ),
    JobCadenceCase("started-polled", "no notifications: the regular schedule", "Started", None, 10, 2.0),
    JobCadenceCase(
        "started-news", "an event 1 s ago that reads do not show yet (R1): look again soon",
        "Started", Pushed(True, noticed_seconds_ago=1.0, heard_seconds_ago=1.0), 30, 0.5,
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", JOB_CADENCE_CASES, ids=lambda case: case.id)
def test_a_running_import_is_polled_on_its_job_alone_on_the_net_once_started(case: JobCadenceCase) -> None:
    job = JobState("job-1", case.job_status)
    without_flow = S.Observation(flow=None, source=PREPARED, job=job, pushed=case.pushed)
    running = importing(started=case.started, posted=case.started - 1)
    got = plan(spec(source=SOURCE), running, without_flow, now=NOW, generation=1)
    message = f"Importing the Archy source: Architect job job-1 is {case.job_status} (timeout 900s)"
    assert got == S.Wait(case.want_after, C.IMPORTING, message, poll=True), case.reason


@pytest.mark.parametrize(
    ("status", "want", "reason"),
    [
        ("Registered", "regular", "R6: not begun, and no event says when it does"),
        ("Started", "pushed", "its end publishes the flow: the topic announces it"),
        ("", "pushed", "not a job: the publish rules"),
    ],
)
def test_job_cadence(status: str, want: str, reason: str) -> None:
    assert job_cadence(status) == want, reason


@dataclass(frozen=True)
class AnswerCase:
    id: str
    status: FlowReleaseStatus
    job: JobState | None
    answers: bool
    reason: str


ANSWER_CASES = [
    AnswerCase("started", importing(), JobState("job-1", "Started"), True, "running: the job says 'not yet'"),
    AnswerCase("failed", importing(), JobState("job-1", "Failure"), True, "failed: the job says why"),
    AnswerCase(
        "registered-acked", importing(), JobState("job-1", "Registered"), True,
        "R6: Registered after an acknowledged upload is still running",
    ),
    AnswerCase(
        "registered-unacked", importing(posted=None), JobState("job-1", "Registered"), False,
        "no acknowledged upload: the planner may import again, which needs the flow",
    ),
    AnswerCase(
        "success", importing(), JobState("job-1", "Success"), False,
        "the result is read back from the flow, never taken from the job",
    ),
    AnswerCase("gone", importing(), None, False, "no job (expired): look at the flow"),
    AnswerCase(
        "reimport", status(Phase.ROLLING_BACK, operation=op("reimport", id="job-1")),
        JobState("job-1", "Started"), False, "a re-import's planner reads the flow while it runs",
    ),
    AnswerCase("publish", status(Phase.PUBLISHING, operation=op()), None, False, "a publish reads the flow"),
]  # fmt: skip


@pytest.mark.parametrize("case", ANSWER_CASES, ids=lambda case: case.id)
def test_which_import_polls_need_no_flow_read(case: AnswerCase) -> None:
    assert job_answers(case.status, case.job) is case.answers, case.reason


@pytest.mark.parametrize(
    ("case_id", "heard", "posted", "missing", "reason"),
    [
        ("not-posted", None, None, False, "nothing acknowledged yet: nothing to hear"),
        ("fresh-post", None, 4.9, False, "the start event may still be on its way"),
        ("unheard", None, 5.0, True, "5 s after the POST and never a word about the flow"),
        ("heard-since", 3.0, 6.0, False, "an event came 3 s after the POST: events arrive"),
        ("heard-before", 8.0, 6.0, True, "the last event predates the POST"),
    ],
)
def test_a_post_whose_start_is_never_heard_has_its_events_missing(
    case_id: str, heard: float | None, posted: float | None, missing: bool, reason: str
) -> None:
    assert events_missing(heard, posted) is missing, (case_id, reason)
