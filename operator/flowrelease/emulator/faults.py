"""Injected failures: HTTP fault rules matched per request, and failures of publish/check-in operations.

An `HttpFault` matches a request by method and path glob (`fnmatch`, e.g. `/api/v2/flows/*`), fires with a
probability drawn from a seeded random generator (so runs repeat), at most `count` times, and answers with a
status (rendered as ErrorBody, with `Retry-After` for 429) and/or adds latency. An `OperationFault` makes the
next matching publish or check-in of a flow (optionally one version) finish with FAILURE and its message.
"""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass, field

DEFAULT_FAULT_CODES: dict[int, str] = {
    400: "bad.request",
    401: "bad.credentials",
    403: "missing.permissions",
    404: "not.found",
    409: "conflict",
    410: "gone",
    429: "too.many.requests.retry.after",
    500: "internal.server.error",
    502: "bad.gateway",
    503: "service.unavailable",
    504: "gateway.timeout",
}


@dataclass
class HttpFault:
    id: str
    path: str = "*"
    method: str = "*"
    status: int | None = None
    latency_ms: int = 0
    probability: float = 1.0
    count: int | None = None
    code: str = ""
    message: str = ""
    retry_after_seconds: int = 1
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method == "*" or self.method.upper() == method.upper()
        return method_ok and fnmatch.fnmatchcase(path, self.path) and not self.exhausted

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.fired >= self.count

    @property
    def error_code(self) -> str:
        if self.code:
            return self.code
        return DEFAULT_FAULT_CODES.get(self.status or 500, "error")

    @property
    def error_message(self) -> str:
        if self.message:
            return self.message
        if self.status == 429:
            return (
                f"Rate limit exceeded the maximum. Retry the request in [{self.retry_after_seconds}] seconds"
            )
        return f"Injected fault {self.id}: HTTP {self.status}."


@dataclass
class OperationFault:
    id: str
    flow_id: str
    action: str = "PUBLISH"  # PUBLISH | CHECKIN
    version_id: str = ""
    error_message: str = "The flow could not be published."
    error_code: str = "architect.publish.failed"
    count: int | None = 1
    fired: int = 0

    def matches(self, action: str, flow_id: str, version_id: str) -> bool:
        if self.count is not None and self.fired >= self.count:
            return False
        version_ok = not self.version_id or self.version_id == version_id
        return self.action == action and self.flow_id == flow_id and version_ok


@dataclass
class FaultBook:
    """All fault rules plus the random generator that decides probabilistic ones."""

    http: list[HttpFault] = field(default_factory=list)
    operations: list[OperationFault] = field(default_factory=list)
    random: random.Random = field(default_factory=lambda: random.Random(0))

    def http_fault_for(self, method: str, path: str) -> HttpFault | None:
        """The first rule that matches and fires for this request; counts the firing."""
        for fault in self.http:
            if fault.matches(method, path) and self.random.random() < fault.probability:
                fault.fired += 1
                return fault
        return None

    def operation_fault_for(self, action: str, flow_id: str, version_id: str) -> OperationFault | None:
        for fault in self.operations:
            if fault.matches(action, flow_id, version_id):
                fault.fired += 1
                return fault
        return None
