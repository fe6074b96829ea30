"""Writes the apiserver counted, read from its own Prometheus metrics (`apiserver_request_total`).

The apiserver counts every request by verb, resource and subresource, whoever sent it; a test takes a
snapshot before and after what it measures and looks at the difference. Reads (GET, LIST, WATCH) are left
out: what costs etcd is writes.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Protocol

WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE", "APPLY"})
_SAMPLE = re.compile(r"^apiserver_request_total\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.e+]+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


class RawGetter(Protocol):
    def kubectl(self, *args: str) -> object: ...


def parse_writes(metrics_text: str, verbs: frozenset[str] = WRITE_VERBS) -> Counter[tuple[str, str]]:
    """{(resource[/subresource], verb): count} of the write requests (or those of `verbs`) in an apiserver
    /metrics page."""
    writes: Counter[tuple[str, str]] = Counter()
    for line in metrics_text.splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        labels = dict(_LABEL.findall(match["labels"]))
        if labels.get("verb") not in verbs:
            continue
        resource = labels.get("resource", "")
        if labels.get("subresource"):
            resource = f"{resource}/{labels['subresource']}"
        writes[(resource, labels["verb"])] += int(float(match["value"]))
    return writes


def writes_now(kube: RawGetter) -> Counter[tuple[str, str]]:
    result = kube.kubectl("get", "--raw", "/metrics")
    return parse_writes(str(getattr(result, "stdout", "")))


def gets_now(kube: RawGetter) -> Counter[tuple[str, str]]:
    """Like `writes_now`, for single-object reads (GET)."""
    result = kube.kubectl("get", "--raw", "/metrics")
    return parse_writes(str(getattr(result, "stdout", "")), frozenset({"GET"}))


def writes_since(
    kube: RawGetter, before: Counter[tuple[str, str]], *, resources: set[str]
) -> Counter[tuple[str, str]]:
    """The writes to `resources` since `before`, once the count has stopped moving for 3 s."""
    last: Counter[tuple[str, str]] | None = None
    stable_since = time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = writes_now(kube)
        delta = Counter(
            {key: now[key] - before[key] for key in now if key[0] in resources and now[key] > before[key]}
        )
        if delta != last:
            last, stable_since = delta, time.monotonic()
        elif time.monotonic() - stable_since >= 3.0:
            return delta
        time.sleep(0.5)
    raise AssertionError(f"the apiserver write count did not settle in 60 s: {last}")
