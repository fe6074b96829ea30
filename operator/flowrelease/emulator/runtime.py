"""One running emulator: the org, its jobs, tokens, rate limiter and request log, behind one reset.

Routes and the control plane reach it through `runtime_of(request)`; nothing is module-global, so several
emulators can run in one process. The runtime remembers what outlives a reset: the start-up seed, the
start-up profile and the random seed.
"""

from __future__ import annotations

import copy

from starlette.requests import Request

from flowrelease.emulator.auth import TokenStore
from flowrelease.emulator.behaviour import DEFAULT_PROFILE, profile_behaviour
from flowrelease.emulator.clock import Clock, OffsetClock
from flowrelease.emulator.jobs import JobBook
from flowrelease.emulator.ratelimit import RateLimiter
from flowrelease.emulator.requestlog import RequestLog
from flowrelease.emulator.seeding import apply_seed
from flowrelease.emulator.state import Org
from flowrelease.emulator.wire import JsonObject


class EmulatorRuntime:
    def __init__(
        self, seed: JsonObject | None = None, clock: Clock | None = None, *, profile: str = DEFAULT_PROFILE
    ) -> None:
        profile_behaviour(profile)  # fail early on an unknown profile
        self.clock: Clock = clock or OffsetClock()
        self.initial_seed: JsonObject = copy.deepcopy(seed) if seed is not None else {}
        self.initial_profile = profile
        self.random_seed = 0
        self.tokens = TokenStore(self.clock)
        self.limiter = RateLimiter()
        self.log = RequestLog()
        self.org = Org(self.clock)
        self.jobs = JobBook(self.org)
        self.reset()

    def reset(
        self, seed: JsonObject | None = None, *, empty: bool = False, profile: str | None = None
    ) -> None:
        """Back to a fresh org holding `seed` (default: the start-up seed) on `profile` (default: the
        start-up profile). `empty` keeps only the start-up OAuth clients. Random choices restart from the
        random seed."""
        chosen = profile or self.initial_profile
        self.org = Org(self.clock, profile_behaviour(chosen), profile=chosen, random_seed=self.random_seed)
        self.org.home_division()
        self.jobs = JobBook(self.org)
        self.tokens.clear()
        self.limiter.clear()
        self.log.clear()
        if empty:
            seed = {"clients": copy.deepcopy(self.initial_seed.get("clients", []))}
        apply_seed(self.org, copy.deepcopy(self.initial_seed if seed is None else seed))

    def set_random_seed(self, random_seed: int) -> None:
        """Seed every random choice now and after every reset."""
        self.random_seed = random_seed
        self.org.reseed(random_seed)

    def settle(self) -> None:
        """Complete every piece of async work whose time has come, then draw the traffic up to now."""
        self.org.settle()
        self.jobs.settle()
        self.org.catch_up_traffic()


def runtime_of(request: Request) -> EmulatorRuntime:
    runtime = request.app.state.emulator
    assert isinstance(runtime, EmulatorRuntime)
    return runtime


def caller_of(request: Request) -> str:
    """The OAuth client id the gateway authenticated for this request."""
    return str(request.scope.get("state", {}).get("client_id", ""))
