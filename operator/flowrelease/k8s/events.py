"""Kubernetes Events for a release's significant transitions (the engine's ReleaseEvents).

Posted right away through the API, from kopf handlers and the drift checker alike. Messages are redacted;
a failure to post is logged and never fails the release (Events are best effort in Kubernetes too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from flowrelease.engine.outcome import ReleaseEvent
from flowrelease.k8s.kube_api import KubeApi, KubeApiError, ObjectRef

logger = logging.getLogger(__name__)


async def post_release_events(
    api: KubeApi,
    ref: ObjectRef,
    events: Iterable[ReleaseEvent],
    *,
    redact: Callable[[str], str],
) -> int:
    """Post each event; returns how many were accepted."""
    posted = 0
    for event in events:
        try:
            await api.post_event(ref, type=event.type, reason=event.reason, message=redact(event.message))
            posted += 1
        except KubeApiError as error:
            logger.warning(
                "could not post Event %s for %s/%s: %s", event.reason, ref.namespace, ref.name, error
            )
    return posted
