"""Reading the emulator's request log: API calls, polls and the moment a publish was noticed, per client.

The emulator logs every API request with its method, path, status, OAuth client id and time; headers and
bodies are never logged. Each benchmark runner authenticates as its own client, so its calls are exactly the
log entries carrying its client id.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

PUBLISH_PATH = "/api/v2/flows/actions/publish"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_VERSION = re.compile(r"/versions/[^/]+")
_CHANNEL = re.compile(r"/notifications/channels/[^/]+")


@dataclass(frozen=True)
class LoggedCall:
    method: str
    path: str
    query: str
    status: int
    client_id: str
    at: float
    """Seconds since the epoch, on the emulator's clock (millisecond precision)."""


def parse_request_log(entries: Iterable[Mapping[str, object]]) -> list[LoggedCall]:
    calls = []
    for entry in entries:
        moment = str(entry["time"])
        calls.append(
            LoggedCall(
                method=str(entry["method"]),
                path=str(entry["path"]),
                query=str(entry.get("query", "")),
                status=int(str(entry["status"])),
                client_id=str(entry.get("clientId", "")),
                at=datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp(),
            )
        )
    return sorted(calls, key=lambda call: call.at)


@dataclass(frozen=True)
class PublishTrace:
    """One runner's publish of one flow, as the emulator saw it."""

    api_calls: int
    """Every request the client made, the token request included."""
    polls: int
    """GETs of the flow after the publish request, up to and including the one that saw it finished."""
    publish_at: float | None
    completed_at: float | None
    """When the operation finished in the emulator: publish time + the configured publish duration."""
    noticed_at: float | None
    """The first successful GET of the flow at or after completion: the moment the runner could know."""
    throttled: int
    """429 responses this client received."""
    calls_to_result: int | None = None
    """Requests from the publish POST (included) to the GET that saw the result (included): what knowing
    the result cost, without the token and the lookups before it."""

    @property
    def notice_delay_seconds(self) -> float | None:
        if self.noticed_at is None or self.completed_at is None:
            return None
        return max(0.0, self.noticed_at - self.completed_at)


def publish_trace(
    calls: Sequence[LoggedCall], *, client_id: str, flow_id: str, publish_seconds: float
) -> PublishTrace:
    mine = [call for call in calls if call.client_id == client_id]
    publishes = [
        call
        for call in mine
        if call.method == "POST"
        and call.path == PUBLISH_PATH
        and f"flow={flow_id}" in call.query
        and call.status < 300
    ]
    publish_at = publishes[0].at if publishes else None
    flow_path = f"/api/v2/flows/{flow_id}"
    polls = [
        call
        for call in mine
        if publish_at is not None
        and call.method == "GET"
        and call.path == flow_path
        and call.at >= publish_at
    ]
    completed_at = None if publish_at is None else publish_at + publish_seconds
    noticed = next(
        (
            call
            for call in polls
            if completed_at is not None and call.at >= completed_at and call.status == 200
        ),
        None,
    )
    if noticed is not None:
        polls = [call for call in polls if call.at <= noticed.at]
    return PublishTrace(
        api_calls=len(mine),
        polls=len(polls),
        publish_at=publish_at,
        completed_at=completed_at,
        noticed_at=noticed.at if noticed else None,
        throttled=sum(1 for call in mine if call.status == 429),
        calls_to_result=None
        if publish_at is None or noticed is None
        else sum(1 for call in mine if publish_at <= call.at <= noticed.at),
    )


JOBS_PATH = "/api/v2/flows/jobs"


def import_trace(
    calls: Sequence[LoggedCall], *, client_id: str, flow_id: str, import_seconds: float
) -> PublishTrace:
    """A source-mode import as a `PublishTrace`: from the job's registration (`POST /api/v2/flows/jobs`)
    to the first read of the job or the flow after it finished. The job's clock starts at the upload (a
    few milliseconds after the POST; the presigned PUT carries no client id), so the delay is counted from
    POST + `import_seconds`, a few milliseconds early: an upper bound."""
    mine = [call for call in calls if call.client_id == client_id]
    posted = [c for c in mine if c.method == "POST" and c.path == JOBS_PATH and c.status < 300]
    posted_at = posted[0].at if posted else None
    completed_at = None if posted_at is None else posted_at + import_seconds
    reads = [
        call
        for call in mine
        if posted_at is not None
        and call.method == "GET"
        and call.at > posted_at
        and (call.path.startswith(f"{JOBS_PATH}/") or call.path == f"/api/v2/flows/{flow_id}")
    ]
    noticed = next(
        (c for c in reads if completed_at is not None and c.at >= completed_at and c.status == 200), None
    )
    if noticed is not None:
        reads = [call for call in reads if call.at <= noticed.at]
    return PublishTrace(
        api_calls=len(mine),
        polls=len(reads),
        publish_at=posted_at,
        completed_at=completed_at,
        noticed_at=noticed.at if noticed else None,
        throttled=sum(1 for call in mine if call.status == 429),
        calls_to_result=None
        if posted_at is None or noticed is None
        else sum(1 for call in mine if posted_at <= call.at <= noticed.at),
    )


def route_of(call: LoggedCall) -> str:
    """`GET /api/v2/flows/{id}/versions/{version}`: the call without ids, for counting calls by kind."""
    path = _VERSION.sub("/versions/{version}", _UUID.sub("{id}", call.path))
    path = _CHANNEL.sub("/notifications/channels/{channelId}", path)
    return f"{call.method} {path}"


def calls_by_route(calls: Iterable[LoggedCall], *, client_id: str = "") -> dict[str, int]:
    counts = Counter(route_of(call) for call in calls if not client_id or call.client_id == client_id)
    return dict(counts.most_common())


def per_release_by_route(
    sizes: Sequence[Mapping[str, object]], *, key: str = "calls_by_route"
) -> tuple[list[str], list[list[float | None]]]:
    """Each route's calls ÷ releases for every fleet run (columns, in `sizes` order), busiest first:
    (routes, rows). A run without the breakdown reads as None."""
    totals: Counter[str] = Counter()
    for size in sizes:
        counts = size.get(key)
        if isinstance(counts, Mapping):
            totals.update({str(route): int(n) for route, n in counts.items()})
    routes = [route for route, _ in totals.most_common()]
    rows = []
    for route in routes:
        row: list[float | None] = []
        for size in sizes:
            counts, releases = size.get(key), size.get("releases")
            if not isinstance(counts, Mapping) or not isinstance(releases, int) or releases <= 0:
                row.append(None)
            else:
                row.append(int(counts.get(route, 0)) / releases)
        rows.append(row)
    return routes, rows
