"""Which Secrets a release's checks name, and where: what the shells load before a pass (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flowrelease.api.models import FlowReleaseSpec, SecretKeyRef, SecretRef


@dataclass(frozen=True)
class CheckSecretRef:
    field: str
    """The spec field naming it: `spec.verify.stages[0].checks[1].http.bearerTokenSecretRef`."""
    name: str
    key: str | None
    """The key holding a bearer token; None for headersSecretRef (every key is a header)."""


def check_secret_refs(spec: FlowReleaseSpec) -> list[CheckSecretRef]:
    refs: list[CheckSecretRef] = []
    for s, stage in enumerate(spec.verify.stages):
        for c, check in enumerate(stage.checks):
            where = f"spec.verify.stages[{s}].checks[{c}]"
            named: list[tuple[str, SecretKeyRef | SecretRef | None]] = []
            if check.http is not None:
                named += [
                    ("http.bearerTokenSecretRef", check.http.bearer_token_secret_ref),
                    ("http.headersSecretRef", check.http.headers_secret_ref),
                ]
            if check.prometheus is not None:
                named.append(("prometheus.bearerTokenSecretRef", check.prometheus.bearer_token_secret_ref))
            for suffix, ref in named:
                if ref is not None:
                    key = ref.key if isinstance(ref, SecretKeyRef) else None
                    refs.append(CheckSecretRef(f"{where}.{suffix}", ref.name, key))
    return refs


def missing_key(ref: CheckSecretRef, data: Mapping[str, str], namespace: str) -> str:
    """Why the loaded Secret `data` cannot serve `ref` ("" when it can); names keys, never values."""
    if ref.key is not None and not data.get(ref.key):
        keys = ", ".join(sorted(data)) or "none"
        return f"Secret {namespace}/{ref.name} has no key {ref.key} (its keys: {keys}); add it or set key:"
    if ref.key is None and not data:
        return f"Secret {namespace}/{ref.name} is empty; add one key per header to send"
    return ""
