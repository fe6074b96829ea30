"""The emulated org benchmarks run against: N look-alike flows and one OAuth client per runner.

Every flow is an inbound call flow with two checked-in versions, "1.0" published; a benchmark release
promotes "2.0". Ids are deterministic so runs repeat and baselines need no lookup.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

_NAMESPACE = uuid.UUID("0b6f5a8e-3c57-4f0e-9a4d-6d1f0c7b2e11")
FROM_VERSION = "1.0"
TO_VERSION = "2.0"


@dataclass(frozen=True)
class BenchClient:
    id: str
    secret: str
    rate_limit_per_minute: int = 300
    """Genesys's documented per-client-credentials-token limit is 300 requests per minute."""


def flow_name(index: int) -> str:
    return f"Bench Flow {index:04d}"


def flow_id(index: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"bench-flow-{index}"))


def bench_seed(*, flows: int, clients: Sequence[BenchClient]) -> dict[str, object]:
    """A seed document for `POST /_emulator/seed` (format in docs/emulator.md)."""
    return {
        "clients": [
            {
                "id": client.id,
                "secret": client.secret,
                "name": client.id,
                "rateLimitPerMinute": client.rate_limit_per_minute,
            }
            for client in clients
        ],
        "divisions": [{"name": "Home"}],
        "resources": [{"type": "QUEUE", "name": "Support"}],
        "flows": [
            {
                "id": flow_id(index),
                "name": flow_name(index),
                "type": "INBOUNDCALL",
                "versions": [{"queues": ["Support"]}, {"queues": ["Support"]}],
                "publishedVersion": FROM_VERSION,
            }
            for index in range(flows)
        ],
    }
