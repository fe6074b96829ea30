"""A deterministic clock for the client's injected `clock` and `sleep`: sleeping advances time at once."""

from __future__ import annotations

import asyncio


class VirtualTime:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
