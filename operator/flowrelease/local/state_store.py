"""The cluster-less StatusStore: every release's status in one JSON file, rewritten atomically on each save.

Each save writes the whole file (with any saves that queued up meanwhile) to a temporary file in the same
folder, fsyncs it, `os.replace`s it over the old one and fsyncs the folder, so after a crash (even `kill -9`
mid-write) the file holds either the previous or the new state, never a torn one. A save returns only once
the file holds it; the engine saves before every side effect, so a rerun resumes from there.

Per release the file also keeps a spec digest and a generation counter: the generation goes up when the spec
(or, for source mode, the ConfigMap's YAML) changes, standing in for Kubernetes' metadata.generation.

    {"kind": "FlowReleaseState", "apiVersion": "flowrelease.io/v1alpha1",
     "releases": {"ns/name": {"generation": 2, "specDigest": "sha256:...", "updatedAt": "...",
                             "status": {... FlowRelease status, camelCase ...}}}}
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from flowrelease.api.models import API_VERSION, FlowRelease, FlowReleaseStatus
from flowrelease.audit.redaction import SecretRedactor

STATE_KIND = "FlowReleaseState"
DEFAULT_STATE_PATH = Path(".flowrelease") / "state.json"


class StateFileError(Exception):
    """The state file exists but cannot be read as a flowrelease state file."""


def spec_digest(release: FlowRelease, source_yaml: str | None = None) -> str:
    """sha256 over the canonical JSON of the spec (and the source YAML in mode B)."""
    spec = release.spec.model_dump(mode="json", by_alias=True)
    canonical = json.dumps({"spec": spec, "sourceYaml": source_yaml}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class ReleaseRecord:
    generation: int
    spec_digest: str
    status: FlowReleaseStatus
    updated_at: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "generation": self.generation,
            "specDigest": self.spec_digest,
            "updatedAt": self.updated_at,
            "status": self.status.to_wire(),
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so that readers (and crashes) see the old or the new content only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _read_records(path: Path) -> dict[str, ReleaseRecord]:
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StateFileError(
            f"{path}: cannot read the state file ({error}); move it away to start from scratch"
        ) from error
    if not isinstance(document, dict) or document.get("kind") != STATE_KIND:
        raise StateFileError(f"{path}: not a flowrelease state file (kind {STATE_KIND} expected)")
    records: dict[str, ReleaseRecord] = {}
    for key, raw in (document.get("releases") or {}).items():
        try:
            records[key] = ReleaseRecord(
                generation=int(raw.get("generation", 1)),
                spec_digest=str(raw.get("specDigest", "")),
                status=FlowReleaseStatus.model_validate(raw.get("status") or {}),
                updated_at=str(raw.get("updatedAt", "")),
            )
        except (AttributeError, TypeError, ValueError, ValidationError) as error:
            raise StateFileError(f"{path}: release {key} has an unreadable record: {error}") from error
    return records


class JsonFileStatusStore:
    """Implements the engine's StatusStore on one JSON file. Safe for many releases saving concurrently."""

    def __init__(self, path: Path, *, redactor: SecretRedactor | None = None) -> None:
        self.path = path
        self._redactor = redactor
        self._records = _read_records(path)
        self._lock = asyncio.Lock()
        self._changes = 0
        """Mutations so far; `_written` is how many of them the file on disk already holds."""
        self._written = 0

    def status(self, key: str) -> FlowReleaseStatus:
        """The last saved status, or a fresh (Pending) one."""
        record = self._records.get(key)
        return record.status if record is not None else FlowReleaseStatus()

    def generation(self, key: str) -> int:
        record = self._records.get(key)
        return record.generation if record is not None else 1

    def digest(self, key: str) -> str:
        record = self._records.get(key)
        return record.spec_digest if record is not None else ""

    def has(self, key: str) -> bool:
        return key in self._records

    def keys(self) -> list[str]:
        return sorted(self._records)

    def generation_if(self, key: str, digest: str) -> int:
        """The generation `track_spec(key, digest)` would return, without recording anything."""
        record = self._records.get(key)
        if record is None:
            return 1
        return record.generation if record.spec_digest == digest else record.generation + 1

    async def track_spec(self, key: str, digest: str) -> int:
        """Record the spec digest seen now; return the generation (incremented when the digest changed)."""
        record = self._records.get(key)
        if record is None:
            self._records[key] = ReleaseRecord(1, digest, FlowReleaseStatus(), _now())
        elif record.spec_digest != digest:
            record.generation += 1
            record.spec_digest = digest
        else:
            return record.generation
        await self._write()
        return self._records[key].generation

    async def save(self, key: str, status: FlowReleaseStatus) -> None:
        record = self._records.get(key)
        if record is None:
            record = self._records[key] = ReleaseRecord(1, "", status)
        record.status = status
        record.updated_at = _now()
        await self._write()

    def render(self) -> str:
        releases: object = {key: self._records[key].to_json() for key in sorted(self._records)}
        if self._redactor is not None:
            releases = self._redactor.redact_value(releases)
        document = {"apiVersion": API_VERSION, "kind": STATE_KIND, "releases": releases}
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    async def _write(self) -> None:
        """Return once the file holds this change. Saves that queue up while a write is in flight are
        committed together by the next write (group commit), so many releases do not mean many writes."""
        self._changes += 1
        mine = self._changes
        async with self._lock:
            if self._written >= mine:
                return
            snapshot = self._changes
            await asyncio.to_thread(write_atomically, self.path, self.render())
            self._written = snapshot
