"""The files an exported flow becomes in the repository, byte for byte. Pure: no I/O.

Under `spec.export.git.path`:

    flow.yaml            the exported Archy YAML, LF line endings, one trailing newline
    configuration.json   the version configuration: sorted keys, 2-space indent, trailing newline
    release.json         provenance: flow id/name/type/version, dependency hash, release, operation, time,
                         and in source mode the digest of the (substituted) Archy YAML it was imported from

Rendering is deterministic, so exporting the same flow twice yields the same bytes. The metadata's
`exportedAt`, `operationId` and release label describe the export that first wrote this content: when the
flow files, the flow identity and the dependency hash are unchanged the artifact is left as it is (no commit),
even if a later export carries a new time or operation id.

Provenance never degrades: an export that does not know the dependency hash or the operation id (a `sync`
in a fresh CI runner, with no state file, finds the version already live and publishes nothing) takes them
from the artifact already there for the same flow version (`inherited_provenance`), so it neither commits
again nor empties them. `sourceDigest` is what lets a fresh runner in source mode tell that the live version
came from the YAML it holds (`flowrelease.local.stateless`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from flowrelease.engine.ports import ArtifactProvenance, ExportedFlow
from flowrelease.gitops.errors import InvalidArtifact, UnsafeExportPath

FLOW_FILE = "flow.yaml"
CONFIGURATION_FILE = "configuration.json"
METADATA_FILE = "release.json"
ARTIFACT_FILES: tuple[str, ...] = (FLOW_FILE, CONFIGURATION_FILE, METADATA_FILE)

METADATA_API_VERSION = "flowrelease.io/v1alpha1"


@dataclass(frozen=True)
class ArtifactPlan:
    folder: PurePosixPath
    files: Mapping[str, bytes]
    """File name (inside `folder`) -> exact content to write."""
    changed: bool
    """False when the repository already holds this artifact: write nothing, commit nothing."""


def export_folder(path: str) -> PurePosixPath:
    """Validate `spec.export.git.path` and return it normalised (`flows//ivr/` -> `flows/ivr`)."""

    def refuse(why: str) -> UnsafeExportPath:
        return UnsafeExportPath(
            f"spec.export.git.path {path!r} {why}; give a relative folder inside the repository, "
            "e.g. flows/support-ivr"
        )

    if any(ord(char) < 0x20 or char == "\x7f" for char in path):
        raise refuse("contains control characters")
    if "\\" in path:
        raise refuse("contains a backslash; use / to separate folders")
    if path.startswith("/"):
        raise refuse("is absolute")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise refuse('contains a ".." component')
    if any(part.casefold() == ".git" for part in parts):
        raise refuse('contains a ".git" component, which is Git\'s own metadata')
    if not parts:
        raise refuse("names the repository root")
    return PurePosixPath(*parts)


def render_flow_yaml(yaml_text: str) -> bytes:
    text = yaml_text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    if not text.strip():
        raise InvalidArtifact("the exported flow YAML is empty; the export job returned no flow")
    return (text + "\n").encode("utf-8")


def render_json(value: object, *, what: str) -> bytes:
    try:
        text = json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidArtifact(f"the {what} cannot be written as JSON: {error}") from error
    return (text + "\n").encode("utf-8")


def metadata(flow: ExportedFlow, provenance: ArtifactProvenance) -> dict[str, object]:
    namespace, _, name = provenance.release.rpartition("/")
    return {
        "apiVersion": METADATA_API_VERSION,
        "kind": "FlowArtifact",
        "flow": {
            "id": flow.flow_id,
            "name": flow.flow_name,
            "type": flow.flow_type,
            "version": flow.version,
        },
        "dependencyHash": provenance.dependency_hash,
        "release": {"namespace": namespace, "name": name, "label": provenance.label},
        "operationId": provenance.operation_id,
        "exportedAt": provenance.exported_at,
        **({"sourceDigest": provenance.source_digest} if provenance.source_digest else {}),
    }


def render_artifact(flow: ExportedFlow, provenance: ArtifactProvenance) -> dict[str, bytes]:
    return {
        FLOW_FILE: render_flow_yaml(flow.yaml),
        CONFIGURATION_FILE: render_json(dict(flow.configuration), what="version configuration"),
        METADATA_FILE: render_json(metadata(flow, provenance), what="release metadata"),
    }


def parse_metadata(metadata_bytes: bytes | None) -> dict[str, object] | None:
    """release.json as a mapping, or None when it is absent or not a JSON object."""
    if metadata_bytes is None:
        return None
    try:
        loaded = json.loads(metadata_bytes)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


def describes(metadata: Mapping[str, object] | None, flow_id: str, version: str) -> bool:
    """Whether `metadata` (parsed release.json) is the artifact of this flow's `version`."""
    if metadata is None or metadata.get("apiVersion") != METADATA_API_VERSION:
        return False
    exported = metadata.get("flow")
    return isinstance(exported, dict) and (exported.get("id"), exported.get("version")) == (flow_id, version)


PROVENANCE_KEYS: tuple[tuple[str, str], ...] = (
    ("dependency_hash", "dependencyHash"),
    ("operation_id", "operationId"),
    ("source_digest", "sourceDigest"),
)
"""ArtifactProvenance attribute -> release.json key, for what an export may take from the artifact."""


def inherited_provenance(
    flow: ExportedFlow, provenance: ArtifactProvenance, existing_metadata: bytes | None
) -> ArtifactProvenance:
    """`provenance`, with the dependency hash, operation id and source digest it lacks taken from the
    artifact already written for the same flow version (never from another version's)."""
    metadata = parse_metadata(existing_metadata)
    if metadata is None or not describes(metadata, flow.flow_id, flow.version):
        return provenance
    inherited: dict[str, str] = {}
    for attribute, key in PROVENANCE_KEYS:
        value = metadata.get(key)
        if not getattr(provenance, attribute) and isinstance(value, str) and value:
            inherited[attribute] = value
    return dataclasses.replace(provenance, **inherited) if inherited else provenance


def _identity(metadata_bytes: bytes | None) -> object:
    """The metadata fields that make an artifact different; provenance of the first export is not one."""
    if metadata_bytes is None:
        return None
    try:
        loaded = json.loads(metadata_bytes)
    except ValueError:
        return None
    if not isinstance(loaded, dict):
        return None
    return (
        loaded.get("apiVersion"),
        loaded.get("flow"),
        loaded.get("dependencyHash"),
        loaded.get("sourceDigest") or "",
    )


def plan_artifact(
    folder: PurePosixPath,
    flow: ExportedFlow,
    provenance: ArtifactProvenance,
    existing: Mapping[str, bytes],
) -> ArtifactPlan:
    """Decide what to write given the files already in `folder` (name -> bytes, missing ones absent)."""
    files = render_artifact(flow, provenance)
    unchanged = (
        existing.get(FLOW_FILE) == files[FLOW_FILE]
        and existing.get(CONFIGURATION_FILE) == files[CONFIGURATION_FILE]
        and _identity(existing.get(METADATA_FILE)) is not None
        and _identity(existing.get(METADATA_FILE)) == _identity(files[METADATA_FILE])
    )
    return ArtifactPlan(folder=folder, files=files, changed=not unchanged)
