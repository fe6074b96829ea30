"""`flowrelease sync --emulator`: in-process emulators seeded with the demo org, and releases aimed at them.

With `--emulator` every FlowRelease talks to an emulator instead of its `spec.genesys.environment`: one
emulator (one org) per distinct environment in the run, so a folder promoting a flow dev -> test -> prod
gets three orgs, each with its own flow ids. Releases without credentials get the demo client's. The spec
digest (and so the generation) is computed from the manifest as written, before the environment is replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flowrelease.api.manifests import CLIENT_ID_ENV, CLIENT_SECRET_ENV
from flowrelease.api.models import FlowRelease
from flowrelease.local.simulated_time import MovableClock

if TYPE_CHECKING:
    from flowrelease.emulator.server import EmulatorServer


DEMO_WORK_SECONDS = 0.5
"""How long the demo org's publishes, check-ins and imports take. On the ideal profile work would finish only
when a read looks at it, which a release woken by notifications does not do until its safety-net poll; a
real org finishes by itself, and so does the demo, pushing the event when it does."""


def start_demo_emulator() -> EmulatorServer:
    """A started emulator on a free loopback port holding the demo org; stop it when done."""
    from flowrelease.emulator.control import ControlCalls, EmulatorControl
    from flowrelease.emulator.server import EmulatorServer  # imported only when asked for

    server = EmulatorServer().start()
    rules = [
        {"kind": kind, "mode": "seconds", "seconds": DEMO_WORK_SECONDS}
        for kind in ("publish", "checkin", "architect_job")
    ]
    with EmulatorControl(server.base_url) as control:
        control.call(ControlCalls.set_transition_mode("polls", polls=1, rules=rules))
    return server


def with_demo_credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` plus the demo client as GENESYS_CLIENT_ID/SECRET when those are not set."""
    from flowrelease.emulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    merged = dict(environ)
    if not (merged.get(CLIENT_ID_ENV) and merged.get(CLIENT_SECRET_ENV)):
        merged[CLIENT_ID_ENV] = DEMO_CLIENT_ID
        merged[CLIENT_SECRET_ENV] = DEMO_CLIENT_SECRET
    return merged


def aimed_at(release: FlowRelease, base_url: str) -> FlowRelease:
    """The same release with `spec.genesys.environment` replaced by `base_url`."""
    genesys = release.spec.genesys.model_copy(update={"environment": base_url})
    return release.model_copy(update={"spec": release.spec.model_copy(update={"genesys": genesys})})


@dataclass(frozen=True)
class EmulatedOrgs:
    """The base URL of the emulator standing in for each environment; empty when not emulating."""

    urls: Mapping[str, str] = field(default_factory=dict)
    servers: tuple[EmulatorServer, ...] = ()

    def clock(self) -> LockstepClocks | None:
        """The emulators' clocks moved as one (for simulated time); None when not emulating."""
        return LockstepClocks([server.runtime.clock for server in self.servers]) if self.servers else None

    def aim(self, release: FlowRelease) -> FlowRelease:
        url = self.urls.get(release.spec.genesys.environment)
        return aimed_at(release, url) if url else release

    def shown(self) -> str | dict[str, str] | None:
        """For the JSON summary: the one URL, each environment's, or None."""
        if not self.urls:
            return None
        if len(set(self.urls.values())) == 1:
            return next(iter(self.urls.values()))
        return dict(sorted(self.urls.items()))


class LockstepClocks:
    """Emulators' clocks read as the first and advanced together: simulated time moves every org."""

    def __init__(self, clocks: list[MovableClock]) -> None:
        self._clocks = clocks

    def now(self) -> float:
        return self._clocks[0].now()

    def advance(self, seconds: float) -> None:
        for clock in self._clocks:
            clock.advance(seconds)


@contextmanager
def emulated_orgs(wanted: bool, environments: Iterable[str]) -> Iterator[EmulatedOrgs]:
    """One started demo emulator per distinct environment (none when not wanted); stopped on exit."""
    if not wanted:
        yield EmulatedOrgs()
        return
    servers: dict[str, EmulatorServer] = {}
    try:
        for environment in sorted(set(environments)):
            servers[environment] = start_demo_emulator()
        urls = {environment: server.base_url for environment, server in servers.items()}
        yield EmulatedOrgs(urls, tuple(servers.values()))
    finally:
        for server in servers.values():
            server.stop()
