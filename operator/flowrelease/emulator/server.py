"""Run the emulator in-process on loopback: a uvicorn server on its own thread and event loop.

    with EmulatorServer() as server:          # demo org, free port on 127.0.0.1, ideal profile
        print(server.base_url)                # e.g. http://127.0.0.1:54321

    with EmulatorServer(profile="realistic"): # every undocumented behaviour played the least kind way
        ...

Used by the test fixtures, the benchmarks and `flowrelease sync --emulator`. Sync code, async code and the
official (synchronous) SDK can all talk to it, because it never shares their event loop.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from flowrelease.emulator.app import create_app
from flowrelease.emulator.behaviour import DEFAULT_PROFILE
from flowrelease.emulator.clock import Clock
from flowrelease.emulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, demo_seed
from flowrelease.emulator.runtime import EmulatorRuntime
from flowrelease.emulator.wire import JsonObject

START_TIMEOUT_SECONDS = 10.0


class EmulatorServer:
    """A started-on-enter, stopped-on-exit emulator; `seed=None` means the demo org, `profile` is `ideal`
    (default) or `realistic`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: JsonObject | None = None,
        clock: Clock | None = None,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        profile: str = DEFAULT_PROFILE,
    ) -> None:
        self.host = host
        self.client_id = client_id
        self.client_secret = client_secret
        self.profile = profile
        self.app = create_app(
            seed if seed is not None else demo_seed(client_id, client_secret), clock, profile=profile
        )
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def runtime(self) -> EmulatorRuntime:
        runtime: Any = getattr(self.app, "runtime", None)
        assert isinstance(runtime, EmulatorRuntime)
        return runtime

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[self._socket])),
            name=f"flowrelease-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT_SECONDS)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
