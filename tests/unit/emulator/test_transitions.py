"""Transition modes: immediate, after N polls, after T seconds; rule matching by kind and flow."""

from __future__ import annotations

import pytest

from flowrelease.emulator.transitions import TransitionMode, TransitionRule, TransitionSettings


@pytest.mark.parametrize(
    ("mode", "observations", "elapsed", "expected", "reason"),
    [
        (TransitionMode("immediate"), 0, 0.0, [], "done before anyone looks"),
        (TransitionMode("polls", polls=1), 1, 0.0, [True], "the first poll sees it done"),
        (TransitionMode("polls", polls=3), 3, 0.0, [False, False, True], "the third poll sees it done"),
        (TransitionMode("seconds", seconds=5), 2, 4.9, [False, False], "not yet due by time"),
        (TransitionMode("seconds", seconds=5), 1, 5.0, [True], "due exactly at T"),
    ],
)
def test_progress_by_mode(
    mode: TransitionMode, observations: int, elapsed: float, expected: list[bool], reason: str
) -> None:
    progress = mode.start(100.0)
    seen = [progress.poll(100.0 + elapsed) for _ in range(observations)]
    assert seen == expected, reason
    if mode.mode == "immediate":
        assert progress.due(100.0)


def test_polls_mode_is_not_due_without_observation() -> None:
    progress = TransitionMode("polls", polls=1).start(0.0)
    assert not progress.due(10_000.0)


def test_first_matching_rule_wins_else_default() -> None:
    settings = TransitionSettings(
        default=TransitionMode("polls", polls=2),
        rules=[
            TransitionRule(TransitionMode("seconds", seconds=30), kind="publish", flow_id="f1"),
            TransitionRule(TransitionMode("immediate"), kind="publish"),
        ],
    )
    assert settings.mode_for("publish", "f1").mode == "seconds"
    assert settings.mode_for("publish", "f2").mode == "immediate"
    assert settings.mode_for("checkin", "f1") == TransitionMode("polls", polls=2)
