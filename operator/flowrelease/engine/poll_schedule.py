"""How long to wait between looks at an in-flight Genesys operation (DESIGN §2 "Poll").

Intervals start at `initial`, grow by `factor` per poll up to `cap`, and never exceed `elapsed_share` of
the time already spent (so a completion is noticed within max(initial, 20 % of the elapsed time), DESIGN §5).
Growth is geometric, so a publish that takes T seconds costs O(log T) polls until the cap is reached.
The engine never sleeps: it returns the interval to its shell, which waits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class PollSchedule:
    initial: float = 0.5
    factor: float = 1.5
    cap: float = 10.0
    jitter: float = 0.1
    """Fraction of the interval added or removed at random, so a fleet of releases does not poll in step."""
    elapsed_share: float = 0.2

    def delay(self, polls: int, elapsed: float = 0.0) -> float:
        """The interval before poll number `polls + 1`, without jitter. Pure."""
        grown = self.initial * self.factor ** max(polls, 0)
        bounded = min(grown, max(self.initial, self.elapsed_share * max(elapsed, 0.0)))
        return min(self.cap, bounded)

    def jittered(self, seconds: float, rng: random.Random) -> float:
        """`seconds` moved by up to ±jitter of itself; never below a tenth of `initial`."""
        spread = seconds * self.jitter
        return max(self.initial / 10, seconds + rng.uniform(-spread, spread))
