"""How long to wait between looks at an in-flight Genesys operation (DESIGN §2 "Poll").

The interval is a pure function of the time already spent on the operation (counted from the start time
recorded in the status): `elapsed_share` of it, never less than `initial` and never more than `cap`. So a
completion is noticed within max(initial, 20 % of the elapsed time) (DESIGN §5), the intervals grow
geometrically (a publish that takes T seconds costs O(log T) polls until the cap), and no poll counter has to
be kept in the status. The engine never sleeps: it returns the interval to its shell, which waits.

While notifications arrive for the flow (`Observation.pushed.live`), an event wakes the release as soon as
Genesys reports a change, so polling is only the safety net against a lost event and follows `PUSHED_POLL`:
a look every 16 s after the POST (16, 32, 48 s …, ± jitter, `net_delay`) — fewer looks than a fixed 15 s
loop however long the operation takes, and a lost completion event is read at most ~16 s late (it was 30 s).
Architect jobs announce no start and are looked at on the net only once `Started`
(`in_flight.job_cadence`). A POST whose start Genesys never announces
(`events_missing`: no event at all about the flow `START_EVENT_SECONDS` after the acknowledgement — a
dropped event, a subscription that silently does not deliver) is polled on the regular schedule instead,
since that publish's events evidently are not coming. After an event the read may still lag (R1): then the
regular schedule runs again from the event, so the read that agrees comes within max(0.5 s, 20 % of the
time since the event).

Losses are a property of the channel, which every release of an (org, OAuth client) shares: a start event
not heard in its window, or a read that finds a publish finished that no event announced, shows that this
channel drops events. While it showed one within `LOSSY_CHANNEL_SECONDS` (`lossy_channel`), in-flight work
on it keeps the regular schedule, capped at `LOSSY_NET_CAP_SECONDS` (5 s), as its net (events still wake it at
once): a lost completion is then read within min(5 s, max(0.5 s, 20 % of the elapsed time)), no later than
when polling, instead of up to 16 s late. A clean channel
keeps the sparse net, so a clean publish never pays for losses it cannot have; the first loss on a fresh
channel is the one that cannot benefit.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class PollSchedule:
    initial: float = 0.5
    cap: float = 10.0
    jitter: float = 0.1
    """Fraction of the interval added or removed at random, so a fleet of releases does not poll in step."""
    elapsed_share: float = 0.2

    def delay(self, elapsed: float) -> float:
        """The interval before the next look, `elapsed` seconds into the operation, without jitter. Pure."""
        return min(self.cap, max(self.initial, self.elapsed_share * max(elapsed, 0.0)))

    def jittered(self, seconds: float, rng: random.Random) -> float:
        """`seconds` moved by up to ±jitter of itself; never below a tenth of `initial`."""
        spread = seconds * self.jitter
        return max(self.initial / 10, seconds + rng.uniform(-spread, spread))


PUSHED_POLL = PollSchedule(initial=16.0, cap=16.0, elapsed_share=1.0)
"""The safety-net schedule while notifications are live: a look every 16 s (± jitter). 16, not 15: a fixed
15 s loop's looks plus our POST and the event's read must not exceed that loop's requests at any duration."""
START_EVENT_SECONDS = 5.0
"""How long after a POST's acknowledgement the engine waits to hear any event about the flow (its operation
starting) before it concludes that this publish's events are not coming."""
LOSSY_NET_CAP_SECONDS = 5.0
"""On a channel that lost events lately the net is the regular schedule capped at this: of its completions
some arrive by event at once and the rest only by a look, so the looks run as often as a fixed 5 s loop's
once the regular schedule would space them wider (from 25 s into a publish). A dropped completion is read
within 5 s instead of 10 s, for a few more looks on lossy channels only."""
LATE_EVENT_SECONDS = 5.0
"""How long after a read found work finished its completion event may still arrive (delivery runs behind
reads) before the event counts as lost."""
NEWS_WINDOW_SECONDS = 10.0
"""How long after an event worth a look the regular schedule runs again while reads do not show it yet
(reads lag by seconds: 1.5 s and two reads on the realistic profile)."""


def net_delay(since_post: float, net: PollSchedule = PUSHED_POLL) -> float:
    """Seconds until the safety net's next look, `since_post` seconds after the POST's acknowledgement. PURE.

    The looks keep to a grid anchored on the POST — the net's interval times 1, 2, 3, … — instead of
    following each look by a whole interval: the shell's jitter and each pass's own time then never add up
    (with ±10 % jitter, looks 14.4 s apart read a lost completion at 60 s only at 72 s, and spent a look
    more than a 15 s loop). The next grid point at least half an interval away is taken, so a look that
    came early by its jitter is not followed by another a moment later."""
    interval = net.delay(since_post)
    elapsed = max(since_post, 0.0)
    delay = (math.floor(elapsed / interval) + 1) * interval - elapsed
    return delay + interval if delay < interval / 2 else delay


LOSSY_CHANNEL_SECONDS = 600.0
"""How long a lost event keeps a channel's in-flight work on the regular schedule as its net."""


def lossy_channel(
    lost_seconds_ago: float | None,
    posted_seconds_ago: float | None = None,
    window: float = LOSSY_CHANNEL_SECONDS,
) -> bool:
    """The channel showed a lost event within `window` seconds (None: never) — of now, or of the POST of the
    work waited on (`posted_seconds_ago`): work posted on a lossy channel keeps its net to the end, however
    long it runs, even when no later loss is seen while it runs (a 300 s publish's dropped completion was
    otherwise read on the sparse net, 21 s late). PURE."""
    if lost_seconds_ago is None or lost_seconds_ago < 0:
        return False
    return lost_seconds_ago < window + max(posted_seconds_ago or 0.0, 0.0)


def unannounced(noticed_seconds_ago: float | None, watched_seconds_ago: float | None) -> bool:
    """Work whose flow's topic was watched `watched_seconds_ago`, right before its POST, is read finished,
    yet no event worth a look arrived about the flow since (None: none ever): its completion event was lost.
    Both ages are on the notifications' own clock. A topic watched only after the POST (`None`: a restart, or
    the flow an import created) proves nothing: its events may have gone out before it was watched. PURE."""
    if watched_seconds_ago is None:
        return False
    return noticed_seconds_ago is None or noticed_seconds_ago > watched_seconds_ago


def events_missing(heard_seconds_ago: float | None, posted_seconds_ago: float | None) -> bool:
    """Notifications are live, yet nothing at all was heard about the flow since a POST acknowledged
    `START_EVENT_SECONDS` or more ago (`None`: never heard / never acknowledged). PURE."""
    if posted_seconds_ago is None or posted_seconds_ago < START_EVENT_SECONDS:
        return False
    return heard_seconds_ago is None or heard_seconds_ago > posted_seconds_ago
