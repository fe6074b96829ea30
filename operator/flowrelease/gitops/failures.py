"""Which ArtifactStoreError a failed git command is, read from git's stderr (LC_ALL=C). Pure: no I/O.

The message names the repository by its clean URL, says what to check, and quotes git's last words with
every secret value (and any `user:password@` in a URL) replaced by ***.
"""

from __future__ import annotations

from flowrelease.engine.ports import ArtifactStoreError
from flowrelease.gitops.errors import (
    GitAuthenticationFailed,
    GitAuthorizationFailed,
    GitCertificateRejected,
    GitCommandFailed,
    GitHostKeyRejected,
    GitRemoteUnreachable,
    GitRepositoryNotFound,
)
from flowrelease.gitops.remote import Remote, redact

_HOST_KEY_SIGNS = ("host key verification failed", "remote host identification has changed")
_CERTIFICATE_SIGNS = (
    "ssl certificate problem",
    "server certificate verification failed",
    "certificate verify failed",
    "unable to get local issuer certificate",
)
_AUTH_SIGNS = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "permission denied (publickey",
    "permission denied, please try again",
    "http basic: access denied",
    "invalid username or password",
    "invalid credentials",
    "bad credentials",
    "returned error: 401",
    "terminal prompts disabled",
)
_AUTHORIZATION_SIGNS = (
    "returned error: 403",
    "access denied",
    "not allowed to push",
    "you are not allowed",
    "write access to repository not granted",
    "permission to ",  # GitHub: "Permission to org/repo.git denied to user."
    "insufficient permission",
    "marked as read only",  # GitHub, a read-only deploy key over SSH
)
_NETWORK_SIGNS = (
    "could not resolve host",
    "could not resolve hostname",
    "connection refused",
    "failed to connect",
    "connection timed out",
    "operation timed out",
    "timeout: the command",
    "timed out",
    "network is unreachable",
    "no route to host",
    "connection reset",
    "connection closed",
    "operation too slow",
    "returned error: 5",
    "the remote end hung up unexpectedly",
)
_NOT_FOUND_SIGNS = (
    "does not appear to be a git repository",
    "repository not found",
    "not found",
    "returned error: 404",
    "no such repository",
)
_UNREACHABLE_SIGNS = ("could not read from remote repository", "unable to access")


def git_failure(action: str, remote: Remote, stderr: str, secrets: tuple[str, ...]) -> ArtifactStoreError:
    """Turn git's stderr into the specific error, with the clean URL and git's words scrubbed of secrets."""
    lowered = stderr.lower()
    said = " | ".join(line.strip() for line in redact(stderr, secrets).splitlines() if line.strip())[-600:]
    where = f"git {action} {remote.url}"
    if any(sign in lowered for sign in _HOST_KEY_SIGNS):
        return GitHostKeyRejected(
            f"{where} failed: the SSH host key is unknown or has changed; put the server's key in "
            f"known_hosts of the Secret named by spec.export.git.secretRef (ssh-keyscan <host>) (git: {said})"
        )
    if any(sign in lowered for sign in _CERTIFICATE_SIGNS):
        return GitCertificateRejected(
            f"{where} failed: the server's TLS certificate is not trusted; if it is signed by a private CA, "
            f"put that CA (PEM) in the Secret named by spec.export.git.secretRef as ca.crt (git: {said})"
        )
    if any(sign in lowered for sign in _AUTH_SIGNS):
        return GitAuthenticationFailed(
            f"{where} failed: the remote refused the credentials; check the Secret named by "
            "spec.export.git.secretRef (username+password or token for HTTPS, ssh-privatekey for SSH) and "
            f"that it may write to the repository (git: {said})"
        )
    if any(sign in lowered for sign in _AUTHORIZATION_SIGNS):
        return GitAuthorizationFailed(
            f"{where} failed: the remote accepted the credentials but does not let them write to the "
            "repository; grant the token or deploy key of the Secret named by spec.export.git.secretRef "
            f"write access (git: {said})"
        )
    if any(sign in lowered for sign in _NETWORK_SIGNS):
        return GitRemoteUnreachable(
            f"{where} failed: the remote is unreachable (network, DNS or timeout); this is retried, but "
            f"check spec.export.git.url and the network if it persists (git: {said})"
        )
    if any(sign in lowered for sign in _NOT_FOUND_SIGNS):
        return GitRepositoryNotFound(
            f"{where} failed: the repository does not exist, or is not visible to these credentials; check "
            f"spec.export.git.url and the Secret's access (git: {said})"
        )
    if any(sign in lowered for sign in _UNREACHABLE_SIGNS):
        return GitRemoteUnreachable(
            f"{where} failed: the remote is unreachable, or the repository does not exist or is not "
            "visible to these credentials; check spec.export.git.url, the network and the Secret's access "
            f"(git: {said})"
        )
    return GitCommandFailed(f"{where} failed (git: {said})")
