"""The request log: one entry per API request (method, path, status, client id, time), for counting calls.

Headers and bodies are never kept; query strings are, with the values of secret-bearing parameters
(download signatures, tokens, secrets) replaced by `REDACTED`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from flowrelease.emulator.wire import JsonObject, iso_datetime

SECRET_PARAMETERS = frozenset({"signature", "access_token", "token", "client_secret", "secret", "password"})


def redacted_query(raw: str) -> str:
    pairs = parse_qsl(raw, keep_blank_values=True)
    return urlencode([(k, "REDACTED" if k.lower() in SECRET_PARAMETERS else v) for k, v in pairs])


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: str
    status: int
    client_id: str
    at: float
    duration_ms: float
    correlation_id: str

    def as_json(self) -> JsonObject:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "clientId": self.client_id,
            "time": iso_datetime(self.at),
            "durationMs": round(self.duration_ms, 3),
            "correlationId": self.correlation_id,
        }


class RequestLog:
    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []

    def record(self, entry: LoggedRequest) -> None:
        self._entries.append(entry)

    def select(
        self, *, method: str = "", path: str = "", client_id: str = "", status: int | None = None
    ) -> list[LoggedRequest]:
        return [
            entry
            for entry in self._entries
            if (not method or entry.method == method.upper())
            and (not path or fnmatch.fnmatchcase(entry.path, path))
            and (not client_id or entry.client_id == client_id)
            and (status is None or entry.status == status)
        ]

    def clear(self) -> None:
        self._entries.clear()
