"""flowrelease.gitops: the exported flow committed to the releases repository (the engine's ArtifactStore).

`GitArtifactStore(workdir)` writes the deterministic layout of `layout`, commits it with the provenance
trailers of `message` and pushes it (fetch-rebase-retry on a non-fast-forward, never forced), with the
credentials of `credentials` passed per command. `check_remote` (`remote_check`) runs `git ls-remote` against
an export target before anything is published. Errors are the ArtifactStoreError subclasses of `errors`,
`permanent=True` for those retrying cannot fix.
"""

from flowrelease.gitops.errors import (
    GitAuthenticationFailed,
    GitAuthorizationFailed,
    GitCertificateRejected,
    GitCommandFailed,
    GitHostKeyRejected,
    GitPushRejected,
    GitRemoteUnreachable,
    GitRepositoryNotFound,
    InvalidArtifact,
    InvalidGitCredentials,
    InvalidGitTarget,
    UnsafeExportPath,
)
from flowrelease.gitops.remote_check import RemoteCheck, check_remote
from flowrelease.gitops.store import DEFAULT_AUTHOR_EMAIL, DEFAULT_AUTHOR_NAME, GitArtifactStore

__all__ = [
    "DEFAULT_AUTHOR_EMAIL",
    "DEFAULT_AUTHOR_NAME",
    "GitArtifactStore",
    "GitAuthenticationFailed",
    "GitAuthorizationFailed",
    "GitCertificateRejected",
    "GitCommandFailed",
    "GitHostKeyRejected",
    "GitPushRejected",
    "GitRemoteUnreachable",
    "GitRepositoryNotFound",
    "InvalidArtifact",
    "InvalidGitCredentials",
    "InvalidGitTarget",
    "RemoteCheck",
    "UnsafeExportPath",
    "check_remote",
]
