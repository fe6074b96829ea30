"""Which repository and branch to write to: `spec.export.git.url` and `.branch` checked and made safe to show.

A URL that embeds a password is refused (credentials belong in the Secret), so the clean URL is what is saved
in `.git/config`, named in errors and logged. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from flowrelease.gitops.errors import InvalidGitTarget

Transport = Literal["http", "ssh", "file"]

_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?[^/:\s]+:(?!//)")
_BAD_BRANCH_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


@dataclass(frozen=True)
class Remote:
    url: str
    """The URL as given, without credentials: safe in logs, errors and .git/config."""
    transport: Transport


def parse_remote(url: str) -> Remote:
    if any(ord(char) < 0x20 or char == "\x7f" for char in url) or url != url.strip():
        raise InvalidGitTarget("spec.export.git.url contains whitespace or control characters; remove them")
    lowered = url.lower()
    if lowered.startswith("http://"):
        raise InvalidGitTarget(
            "spec.export.git.url uses plain http://, which would send Git credentials unencrypted; use "
            "https:// (with ca.crt in the Secret for a private CA) or ssh://"
        )
    if lowered.startswith(("https://", "ssh://")):
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.hostname or ""
            if parts.port is not None:
                host = f"{host}:{parts.port}"
            shown = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
            raise InvalidGitTarget(
                f"spec.export.git.url ({shown}) embeds a password; remove it from the URL and put the "
                "credentials in the Secret named by spec.export.git.secretRef (keys username and password, "
                "or token)"
            )
        if not parts.hostname:
            raise InvalidGitTarget(
                f"spec.export.git.url {url!r} has no host; e.g. https://git.example.com/org/repo.git"
            )
        return Remote(url=url, transport="ssh" if lowered.startswith("ssh://") else "http")
    if lowered.startswith("file://") or url.startswith("/"):
        return Remote(url=url, transport="file")
    if "://" not in url and _SCP_LIKE.match(url):
        return Remote(url=url, transport="ssh")
    raise InvalidGitTarget(
        f"spec.export.git.url {url!r} is not a Git URL flowrelease can push to; use "
        "https://host/org/repo.git, ssh://git@host/org/repo.git, git@host:org/repo.git or "
        "file:///path/to/repo.git"
    )


def check_branch(branch: str) -> str:
    """The rules of `git check-ref-format --branch`, so a bad name fails with our message, not git's."""
    if (
        not branch
        or branch.startswith(("-", "/", "."))
        or branch.endswith(("/", ".", ".lock"))
        or ".." in branch
        or "@{" in branch
        or "//" in branch
        or "/." in branch
        or branch == "@"
        or _BAD_BRANCH_CHARS.search(branch)
    ):
        raise InvalidGitTarget(
            f"spec.export.git.branch {branch!r} is not a valid Git branch name; use a name such as main or "
            "releases/prod (no spaces, '..', '~^:?*[\\', leading '-' or trailing '.lock')"
        )
    return branch


_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s:]*:[^/@\s]*@")


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret value, and the userinfo of any `scheme://user:pass@` URL, with ***."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return _URL_USERINFO.sub(r"\1***@", text)
