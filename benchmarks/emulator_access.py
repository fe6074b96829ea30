"""Starting the emulator (in this process or as a `flowrelease emulator` child) and the few control-plane
calls the benchmarks make: reset with a seed, set the publish duration, read the request log."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import IO

import httpx

from benchmarks.processes import flowrelease_executable
from benchmarks.request_log import LoggedCall, parse_request_log
from flowrelease.emulator.control import AsyncEmulatorControl, ControlCalls
from flowrelease.emulator.notifications import control_calls as notification_calls

START_TIMEOUT_SECONDS = 30.0


async def reset_org(base_url: str, seed: dict[str, object]) -> None:
    async with AsyncEmulatorControl(base_url) as control:
        await control.reset(seed)


async def set_publish_seconds(base_url: str, seconds: float) -> None:
    """Publishes finish `seconds` after they start; every other piece of async work on its first poll."""
    rule = {"kind": "publish", "mode": "seconds", "seconds": seconds}
    async with AsyncEmulatorControl(base_url) as control:
        await control.call(ControlCalls.set_transition_mode("polls", polls=1, rules=[rule]))


async def set_import_seconds(base_url: str, seconds: float) -> None:
    """Architect import jobs finish `seconds` after their file is uploaded; other work on its first poll."""
    rule = {"kind": "architect_job", "mode": "seconds", "seconds": seconds}
    async with AsyncEmulatorControl(base_url) as control:
        await control.call(ControlCalls.set_transition_mode("polls", polls=1, rules=[rule]))


async def set_notification_knobs(base_url: str, *, drop_fraction: float, seed: int) -> None:
    """The Notifications API's knobs from their defaults, dropping `drop_fraction` of events, which ones
    chosen by `seed` (each repetition its own)."""
    async with AsyncEmulatorControl(base_url) as control:
        await control.call(ControlCalls.set_random_seed(seed))
        await control.call(notification_calls.configure(reset=True, drop_fraction=drop_fraction))


async def fetch_request_log(base_url: str, *, client_id: str = "") -> list[LoggedCall]:
    async with AsyncEmulatorControl(base_url) as control:
        body = await control.call(ControlCalls.request_log(client_id=client_id))
    return parse_request_log(body["requests"])


async def clear_request_log(base_url: str) -> None:
    async with AsyncEmulatorControl(base_url) as control:
        await control.call(ControlCalls.clear_request_log())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def running_emulator_process() -> Iterator[str]:
    """`flowrelease emulator --empty --profile ideal` in a child process (its CPU is not the engine's);
    yields its URL. The benchmarks measure the engine on the ideal profile (the command's default is
    realistic)."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [*flowrelease_executable(), "emulator", "--port", str(port), "--empty", "--profile", "ideal"],
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            _wait_until_answering(process, base_url, errors)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_answering(process: subprocess.Popen[bytes], base_url: str, errors: IO[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            errors.seek(0)
            stderr = errors.read().decode(errors="replace")
            raise RuntimeError(f"flowrelease emulator exited {process.returncode}: {stderr[-2000:]}")
        try:
            httpx.get(f"{base_url}/_emulator/state", timeout=1.0).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"flowrelease emulator did not answer on {base_url}") from None
            time.sleep(0.1)
