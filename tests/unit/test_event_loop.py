"""`event_loop.run`: the commands' work runs on uvloop, with `asyncio.run`'s result and cleanup."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import uvloop

from flowrelease import event_loop


def test_runs_the_work_on_a_uvloop_loop_and_returns_its_result() -> None:
    async def work() -> tuple[type[asyncio.AbstractEventLoop], int]:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()), 42

    loop_type, result = event_loop.run(work())

    assert issubclass(loop_type, uvloop.Loop)
    assert result == 42


@pytest.mark.parametrize(
    ("platform", "factory"),
    [
        ("linux", uvloop.new_event_loop),
        ("darwin", uvloop.new_event_loop),
        ("win32", asyncio.new_event_loop),
    ],
)
def test_the_loop_is_uvloops_except_on_windows_where_it_has_no_build(
    platform: str, factory: Callable[[], asyncio.AbstractEventLoop]
) -> None:
    assert event_loop.loop_factory(platform) is factory


def test_tasks_left_running_are_cancelled_when_the_work_ends() -> None:
    cancelled = asyncio.Event()
    started: list[asyncio.Task[None]] = []

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def work() -> None:
        started.append(asyncio.get_running_loop().create_task(forever()))
        await asyncio.sleep(0)

    event_loop.run(work())

    assert started[0].cancelled()
    assert cancelled.is_set()


def test_the_work_s_exception_reaches_the_caller() -> None:
    async def work() -> None:
        raise LookupError("no such flow")

    with pytest.raises(LookupError, match="no such flow"):
        event_loop.run(work())
