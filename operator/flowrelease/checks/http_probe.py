"""One request of an `http` check: the status, and the number at `jsonPath` when the check has one."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

import httpx

from flowrelease.api.models import HttpCheck
from flowrelease.checks.json_path import NoNumberThere, number_at
from flowrelease.checks.retry_after import asked_pause
from flowrelease.checks.targets import shown_url
from flowrelease.engine.checks import CheckReading

if TYPE_CHECKING:
    from flowrelease.checks.probe import CheckSecrets

MAX_JSON_BYTES = 1_000_000


def failure_text(error: httpx.HTTPError) -> str:
    """An httpx error in words; the exception's own text is left out (it may quote the URL)."""
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, httpx.ConnectError):
        return "could not connect"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the server broke the HTTP protocol (closed the connection?)"
    return f"request failed ({type(error).__name__})"


async def read_http(client: httpx.AsyncClient, check: HttpCheck, secrets: CheckSecrets) -> CheckReading:
    target = f"{check.method} {shown_url(check.url)}"
    missing = secrets.missing(check.bearer_token_secret_ref) or secrets.missing(check.headers_secret_ref)
    if missing:
        return CheckReading(target, error=missing)
    headers = {**check.headers, **secrets.headers(check.headers_secret_ref)}
    token = secrets.bearer_token(check.bearer_token_secret_ref)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = await client.request(
            check.method,
            check.url,
            headers=headers,
            content=check.body.encode() if check.body else None,
            timeout=float(check.timeout_seconds),
            follow_redirects=False,
        )
    except httpx.HTTPError as error:
        return CheckReading(target, error=f"{failure_text(error)} after at most {check.timeout_seconds} s")
    return replace(_reading_of(response, check, target), retry_after_seconds=asked_pause(response))


def _reading_of(response: httpx.Response, check: HttpCheck, target: str) -> CheckReading:
    if not check.json_path:
        return CheckReading(target, status=response.status_code)
    if len(response.content) > MAX_JSON_BYTES:
        return CheckReading(target, status=response.status_code, error="the answer is too large to read")
    try:
        document = json.loads(response.content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        kind = response.headers.get("content-type", "no content type")
        return CheckReading(target, status=response.status_code, error=f"the answer is not JSON ({kind})")
    try:
        value = number_at(document, check.json_path)
    except NoNumberThere as missing_number:
        return CheckReading(target, status=response.status_code, error=str(missing_number))
    return CheckReading(target, status=response.status_code, value=value)
