"""What a `sync` with no state file starts from, as a table: the flow as Genesys shows it, release.json as Git
holds it, and the release's spec and Archy source in; the whole rebuilt status (or a blank start) out.

Adopting wrongly re-publishes nothing but hides a change; not adopting imports a copy of a live version and
commits it again, so every disagreement between Git and Genesys has a row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from flowrelease.api.models import FlowReleaseSpec, FlowReleaseStatus
from flowrelease.engine.archy_source import release_source, source_digest
from flowrelease.engine.ports import FlowState
from flowrelease.local.stateless import rebuilt_from, wants_artifact

FLOW_ID = "7d2e1c4a-0b1f-4d5e-9a3c-2f6b8e0d1a11"
OTHER_FLOW_ID = "0c9b8a7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
HASH = "sha256:" + "ab" * 32
OPERATION = "5f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"

YAML = """\
inboundCall:
  name: Billing IVR
  division: Home
  startUpRef: "/inboundCall/menus/menu[Main Menu_10]"
  defaultLanguage: en-us
  menus:
    - menu:
        name: {{menu}}
        refId: Main Menu_10
"""
SUBSTITUTED = YAML.replace("{{menu}}", "Main Menu")
DIGEST = source_digest(SUBSTITUTED)
RAW_DIGEST = source_digest(YAML)
"""The digest before substitution: what promotion compares, not what identifies the imported content."""

EXPORT = {"git": {"url": "https://git.example.com/flows.git", "branch": "main", "path": "flows/ivr"}}
BASE: dict[str, Any] = {
    "genesys": {"environment": "mypurecloud.com", "credentialsSecretRef": {"name": "genesys"}},
    "flow": {"type": "inboundcall", "name": "Billing IVR"},
    "export": EXPORT,
}
PROMOTE = FlowReleaseSpec.model_validate({**BASE, "version": "3.0"})
SOURCE = FlowReleaseSpec.model_validate(
    {
        **BASE,
        "source": {
            "configMapRef": {"name": "billing", "key": "flow.yaml"},
            "substitutions": {"menu": "Main Menu"},
        },
    }
)
NO_EXPORT = FlowReleaseSpec.model_validate({**BASE, "version": "3.0", "export": None})


def flow(published: str | None = "3.0") -> FlowState:
    return FlowState(id=FLOW_ID, name="Billing IVR", type="INBOUNDCALL", published_version=published)


def release_json(version: str = "3.0", *, flow_id: str = FLOW_ID, **fields: object) -> dict[str, object]:
    document: dict[str, object] = {
        "apiVersion": "flowrelease.io/v1alpha1",
        "kind": "FlowArtifact",
        "flow": {"id": flow_id, "name": "Billing IVR", "type": "INBOUNDCALL", "version": version},
        "dependencyHash": HASH,
        "release": {"namespace": "cc", "name": "billing-ivr", "label": ""},
        "operationId": OPERATION,
        "exportedAt": "2026-12-01T18:00:00Z",
    }
    document.update(fields)
    return document


ADOPTED_PROMOTE = FlowReleaseStatus(
    desired_version="3.0", published_version="3.0", published_operation_id=OPERATION, dependency_hash=HASH
)
ADOPTED_SOURCE = ADOPTED_PROMOTE.model_copy(update={"source_digest": DIGEST})


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    spec: FlowReleaseSpec
    flow: FlowState | None
    metadata: dict[str, object] | None
    want: FlowReleaseStatus | None
    suspicious: bool = False
    yaml: str | None = YAML


CASES = [
    Case("promote-adopts", "the desired version is live and Git holds its artifact: provenance from Git",
         PROMOTE, flow(), release_json(), ADOPTED_PROMOTE),
    Case("promote-adopts-without-hash", "no dependency hash in Git: adopted as it is",
         PROMOTE, flow(), release_json(dependencyHash=""),
         ADOPTED_PROMOTE.model_copy(update={"dependency_hash": ""})),
    Case("promote-not-live", "the desired version is not live: a first run publishes it",
         PROMOTE, flow("2.0"), release_json(), None),
    Case("promote-artifact-older", "live is the desired version but Git holds another version's artifact",
         PROMOTE, flow(), release_json("2.0"), None, suspicious=True),
    Case("promote-no-artifact", "nothing in Git yet (an export failed before): a first run exports it",
         PROMOTE, flow(), None, None),
    Case("no-export", "without spec.export there is no artifact to rebuild from",
         NO_EXPORT, flow(), release_json(), None),
    Case("no-flow", "the flow does not exist yet: a first run creates it",
         SOURCE, None, release_json(sourceDigest=DIGEST), None),
    Case("nothing-live", "the flow exists with nothing published",
         SOURCE, flow(None), release_json(sourceDigest=DIGEST), None),
    Case("source-adopts", "the live version was imported from this very (substituted) source",
         SOURCE, flow(), release_json(sourceDigest=DIGEST), ADOPTED_SOURCE),
    Case("source-changed", "the source changed since the artifact: import it",
         SOURCE, flow(), release_json(sourceDigest="sha256:" + "cd" * 32), None),
    Case("raw-digest-is-not-identity", "the pre-substitution digest does not identify the imported content",
         SOURCE, flow(), release_json(sourceDigest=RAW_DIGEST), None),
    Case("source-digest-missing", "an artifact from before sourceDigest: cannot tell, import (and say so)",
         SOURCE, flow(), release_json(), None, suspicious=True),
    Case("other-flow", "release.json at the path is another flow's: never adopted",
         SOURCE, flow(), release_json(flow_id=OTHER_FLOW_ID, sourceDigest=DIGEST), None, suspicious=True),
    Case("other-flow-promote", "the same in promote mode",
         PROMOTE, flow(), release_json(flow_id=OTHER_FLOW_ID), None, suspicious=True),
    Case("not-an-artifact", "a release.json that is not ours (another tool's) is not read as one",
         SOURCE, flow(), {**release_json(sourceDigest=DIGEST), "apiVersion": "v1"}, None, suspicious=True),
    Case("published-by-hand", "Git: 2.0 came from this source, but 3.0 is live: publish 2.0 again, no import",
         SOURCE, flow(), release_json("2.0", sourceDigest=DIGEST),
         FlowReleaseStatus(desired_version="2.0", source_digest=DIGEST), suspicious=True),
    Case("live-newer-than-artifact", "4.0 live (imported by hand), Git's 3.0 from this source: 3.0 again",
         SOURCE, flow("4.0"), release_json(sourceDigest=DIGEST),
         FlowReleaseStatus(desired_version="3.0", source_digest=DIGEST), suspicious=True),
    Case("no-artifact-source", "source mode with nothing in Git: a first run imports",
         SOURCE, flow(), None, None),
    Case("source-invalid", "an unsubstituted source is the engine's to report, never adopted",
         SOURCE, flow(), release_json(sourceDigest=RAW_DIGEST), None, yaml=YAML.replace("{{", "{{x")),
    Case("source-missing", "no ConfigMap key: the engine reports it",
         SOURCE, flow(), release_json(sourceDigest=DIGEST), None, yaml=None),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_what_a_run_without_state_starts_from(case: Case) -> None:
    source = release_source(case.spec, case.yaml)
    rebuilt = rebuilt_from(case.spec, case.flow, source, case.metadata)
    assert (rebuilt.status, rebuilt.suspicious) == (case.want, case.suspicious), (case.reason, rebuilt.reason)
    assert rebuilt.reason


@pytest.mark.parametrize(
    ("case_id", "spec", "state", "want", "reason"),
    [
        ("promote-live", PROMOTE, flow(), True, "the desired version is live: its provenance is in Git"),
        ("promote-not-live", PROMOTE, flow("2.0"), False, "a publish is due anyway: Git is not read"),
        ("source-live", SOURCE, flow("9.0"), True, "any live version may be this source's"),
        ("no-flow", SOURCE, None, False, "nothing is live"),
        ("nothing-live", SOURCE, flow(None), False, "nothing is live"),
        ("no-export", NO_EXPORT, flow(), False, "nothing to read"),
    ],
)
def test_when_release_json_is_read(
    case_id: str, spec: FlowReleaseSpec, state: FlowState | None, want: bool, reason: str
) -> None:
    assert wants_artifact(spec, state) is want, f"{case_id}: {reason}"
