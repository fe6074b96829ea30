"""What can go wrong writing an artifact to Git, as ArtifactStoreError subclasses the engine can report.

ArtifactStoreError                    (engine port: the release stays published, export is retried later)
 ├── UnsafeExportPath                 spec.export.git.path escapes the repository or touches .git      [P]
 ├── InvalidGitTarget                 spec.export.git.url / branch unusable (a password, a bad name) [P]
 ├── InvalidGitCredentials            the Secret's keys do not make a usable credential for this URL   [P]
 ├── InvalidArtifact                  the exported flow cannot be written (empty YAML, non-JSON configuration)
 ├── GitAuthenticationFailed          the remote refused the credentials                               [P]
 ├── GitAuthorizationFailed           the credentials are valid but may not read or write the repository [P]
 ├── GitHostKeyRejected               SSH host key unknown or changed (known_hosts)                    [P]
 ├── GitCertificateRejected           HTTPS server certificate not trusted (ca.crt)                    [P]
 ├── GitRemoteUnreachable             DNS, connection refused, timeout
 │    └── GitRepositoryNotFound       the server answers but has no such repository (or hides it)      [P]
 ├── GitPushRejected                  refused by a hook or branch protection [P], or lost the race with
 │                                    other writers after the bounded fetch-rebase-retry
 └── GitCommandFailed                 any other git failure (message carries git's scrubbed stderr)

[P] marks errors raised with `permanent=True`: retrying cannot help until someone changes the Secret, the URL,
the repository or its rules, so they are reported, not retried until the timeout. The rest are transient
(network, timeouts, races). Every message names the repository by its clean URL (never with credentials)
and says what to check. Each error's `field` is the spec field to fix (the Secret for credential problems);
the message of an unusable URL or branch starts with its field instead.
"""

from __future__ import annotations

from flowrelease.engine.ports import ArtifactStoreError


class _Permanent(ArtifactStoreError):
    def __init__(self, message: str = "") -> None:
        super().__init__(message, permanent=True)


SECRET_FIELD = "spec.export.git.secretRef"  # noqa: S105 (a field name, not a secret)


class UnsafeExportPath(_Permanent):
    field = "spec.export.git.path"


class InvalidGitTarget(_Permanent):
    pass


class InvalidGitCredentials(_Permanent):
    field = SECRET_FIELD


class InvalidArtifact(ArtifactStoreError):
    pass


class GitAuthenticationFailed(_Permanent):
    field = SECRET_FIELD


class GitAuthorizationFailed(_Permanent):
    field = SECRET_FIELD


class GitHostKeyRejected(_Permanent):
    field = SECRET_FIELD


class GitCertificateRejected(_Permanent):
    field = SECRET_FIELD


class GitRemoteUnreachable(ArtifactStoreError):
    pass


class GitRepositoryNotFound(GitRemoteUnreachable):
    def __init__(self, message: str = "") -> None:
        super().__init__(message, permanent=True)


class GitPushRejected(ArtifactStoreError):
    pass


class GitCommandFailed(ArtifactStoreError):
    pass
