"""One instant query of a `prometheus` check: `GET <url>/api/v1/query?query=…`, its single value.

A scalar result, or a vector of exactly one sample, gives the value; an empty vector (no data), several
samples, a matrix or string result, or an error answer give a reading with the reason — and a non-2xx answer
always names its HTTP status (Prometheus answers 400 bad_data, 422 execution, 503 timeout/unavailable; an
auth proxy in front of it 401/403).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import httpx

from flowrelease.api.models import PrometheusCheck
from flowrelease.checks.http_probe import failure_text
from flowrelease.checks.retry_after import asked_pause
from flowrelease.checks.targets import shown_url
from flowrelease.engine.checks import CheckReading

if TYPE_CHECKING:
    from flowrelease.checks.probe import CheckSecrets

SHOWN_QUERY = 120


def _query_url(base: str) -> str:
    return base.rstrip("/") + "/api/v1/query"


def _sample_value(sample: Any) -> float | None:
    if isinstance(sample, list) and len(sample) == 2 and isinstance(sample[1], str):
        try:
            return float(sample[1])
        except ValueError:
            return None
    return None


def value_of(body: Any) -> tuple[float | None, str]:
    """(value, "") from a Prometheus query answer, or (None, why not)."""
    if not isinstance(body, dict):
        return None, "the answer is not a Prometheus API object"
    if body.get("status") != "success":
        error = str(body.get("error", ""))[:200]
        return None, f"Prometheus answered {body.get('errorType', 'an error')}: {error}"
    data = body.get("data")
    if not isinstance(data, dict):
        return None, "the answer has no data"
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        value = _sample_value(result)
        return (value, "") if value is not None else (None, "the scalar result has no number")
    if kind != "vector" or not isinstance(result, list):
        return None, f"the query gives a {kind} result; it must give one number (a scalar or one sample)"
    if not result:
        return None, "no data: the query matched no series"
    if len(result) > 1:
        return None, f"the query gives {len(result)} samples; aggregate it to one (e.g. sum(...))"
    sample = result[0].get("value") if isinstance(result[0], dict) else None
    value = _sample_value(sample)
    if value is None:
        return None, "the sample has no number"
    if math.isinf(value):
        return None, f"the value is {value}"
    return value, ""


async def read_prometheus(
    client: httpx.AsyncClient, check: PrometheusCheck, secrets: CheckSecrets
) -> CheckReading:
    query = check.query if len(check.query) <= SHOWN_QUERY else check.query[:SHOWN_QUERY] + "…"
    target = f"{query} on {shown_url(check.url)}"
    missing = secrets.missing(check.bearer_token_secret_ref)
    if missing:
        return CheckReading(target, error=missing)
    token = secrets.bearer_token(check.bearer_token_secret_ref)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = await client.get(
            _query_url(check.url),
            params={"query": check.query},
            headers=headers,
            timeout=float(check.timeout_seconds),
            follow_redirects=False,
        )
    except httpx.HTTPError as error:
        return CheckReading(target, error=f"{failure_text(error)} after at most {check.timeout_seconds} s")
    try:
        body = response.json()
    except ValueError:
        status = response.status_code
        return CheckReading(target, status=status, error=f"HTTP {status}, not a Prometheus API answer")
    value, why_not = value_of(body)
    if not response.is_success:  # Prometheus' own errors are 400/422/503; a proxy in front adds 401/403/5xx
        why_not = f"HTTP {response.status_code}: {why_not or 'not a success'}"
        value = None
    return CheckReading(
        target,
        status=response.status_code,
        value=value,
        error=why_not,
        retry_after_seconds=asked_pause(response),
    )
