"""`flowrelease sync --emulator`: an in-process emulator seeded with the demo org, and releases aimed at it.

With `--emulator` every FlowRelease talks to the emulator, whatever its `spec.genesys.environment` says, and
releases without credentials get the demo client's. The spec digest (and so the generation) is computed from
the manifest as written, before the environment is replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from flowrelease.api.manifests import CLIENT_ID_ENV, CLIENT_SECRET_ENV
from flowrelease.api.models import FlowRelease

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
