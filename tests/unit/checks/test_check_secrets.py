"""Which Secrets the checks name, and how `sync` finds them among the manifests (or says it cannot)."""

from __future__ import annotations

from pathlib import Path

from flowrelease.api.manifests import ManifestSet, ResolvedRelease, load_manifests, resolve_releases
from flowrelease.checks.secret_refs import CheckSecretRef, check_secret_refs
from flowrelease.local.check_secrets import check_secrets_for

RELEASE = """\
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {name: support-ivr, namespace: cc}
spec:
  genesys: {environment: mypurecloud.com, credentialsSecretRef: {name: genesys}}
  flow: {type: inboundcall, name: Support IVR}
  version: "3.0"
  verify:
    stages:
      - name: bake
        bakeSeconds: 600
        checks:
          - name: synthetic
            http: {url: https://m.example.com/x, bearerTokenSecretRef: {name: monitor},
                   headersSecretRef: {name: monitor-headers}}
          - name: errors
            prometheus: {url: http://p:9090, query: up, min: 1, bearerTokenSecretRef: {name: prom, key: jwt}}
---
apiVersion: v1
kind: Secret
metadata: {name: genesys, namespace: cc}
stringData: {clientId: id, clientSecret: client-secret-value}
"""
MONITOR = """\
---
apiVersion: v1
kind: Secret
metadata: {name: monitor, namespace: cc}
stringData: {token: monitor-token-value}
---
apiVersion: v1
kind: Secret
metadata: {name: monitor-headers, namespace: cc}
stringData: {X-Api-Key: header-secret-value}
---
apiVersion: v1
kind: Secret
metadata: {name: prom, namespace: cc}
stringData: {token: wrong-key-value}
"""


def load(tmp_path: Path, text: str) -> tuple[ManifestSet, ResolvedRelease]:
    path = tmp_path / "release.yaml"
    path.write_text(text)
    manifests = load_manifests([path])
    (resolved,) = resolve_releases(manifests, environ={})
    return manifests, resolved


def test_every_secret_ref_of_every_check_with_its_field(tmp_path: Path) -> None:
    _, resolved = load(tmp_path, RELEASE)
    assert check_secret_refs(resolved.release.spec) == [
        CheckSecretRef("spec.verify.stages[0].checks[0].http.bearerTokenSecretRef", "monitor", "token"),
        CheckSecretRef("spec.verify.stages[0].checks[0].http.headersSecretRef", "monitor-headers", None),
        CheckSecretRef("spec.verify.stages[0].checks[1].prometheus.bearerTokenSecretRef", "prom", "jwt"),
    ]


def test_sync_finds_them_among_the_manifests_or_names_what_is_missing(tmp_path: Path) -> None:
    manifests, resolved = load(tmp_path, RELEASE + MONITOR)
    secrets, problems = check_secrets_for(manifests, resolved)
    assert [(p.field, p.fix) for p in problems] == [
        (
            "spec.verify.stages[0].checks[1].prometheus.bearerTokenSecretRef",
            "Secret cc/prom has no key jwt (its keys: token); add it or set key:",
        )
    ]
    assert secrets.bearer_token(
        resolved.release.spec.verify.stages[0].checks[0].http.bearer_token_secret_ref
    ) == ("monitor-token-value")
    assert "wrong-key-value" not in " ".join(p.fix for p in problems)

    manifests, resolved = load(tmp_path, RELEASE)
    _, problems = check_secrets_for(manifests, resolved)
    assert problems[0].fix == (
        "Secret cc/monitor is not among the manifests; add a Secret manifest with key token"
    )
    assert len(problems) == 3
