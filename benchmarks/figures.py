"""Summary statistics for benchmark samples: medians, percentiles and ratios that tolerate missing data."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(samples: Sequence[float]) -> float | None:
    return statistics.median(samples) if samples else None


def percentile(samples: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (`fraction` in 0..1): a value that was actually observed."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline, or None when either is unknown or the baseline is zero."""
    if value is None or baseline is None or baseline == 0:
        return None
    return value / baseline
