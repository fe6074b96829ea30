"""The dependency hash: a fingerprint of every resource a flow version consumes (genesys-api.md §8).

SHA-256 over the sorted, de-duplicated `type|id|version` lines of dependency tracking's consumed resources,
joined by "\\n" and written as `sha256:<hex>`. Names are left out (a rename does not change behaviour) and so
are the deleted/updated/stateUnknown flags, which are health signals rather than identity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from flowrelease.engine.ports import Dependency

PREFIX = "sha256:"


def dependency_lines(consumed: Iterable[Dependency]) -> list[str]:
    """The canonical `type|id|version` lines, sorted and de-duplicated."""
    return sorted({f"{d.type}|{d.id}|{d.version}" for d in consumed})


def dependency_hash(consumed: Iterable[Dependency]) -> str:
    digest = hashlib.sha256("\n".join(dependency_lines(consumed)).encode("utf-8")).hexdigest()
    return PREFIX + digest
