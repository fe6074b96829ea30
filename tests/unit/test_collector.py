"""`collector.settle_after_startup`: what survives start-up is frozen and young passes are rarer."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from flowrelease import collector


class Survivor:
    """An object that lives as long as the process, as the operator's imports do."""


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
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


@pytest.mark.usefixtures("restored_collector")
def test_garbage_made_at_start_up_is_collected_not_frozen() -> None:
    gc.unfreeze()
    frozen_before = gc.get_freeze_count()
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle

    collector.settle_after_startup()

    assert not any(isinstance(o, list) and o and o[0] is o for o in gc.get_objects())
    assert gc.get_freeze_count() >= frozen_before
