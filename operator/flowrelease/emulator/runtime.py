"""One running emulator: the org, its jobs, tokens, rate limiter and request log, behind one reset.

Routes and the control plane reach it through `runtime_of(request)`; nothing is module-global, so several
emulators can run in one process.
"""

from __future__ import annotations

import copy

from starlette.requests import Request

from flowrelease.emulator.auth import TokenStore
from flowrelease.emulator.clock import Clock, OffsetClock
from flowrelease.emulator.jobs import JobBook
from flowrelease.emulator.ratelimit import RateLimiter
from flowrelease.emulator.requestlog import RequestLog
from flowrelease.emulator.seeding import apply_seed
from flowrelease.emulator.state import Org
from flowrelease.emulator.wire import JsonObject


class EmulatorRuntime:
    def __init__(self, seed: JsonObject | None = None, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or OffsetClock()
        self.initial_seed: JsonObject = copy.deepcopy(seed) if seed is not None else {}
        self.tokens = TokenStore(self.clock)
        self.limiter = RateLimiter()
        self.log = RequestLog()
        self.org = Org(self.clock)
        self.jobs = JobBook(self.org)
        self.reset()

    def reset(self, seed: JsonObject | None = None) -> None:
        """Back to a fresh org holding `seed` (default: the seed this emulator started with)."""
        self.org = Org(self.clock)
        self.org.home_division()
        self.jobs = JobBook(self.org)
        self.tokens.clear()
        self.limiter.clear()
        self.log.clear()
        apply_seed(self.org, copy.deepcopy(self.initial_seed if seed is None else seed))

    def settle(self) -> None:
        """Complete every piece of async work whose time has come."""
        self.org.settle()
        self.jobs.settle()


def runtime_of(request: Request) -> EmulatorRuntime:
    runtime = request.app.state.emulator
    assert isinstance(runtime, EmulatorRuntime)
    return runtime


def caller_of(request: Request) -> str:
    """The OAuth client id the gateway authenticated for this request."""
    return str(request.scope.get("state", {}).get("client_id", ""))
