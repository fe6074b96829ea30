"""Which releases may share one Genesys client: the same org, the same client id AND the same secret.

A Genesys client caches one access token. Releases that name the same client id with different secrets must
not share it: the wrong secret would ride on the right secret's token (and, in the other file order, the
right release would be told to fix its Secret). Both shells key their clients on `ClientKey`, which holds the
secret only as an HMAC-SHA256 under a key drawn at random for each process: equal secrets give equal keys
within the process, and nothing that is logged, dumped or compared reveals the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class ClientKey:
    org: str
    """The org's base URL (or the environment as written when it names no known region)."""
    client_id: str
    secret_digest: str
    """HMAC of the client secret under this process's key; never the secret itself."""


class ClientKeys:
    """Makes `ClientKey`s under one random key; use one instance per process (per cache)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def key_for(self, org: str, client_id: str, client_secret: str) -> ClientKey:
        digest = hmac.new(self._key, client_secret.encode("utf-8"), hashlib.sha256).hexdigest()
        return ClientKey(org=org, client_id=client_id, secret_digest=digest)
