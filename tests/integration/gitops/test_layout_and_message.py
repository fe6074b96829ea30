"""The pure parts: file layout, export-path checks, commit message and trailers (no git needed here)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import PurePosixPath

import pytest

from flowrelease.gitops.errors import InvalidArtifact, UnsafeExportPath
from flowrelease.gitops.layout import (
    CONFIGURATION_FILE,
    FLOW_FILE,
    METADATA_FILE,
    export_folder,
    inherited_provenance,
    plan_artifact,
    render_artifact,
)
from flowrelease.gitops.message import commit_message
from tests.integration.gitops.conftest import SUPPORT_IVR_YAML, exported, provenance

FOLDER = PurePosixPath("flows/support-ivr")


@pytest.mark.parametrize(
    ("given", "expected", "reason"),
    [
        ("flows/support-ivr", "flows/support-ivr", "plain"),
        ("flows//support-ivr/", "flows/support-ivr", "doubled and trailing slashes are normalised"),
        ("./flows/./ivr", "flows/ivr", "dot components are dropped"),
        ("flows/.github-like/ivr", "flows/.github-like/ivr", "a dot-folder that is not .git is fine"),
        ("flows/my ivr", "flows/my ivr", "spaces are allowed"),
    ],
)
def test_export_folder_normalises_safe_paths(given: str, expected: str, reason: str) -> None:
    assert export_folder(given) == PurePosixPath(expected), reason


@pytest.mark.parametrize("given", ["..", "a/../../b", "/abs", ".git", "a/.Git/b", "a\\b", ".", "a/\x00b"])
def test_export_folder_refuses_escapes_and_git_metadata(given: str) -> None:
    with pytest.raises(UnsafeExportPath, match=r"spec\.export\.git\.path .* e\.g\. flows/support-ivr"):
        export_folder(given)


def test_rendering_is_byte_identical_across_line_endings_bom_and_key_order() -> None:
    unix = exported(yaml=SUPPORT_IVR_YAML)
    windows = dataclasses.replace(
        exported(yaml="\ufeff" + SUPPORT_IVR_YAML.replace("\n", "\r\n") + "\r\n\r\n"),
        configuration=dict(reversed(list(unix.configuration.items()))),
    )

    assert render_artifact(unix, provenance()) == render_artifact(windows, provenance())
    files = render_artifact(unix, provenance())
    assert files[FLOW_FILE].endswith(b"\n") and not files[FLOW_FILE].endswith(b"\n\n")
    assert b"\r" not in files[FLOW_FILE]
    for name in (CONFIGURATION_FILE, METADATA_FILE):
        text = files[name].decode()
        assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_unicode_names_stay_readable_in_json() -> None:
    flow = dataclasses.replace(exported(), flow_name="Soporte Línea", configuration={"name": "Soporte Línea"})
    files = render_artifact(flow, provenance())
    assert "Soporte Línea".encode() in files[CONFIGURATION_FILE]
    assert "Soporte Línea".encode() in files[METADATA_FILE]


def test_a_configuration_that_is_not_json_is_refused_clearly() -> None:
    flow = dataclasses.replace(exported(), configuration={"when": object()})
    with pytest.raises(InvalidArtifact, match="version configuration cannot be written as JSON"):
        render_artifact(flow, provenance())


@pytest.mark.parametrize(
    ("change", "changed", "reason"),
    [
        ({}, False, "identical export"),
        ({"exported_at": "2030-01-01T00:00:00Z", "operation_id": "op-x"}, False, "only provenance differs"),
        ({"label": "another label", "release": "other/release"}, False, "who exported it is not content"),
        ({"dependency_hash": "sha256:" + "00" * 32}, True, "consumed resources changed"),
    ],
)
def test_plan_compares_content_not_provenance(change: dict[str, str], changed: bool, reason: str) -> None:
    existing = render_artifact(exported(), provenance())
    plan = plan_artifact(FOLDER, exported(), dataclasses.replace(provenance(), **change), existing)
    assert plan.changed is changed, reason


@pytest.mark.parametrize(
    ("existing_change", "reason"),
    [
        ({FLOW_FILE: b"edited by hand\n"}, "flow.yaml differs"),
        ({CONFIGURATION_FILE: b"{}\n"}, "configuration differs"),
        ({METADATA_FILE: b"not json"}, "metadata unreadable"),
        ({METADATA_FILE: b"[]"}, "metadata not an object"),
    ],
)
def test_plan_rewrites_when_the_repository_content_differs(
    existing_change: dict[str, bytes], reason: str
) -> None:
    existing = {**render_artifact(exported(), provenance()), **existing_change}
    assert plan_artifact(FOLDER, exported(), provenance(), existing).changed, reason


def test_plan_rewrites_when_a_file_is_missing_or_the_version_differs() -> None:
    existing = render_artifact(exported(), provenance())
    del existing[CONFIGURATION_FILE]
    assert plan_artifact(FOLDER, exported(), provenance(), existing).changed
    assert plan_artifact(
        FOLDER, exported("4.0"), provenance("4.0"), render_artifact(exported(), provenance())
    ).changed
    assert plan_artifact(FOLDER, exported(), provenance(), {}).changed


def parse_trailers(message: str) -> list[str]:
    return subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, capture_output=True, text=True, check=True
    ).stdout.splitlines()


def test_commit_message_subject_body_and_git_parseable_trailers() -> None:
    message = commit_message(exported(), provenance(), FOLDER)

    subject, blank, body, *_ = message.splitlines()
    assert subject == "Publish Support IVR (INBOUNDCALL) version 3.0 — release 2.4.1"
    assert blank == ""
    assert (
        body == "Exported by flowrelease from FlowRelease contact-center/support-ivr into flows/support-ivr."
    )
    assert parse_trailers(message) == [
        "FlowRelease: contact-center/support-ivr",
        "Flow-Id: flow-support-ivr",
        "Flow-Version: 3.0",
        "Dependency-Hash: sha256:" + "ab" * 32,
        "Operation-Id: op-3",
        "Release-Label: 2.4.1",
    ]


def test_empty_values_are_left_out_and_line_breaks_cannot_forge_trailers() -> None:
    sneaky = dataclasses.replace(
        provenance(), label="", operation_id="", dependency_hash="x\nSigned-off-by: Mallory <m@example.com>"
    )
    flow = dataclasses.replace(exported(), flow_name="Support\nIVR")

    message = commit_message(flow, sneaky, FOLDER)

    assert message.splitlines()[0] == "Publish Support IVR (INBOUNDCALL) version 3.0"
    assert parse_trailers(message) == [
        "FlowRelease: contact-center/support-ivr",
        "Flow-Id: flow-support-ivr",
        "Flow-Version: 3.0",
        "Dependency-Hash: x Signed-off-by: Mallory <m@example.com>",
    ]


HASH = "sha256:" + "ab" * 32
OTHER_HASH = "sha256:" + "cd" * 32

# case id, provenance of this export (hash, operation id), artifact already there (version, hash,
# operation id) or None, expected (changed, hash, operation id) of what is written, why
PROVENANCE_CASES: list[
    tuple[str, tuple[str, str], tuple[str, str, str] | None, tuple[bool, str, str], str]
] = [
    ("first-export", (HASH, "op-3"), None, (True, HASH, "op-3"), "nothing there yet: write everything"),
    (
        "fresh-runner",
        ("", ""),
        ("3.0", HASH, "op-3"),
        (False, HASH, "op-3"),
        "no state: the same version's artifact keeps its provenance, no commit",
    ),
    (
        "fresh-runner-knows-hash",
        (HASH, ""),
        ("3.0", HASH, "op-3"),
        (False, HASH, "op-3"),
        "hash rebuilt from Git, operation id inherited",
    ),
    (
        "resources-changed",
        (OTHER_HASH, ""),
        ("3.0", HASH, "op-3"),
        (True, OTHER_HASH, "op-3"),
        "a new dependency hash is news: commit it, keeping the operation id",
    ),
    (
        "older-artifact-without-hash",
        (HASH, "op-3"),
        ("3.0", "", "op-3"),
        (True, HASH, "op-3"),
        "provenance improves: commit",
    ),
    (
        "other-version",
        ("", ""),
        ("2.0", HASH, "op-2"),
        (True, "", ""),
        "never borrow another version's provenance",
    ),
    (
        "same-again",
        (HASH, "op-4"),
        ("3.0", HASH, "op-3"),
        (False, HASH, "op-4"),
        "a later export of the same content writes nothing: the file keeps the first export's operation id",
    ),
]


@pytest.mark.parametrize(
    ("case", "given", "existing", "expected", "reason"),
    PROVENANCE_CASES,
    ids=[c[0] for c in PROVENANCE_CASES],
)
def test_provenance_never_degrades(
    case: str,
    given: tuple[str, str],
    existing: tuple[str, str, str] | None,
    expected: tuple[bool, str, str],
    reason: str,
) -> None:
    files: dict[str, bytes] = {}
    if existing is not None:
        version, old_hash, old_operation = existing
        old = dataclasses.replace(provenance(version), dependency_hash=old_hash, operation_id=old_operation)
        files = render_artifact(exported(version), old)
        if version != "3.0":  # another version's files under the same folder
            files = {METADATA_FILE: files[METADATA_FILE]}
    mine = dataclasses.replace(provenance("3.0"), dependency_hash=given[0], operation_id=given[1])
    inherited = inherited_provenance(exported("3.0"), mine, files.get(METADATA_FILE))
    plan = plan_artifact(FOLDER, exported("3.0"), inherited, files)
    written = json.loads(plan.files[METADATA_FILE])
    changed, dependency_hash, operation_id = expected
    assert plan.changed is changed, reason
    assert (inherited.dependency_hash, inherited.operation_id) == (dependency_hash, operation_id), reason
    if changed:
        assert (written["dependencyHash"], written["operationId"]) == (dependency_hash, operation_id), reason


DIGEST = "sha256:" + "12" * 32
OTHER_DIGEST = "sha256:" + "34" * 32

# case id, this export's source digest, artifact already there (version, source digest) or None,
# expected (changed, source digest inherited, release.json's sourceDigest or None when absent), why
SOURCE_DIGEST_CASES: list[tuple[str, str, tuple[str, str] | None, tuple[bool, str, str | None], str]] = [
    ("first-export", DIGEST, None, (True, DIGEST, DIGEST), "source mode records what it imported"),
    ("promote-mode", "", None, (True, "", None), "promote mode writes no sourceDigest (old bytes unchanged)"),
    ("same-again", DIGEST, ("3.0", DIGEST), (False, DIGEST, DIGEST), "the same content: no commit"),
    ("fresh-runner", "", ("3.0", DIGEST), (False, DIGEST, DIGEST), "lacking it, it inherits: no commit"),
    ("older-artifact", DIGEST, ("3.0", ""), (True, DIGEST, DIGEST), "provenance improves: commit it"),
    ("other-version", "", ("2.0", DIGEST), (True, "", None), "never borrow another version's digest"),
    ("changed-digest", OTHER_DIGEST, ("3.0", DIGEST), (True, OTHER_DIGEST, OTHER_DIGEST),
     "the same version id claimed by another source is news: commit it"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "given", "existing", "expected", "reason"),
    SOURCE_DIGEST_CASES,
    ids=[c[0] for c in SOURCE_DIGEST_CASES],
)
def test_the_source_digest_is_recorded_and_never_lost(
    case: str,
    given: str,
    existing: tuple[str, str] | None,
    expected: tuple[bool, str, str | None],
    reason: str,
) -> None:
    files: dict[str, bytes] = {}
    if existing is not None:
        version, old_digest = existing
        files = render_artifact(
            exported(version), dataclasses.replace(provenance(version), source_digest=old_digest)
        )
        if version != "3.0":
            files = {METADATA_FILE: files[METADATA_FILE]}
    mine = dataclasses.replace(provenance("3.0"), source_digest=given)
    inherited = inherited_provenance(exported("3.0"), mine, files.get(METADATA_FILE))
    plan = plan_artifact(FOLDER, exported("3.0"), inherited, files)
    changed, digest, written = expected
    assert (plan.changed, inherited.source_digest) == (changed, digest), reason
    assert json.loads(plan.files[METADATA_FILE]).get("sourceDigest") == written, reason
    trailers = parse_trailers(commit_message(exported("3.0"), inherited, FOLDER))
    assert (f"Source-Digest: {digest}" in trailers) is bool(digest), reason
