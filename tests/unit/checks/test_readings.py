"""Reading numbers out of answers (pure): a JSON path, a Prometheus query result, a URL shown to people."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from flowrelease.checks.json_path import NoNumberThere, number_at
from flowrelease.checks.prometheus_probe import value_of
from flowrelease.checks.targets import shown_url

DOCUMENT = {"checks": {"ivr": {"passRate": 0.99, "ok": True, "label": "0.5"}}, "items": [{"v": 3}], "n": None}


class PathCase(NamedTuple):
    path: str
    expected: float | str  # a number, or the start of the error message


PATHS = [
    PathCase("checks.ivr.passRate", 0.99),
    PathCase("items.0.v", 3.0),
    PathCase("checks.ivr.missing", "checks.ivr has no key 'missing' (its keys: label, ok, passRate)"),
    PathCase("checks.ivr.ok", "checks.ivr.ok is a boolean, not a number"),
    PathCase("checks.ivr.label", "checks.ivr.label is a string, not a number"),
    PathCase("items.1.v", "items is a list of 1; '1' is not an index in it"),
    PathCase("items.x", "items is a list of 1; 'x' is not an index in it"),
    PathCase("n.deeper", "n is a null, not an object or list"),
    PathCase("nothing", "the document has no key 'nothing'"),
]


@pytest.mark.parametrize("case", PATHS, ids=[c.path for c in PATHS])
def test_the_number_at_a_dotted_path(case: PathCase) -> None:
    if isinstance(case.expected, float):
        assert number_at(DOCUMENT, case.path) == case.expected
    else:
        with pytest.raises(NoNumberThere) as missing:
            number_at(DOCUMENT, case.path)
        assert str(missing.value).startswith(case.expected)


def vector(*values: str) -> dict[str, Any]:
    result = [{"metric": {"i": str(i)}, "value": [1.0, v]} for i, v in enumerate(values)]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


class AnswerCase(NamedTuple):
    case: str
    body: Any
    value: float | None
    why_not: str


ANSWERS = [
    AnswerCase("one-sample", vector("0.25"), 0.25, ""),
    AnswerCase("scalar", {"status": "success", "data": {"resultType": "scalar", "result": [1.0, "7"]}}, 7.0,
               ""),
    AnswerCase("empty", vector(), None, "no data: the query matched no series"),
    AnswerCase("two", vector("1", "2"), None,
               "the query gives 2 samples; aggregate it to one (e.g. sum(...))"),
    AnswerCase("matrix", {"status": "success", "data": {"resultType": "matrix", "result": []}}, None,
               "the query gives a matrix result; it must give one number (a scalar or one sample)"),
    AnswerCase("error", {"status": "error", "errorType": "bad_data", "error": "parse error"}, None,
               "Prometheus answered bad_data: parse error"),
    AnswerCase("inf", vector("+Inf"), None, "the value is inf"),
    AnswerCase("not-an-object", [], None, "the answer is not a Prometheus API object"),
]  # fmt: skip


@pytest.mark.parametrize("case", ANSWERS, ids=[c.case for c in ANSWERS])
def test_the_value_of_a_prometheus_answer(case: AnswerCase) -> None:
    assert value_of(case.body) == (case.value, case.why_not)


def test_nan_is_a_value_the_judgement_refuses() -> None:
    value, why_not = value_of(vector("NaN"))
    assert value is not None and value != value and why_not == ""


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@monitor.example.com:8443/api/check?token=abc#x", "https://monitor.example.com:8443/api/check"),
        ("http://127.0.0.1:9090", "http://127.0.0.1:9090/"),
        ("http://[::1]:9090/q", "http://[::1]:9090/q"),
    ],
)  # fmt: skip
def test_a_url_is_shown_without_user_info_query_or_fragment(url: str, shown: str) -> None:
    assert shown_url(url) == shown
