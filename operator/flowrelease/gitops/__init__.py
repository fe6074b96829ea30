"""flowrelease.gitops: the exported flow committed to the releases repository (the engine's ArtifactStore).

`GitArtifactStore(workdir)` writes the deterministic layout of `layout`, commits it with the provenance
trailers of `message` and pushes it (fetch-rebase-retry on a non-fast-forward, never forced), with the
credentials of `credentials` passed per command. Errors are the ArtifactStoreError subclasses of `errors`.
"""

from flowrelease.gitops.errors import (
    GitAuthenticationFailed,
    GitCertificateRejected,
    GitCommandFailed,
    GitHostKeyRejected,
    GitPushRejected,
    GitRemoteUnreachable,
    InvalidArtifact,
    InvalidGitCredentials,
    InvalidGitTarget,
    UnsafeExportPath,
)
from flowrelease.gitops.store import DEFAULT_AUTHOR_EMAIL, DEFAULT_AUTHOR_NAME, GitArtifactStore

__all__ = [
    "DEFAULT_AUTHOR_EMAIL",
    "DEFAULT_AUTHOR_NAME",
    "GitArtifactStore",
    "GitAuthenticationFailed",
    "GitCertificateRejected",
    "GitCommandFailed",
    "GitHostKeyRejected",
    "GitPushRejected",
    "GitRemoteUnreachable",
    "InvalidArtifact",
    "InvalidGitCredentials",
    "InvalidGitTarget",
    "UnsafeExportPath",
]
