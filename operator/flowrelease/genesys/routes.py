"""The Platform API routes the client calls, and the OAuth permission each one needs (genesys-api.md §3-9).

A `Route` is a method plus a path template; the template (not the filled-in path) is what metrics and error
messages name, so flow ids never become label values.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    permissions: tuple[str, ...] = ()
    replay_safe: bool = True
    """False when repeating the request after it may have reached Genesys could act twice."""

    def path(self, **params: str) -> str:
        return self.template.format(**{name: quote(value, safe="") for name, value in params.items()})

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


_VIEW = ("architect:flow:view",)
_DEPS = ("architect:dependencyTracking:view",)

TOKEN = Route("POST", "/oauth/token")
LIST_FLOWS = Route("GET", "/api/v2/flows", _VIEW)
GET_FLOW = Route("GET", "/api/v2/flows/{flowId}", _VIEW)
GET_VERSION = Route("GET", "/api/v2/flows/{flowId}/versions/{versionId}", _VIEW)
VERSION_CONFIGURATION = Route("GET", "/api/v2/flows/{flowId}/versions/{versionId}/configuration", _VIEW)
CREATE_VERSION = Route("POST", "/api/v2/flows/{flowId}/versions", ("architect:flow:edit",), replay_safe=False)
CHECKOUT = Route("POST", "/api/v2/flows/actions/checkout", ("architect:flow:edit",))
CHECKIN = Route(
    "POST",
    "/api/v2/flows/actions/checkin",
    ("architect:flow:edit", "architect:flow:unlock"),
    replay_safe=False,
)
PUBLISH = Route(
    "POST",
    "/api/v2/flows/actions/publish",
    ("architect:flow:publish", "architect:flow:unlock"),
    replay_safe=False,
)
UNLOCK = Route("POST", "/api/v2/flows/actions/unlock", ("architect:flow:unlock",))
REGISTER_IMPORT = Route("POST", "/api/v2/flows/jobs", ("architect:job:create",), replay_safe=False)
UPLOAD_IMPORT = Route("PUT", "<presigned upload URL>", replay_safe=False)
GET_IMPORT = Route("GET", "/api/v2/flows/jobs/{jobId}", ("architect:job:view",))
REGISTER_VALIDATE = Route("POST", "/api/v2/flows/validate/jobs", ("architect:jobValidate:create",))
GET_VALIDATE = Route("GET", "/api/v2/flows/validate/jobs/{jobId}", ("architect:jobValidate:view",))
REGISTER_EXPORT = Route("POST", "/api/v2/flows/export/jobs", ("architect:jobExport:create",))
GET_EXPORT = Route("GET", "/api/v2/flows/export/jobs/{jobId}", ("architect:jobExport:view",))
DOWNLOAD_EXPORT = Route("GET", "<export download URL>")
CONSUMED_RESOURCES = Route("GET", "/api/v2/architect/dependencytracking/consumedresources", _DEPS)
DEPENDENCY_BUILD = Route("GET", "/api/v2/architect/dependencytracking/build", _DEPS)
CREATE_CHANNEL = Route("POST", "/api/v2/notifications/channels")
ADD_SUBSCRIPTIONS = Route("POST", "/api/v2/notifications/channels/{channelId}/subscriptions")
REPLACE_SUBSCRIPTIONS = Route("PUT", "/api/v2/notifications/channels/{channelId}/subscriptions")
FLOW_AGGREGATES = Route("POST", "/api/v2/analytics/flows/aggregates/query", ("analytics:flowAggregate:view",))


def permission_phrase(route: Route) -> str:
    """'architect:flow:publish (and architect:flow:unlock)' — the first permission is the one that names the
    action; the rest are also required."""
    if not route.permissions:
        return ""
    first, *rest = route.permissions
    return f"{first} (and {', '.join(rest)})" if rest else first
