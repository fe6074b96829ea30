"""Archy YAML import: parse a flow document and check it the way an Architect job does.

A document must parse, have exactly one known flow-type key (`inboundCall`, `workflow`, …), a `name`, a
`startUpRef` that resolves to an item with that `refId` (in-queue flows may start with `startUpTaskActions`
instead), resolving `…Ref` paths, a known division, no unsubstituted `{{placeholder}}`, and every queue, data
action and flow it names must exist in the org. Each problem becomes one message a person can act on: which
reference, where, and what exists instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import yaml

from flowrelease.emulator.references import Reference, find_references
from flowrelease.emulator.vocabulary import ARCHY_FLOW_TYPES, STARTUP_TASK_FLOW_TYPES

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
REF_PATH = re.compile(r"^/(?P<flow>[A-Za-z]+)/(?P<collection>[A-Za-z]+)/(?P<item>[A-Za-z]+)\[(?P<ref>.+)\]$")
SHOWN_NAMES = 10


class ResourceCatalog(Protocol):
    """What the import check needs to know about the org."""

    def resource_exists(self, kind: str, name: str, category: str) -> bool: ...

    def resource_names(self, kind: str) -> list[str]: ...

    def division_names(self) -> list[str]: ...


@dataclass(frozen=True)
class ArchyMessage:
    type: str  # Error | Warning
    text: str


@dataclass(frozen=True)
class ArchyFlow:
    """A document that passed the checks."""

    key: str
    flow_type: str
    name: str
    description: str
    division: str
    document: dict[str, Any]
    warnings: tuple[ArchyMessage, ...]


class ArchyRejected(Exception):
    def __init__(self, messages: list[ArchyMessage]) -> None:
        super().__init__("; ".join(m.text for m in messages))
        self.messages = messages


def substitute(text: str, substitutions: dict[str, str]) -> str:
    """Replace `{{key}}` placeholders the way CX as Code does (plain string replace)."""
    for key, value in substitutions.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def parse_archy(text: str, catalog: ResourceCatalog) -> ArchyFlow:
    """Parse and check one Archy flow document; raise `ArchyRejected` with every problem found."""
    document = _load(text)
    key, body = _flow_body(document)
    errors: list[ArchyMessage] = []
    warnings: list[ArchyMessage] = []
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(_error(f"The flow has no name: add `name:` under `{key}:`."))
    errors += _placeholder_errors(text)
    errors += _startup_errors(key, body, document)
    errors += _ref_path_errors(key, body, document)
    division = body.get("division", "Home")
    division_name = str(division) if division is not None else "Home"
    if division_name not in catalog.division_names() and not PLACEHOLDER.search(division_name):
        known = ", ".join(catalog.division_names())
        errors.append(
            _error(f"Division '{division_name}' (`{key}.division`) does not exist. Divisions: {known}.")
        )
    for reference in find_references(document):
        problem = _reference_problem(reference, catalog)
        if problem is not None:
            (warnings if problem.type == "Warning" else errors).append(problem)
    if errors:
        raise ArchyRejected(errors + warnings)
    description = body.get("description")
    return ArchyFlow(
        key=key,
        flow_type=ARCHY_FLOW_TYPES[key],
        name=str(name),
        description=description if isinstance(description, str) else "",
        division=division_name,
        document=document,
        warnings=tuple(warnings),
    )


def _error(text: str) -> ArchyMessage:
    return ArchyMessage("Error", text)


def _load(text: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        hint = ""
        placeholders = sorted(set(PLACEHOLDER.findall(text)))
        if placeholders:
            hint = " Unsubstituted placeholders: " + ", ".join("{{" + p + "}}" for p in placeholders) + "."
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArchyRejected([_error(f"The flow file is not valid YAML{where}: {problem}.{hint}")]) from exc
    if not isinstance(document, dict):
        raise ArchyRejected([_error("The flow file must be a YAML mapping with one flow-type key.")])
    return document


def _flow_body(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    known = [key for key in document if key in ARCHY_FLOW_TYPES]
    unknown = [str(key) for key in document if key not in ARCHY_FLOW_TYPES]
    if len(known) != 1 or unknown:
        found = ", ".join(str(key) for key in document) or "nothing"
        allowed = ", ".join(ARCHY_FLOW_TYPES)
        raise ArchyRejected(
            [_error(f"The flow file must have exactly one flow-type key (one of {allowed}); found: {found}.")]
        )
    key = known[0]
    body = document[key]
    if not isinstance(body, dict):
        raise ArchyRejected([_error(f"`{key}:` must be a mapping of flow settings.")])
    return key, body


def _placeholder_errors(text: str) -> list[ArchyMessage]:
    return [
        _error(f"Unsubstituted placeholder {{{{{name}}}}}: give it a value in the substitutions.")
        for name in sorted(set(PLACEHOLDER.findall(text)))
    ]


def _ref_ids(body: dict[str, Any], collection: str, item: str) -> list[str]:
    entries = body.get(collection)
    if not isinstance(entries, list):
        return []
    ids: list[str] = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get(item), dict):
            ref = entry[item].get("refId")
            if isinstance(ref, str):
                ids.append(ref)
    return ids


def _resolve_path(path: str, key: str, body: dict[str, Any], field: str) -> ArchyMessage | None:
    match = REF_PATH.match(path)
    if match is None:
        return _error(f"`{field}` '{path}' is not a path like '/{key}/menus/menu[Main Menu_10]'.")
    if match["flow"] != key:
        return _error(f"`{field}` '{path}' points into '/{match['flow']}', but this is an `{key}` flow.")
    ids = _ref_ids(body, match["collection"], match["item"])
    if match["ref"] in ids:
        return None
    listed = ", ".join(ids) if ids else f"no {match['item']} items under `{match['collection']}`"
    return _error(
        f"`{field}` '{path}' does not resolve: no {match['item']} with refId '{match['ref']}' under "
        f"`{key}.{match['collection']}`. Available refIds: {listed}."
    )


def _startup_errors(key: str, body: dict[str, Any], document: dict[str, Any]) -> list[ArchyMessage]:
    start = body.get("startUpRef")
    if start is None:
        if ARCHY_FLOW_TYPES[key] in STARTUP_TASK_FLOW_TYPES and body.get("startUpTaskActions") is not None:
            return []
        return [
            _error(f"`{key}.startUpRef` is missing: name the starting item, e.g. '/{key}/tasks/task[…]'.")
        ]
    if not isinstance(start, str):
        return [_error(f"`{key}.startUpRef` must be a string path.")]
    problem = _resolve_path(start, key, body, f"{key}.startUpRef")
    return [problem] if problem else []


def _ref_path_errors(key: str, body: dict[str, Any], document: dict[str, Any]) -> list[ArchyMessage]:
    problems: list[ArchyMessage] = []

    def visit(node: object) -> None:
        if isinstance(node, dict):
            for child_key, value in node.items():
                if (
                    isinstance(child_key, str)
                    and child_key.endswith("Ref")
                    and child_key != "startUpRef"
                    and isinstance(value, str)
                    and value.startswith("/")
                ):
                    problem = _resolve_path(value, key, body, child_key)
                    if problem:
                        problems.append(problem)
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(body)
    return problems


def _shown(names: list[str]) -> str:
    if not names:
        return "none"
    more = f" (and {len(names) - SHOWN_NAMES} more)" if len(names) > SHOWN_NAMES else ""
    return ", ".join(sorted(names)[:SHOWN_NAMES]) + more


def _reference_problem(reference: Reference, catalog: ResourceCatalog) -> ArchyMessage | None:
    if PLACEHOLDER.search(reference.name) or PLACEHOLDER.search(reference.category):
        return None  # reported once as an unsubstituted placeholder
    if catalog.resource_exists(reference.kind, reference.name, reference.category):
        return None
    existing = _shown(catalog.resource_names(reference.kind))
    where = f"at {reference.location}"
    if reference.kind == "QUEUE":
        return _error(f"Queue '{reference.name}' {where} does not exist. Queues in this org: {existing}.")
    if reference.kind == "DATAACTION":
        return _error(
            f"Data action '{reference.name}' in category '{reference.category}' {where} does not exist. "
            f"Data actions in this org: {existing}."
        )
    if reference.kind == "FLOW":
        return _error(f"Flow '{reference.name}' {where} does not exist. Flows in this org: {existing}.")
    kind = "System prompt" if reference.kind == "SYSTEMPROMPT" else "User prompt"
    return ArchyMessage(
        "Warning", f"{kind} '{reference.name}' {where} was not found; Architect will play silence."
    )
