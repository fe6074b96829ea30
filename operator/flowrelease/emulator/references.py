"""What a flow configuration references: queues, data actions, prompts and other flows.

The walk understands the Archy document shape (genesys-api.md §12): external references are by name —
`targetQueue: {lit: {name: …}}`, a `queue` statement's `lit` value,
`callData.category.<integration>.dataAction.<action>`, prompt literals such as
`PromptSystem.on_hold_music`, and `targetFlow: {lit: {name: …}}`.
Expressions (`exp:`) are resolved at run time and are not dependencies. Each reference carries a location
(`/inboundCall/menus/menu[Main Menu_10]/…`) so messages can say where it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

QUEUE_KEYS = frozenset({"targetQueue", "queue"})
FLOW_KEYS = frozenset({"targetFlow", "targetInQueueFlow", "targetCommonModule"})


@dataclass(frozen=True)
class Reference:
    """One external reference found in a configuration.

    `kind` is a Dependency.type (QUEUE, DATAACTION, SYSTEMPROMPT, USERPROMPT) or `FLOW` for a flow whose type
    is only known once it is resolved by name.
    """

    kind: str
    name: str
    location: str
    category: str = ""


def find_references(configuration: object) -> list[Reference]:
    """Every external reference in `configuration`, in document order, de-duplicated by kind/name/category."""
    seen: set[tuple[str, str, str]] = set()
    found: list[Reference] = []
    for reference in _walk(configuration, "", ""):
        key = (reference.kind, reference.name, reference.category)
        if key not in seen:
            seen.add(key)
            found.append(reference)
    return found


def _literal_name(value: object) -> str | None:
    if isinstance(value, dict):
        literal = value.get("lit")
        if isinstance(literal, dict) and isinstance(literal.get("name"), str):
            return str(literal["name"])
        if isinstance(literal, str):
            return literal
        inner = value.get("value")
        if inner is not None:
            return _literal_name(inner)
    return None


def _prompt_reference(text: str, location: str) -> Reference | None:
    if text.startswith("PromptSystem."):
        return Reference("SYSTEMPROMPT", text.removeprefix("PromptSystem."), location)
    if text.startswith("Prompt."):
        return Reference("USERPROMPT", text.removeprefix("Prompt."), location)
    return None


def _item_label(key: str, body: object) -> str:
    if isinstance(body, dict):
        label = body.get("refId") or body.get("name")
        if isinstance(label, str):
            return f"{key}[{label}]"
    return key


def _walk(node: Any, parent_key: str, location: str) -> Iterator[Reference]:
    if isinstance(node, dict):
        yield from _walk_mapping(node, parent_key, location)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and len(item) == 1:
                (key, body), *_ = item.items()
                here = f"{location}/{_item_label(str(key), body)}"
                if key in QUEUE_KEYS and (name := _literal_name(body)) is not None:
                    yield Reference("QUEUE", name, here)
                    continue
                yield from _walk(body, key, here)
            else:
                yield from _walk(item, parent_key, location)


def _walk_mapping(node: dict[Any, Any], parent_key: str, location: str) -> Iterator[Reference]:
    for raw_key, value in node.items():
        key = str(raw_key)
        here = f"{location}/{key}"
        if key in QUEUE_KEYS and (name := _literal_name(value)) is not None:
            yield Reference("QUEUE", name, here)
            continue
        if key in FLOW_KEYS and (name := _literal_name(value)) is not None:
            yield Reference("FLOW", name, here)
            continue
        if key == "category" and parent_key == "callData" and isinstance(value, dict):
            yield from _data_actions(value, here)
            continue
        if key == "lit" and isinstance(value, dict) and isinstance(value.get("name"), str):
            prompt = _prompt_reference(str(value["name"]), here)
            if prompt is not None:
                yield prompt
                continue
        if isinstance(value, str):
            prompt = _prompt_reference(value, here) if key in {"lit", "prompt"} else None
            if prompt is not None:
                yield prompt
            continue
        yield from _walk(value, key, here)


def _data_actions(categories: dict[Any, Any], location: str) -> Iterator[Reference]:
    for category, body in categories.items():
        actions = body.get("dataAction") if isinstance(body, dict) else None
        if not isinstance(actions, dict):
            continue
        for action_name, action_body in actions.items():
            where = f"{location}/{category}/dataAction/{action_name}"
            yield Reference("DATAACTION", str(action_name), where, category=str(category))
            yield from _walk(action_body, str(action_name), where)
