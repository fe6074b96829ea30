"""Audit sinks: where the engine's AuditEvents go.

`JsonLinesAuditSink` writes one JSON object per line (sorted keys, UTC ISO-8601 timestamps ending in `Z`),
flushed after each event so a crash loses nothing already emitted. `ListAuditSink` keeps events in memory
(tests), `FanoutAuditSink` passes each event to several sinks. All of them implement the engine's AuditSink.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from flowrelease.audit.redaction import SecretRedactor
from flowrelease.engine.ports import AuditEvent, AuditSink

logger = logging.getLogger(__name__)


def utc_iso(timestamp: str, *, default: datetime | None = None) -> str:
    """`timestamp` as UTC ISO-8601 with a `Z` suffix; naive times are taken as UTC; empty -> now."""
    if timestamp:
        try:
            moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except ValueError:
            return timestamp
    else:
        moment = default or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_EVENT_FIELDS = tuple(f.name for f in fields(AuditEvent))


def audit_record(event: AuditEvent, redactor: SecretRedactor | None = None) -> dict[str, object]:
    """The JSON object written for one event: the event's fields, timestamp in UTC, secrets masked.

    A shallow copy: the record is only read, and `dataclasses.asdict`'s deep copy of `details` was a
    third of the audit trail's CPU in the operator benchmark.
    """
    record: dict[str, object] = {name: getattr(event, name) for name in _EVENT_FIELDS}
    record["details"] = dict(event.details)
    record["timestamp"] = utc_iso(event.timestamp)
    if redactor is not None:
        redacted = redactor.redact_value(record)
        assert isinstance(redacted, dict)
        record = redacted
    return record


class JsonLinesAuditSink:
    """Appends one JSON line per event to a file (created with its folder) or an open text stream."""

    def __init__(self, target: Path | str | IO[str], *, redactor: SecretRedactor | None = None) -> None:
        self._redactor = redactor
        self._lock = threading.Lock()
        if isinstance(target, Path | str):
            path = Path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._stream: IO[str] = path.open("a", encoding="utf-8")
            self._owned = True
        else:
            self._stream = target
            self._owned = False

    def emit(self, event: AuditEvent) -> None:
        line = json.dumps(audit_record(event, self._redactor), sort_keys=True, default=str)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def close(self) -> None:
        if self._owned:
            self._stream.close()

    def __enter__(self) -> JsonLinesAuditSink:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class ListAuditSink:
    """Keeps every event in order; for tests and for summaries."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def emit(self, event: AuditEvent) -> None:
        self.events.append(event)

    def actions(self, release: str | None = None) -> list[tuple[str, str]]:
        """(action, outcome) pairs, optionally for one release."""
        return [(e.action, e.outcome) for e in self.events if release is None or e.release == release]


class FanoutAuditSink:
    """Passes each event to every sink; one failing sink is logged and does not starve the others."""

    def __init__(self, *sinks: AuditSink) -> None:
        self.sinks = sinks

    def emit(self, event: AuditEvent) -> None:
        for sink in self.sinks:
            try:
                sink.emit(event)
            except Exception:
                logger.exception(
                    "audit sink %s failed for %s %s", type(sink).__name__, event.release, event.action
                )
