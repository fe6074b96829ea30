"""The real clock: timezone-aware UTC now. Tests inject their own Clock instead."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Implements `ports.Clock` with the system's wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)
