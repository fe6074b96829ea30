"""What can go wrong writing an artifact to Git, as ArtifactStoreError subclasses the engine can report.

ArtifactStoreError                    (engine port: the release stays published, export is retried later)
 ├── UnsafeExportPath                 spec.export.git.path escapes the repository or touches .git
 ├── InvalidGitTarget                 spec.export.git.url / branch unusable (embedded password, bad branch)
 ├── InvalidGitCredentials            the Secret's keys do not make a usable credential for this URL
 ├── InvalidArtifact                  the exported flow cannot be written (empty YAML, non-JSON configuration)
 ├── GitAuthenticationFailed          the remote refused the credentials
 ├── GitHostKeyRejected               SSH host key unknown or changed (known_hosts)
 ├── GitCertificateRejected           HTTPS server certificate not trusted (ca.crt)
 ├── GitRemoteUnreachable             DNS, connection refused, timeout, no such repository
 ├── GitPushRejected                  rejected after the bounded fetch-rebase-retry, or refused by a hook
 └── GitCommandFailed                 any other git failure (message carries git's scrubbed stderr)

Every message names the repository by its clean URL (never with credentials) and says what to check.
"""

from __future__ import annotations

from flowrelease.engine.ports import ArtifactStoreError


class UnsafeExportPath(ArtifactStoreError):
    pass


class InvalidGitTarget(ArtifactStoreError):
    pass


class InvalidGitCredentials(ArtifactStoreError):
    pass


class InvalidArtifact(ArtifactStoreError):
    pass


class GitAuthenticationFailed(ArtifactStoreError):
    pass


class GitHostKeyRejected(ArtifactStoreError):
    pass


class GitCertificateRejected(ArtifactStoreError):
    pass


class GitRemoteUnreachable(ArtifactStoreError):
    pass


class GitPushRejected(ArtifactStoreError):
    pass


class GitCommandFailed(ArtifactStoreError):
    pass
