"""The peers' way of waiting for a publish, run against the same emulator as the engine.

- `FLOWPUBLISHER_5S`: the widely copied FlowPublisher tutorial — POST publish, then GET the flow every 5 s.
- `CX_AS_CODE_15S`: CX as Code's publish-job wait — a fixed 15-second poll loop.

Both are plain httpx, with no rate-limit handling beyond what the tutorial does (none).
"""

from benchmarks.baselines.fixed_interval import (
    CX_AS_CODE_15S,
    FLOWPUBLISHER_5S,
    BaselinePolicy,
    BaselineRun,
    FixedIntervalPublisher,
)

__all__ = ["CX_AS_CODE_15S", "FLOWPUBLISHER_5S", "BaselinePolicy", "BaselineRun", "FixedIntervalPublisher"]
