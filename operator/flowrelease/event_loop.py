"""The event loop every command runs its async work on: uvloop (libuv) where it exists, else asyncio's.

At 1,000 FlowReleases the operator's peak RSS fell from 127 to 111 MiB on uvloop (its CPU per release stayed
within run-to-run noise): asyncio's TLS transport zero-fills a 256 KiB read buffer for every connection (to
the apiserver, to Genesys), uvloop's does not (docs/benchmarks.md, "Operator (latest run)"). kopf's own CLI
picks uvloop the same way when it is installed. uvloop has no Windows build, so `flowrelease sync` on a
Windows CI agent runs on asyncio's loop (pyproject.toml installs uvloop everywhere else). Tests that bring
their own loop (pytest-asyncio) run on asyncio's, so the code is exercised on both.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory(platform: str = sys.platform) -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop, except on Windows, where uvloop is not installed."""
    if platform == "win32":
        return asyncio.new_event_loop
    import uvloop

    return uvloop.new_event_loop


def run(work: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(work)` on a new loop from `loop_factory`: the same cleanup (tasks cancelled, async
    generators and the default executor shut down)."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(work)
