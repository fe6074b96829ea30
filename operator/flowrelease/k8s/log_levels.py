"""kopf logs every `TemporaryError` as an ERROR ("Handler ... failed temporarily: ..."). flowrelease raises
one for each WAITING outcome — a publish being polled, a bake stage running — which is normal progress, not
an error. This filter shows those records at INFO; real failures keep their level.
"""

from __future__ import annotations

import logging

REQUEUE_PREFIX = "requeue in "
"""Every WAITING TemporaryError message starts with this (see handlers.requeue_error)."""

_MARKER = f"failed temporarily: {REQUEUE_PREFIX}"


class RequeueLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and _MARKER in record.getMessage():
            record.levelno = logging.INFO
            record.levelname = logging.getLevelName(logging.INFO)
        return True
