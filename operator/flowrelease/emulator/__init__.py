"""A local emulator of the Genesys Cloud Platform API for Architect flows.

The emulator is an ASGI application (`create_app`) that speaks the real wire format documented in
`docs/emulator.md`. It is built like moto: the org model lives in `state`, request translation in `routes`,
asynchronous work in `transitions`, injected failures in `faults`, and the test knobs on a separate
control plane under `/_emulator/`. It imports nothing from the rest of flowrelease.
"""

from flowrelease.emulator.app import create_app

__all__ = ["create_app"]
