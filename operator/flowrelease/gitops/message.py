"""The commit message for an artifact: a subject that says what went live, and provenance trailers.

    Publish Support IVR (INBOUNDCALL) version 3.0 — release 2.4.1

    Exported by flowrelease from FlowRelease contact-center/support-ivr into flows/support-ivr.

    FlowRelease: contact-center/support-ivr
    Flow-Id: 5e0c…
    Flow-Version: 3.0
    Dependency-Hash: sha256:…
    Operation-Id: 8d1f…
    Release-Label: 2.4.1
    Source-Digest: sha256:…        (source mode only)

The trailer block is the last paragraph and holds nothing but `Token: value` lines, so
`git interpret-trailers --parse` reads it. Trailers with an empty value are left out. Pure: no I/O.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from flowrelease.engine.ports import ArtifactProvenance, ExportedFlow

_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text).strip()


def trailers(flow: ExportedFlow, provenance: ArtifactProvenance) -> list[tuple[str, str]]:
    pairs = [
        ("FlowRelease", provenance.release),
        ("Flow-Id", flow.flow_id),
        ("Flow-Version", flow.version),
        ("Dependency-Hash", provenance.dependency_hash),
        ("Operation-Id", provenance.operation_id),
        ("Release-Label", provenance.label),
        ("Source-Digest", provenance.source_digest),
    ]
    return [(token, one_line(value)) for token, value in pairs if one_line(value)]


def commit_message(flow: ExportedFlow, provenance: ArtifactProvenance, folder: PurePosixPath) -> str:
    subject = (
        f"Publish {one_line(flow.flow_name)} ({one_line(flow.flow_type)}) version {one_line(flow.version)}"
    )
    if one_line(provenance.label):
        subject += f" — release {one_line(provenance.label)}"
    body = f"Exported by flowrelease from FlowRelease {one_line(provenance.release)} into {folder}."
    trailer_block = "\n".join(f"{token}: {value}" for token, value in trailers(flow, provenance))
    return f"{subject}\n\n{body}\n\n{trailer_block}\n"
