"""How long to wait between looks at an in-flight Genesys operation (DESIGN §2 "Poll").

The interval is a pure function of the time already spent on the operation (counted from the start time
recorded in the status): `elapsed_share` of it, never less than `initial` and never more than `cap`. So a
completion is noticed within max(initial, 20 % of the elapsed time) (DESIGN §5), the intervals grow
geometrically (a publish that takes T seconds costs O(log T) polls until the cap), and no poll counter has to
be kept in the status. The engine never sleeps: it returns the interval to its shell, which waits.
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
