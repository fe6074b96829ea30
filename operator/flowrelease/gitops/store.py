"""GitArtifactStore: the engine's ArtifactStore on Git — write the artifact, commit it, push it.

GitPython runs in a worker thread (`asyncio.to_thread`), never on the event loop. There is one working clone
per repository URL under `<workdir>/repos/<sha256 of the clean URL>`, reused across releases. Writers to one
repository are serialised by an asyncio lock (so waiting costs no thread) and, inside the thread, by an
exclusive `flock` on `<clone>.lock`, which also keeps a second process (an operator replica, a `flowrelease
sync` run) sharing the workdir out of the clone.

What happens inside the clone (write, commit, push, fetch-rebase-retry) is `writer.ArtifactWriter`.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from flowrelease.api.models import GitExport
from flowrelease.engine.ports import ArtifactProvenance, ExportedFlow, StoredArtifact, UpstreamArtifact
from flowrelease.gitops.clone import Identity, WorkingClone
from flowrelease.gitops.credentials import GitCredentials, git_environment, install_askpass, parse_credentials
from flowrelease.gitops.layout import FLOW_FILE, METADATA_FILE, export_folder, parse_metadata
from flowrelease.gitops.remote import Remote, check_branch, parse_remote
from flowrelease.gitops.remote_check import RemoteCheck, check_remote
from flowrelease.gitops.writer import ArtifactWriter

DEFAULT_AUTHOR_NAME = "flowrelease"
DEFAULT_AUTHOR_EMAIL = "flowrelease@localhost"


def clone_key(remote: Remote) -> str:
    return hashlib.sha256(remote.url.encode("utf-8")).hexdigest()[:24]


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class GitArtifactStore:
    """Commits exported flows to `spec.export.git` and pushes them. Implements `ArtifactStore`."""

    def __init__(
        self,
        workdir: Path,
        *,
        author_name: str = DEFAULT_AUTHOR_NAME,
        author_email: str = DEFAULT_AUTHOR_EMAIL,
        max_push_attempts: int = 5,
        network_timeout: float = 120.0,
        scratch_dir: Path | None = None,
        ssh_program: str = "ssh",
    ) -> None:
        if max_push_attempts < 1:
            raise ValueError("max_push_attempts must be at least 1")
        self._workdir = Path(workdir).absolute()
        self._identity = Identity(name=author_name, email=author_email)
        self._max_push_attempts = max_push_attempts
        self._network_timeout = network_timeout
        self._scratch_dir = scratch_dir.absolute() if scratch_dir is not None else None
        self._ssh_program = ssh_program
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
            weakref.WeakKeyDictionary()
        )

    def clone_path(self, url: str) -> Path:
        """Where the working clone of `url` lives (for operators and tests; the clone is only a cache)."""
        return self._workdir / "repos" / clone_key(parse_remote(url))

    def _lock(self, key: str) -> asyncio.Lock:
        per_loop = self._locks.setdefault(asyncio.get_running_loop(), {})
        return per_loop.setdefault(key, asyncio.Lock())

    @contextmanager
    def _clone(self, remote: Remote, credentials: GitCredentials, key: str) -> Iterator[WorkingClone]:
        """The prepared working clone of `remote`, held exclusively (across processes too) while in use."""
        repos = self._workdir / "repos"
        askpass = install_askpass(self._workdir)
        with (
            _exclusive(repos / f"{key}.lock"),
            git_environment(
                credentials, askpass=askpass, scratch_dir=self._scratch_dir, ssh_program=self._ssh_program
            ) as env,
        ):
            clone = WorkingClone(
                repos / key,
                remote,
                env,
                identity=self._identity,
                secrets=credentials.secrets(),
                network_timeout=self._network_timeout,
            )
            clone.prepare()
            yield clone

    async def check_remote(self, target: GitExport, credentials: Mapping[str, str]) -> RemoteCheck:
        """`remote_check.check_remote` with this store's workdir, scratch folder and ssh program."""
        return await check_remote(
            target,
            credentials,
            workdir=self._workdir,
            scratch_dir=self._scratch_dir,
            ssh_program=self._ssh_program,
            network_timeout=self._network_timeout,
        )

    async def check_target(self, target: GitExport, credentials: Mapping[str, str]) -> None:
        """The ArtifactStore port's read-only check: `remote_check.check_remote` with this store's scratch
        folder and ssh program, writing nothing under the workdir (its askpass helper lives in the check's
        own temporary folder), so a run the check refuses leaves no trace."""
        await check_remote(
            target,
            credentials,
            scratch_dir=self._scratch_dir,
            ssh_program=self._ssh_program,
            network_timeout=self._network_timeout,
        )

    async def read_metadata(
        self, target: GitExport, credentials: Mapping[str, str]
    ) -> dict[str, object] | None:
        """release.json as the remote branch holds it under `target.path` (None when there is none): what a
        run without a state file rebuilds provenance from. Fetches into the working clone; pushes nothing."""
        remote = parse_remote(target.url)
        branch = check_branch(target.branch)
        folder = export_folder(target.path)
        git_credentials = parse_credentials(credentials, remote)
        key = clone_key(remote)
        async with self._lock(key):
            return await asyncio.to_thread(
                self._read_metadata_blocking, remote, branch, git_credentials, key, folder
            )

    def _read_metadata_blocking(
        self, remote: Remote, branch: str, credentials: GitCredentials, key: str, folder: PurePosixPath
    ) -> dict[str, object] | None:
        with self._clone(remote, credentials, key) as clone:
            if clone.sync(branch) is None:
                return None
            return parse_metadata(clone.read_files(folder, (METADATA_FILE,)).get(METADATA_FILE))

    async def read_artifact(self, target: GitExport, credentials: Mapping[str, str]) -> UpstreamArtifact:
        """flow.yaml and release.json as the remote branch holds them under `target.path` (a release's
        spec.source.fromRelease reads its upstream's export this way). Fetches into the working clone;
        pushes nothing. Raises ArtifactStoreError when the remote or the credentials cannot be read."""
        remote = parse_remote(target.url)
        branch = check_branch(target.branch)
        folder = export_folder(target.path)
        git_credentials = parse_credentials(credentials, remote)
        key = clone_key(remote)
        async with self._lock(key):
            files = await asyncio.to_thread(
                self._read_artifact_blocking, remote, branch, git_credentials, key, folder
            )
        flow = files.get(FLOW_FILE)
        return UpstreamArtifact(
            location=f"{remote.url} {branch}:{folder}",
            flow_yaml=flow.decode("utf-8", errors="replace") if flow is not None else None,
            metadata=parse_metadata(files.get(METADATA_FILE)),
        )

    def _read_artifact_blocking(
        self, remote: Remote, branch: str, credentials: GitCredentials, key: str, folder: PurePosixPath
    ) -> dict[str, bytes]:
        with self._clone(remote, credentials, key) as clone:
            if clone.sync(branch) is None:
                return {}
            return clone.read_files(folder, (FLOW_FILE, METADATA_FILE))

    async def store(
        self,
        target: GitExport,
        credentials: Mapping[str, str],
        flow: ExportedFlow,
        provenance: ArtifactProvenance,
    ) -> StoredArtifact:
        remote = parse_remote(target.url)
        branch = check_branch(target.branch)
        folder = export_folder(target.path)
        git_credentials = parse_credentials(credentials, remote)
        key = clone_key(remote)
        async with self._lock(key):
            return await asyncio.to_thread(
                self._store_blocking, remote, branch, git_credentials, key, folder, flow, provenance
            )

    def _store_blocking(
        self,
        remote: Remote,
        branch: str,
        credentials: GitCredentials,
        key: str,
        folder: PurePosixPath,
        flow: ExportedFlow,
        provenance: ArtifactProvenance,
    ) -> StoredArtifact:
        with self._clone(remote, credentials, key) as clone:
            writer = ArtifactWriter(
                clone,
                branch=branch,
                folder=folder,
                flow=flow,
                provenance=provenance,
                max_push_attempts=self._max_push_attempts,
            )
            return writer.run()
