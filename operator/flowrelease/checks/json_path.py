"""The number at a dotted path of a JSON document (pure): `checks.ivr.passRate`, `items.0.value`."""

from __future__ import annotations

import math

SHOWN_KEYS = 8


class NoNumberThere(Exception):
    """The path does not lead to a number; the message says where it stopped (keys, never values)."""


def number_at(document: object, path: str) -> float:
    node = document
    walked: list[str] = []
    for part in path.split("."):
        if isinstance(node, dict):
            if part not in node:
                keys = ", ".join(sorted(str(key) for key in node)[:SHOWN_KEYS]) or "none"
                where = ".".join(walked) or "the document"
                raise NoNumberThere(f"{where} has no key '{part}' (its keys: {keys})")
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                where = ".".join(walked) or "the document"
                raise NoNumberThere(f"{where} is a list of {len(node)}; '{part}' is not an index in it")
            node = node[int(part)]
        else:
            raise NoNumberThere(f"{'.'.join(walked)} is a {_kind(node)}, not an object or list")
        walked.append(part)
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise NoNumberThere(f"{path} is a {_kind(node)}, not a number")
    value = float(node)
    if math.isinf(value):
        raise NoNumberThere(f"{path} is not a finite number")
    return value


def _kind(node: object) -> str:
    if node is None:
        return "null"
    if isinstance(node, bool):
        return "boolean"
    if isinstance(node, str):
        return "string"
    if isinstance(node, dict):
        return "object"
    if isinstance(node, list):
        return "list"
    return "number"
