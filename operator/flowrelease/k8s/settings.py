"""The kopf settings a production operator needs, derived from the command-line flags (pure).

- Watches: a server-side timeout below the client-side one, so the apiserver ends a quiet watch cleanly and
  kopf reconnects, instead of a half-open TCP connection hanging until the kernel notices.
- kopf's own bookkeeping (handler progress, the last handled spec) lives in `flowrelease.io/*` annotations,
  never in `.status`: the CRD's status schema is structural, so anything else there would be pruned, and
  `.status` belongs to the engine alone.
- Events: only the ones flowrelease posts on purpose (through KubeApi); kopf posts none.
- Sharding: the `--selector` label selector filters the FlowRelease watch on the server.
- kopf's per-object workers end after 1 s without an event (not 5 s), so their copies of the objects go.
- Standalone (no --peering), no kopf change handler runs, so nothing reads kopf's diff base: `DiffBaseNotKept`
  spares the deep copy of the whole object (status included) kopf would build of it per watch event.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from typing import Any

import kopf

from flowrelease.api.models import GROUP, PLURAL
from flowrelease.k8s.config import OperatorConfig

ANNOTATION_PREFIX = GROUP
WATCH_SERVER_TIMEOUT_S = 270  # an int: the apiserver rejects timeoutSeconds=270.0
WATCH_CLIENT_TIMEOUT_S = 300.0
WATCH_CONNECT_TIMEOUT_S = 30.0
API_REQUEST_TIMEOUT_S = 60.0
API_CONNECT_TIMEOUT_S = 15.0
WORKER_IDLE_TIMEOUT_S = 1.0
HANDLER_ERROR_BACKOFF_S = 15.0
"""Delay before kopf retries a pass that raised an unexpected error (not a WAITING outcome)."""


class DiffBaseNotKept(kopf.DiffBaseStorage):
    """kopf's diff base for an operator without change handlers (standalone): none is built or stored.

    kopf builds an object's "essence" (a deep copy of it, less its status and system fields) on every watch
    event to diff it with the last handled one, and uses the diff only for create/update/resume handlers and
    daemons, which the standalone operator has none of (its scheduler decides from `triggers`)."""

    def build(self, *, body: kopf.Body, extra_fields: Iterable[Any] | None = None) -> kopf.BodyEssence:
        return kopf.BodyEssence()

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        return None


def build_settings(config: OperatorConfig) -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()

    settings.watching.server_timeout = WATCH_SERVER_TIMEOUT_S
    settings.watching.client_timeout = WATCH_CLIENT_TIMEOUT_S
    settings.watching.connect_timeout = WATCH_CONNECT_TIMEOUT_S
    if config.selector:
        settings.watching.label_selectors[GROUP, PLURAL] = config.selector

    settings.networking.request_timeout = API_REQUEST_TIMEOUT_S
    settings.networking.connect_timeout = API_CONNECT_TIMEOUT_S

    # flowrelease posts its Events itself (KubeApi); kopf posts none. kopf before 1.45 has no
    # `posting.loggers` switch and would mirror its INFO log lines ("Handler succeeded") into Events.
    settings.posting.enabled = False
    settings.posting.reporting_component = "flowrelease-operator"
    settings.posting.reporting_instance = os.environ.get("POD_NAME") or socket.gethostname()

    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=ANNOTATION_PREFIX)
    if config.peering is None:
        settings.persistence.diffbase_storage = DiffBaseNotKept()
    else:
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
            prefix=ANNOTATION_PREFIX, key="last-handled-configuration"
        )

    settings.execution.default_backoff = HANDLER_ERROR_BACKOFF_S

    # kopf keeps a worker per object, holding its last event's body, until no event came for this long
    # (default 5 s): a fleet created at once keeps a thousand bodies twice (ours are in the scheduler).
    settings.batching.idle_timeout = WORKER_IDLE_TIMEOUT_S
    return settings
