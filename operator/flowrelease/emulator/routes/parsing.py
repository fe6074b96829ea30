"""Request parsing shared by the routes: query lists in both styles, booleans, JSON bodies."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from flowrelease.emulator.wire import bad_request

MAX_BODY_BYTES = 512_000  # request.bytes.max (genesys-api.md §10.3)


def query_list(request: Request, name: str) -> list[str]:
    """`type=a,b` (the Python SDK) and `type=a&type=b` (CX as Code) both give ["a", "b"]."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def query_bool(request: Request, name: str, default: bool = False) -> bool:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"true", "false"}:
        return raw.lower() == "true"
    raise bad_request(f"{name} must be true or false, got '{raw[:40]}'.", field=name)


def required_query(request: Request, name: str) -> str:
    value = request.query_params.get(name, "")
    if not value:
        raise bad_request(f"The query parameter '{name}' is required.", field=name)
    return value


async def read_json(request: Request, *, required: bool = True) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise bad_request(
            f"The request body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}.", field="body"
        )
    if not body.strip():
        if required:
            raise bad_request("A JSON request body is required.", field="body")
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.", field="body") from None


def json_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"The request body must be a JSON object ({what}).", field="body")
    return value
