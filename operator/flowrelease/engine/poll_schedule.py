"""How long to wait between looks at an in-flight Genesys operation (DESIGN §2 "Poll").

The interval is a pure function of the time already spent on the operation (counted from the start time
recorded in the status): `elapsed_share` of it, never less than `initial` and never more than `cap`. So a
completion is noticed within max(initial, 20 % of the elapsed time) (DESIGN §5), the intervals grow
geometrically (a publish that takes T seconds costs O(log T) polls until the cap), and no poll counter has to
be kept in the status. The engine never sleeps: it returns the interval to its shell, which waits.

While notifications arrive for the flow (`Observation.pushed.live`), an event wakes the release as soon as
Genesys reports a change, so polling is only the safety net and follows `PUSHED_POLL`: the first look 20 s
into the operation, then at most every 30 s — never earlier than a fixed 15 s loop's looks, so a
release costs no more requests than that loop however long the operation takes. After an event the read
may still lag (R1): then the regular schedule runs again from the event, so the read that agrees comes
within max(0.5 s, 20 % of the time since the event).
"""

from __future__ import annotations

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


PUSHED_POLL = PollSchedule(initial=20.0, cap=30.0, elapsed_share=1.0)
"""The safety-net schedule while notifications are live: looks at 20 s, 40 s, 70 s, 100 s, … (± jitter)."""
NEWS_WINDOW_SECONDS = 10.0
"""How long after an event worth a look the regular schedule runs again while reads do not show it yet
(reads lag by seconds: 1.5 s and two reads on the realistic profile)."""
