"""Audit sinks: one sorted-key JSON object per line, UTC timestamps, flushed per event, secrets masked."""

from __future__ import annotations

import io
import json
from dataclasses import fields
from pathlib import Path

from flowrelease.audit.events import (
    FanoutAuditSink,
    JsonLinesAuditSink,
    ListAuditSink,
    audit_record,
    utc_iso,
)
from flowrelease.audit.redaction import SecretRedactor
from flowrelease.engine.ports import AuditEvent, Milestone


def event(**changes: object) -> AuditEvent:
    values: dict[str, object] = {
        "timestamp": "2026-11-28T01:02:03.456789+00:00",
        "release": "cc/support-ivr",
        "flow_id": "f-1",
        "flow_name": "Support IVR",
        "version": "3.0",
        "action": "publish",
        "outcome": "ok",
        "latency_ms": 12.5,
        "attempt": 1,
        "validation_error_rate": 0.0,
        "operation_id": "op-1",
        "details": {"lastGoodVersion": "2.0"},
    }
    values.update(changes)
    return AuditEvent(**values)  # type: ignore[arg-type]


def test_each_event_is_one_sorted_json_line_flushed_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    sink = JsonLinesAuditSink(path)
    sink.emit(event(milestone=Milestone.PUBLISHED))
    first = path.read_text()  # readable before close: flushed per event
    sink.emit(event(action="verify", outcome="waiting"))
    sink.close()
    lines = path.read_text().splitlines()
    assert first == lines[0] + "\n"
    assert json.loads(lines[0]) == {
        "action": "publish",
        "attempt": 1,
        "details": {"lastGoodVersion": "2.0"},
        "flow_id": "f-1",
        "flow_name": "Support IVR",
        "latency_ms": 12.5,
        "milestone": "Published",
        "operation_id": "op-1",
        "outcome": "ok",
        "release": "cc/support-ivr",
        "rollback_route": "",
        "route_result": "",
        "timestamp": "2026-11-28T01:02:03.456Z",
        "validation_error_rate": 0.0,
        "version": "3.0",
    }
    assert list(json.loads(lines[0])) == sorted(json.loads(lines[0]))
    assert json.loads(lines[1])["action"] == "verify"


def test_the_file_is_appended_to_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with JsonLinesAuditSink(path) as sink:
        sink.emit(event())
    with JsonLinesAuditSink(path) as sink:
        sink.emit(event())
    assert len(path.read_text().splitlines()) == 2


def test_a_stream_target_is_written_and_left_open() -> None:
    stream = io.StringIO()
    sink = JsonLinesAuditSink(stream)
    sink.emit(event())
    sink.close()
    assert not stream.closed
    assert json.loads(stream.getvalue())["release"] == "cc/support-ivr"


def test_secrets_are_masked_in_every_field_and_detail() -> None:
    stream = io.StringIO()
    sink = JsonLinesAuditSink(stream, redactor=SecretRedactor(["s3cr3t-value"]))
    sink.emit(event(details={"message": "login with s3cr3t-value failed", "nested": ["x s3cr3t-value"]}))
    assert "s3cr3t-value" not in stream.getvalue()
    assert json.loads(stream.getvalue())["details"] == {
        "message": "login with *** failed",
        "nested": ["x ***"],
    }


def test_a_record_has_every_field_and_leaves_the_event_as_it_was() -> None:
    original = event(milestone=Milestone.READY, details={"nested": {"k": "s3cr3t-value"}})
    record = audit_record(original, SecretRedactor(["s3cr3t-value"]))
    assert set(record) == {f.name for f in fields(AuditEvent)}
    assert record["details"] == {"nested": {"k": "***"}}
    assert record["milestone"] is Milestone.READY
    assert original.details == {"nested": {"k": "s3cr3t-value"}}


def test_timestamps_are_normalised_to_utc() -> None:
    assert utc_iso("2026-11-28T03:00:00+02:00") == "2026-11-28T01:00:00.000Z"
    assert utc_iso("2026-11-28T01:00:00") == "2026-11-28T01:00:00.000Z"
    assert utc_iso("2026-11-28T01:00:00Z") == "2026-11-28T01:00:00.000Z"
    assert utc_iso("").endswith("Z")
    assert utc_iso("not a time") == "not a time"


def test_list_sink_keeps_events_in_order() -> None:
    sink = ListAuditSink()
    sink.emit(event(action="validate"))
    sink.emit(event(action="publish", release="cc/other"))
    assert sink.actions() == [("validate", "ok"), ("publish", "ok")]
    assert sink.actions("cc/other") == [("publish", "ok")]


class BrokenSink:
    def emit(self, event: AuditEvent) -> None:
        raise OSError("disk full")


def test_fanout_reaches_every_sink_even_when_one_fails() -> None:
    first, last = ListAuditSink(), ListAuditSink()
    FanoutAuditSink(first, BrokenSink(), last).emit(event())
    assert len(first.events) == len(last.events) == 1
