"""`collector.settle_after_startup`: what survives start-up is frozen and young passes are rarer."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from flowrelease import collector


class Survivor:
    """An object that lives as long as the process, as the operator's imports do."""


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.enable()
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_start_up_objects_are_frozen_and_young_passes_come_every_young_threshold_allocations() -> None:
    _, middle, old = gc.get_threshold()
    survivor = Survivor()
    gc.unfreeze()
    assert any(o is survivor for o in gc.get_objects())

    collector.settle_after_startup()

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, middle, old)
    assert not any(o is survivor for o in gc.get_objects())  # frozen: no pass walks it
    assert gc.get_count()[0] < collector.YOUNG_THRESHOLD


class Cycle:
    def __init__(self) -> None:
        self.itself = self


@pytest.mark.usefixtures("restored_collector")
def test_garbage_made_at_start_up_is_collected_not_frozen() -> None:
    gc.unfreeze()
    gc.disable()  # no automatic pass between here and the settling
    cycle = Cycle()
    alive = weakref.ref(cycle)
    del cycle
    assert alive() is not None  # only the collector can free a cycle

    collector.settle_after_startup()

    assert alive() is None  # frozen garbage would still be reachable here
