"""Recognising Archy's hidden 429 in a failed export job's messages (genesys-api.md §7)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_EXIT_107 = re.compile(r"exit code(?::|\s+to)?\s*107\b")


def archy_throttled(texts: Iterable[str]) -> bool:
    """Archy's way of reporting an internal 429 during export (CX as Code PR #2214): "could not find the
    flow with id" together with "exit code: 107" (also spelled "setting the Archy exit code to 107") or
    "Archy failed"."""
    joined = "\n".join(texts).lower()
    return "could not find the flow with id" in joined and (
        _EXIT_107.search(joined) is not None or "archy failed" in joined
    )
