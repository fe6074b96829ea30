"""Wire rendering shared by every route: ErrorBody errors, JSON responses and time formats.

`ApiError` carries the real service's status and error code; the gateway renders it as the Platform API's
`ErrorBody` (`message`, `code`, `status`, `contextId`, `details`, `errors`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

JsonObject = dict[str, Any]


class ApiError(Exception):
    """An error response of the Platform API, rendered as `ErrorBody`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: list[JsonObject] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


def not_found(what: str, identifier: str) -> ApiError:
    return ApiError(404, "not.found", f"{what} '{identifier}' was not found.")


def bad_request(message: str, *, field: str | None = None) -> ApiError:
    details = [{"errorCode": "bad.request", "fieldName": field}] if field else None
    return ApiError(400, "bad.request", message, details=details)


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


def error_body(error: ApiError, context_id: str) -> JsonObject:
    return {
        "message": error.message,
        "code": error.code,
        "status": error.status,
        "contextId": context_id,
        "details": error.details,
        "errors": [],
    }


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with stable key order and compact separators."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def error_response(error: ApiError, context_id: str) -> Response:
    return json_response(error_body(error, context_id), error.status, error.headers)


def epoch_ms(seconds: float) -> int:
    """Genesys `dateCreated`-style integer milliseconds since the epoch."""
    return int(seconds * 1000)


def iso_datetime(seconds: float) -> str:
    """Genesys ISO-8601 datetime with milliseconds and a `Z` suffix (e.g. `datePublished`)."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso_datetime(text: str) -> datetime:
    """Parse an ISO-8601 datetime as the analytics API accepts it; naive values are UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
