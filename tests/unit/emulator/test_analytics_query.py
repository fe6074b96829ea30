"""Parsing a FlowAggregationQuery: periods, buckets, filters, and bad queries refused naming the field."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from flowrelease.emulator.analytics_query import parse_period, parse_query
from flowrelease.emulator.wire import ApiError

INTERVAL = "2026-01-01T00:00:00Z/2026-01-01T01:00:00Z"
START = 1_767_225_600.0


def query(**fields: Any) -> dict[str, Any]:
    return {"interval": INTERVAL, "metrics": ["nFlow"], **fields}


class Period(NamedTuple):
    text: str
    seconds: float | None  # None: refused


PERIODS = [
    Period("PT5M", 300), Period("PT1H", 3_600), Period("P1D", 86_400), Period("P1W", 604_800),
    Period("P1DT2H30M", 95_400), Period("PT0.5S", 0.5), Period("PT90S", 90),
    Period("P1M", None), Period("P1Y", None), Period("P", None), Period("PT", None), Period("P1DT", None),
    Period("PT0S", None), Period("5M", None), Period("pt5m", None),
]  # fmt: skip


@pytest.mark.parametrize("period", PERIODS, ids=[p.text for p in PERIODS])
def test_iso_periods_in_weeks_to_seconds_only(period: Period) -> None:
    if period.seconds is None:
        with pytest.raises(ValueError):
            parse_period(period.text)
    else:
        assert parse_period(period.text) == period.seconds


def test_buckets_split_the_interval_by_granularity() -> None:
    parsed = parse_query(query(granularity="PT15M"))
    assert [parsed.bucket_of(START + s) for s in (0, 899.9, 900, 3_599.9)] == [0, 0, 1, 3]
    assert parsed.bucket_of(START - 0.1) is None and parsed.bucket_of(START + 3_600) is None
    assert parsed.bucket_bounds(3) == (START + 2_700, START + 3_600)
    whole = parse_query(query())
    assert whole.bucket_of(START + 3_000) == 0 and whole.bucket_bounds(0) == (START, START + 3_600)


class FilterCase(NamedTuple):
    case: str
    filter: dict[str, Any]
    kept: list[bool]  # for FACTS, in order
    reason: str


FACTS = [
    {"flowId": "a", "flowVersion": "2.0", "flowType": "inboundcall"},
    {"flowId": "a", "flowVersion": "3.0", "flowType": "inboundcall"},
    {"flowId": "b", "flowVersion": "3.0", "flowType": "inqueuecall"},
]
ID_A = {"dimension": "flowId", "value": "a"}
V3 = {"dimension": "flowVersion", "value": "3.0"}

FILTERS = [
    FilterCase("flow-and-version", {"type": "and", "predicates": [ID_A, V3]}, [False, True, False],
               "the engine's version-scoped query: this flow AND this version"),
    FilterCase("or", {"type": "or", "predicates": [ID_A, V3]}, [True, True, True], "either"),
    FilterCase("clause", {"type": "and", "predicates": [V3],
                          "clauses": [{"type": "or", "predicates": [{"dimension": "flowType",
                                                                      "value": "inqueuecall"}]}]},
               [False, False, True], "clauses nest"),
    FilterCase("exists", {"type": "and", "predicates": [{"dimension": "flowVersion", "operator": "exists"}]},
               [True, True, True], "every traffic metric has a version"),
    FilterCase("not-exists", {"type": "and",
                              "predicates": [{"dimension": "flowVersion", "operator": "notExists"}]},
               [False, False, False], "none lacks one"),
    FilterCase("unknown-dimension", {"type": "and", "predicates": [{"dimension": "queueId", "value": "q"}]},
               [True, True, True], "no data for the dimension: it does not narrow"),
    FilterCase("empty", {"type": "and"}, [True, True, True], "no predicates keeps everything"),
]  # fmt: skip


@pytest.mark.parametrize("case", FILTERS, ids=[c.case for c in FILTERS])
def test_filters(case: FilterCase) -> None:
    keep = parse_query(query(filter=case.filter)).keep
    assert [keep(facts) for facts in FACTS] == case.kept, case.reason


class Refused(NamedTuple):
    case: str
    body: Any
    field: str


REFUSED = [
    Refused("not-an-object", [], "body"),
    Refused("no-interval", {"metrics": ["nFlow"]}, "interval"),
    Refused("bad-interval", query(interval="yesterday/today"), "interval"),
    Refused("backwards", query(interval="2026-01-02T00:00:00Z/2026-01-01T00:00:00Z"), "interval"),
    Refused("no-metrics", {"interval": INTERVAL}, "metrics"),
    Refused("unknown-metric", query(metrics=["nFlowBroken"]), "metrics"),
    Refused("group-by", query(groupBy="flowId"), "groupBy"),
    Refused("granularity-months", query(granularity="P1M"), "granularity"),
    Refused("granularity-type", query(granularity=5), "granularity"),
    Refused("granularity-too-fine", query(granularity="PT1S"), "granularity"),
    Refused("filter-type", query(filter={"type": "xor"}), "filter"),
    Refused("filter-predicates", query(filter={"type": "and", "predicates": {"dimension": "flowId"}}),
            "filter"),
    Refused("predicate-dimension", query(filter={"type": "and", "predicates": [{"value": "a"}]}),
            "filter.predicates"),
    Refused("predicate-operator", query(filter={"type": "and", "predicates": [
        {"dimension": "flowId", "operator": "startsWith", "value": "a"}]}), "filter.predicates"),
]  # fmt: skip


@pytest.mark.parametrize("case", REFUSED, ids=[c.case for c in REFUSED])
def test_bad_queries_are_400_naming_the_field(case: Refused) -> None:
    with pytest.raises(ApiError) as refused:
        parse_query(case.body)
    assert refused.value.status == 400
    assert refused.value.details == [{"errorCode": "bad.request", "fieldName": case.field}]
