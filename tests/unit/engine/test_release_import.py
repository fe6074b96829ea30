# ruff: noqa: E501  (a table reads best one case per block; long reason strings stay whole)
"""spec.source.fromRelease as tables: what stops an import before the upstream's artifact is read, what the
artifact must hold, and the literal replacements. Each case names its situation, gives the inputs and the
whole expected result, and says why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from flowrelease.api.models import FlowRelease, FlowReleaseSpec
from flowrelease.engine.archy_source import PreparedSource, SourcePending, SourceProblem, source_digest
from flowrelease.engine.ports import UpstreamArtifact
from flowrelease.engine.release_import import (
    FromRelease,
    imported_source,
    replace_literals,
    upstream_problem,
)

PROD = "cc-prod/support-ivr"
TEST = "cc-test/support-ivr"
EXPORTED = """inboundCall:
  name: Support IVR
  startUpRef: /inboundCall/menus/menu[Main Menu_10]
  menus:
  - menu:
      name: Main Menu
      refId: Main Menu_10
      choices:
      - menuTransferToAcd:
          targetQueue:
            lit:
              name: Support Test
"""
WHERE = "file:///srv/flows.git main:flows/test"
EXPORT = {"git": {"url": "file:///srv/flows.git", "path": "flows/test"}}
LIVE = {
    "phase": "Ready",
    "flow": {"id": "f-test", "name": "Support IVR", "type": "inboundcall"},
    "publishedVersion": "3.0",
    "artifact": {"path": "flows/test", "commit": "abc123", "version": "3.0"},
    "promotion": {"changeKind": "source", "change": "sha256:" + "a" * 64},
}


def release(
    key: str,
    *,
    source: dict[str, Any] | None = None,
    export: dict[str, Any] | None = EXPORT,
    status: dict[str, Any] | None = None,
) -> FlowRelease:
    namespace, name = key.split("/")
    document: dict[str, Any] = {
        "apiVersion": "flowrelease.io/v1alpha1",
        "kind": "FlowRelease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "genesys": {"environment": "mypurecloud.com"},
            "flow": {"type": "inboundcall", "name": "Support IVR"},
            "source": source or {"configMapRef": {"name": "ivr", "key": "flow.yaml"}},
        },
    }
    if export is not None:
        document["spec"]["export"] = export
    if status is not None:
        document["status"] = status
    return FlowRelease.model_validate(document)


@dataclass(frozen=True)
class Before:
    id: str
    upstream_key: str
    upstream: FlowRelease | None
    expected: FromRelease | None
    reason: str


BEFORE = [
    Before(
        "readable",
        TEST,
        release(TEST, status=LIVE),
        None,
        "a Ready upstream whose artifact is its live version: read it",
    ),
    Before(
        "itself",
        PROD,
        release(PROD),
        FromRelease(
            SourceProblem(
                "",
                "spec.source.fromRelease: names this release itself (cc-prod/support-ivr); name the upstream FlowRelease whose export this one imports, e.g. {name: support-ivr, namespace: cc-test}",
            )
        ),
        "a release cannot import its own export",
    ),
    Before(
        "not-found",
        TEST,
        None,
        FromRelease(
            SourcePending(
                "FlowRelease cc-test/support-ivr does not exist; create it or fix spec.source.fromRelease"
            )
        ),
        "named wrong, or not applied yet (Argo CD applies in any order): wait, as the gate does",
    ),
    Before(
        "no-export-target",
        TEST,
        release(TEST, export=None, status=LIVE),
        FromRelease(
            SourceProblem(
                "",
                "spec.source.fromRelease: cc-test/support-ivr has no export target (spec.export.git); fromRelease imports what the upstream exported to Git, so give cc-test/support-ivr spec.export.git",
            )
        ),
        "nothing in Git to import",
    ),
    Before(
        "cycle",
        TEST,
        release(TEST, source={"fromRelease": {"name": "support-ivr", "namespace": "cc-prod"}}, status=LIVE),
        FromRelease(
            SourceProblem(
                "",
                "spec.source.fromRelease: cc-test/support-ivr imports from this release (its spec.source.fromRelease), a cycle; one of the two must read its YAML from spec.source.configMapRef",
            )
        ),
        "two releases importing each other never start",
    ),
    Before(
        "never-exported",
        TEST,
        release(TEST, status={"phase": "Verifying"}),
        FromRelease(SourcePending("waiting for cc-test/support-ivr to export a version: it is Verifying")),
        "the upstream will export once verified: wait, refuse nothing",
    ),
    Before(
        "no-status",
        TEST,
        release(TEST),
        FromRelease(SourcePending("waiting for cc-test/support-ivr to export a version: it is Pending")),
        "an upstream nobody reconciled yet",
    ),
    Before(
        "mid-attempt",
        TEST,
        release(TEST, status={**LIVE, "phase": "Verifying", "publishedVersion": "4.0"}),
        FromRelease(
            SourcePending(
                "waiting for cc-test/support-ivr to export its live version: it is Verifying (version 4.0 live, version 3.0 exported)"
            )
        ),
        "the artifact is of the previous version: what test runs now is not in Git yet",
    ),
]


@pytest.mark.parametrize("case", BEFORE, ids=lambda c: c.id)
def test_what_stops_an_import_before_reading(case: Before) -> None:
    assert upstream_problem(PROD, case.upstream_key, case.upstream) == case.expected, case.reason


@dataclass(frozen=True)
class Read:
    id: str
    artifact: UpstreamArtifact
    substitutions: dict[str, str]
    expected: PreparedSource | SourceProblem | SourcePending
    reason: str


META = {"apiVersion": "flowrelease.io/v1alpha1", "flow": {"id": "f-test", "version": "3.0"}}
PROD_TEXT = EXPORTED.replace("Support Test", "Support Prod")
READS = [
    Read(
        "imported-with-replacements",
        UpstreamArtifact(WHERE, EXPORTED, META),
        {"Support Test": "Support Prod"},
        PreparedSource(source_digest(PROD_TEXT), PROD_TEXT, "inboundCall", "inboundcall", "Support IVR"),
        "byte for byte the export, with prod's queue",
    ),
    Read(
        "imported-as-is",
        UpstreamArtifact(WHERE, EXPORTED, META),
        {},
        PreparedSource(source_digest(EXPORTED), EXPORTED, "inboundCall", "inboundcall", "Support IVR"),
        "no replacements: exactly what test runs",
    ),
    Read(
        "no-flow-yaml",
        UpstreamArtifact(WHERE, None, META),
        {},
        SourceProblem(
            "",
            f"spec.source.fromRelease: cc-test/support-ivr's export at {WHERE} holds no flow.yaml, though cc-test/support-ivr exported version 3.0 (commit abc123); restore it or request a reconcile of cc-test/support-ivr so it exports again",
        ),
        "the status says exported, Git does not have it",
    ),
    Read(
        "other-version",
        UpstreamArtifact(WHERE, EXPORTED, {**META, "flow": {"id": "f-test", "version": "2.0"}}),
        {},
        SourceProblem(
            "",
            f"spec.source.fromRelease: cc-test/support-ivr's export at {WHERE}: release.json describes flow f-test version 2.0, but cc-test/support-ivr has flow f-test version 3.0 live; the folder was changed outside flowrelease or names another release's export: fix cc-test/support-ivr's spec.export.git.path or request a reconcile of it",
        ),
        "never import a version the upstream is not running",
    ),
    Read(
        "no-metadata",
        UpstreamArtifact(WHERE, EXPORTED, None),
        {},
        SourceProblem(
            "",
            f"spec.source.fromRelease: cc-test/support-ivr's export at {WHERE}: release.json describes no flowrelease artifact, but cc-test/support-ivr has flow f-test version 3.0 live; the folder was changed outside flowrelease or names another release's export: fix cc-test/support-ivr's spec.export.git.path or request a reconcile of it",
        ),
        "a folder without provenance cannot be trusted as the live version",
    ),
    Read(
        "replacement-matches-nothing",
        UpstreamArtifact(WHERE, EXPORTED, META),
        {"support_queue": "Support Prod"},
        SourceProblem(
            "",
            f"spec.source.substitutions['support_queue'] does not occur in cc-test/support-ivr's export at {WHERE}; with spec.source.fromRelease each key is literal text of the upstream's export (it holds the upstream's values, e.g. its queue name) replaced by the value: fix or remove it",
        ),
        "a placeholder key: the export has no placeholders left, so it would silently do nothing",
    ),
    Read(
        "empty-key",
        UpstreamArtifact(WHERE, EXPORTED, META),
        {"": "x"},
        SourceProblem(
            "",
            "spec.source.substitutions has an empty key; give the text of the upstream's export to replace",
        ),
        "an empty key would match everywhere",
    ),
    Read(
        "not-archy",
        UpstreamArtifact(WHERE, "just: text\n", META),
        {},
        SourceProblem(
            source_digest("just: text\n"),
            f"spec.source.fromRelease (cc-test/support-ivr's export at {WHERE}): the document must have exactly one top-level flow-type key, found ['just']; known keys: botFlow, commonModule, digitalBot, inboundCall, inboundChat, inboundEmail, inboundShortMessage, inqueueCall, inqueueEmail, inqueueShortMessage, outboundCall, secureCall, surveyInvite, voicemail, workflow, workitem",
        ),
        "the export is checked like any Archy source",
    ),
]


@pytest.mark.parametrize("case", READS, ids=lambda c: c.id)
def test_what_the_artifact_gives(case: Read) -> None:
    spec = FlowReleaseSpec.model_validate(
        {
            "genesys": {"environment": "mypurecloud.com"},
            "flow": {"type": "inboundcall", "name": "Support IVR"},
            "source": {
                "fromRelease": {"name": "support-ivr", "namespace": "cc-test"},
                "substitutions": case.substitutions,
            },
        }
    )
    assert imported_source(spec, TEST, release(TEST, status=LIVE), case.artifact) == case.expected, (
        case.reason
    )


@pytest.mark.parametrize(
    ("case_id", "text", "replacements", "expected", "reason"),
    [
        (
            "longest-first",
            "Support Test and Support",
            {"Support": "S", "Support Test": "T"},
            "T and S",
            "a key inside a longer key does not cut it",
        ),
        ("no-cascade", "a b", {"a": "b", "b": "c"}, "b c", "a replacement's output is not replaced again"),
        ("none", "a", {}, "a", "nothing to replace"),
    ],
)
def test_literal_replacements(
    case_id: str, text: str, replacements: dict[str, str], expected: str, reason: str
) -> None:
    assert replace_literals(text, replacements) == expected, reason
