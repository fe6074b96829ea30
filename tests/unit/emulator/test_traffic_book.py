"""The traffic book on its own: who serves an interaction, who fails it, which versions report outcomes."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from flowrelease.emulator.behaviour import IngestionDelay
from flowrelease.emulator.model import Flow, FlowVersion
from flowrelease.emulator.traffic import TrafficBook, TrafficSource, sets_flow_outcomes

START = 1_767_225_600.0
NO_DELAY = IngestionDelay()
INSTRUMENTED = {"inboundCall": {"tasks": [{"task": {"actions": [{"initializeFlowOutcome": {"name": "o"}}]}}]}}
PLAIN = {"inboundCall": {"tasks": [{"task": {"actions": [{"transferToAcd": {"name": "q"}}]}}]}}


class OutcomeCase(NamedTuple):
    case: str
    flow_type: str
    configuration: Any
    expected: bool
    reason: str


OUTCOME_CASES = [
    OutcomeCase("archy-initialize", "INBOUNDCALL", INSTRUMENTED, True, "the Archy YAML action key"),
    OutcomeCase("archy-set", "INBOUNDCHAT", {"inboundChat": {"x": [{"setFlowOutcome": {}}]}}, True,
                "setting an outcome is enough"),
    OutcomeCase("architect-json", "INBOUNDCALL", {"actions": [{"__type": "SetFlowOutcomeAction"}]}, True,
                "the action type of Architect's JSON format"),
    OutcomeCase("none", "INBOUNDCALL", PLAIN, False, "a flow without the actions has no outcomes"),
    OutcomeCase("in-queue", "INQUEUECALL", {"inqueueCall": {"x": [{"setFlowOutcome": {}}]}}, False,
                "in-queue flows cannot have outcomes, whatever the document says"),
    OutcomeCase("name-only", "INBOUNDCALL", {"name": "setFlowOutcome"}, False,
                "a value spelled like the YAML key is not an action"),
]  # fmt: skip


@pytest.mark.parametrize("case", OUTCOME_CASES, ids=[c.case for c in OUTCOME_CASES])
def test_which_versions_set_flow_outcomes(case: OutcomeCase) -> None:
    assert sets_flow_outcomes(case.flow_type, case.configuration) is case.expected, case.reason


def version(number: int, configuration: Any, published_at: float | None = None) -> FlowVersion:
    return FlowVersion(
        id=f"{number}.0",
        number=number,
        type="PUBLISH" if published_at is not None else "CHECKIN",
        configuration=configuration,
        references=[],
        created_by_client="seed",
        date_created=START - 86_400,
        date_published=published_at,
    )


def ivr(published: str = "2.0", flow_type: str = "INBOUNDCALL") -> Flow:
    flow = Flow(id="ivr", name="IVR", type=flow_type, division_id="home")
    flow.versions = {
        "2.0": version(2, INSTRUMENTED, START - 3_600),
        "3.0": version(3, PLAIN),
        "4.0": version(4, INSTRUMENTED),
    }
    flow.published_version_id = published
    return flow


def publish(flow: Flow, version_id: str, at: float) -> None:
    flow.versions[version_id].date_published = at
    flow.published_version_id = version_id


def test_each_interaction_is_served_by_the_version_published_when_it_entered() -> None:
    flow, book = ivr(), TrafficBook()
    book.start(flow, TrafficSource(entries_per_minute=60, flow_seconds=120), START)
    publish(flow, "3.0", START + 600)
    book.catch_up({"ivr": flow}, START + 1_200, NO_DELAY)  # one catch-up, long after the publish

    interactions = list(book.interactions())
    before = [i for i in interactions if i.entered_at < START + 600]
    after = [i for i in interactions if i.entered_at >= START + 600]
    assert {i.version_id for i in before} == {"2.0"} and {i.version_id for i in after} == {"3.0"}
    assert 500 <= len(before) <= 700 and 500 <= len(after) <= 700, "about one a second"
    staying = [i for i in before if i.left_at > START + 600]
    assert staying and all(i.version_id == "2.0" for i in staying), "a publish does not move callers"


def test_only_versions_with_outcome_actions_report_outcomes() -> None:
    flow, book = ivr(), TrafficBook()
    book.start(flow, TrafficSource(entries_per_minute=30, abandon_ratio=0.1), START)
    publish(flow, "3.0", START + 600)
    book.catch_up({"ivr": flow}, START + 1_200, NO_DELAY)
    totals = book.totals("ivr", START + 1_200)
    assert totals["2.0"].outcomes == totals["2.0"].left > 0
    assert totals["3.0"].entries > 0 and totals["3.0"].outcomes == 0
    assert totals["2.0"].outcomes_failed == totals["2.0"].abandoned > 0, (
        "an abandoned outcome counts as failed"
    )


def test_version_x_fails_y_percent_and_the_others_do_not() -> None:
    flow, book = ivr(), TrafficBook()
    book.start(flow, TrafficSource(entries_per_minute=120, failure_ratio=0.01), START)
    book.set_version_failure("ivr", "4.0", 0.4)
    publish(flow, "4.0", START + 1_800)
    book.catch_up({"ivr": flow}, START + 3_600, NO_DELAY)
    totals = book.totals("ivr", START + 3_600)
    old, new = totals["2.0"], totals["4.0"]
    assert old.failed / old.entries < 0.03 and 0.33 < new.failed / new.entries < 0.47
    left = [i for i in book.interactions() if i.version_id == "4.0" and i.left_at <= START + 3_600]
    assert new.outcomes_failed == new.disconnects == sum(i.failed for i in left), "they disconnect and fail"
    assert book.failure_ratio("ivr", "2.0") == 0.01 and book.failure_ratio("ivr", "4.0") == 0.4


def test_nobody_enters_an_unpublished_or_deleted_flow() -> None:
    flow, book = ivr(published=""), TrafficBook()
    book.start(flow, TrafficSource(entries_per_minute=60), START)
    book.catch_up({"ivr": flow}, START + 600, NO_DELAY)
    assert list(book.interactions()) == []
    publish(flow, "2.0", START + 600)
    book.catch_up({"ivr": flow}, START + 1_200, NO_DELAY)
    entered = len(list(book.interactions()))
    assert entered > 0
    flow.deleted = True  # a DELETE request: the catch-up before it drew everything up to now
    book.catch_up({"ivr": flow}, START + 1_200, NO_DELAY)
    book.catch_up({"ivr": flow}, START + 1_800, NO_DELAY)
    assert len(list(book.interactions())) == entered


def test_a_change_applies_to_interactions_entering_after_it() -> None:
    flow, book = ivr(), TrafficBook()
    book.start(flow, TrafficSource(entries_per_minute=60), START)
    book.catch_up({"ivr": flow}, START + 600, NO_DELAY)
    book.set_version_failure("ivr", "2.0", 1.0)
    book.catch_up({"ivr": flow}, START + 1_200, NO_DELAY)
    early = [i for i in book.interactions() if i.entered_at <= START + 600]
    late = [i for i in book.interactions() if i.entered_at > START + 600]
    assert not any(i.failed for i in early) and all(i.failed for i in late)
    book.stop("ivr")
    book.catch_up({"ivr": flow}, START + 1_800, NO_DELAY)
    assert max(i.entered_at for i in book.interactions()) <= START + 1_200


def test_the_same_seed_draws_the_same_traffic_and_another_does_not() -> None:
    def draw(seed: int) -> list[tuple[float, bool, float]]:
        flow, book = ivr(), TrafficBook(seed)
        book.start(flow, TrafficSource(entries_per_minute=30, failure_ratio=0.2), START)
        book.catch_up({"ivr": flow}, START + 600, IngestionDelay(60, 0.5))
        return [(i.entered_at, i.failed, i.delay) for i in book.interactions()]

    assert draw(1) == draw(1) and draw(1) != draw(2)
    delays = [delay for _, _, delay in draw(1)]
    assert 30 <= min(delays) < max(delays) <= 90, "60 s ± 50 %, drawn per interaction"


def test_a_long_clock_jump_keeps_one_day_of_traffic() -> None:
    flow, book = ivr(), TrafficBook()
    book.start(flow, TrafficSource(entries_per_minute=10), START)
    book.catch_up({"ivr": flow}, START + 30 * 86_400, NO_DELAY)
    interactions = list(book.interactions())
    assert 13_000 <= len(interactions) <= 16_000, "about 10 a minute for one day"
    assert min(i.entered_at for i in interactions) >= START + 29 * 86_400 - 3_600
