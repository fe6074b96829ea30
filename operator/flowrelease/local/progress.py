"""Showing sync progress: a live rich table on a terminal, one plain line per change otherwise.

The live table is transient (erased when the run ends, before the final table is printed) and never taller
than the terminal: rows are one line each, releases still in flight come first, and what does not fit is
counted in a last row. A live region taller than the screen cannot be erased (its top has scrolled away),
which left a second copy of the table behind. Every string shown passes through the SecretRedactor first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from flowrelease.api.models import FlowReleaseStatus
from flowrelease.audit.redaction import SecretRedactor
from flowrelease.engine.outcome import ReleaseEvent
from flowrelease.local.outcomes import ReleaseResult, ResultKind, status_message

COLUMNS = ("Release", "Flow", "Desired", "Published", "Phase", "Message")
PHASE_STYLES = {
    "Ready": "green",
    "Suspended": "yellow",
    "RolledBack": "red",
    "ValidationFailed": "red",
    "Failed": "red",
}


class ProgressReporter(Protocol):
    def started(self, release: str, flow: str) -> None: ...

    def progressed(self, release: str, status: FlowReleaseStatus, events: Sequence[ReleaseEvent]) -> None: ...

    def finished(self, result: ReleaseResult) -> None: ...

    def close(self) -> None: ...


@dataclass
class _Row:
    flow: str
    desired: str = ""
    published: str = ""
    phase: str = "Pending"
    message: str = ""

    def cells(self, release: str) -> tuple[str, ...]:
        return (release, self.flow, self.desired, self.published, self.phase, self.message)


def _row_from(row: _Row, status: FlowReleaseStatus) -> _Row:
    return _Row(
        flow=status.flow.name if status.flow and status.flow.name else row.flow,
        desired=status.desired_version or row.desired,
        published=status.published_version or row.published,
        phase=status.phase.value,
        message=status_message(status) or row.message,
    )


LIVE_TABLE_CHROME = 6
"""Lines of the live table that are not release rows: title, three rules, header, and a spare line so the
region never reaches the bottom of the screen."""


def _empty_table(title: str, *, wrap: bool = True) -> Table:
    table = Table(title=title, title_justify="left")
    for column in COLUMNS:
        if wrap:
            table.add_column(column, overflow="fold")
        else:
            table.add_column(column, overflow="ellipsis", no_wrap=True)
    return table


def version_and_phase(phase: str, desired: str) -> str:
    """`Publishing 3.0`, or just the phase when there is no version to name (Suspended, Pending)."""
    return f"{phase} {desired}" if desired else phase


def results_table(results: Sequence[ReleaseResult], redactor: SecretRedactor) -> Table:
    """The final table: the live one's columns plus what verification found."""
    table = _empty_table("flowrelease sync")
    table.add_column("Verification", overflow="fold")
    for result in results:
        cells = [
            redactor.redact(cell) for cell in (result.release, result.flow, result.desired, result.published)
        ]
        phase = Text(result.phase, style=PHASE_STYLES.get(result.phase, ""))
        table.add_row(*cells, phase, redactor.redact(result.message), redactor.redact(result.verification))
    return table


class PlainProgress:
    """One line per visible change: `[ns/name] Phase desired→published: message`."""

    def __init__(self, console: Console, redactor: SecretRedactor) -> None:
        self.console = console
        self.redactor = redactor
        self._rows: dict[str, _Row] = {}

    def _say(self, release: str, text: str) -> None:
        self.console.print(
            f"[{release}] {self.redactor.redact(text)}", markup=False, highlight=False, soft_wrap=True
        )

    def started(self, release: str, flow: str) -> None:
        self._rows[release] = _Row(flow)
        self._say(release, f"reconciling {flow}")

    def progressed(self, release: str, status: FlowReleaseStatus, events: Sequence[ReleaseEvent]) -> None:
        before = self._rows.get(release, _Row(""))
        after = _row_from(before, status)
        self._rows[release] = after
        for event in events:
            self._say(release, f"{event.type} {event.reason}: {event.message}")
        if not events and (after.phase, after.message) != (before.phase, before.message):
            head = version_and_phase(after.phase, after.desired)
            self._say(release, f"{head}: {after.message}" if after.message else head)

    def finished(self, result: ReleaseResult) -> None:
        if result.kind is ResultKind.SUSPENDED:
            self._say(result.release, f"done: {result.phase} ({result.message or 'spec.suspend is true'})")
            return
        self._say(result.release, f"done: {result.phase}" + ("" if result.ok else f" ({result.kind.value})"))

    def close(self) -> None:
        pass


class LiveProgress:
    """A rich table redrawn in place while releases progress; events scroll above it."""

    def __init__(self, console: Console, redactor: SecretRedactor) -> None:
        self.console = console
        self.redactor = redactor
        self._rows: dict[str, _Row] = {}
        self._done: set[str] = set()
        self._live = Live(self._table(), console=console, refresh_per_second=8, transient=True)
        self._live.start()

    def _table(self) -> Table:
        table = _empty_table("flowrelease sync (in progress)", wrap=False)
        in_flight = [release for release in self._rows if release not in self._done]
        order = in_flight + [release for release in self._rows if release in self._done]
        room = max(1, self.console.size.height - LIVE_TABLE_CHROME)
        shown = order if len(order) <= room else order[: room - 1]
        for release in shown:
            cells = [self.redactor.redact(cell) for cell in self._rows[release].cells(release)]
            table.add_row(*cells[:4], Text(cells[4], style=PHASE_STYLES.get(cells[4], "cyan")), cells[5])
        if len(shown) < len(order):
            hidden = order[len(shown) :]
            done = sum(1 for release in hidden if release in self._done)
            table.add_row(f"… {len(hidden)} more", "", "", "", "", f"{done} of them done")
        return table

    def started(self, release: str, flow: str) -> None:
        self._rows[release] = _Row(flow)
        self._live.update(self._table(), refresh=True)

    def progressed(self, release: str, status: FlowReleaseStatus, events: Sequence[ReleaseEvent]) -> None:
        self._rows[release] = _row_from(self._rows.get(release, _Row("")), status)
        for event in events:
            style = "red" if event.type == "Warning" else "dim"
            line = self.redactor.redact(f"[{release}] {event.reason}: {event.message}")
            self._live.console.print(Text(line, style=style))
        self._live.update(self._table(), refresh=True)

    def finished(self, result: ReleaseResult) -> None:
        self._done.add(result.release)
        row = self._rows.get(result.release, _Row(result.flow))
        self._rows[result.release] = _Row(
            result.flow, result.desired, result.published, result.phase, result.message or row.message
        )
        self._live.update(self._table(), refresh=True)

    def close(self) -> None:
        self._live.stop()
