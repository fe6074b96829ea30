"""The event loop every command runs its async work on: uvloop (libuv), not asyncio's default loop.

At 1,000 FlowReleases the operator spent about a third less CPU per release on uvloop and held less memory:
asyncio's TLS transport zero-fills a 256 KiB read buffer for every connection (to the apiserver, to
Genesys), uvloop's does not (docs/benchmarks.md, "Operator (latest run)"). kopf's own CLI picks uvloop the
same way when it is installed. Tests that bring their own loop (pytest-asyncio) still run on asyncio's, so
the code is exercised on both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run(work: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(work)` on a new uvloop loop: the same cleanup (tasks cancelled, async generators and the
    default executor shut down)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)
