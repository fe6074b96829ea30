"""Fault rules: method + glob matching, counts, seeded probability, and operation faults."""

from __future__ import annotations

import random

from flowrelease.emulator.faults import FaultBook, HttpFault, OperationFault


def test_matches_method_and_glob_and_stops_after_count() -> None:
    book = FaultBook(http=[HttpFault(id="a", path="/api/v2/flows/*", method="POST", status=503, count=2)])
    assert book.http_fault_for("GET", "/api/v2/flows/actions/publish") is None
    assert book.http_fault_for("POST", "/api/v2/flows") is None
    fired = [book.http_fault_for("POST", "/api/v2/flows/actions/publish") for _ in range(3)]
    assert [f.id if f else None for f in fired] == ["a", "a", None]


def test_probability_is_repeatable_with_the_same_seed() -> None:
    def firings(seed: int) -> list[bool]:
        book = FaultBook(http=[HttpFault(id="p", status=500, probability=0.5)], random=random.Random(seed))
        return [book.http_fault_for("GET", "/x") is not None for _ in range(50)]

    assert firings(7) == firings(7)
    assert 10 < sum(firings(7)) < 40


def test_default_codes_and_the_normalized_429_message() -> None:
    limited = HttpFault(id="r", status=429, retry_after_seconds=42)
    assert limited.error_code == "too.many.requests.retry.after"
    assert limited.error_message == "Rate limit exceeded the maximum. Retry the request in [42] seconds"
    assert HttpFault(id="s", status=503).error_code == "service.unavailable"
    assert HttpFault(id="c", status=500, code="custom.code").error_code == "custom.code"


def test_operation_faults_match_action_flow_and_optional_version() -> None:
    book = FaultBook(
        operations=[OperationFault(id="o", flow_id="f", action="PUBLISH", version_id="3.0", count=1)]
    )
    assert book.operation_fault_for("PUBLISH", "f", "2.0") is None
    assert book.operation_fault_for("CHECKIN", "f", "3.0") is None
    assert book.operation_fault_for("PUBLISH", "f", "3.0") is not None
    assert book.operation_fault_for("PUBLISH", "f", "3.0") is None
