"""spec.source.fromRelease reads an upstream's export through the real GitArtifactStore (sync's
FolderExports): from a real bare repository behind file://, and a remote that cannot be read becomes a
SourceProblem naming the field and the fix, so nothing is imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowrelease.api.models import FlowRelease, FlowReleaseStatus, GitExport
from flowrelease.engine.archy_source import PreparedSource, SourceProblem
from flowrelease.engine.ports import ArtifactProvenance, Change, ExportedFlow
from flowrelease.engine.release_import import resolve_from_release
from flowrelease.gitops import GitArtifactStore
from flowrelease.local.folder_releases import FolderExports, FolderReleases
from flowrelease.local.state_store import JsonFileStatusStore
from tests.integration.gitops.conftest import SUPPORT_IVR_YAML, git

CHANGE = "sha256:" + "c" * 64


def release(namespace: str, name: str, spec: dict[str, Any]) -> FlowRelease:
    base = {
        "genesys": {"environment": "mypurecloud.com"},
        "flow": {"type": "inboundcall", "name": "Support IVR"},
    }
    return FlowRelease.model_validate(
        {
            "apiVersion": "flowrelease.io/v1alpha1",
            "kind": "FlowRelease",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {**base, **spec},
        }
    )


async def folder_with(tmp_path: Path, url: str) -> tuple[FolderReleases, FlowRelease]:
    upstream = release(
        "cc-test",
        "ivr",
        {
            "source": {"configMapRef": {"name": "ivr", "key": "flow.yaml"}},
            "export": {"git": {"url": url, "path": "flows/test"}},
        },
    )
    prod = release(
        "cc-prod",
        "ivr",
        {
            "source": {
                "fromRelease": {"name": "ivr", "namespace": "cc-test"},
                "substitutions": {"Main Menu": "Menu"},
            }
        },
    )
    store = JsonFileStatusStore(tmp_path / "state.json")
    await store.save(
        upstream.key,
        FlowReleaseStatus.model_validate(
            {
                "phase": "Ready",
                "flow": {"id": "f-test", "name": "Support IVR", "type": "inboundcall"},
                "publishedVersion": "3.0",
                "artifact": {"path": "flows/test", "commit": "x", "version": "3.0"},
                "promotion": {"changeKind": "source", "change": CHANGE},
            }
        ),
    )
    return FolderReleases({upstream.key: upstream, prod.key: prod}, store), prod


async def test_the_export_is_read_from_the_upstreams_repository(tmp_path: Path) -> None:
    bare = tmp_path / "flows.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    artifacts = GitArtifactStore(tmp_path / "work")
    exported = ExportedFlow("f-test", "Support IVR", "INBOUNDCALL", "3.0", SUPPORT_IVR_YAML, {"a": 1})
    provenance = ArtifactProvenance(
        "cc-test/ivr", "", "f-test", "Support IVR", "INBOUNDCALL", "3.0", "", "", ""
    )
    await artifacts.store(GitExport(url=bare.as_uri(), path="flows/test"), {}, exported, provenance)
    folder, prod = await folder_with(tmp_path, bare.as_uri())

    resolved = await resolve_from_release(folder, FolderExports(artifacts, {}), prod)

    assert resolved is not None
    text = SUPPORT_IVR_YAML.replace("Main Menu", "Menu")
    assert isinstance(resolved.source, PreparedSource) and resolved.source.text == text
    assert resolved.change == Change("source", CHANGE)


async def test_an_unreadable_remote_is_a_problem_naming_the_fix(tmp_path: Path) -> None:
    missing = (tmp_path / "no-such.git").as_uri()
    folder, prod = await folder_with(tmp_path, missing)

    resolved = await resolve_from_release(
        folder, FolderExports(GitArtifactStore(tmp_path / "work"), {}), prod
    )

    assert resolved is not None and isinstance(resolved.source, SourceProblem)
    message = resolved.source.message
    assert message.startswith("spec.source.fromRelease: cannot read cc-test/ivr's export ("), message
    assert message.endswith("); check cc-test/ivr's spec.export.git and its Secret"), message
    assert "no-such.git" in message, message
