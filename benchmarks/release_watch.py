"""Watch the FlowReleases of one namespace and note, per release, when the benchmark saw it happen: created,
its first status, the desired version published, Ready. Times are `time.time()` on receipt of the watch
event, on the same clock as the emulator's request log (same machine), so the two can be compared.

Runs on its own thread with the synchronous `kubernetes` client (a test extra), so it costs the operator
nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

GROUP, VERSION, PLURAL = "flowrelease.io", "v1alpha1", "flowreleases"


@dataclass
class Timeline:
    created: float | None = None
    first_status: float | None = None
    published: float | None = None
    """First event whose status says the desired version is published."""
    ready: float | None = None
    """First event with Ready=True for the desired version."""


def _ready(status: dict[str, Any], version: str) -> bool:
    if status.get("publishedVersion") != version:
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


class ReleaseWatch:
    def __init__(self, api_client: Any, namespace: str, *, version: str) -> None:
        from kubernetes import client

        self._custom = client.CustomObjectsApi(api_client)
        self._namespace = namespace
        self._version = version
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.timelines: dict[str, Timeline] = {}
        self.events = 0
        self._thread = threading.Thread(target=self._run, name="release-watch", daemon=True)
        self._started = threading.Event()

    def start(self) -> ReleaseWatch:
        self._thread.start()
        self._started.wait(30)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def ready_count(self) -> int:
        with self._lock:
            return sum(1 for t in self.timelines.values() if t.ready is not None)

    def snapshot(self) -> dict[str, Timeline]:
        with self._lock:
            return {name: Timeline(**vars(t)) for name, t in self.timelines.items()}

    def wait_until(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready_count() >= count:
                return True
            time.sleep(0.2)
        return False

    def _note(self, obj: dict[str, Any]) -> None:
        now = time.time()
        name = obj["metadata"]["name"]
        status = obj.get("status") or {}
        with self._lock:
            self.events += 1
            timeline = self.timelines.setdefault(name, Timeline())
            if timeline.created is None:
                timeline.created = now
            if status and timeline.first_status is None:
                timeline.first_status = now
            if status.get("publishedVersion") == self._version and timeline.published is None:
                timeline.published = now
            if timeline.ready is None and _ready(status, self._version):
                timeline.ready = now

    def _run(self) -> None:
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException

        listed = self._custom.list_namespaced_custom_object(GROUP, VERSION, self._namespace, PLURAL)
        version = listed["metadata"]["resourceVersion"]
        self._started.set()
        while not self._stop.is_set():
            stream = watch.Watch()
            try:
                for event in stream.stream(
                    self._custom.list_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    self._namespace,
                    PLURAL,
                    resource_version=version,
                    timeout_seconds=5,
                ):
                    obj = event["object"]
                    version = obj["metadata"]["resourceVersion"]
                    if event["type"] in ("ADDED", "MODIFIED"):
                        self._note(obj)
                    if self._stop.is_set():
                        break
            except ApiException as error:
                if error.status != 410:
                    raise
                listed = self._custom.list_namespaced_custom_object(GROUP, VERSION, self._namespace, PLURAL)
                version = listed["metadata"]["resourceVersion"]
                for obj in listed["items"]:
                    self._note(obj)
            finally:
                stream.stop()
