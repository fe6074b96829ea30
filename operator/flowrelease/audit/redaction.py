"""Keeping secrets out of every output: a registry of secret values and a redactor for text and logs.

Both shells register every client secret, token and git credential they load, then install the
`logging.Filter` on their log handlers and pass anything they print or persist through `redact`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter values are not registered: masking every "abc" in all output would hide more than it protects."""


def redact(text: str, secrets: Iterable[str], mask: str = MASK) -> str:
    """`text` with every occurrence of each secret replaced by `mask` (longest secrets first)."""
    return _replace_all(text, longest_first(secrets), mask)


def longest_first(secrets: Iterable[str]) -> tuple[str, ...]:
    """The secrets worth masking, longest first, so a secret containing another is masked whole."""
    return tuple(sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True))


def _replace_all(text: str, ordered: tuple[str, ...], mask: str) -> str:
    for secret in ordered:
        if secret in text:
            text = text.replace(secret, mask)
    return text


class SecretRedactor:
    """A thread-safe set of secret values and the ways to scrub them from strings, values and logs."""

    def __init__(self, secrets: Iterable[str] = (), *, mask: str = MASK) -> None:
        self._secrets: frozenset[str] = frozenset()
        self._ordered: tuple[str, ...] = ()
        self._lock = threading.Lock()
        self.mask = mask
        self.register(*secrets)

    def register(self, *values: str) -> None:
        """Add secret values; empty and very short values are ignored."""
        fresh = {value for value in values if len(value) >= MIN_SECRET_LENGTH}
        if fresh:
            with self._lock:
                self._secrets = self._secrets | fresh
                self._ordered = longest_first(self._secrets)

    @property
    def secrets(self) -> frozenset[str]:
        return self._secrets

    def redact(self, text: str) -> str:
        return _replace_all(text, self._ordered, self.mask) if self._ordered else text

    def redact_value(self, value: object) -> object:
        """Redact every string inside nested mappings, lists and tuples (keys included)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {self.redact(str(key)): self.redact_value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_value(item) for item in value]
        return value

    def logging_filter(self) -> RedactingLogFilter:
        return RedactingLogFilter(self)

    def install(self, *handlers: logging.Handler) -> RedactingLogFilter:
        """Attach one filter to `handlers` (default: every handler of the root logger).

        Handler filters see records propagated from every logger, which logger filters do not.
        """
        log_filter = self.logging_filter()
        for handler in handlers or tuple(logging.getLogger().handlers):
            handler.addFilter(log_filter)
        return log_filter


class RedactingLogFilter(logging.Filter):
    """Renders each record's message (and traceback) once, scrubbed, so no handler sees the raw values."""

    def __init__(self, redactor: SecretRedactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True
