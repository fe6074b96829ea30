"""Mode B input: Archy YAML from a ConfigMap, substituted and checked before anything is sent to Genesys.

`prepare_source` is pure. It substitutes `{{key}}` placeholders (as CX as Code and Archy do), refuses a
document with placeholders left over, parses it, and checks what can be checked without the org: one known
flow-type key, the name and type the FlowRelease asks for, and a `startUpRef` that resolves inside the
document. The Architect job then checks the rest (referenced queues, data actions, …).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from flowrelease.api.models import FlowReleaseSpec, FlowSelector

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
REF_PATH = re.compile(r"^/(?P<key>[A-Za-z]+)/(?P<collection>[A-Za-z]+)/(?P<item>[A-Za-z]+)\[(?P<ref>.+)\]$")

# Archy's top-level key -> the lower-case flow type of spec.flow.type (genesys-api.md §11, §12).
ARCHY_KEYS: Mapping[str, str] = {
    "inboundCall": "inboundcall",
    "inboundEmail": "inboundemail",
    "inboundShortMessage": "inboundshortmessage",
    "inboundChat": "inboundchat",
    "inqueueCall": "inqueuecall",
    "inqueueEmail": "inqueueemail",
    "inqueueShortMessage": "inqueueshortmessage",
    "outboundCall": "outboundcall",
    "secureCall": "securecall",
    "surveyInvite": "surveyinvite",
    "voicemail": "voicemail",
    "workflow": "workflow",
    "workitem": "workitem",
    "botFlow": "bot",
    "digitalBot": "digitalbot",
    "commonModule": "commonmodule",
}
# In-queue flows may start with `startUpTaskActions` instead of a `startUpRef`.
STARTUP_TASK_TYPES = frozenset({"inqueuecall", "inqueueemail", "inqueueshortmessage"})


@dataclass(frozen=True)
class PreparedSource:
    """A document that passed every local check, ready to upload."""

    digest: str
    """`sha256:<hex>` of the substituted text: the identity of what mode B publishes."""
    text: str
    key: str
    flow_type: str
    name: str


@dataclass(frozen=True)
class SourceProblem:
    """Why the document cannot be published; `message` says what to change."""

    digest: str
    message: str


@dataclass(frozen=True)
class SourcePending:
    """The source is not available yet but will be without a spec change (an upstream that has not exported
    its live version yet): the release waits, nothing is refused."""

    message: str


def source_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def substitute(text: str, substitutions: Mapping[str, str]) -> str:
    """Replace each `{{key}}` found in `substitutions`; the others are left for `prepare_source` to name."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        return substitutions[key] if key in substitutions else match.group(0)

    return PLACEHOLDER.sub(replace, text)


def release_source(spec: FlowReleaseSpec, source_yaml: str | None) -> PreparedSource | SourceProblem | None:
    """The release's Archy source as the engine judges it, problems named after its ConfigMap key; None
    in mode A, or when the shell found no such ConfigMap or key (the planner reports that)."""
    if spec.source is None or spec.source.config_map_ref is None or source_yaml is None:
        return None
    ref = spec.source.config_map_ref
    return prepare_source(
        source_yaml,
        spec.source.substitutions,
        spec.flow,
        origin=f"spec.source (ConfigMap '{ref.name}' key '{ref.key}')",
    )


def prepare_source(
    raw: str, substitutions: Mapping[str, str], flow: FlowSelector, *, origin: str = "spec.source"
) -> PreparedSource | SourceProblem:
    text = substitute(raw, substitutions)
    digest = source_digest(text)

    def problem(message: str) -> SourceProblem:
        return SourceProblem(digest, f"{origin}: {message}")

    left = sorted(set(PLACEHOLDER.findall(text)))
    if left:
        listed = ", ".join("{{" + key + "}}" for key in left)
        return problem(
            f"placeholders left unsubstituted: {listed}; add them to spec.source.substitutions "
            f"(e.g. {left[0]}: <value>)"
        )
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = ""
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        reason = getattr(error, "problem", None) or type(error).__name__
        return problem(f"the YAML does not parse{where}: {reason}")
    if not isinstance(document, dict) or not document:
        return problem("the document must be a mapping with one flow-type key such as `inboundCall:`")
    keys = [str(key) for key in document]
    known = [key for key in keys if key in ARCHY_KEYS]
    if len(keys) != 1 or len(known) != 1:
        return problem(
            f"the document must have exactly one top-level flow-type key, found {keys}; "
            f"known keys: {', '.join(sorted(ARCHY_KEYS))}"
        )
    key = known[0]
    flow_type = ARCHY_KEYS[key]
    body = document[key]
    if not isinstance(body, dict):
        return problem(f"`{key}` must be a mapping holding the flow (name, startUpRef, …)")
    name = body.get("name")
    if not isinstance(name, str) or not name:
        return problem(f"`{key}.name` is missing: give the flow's name")
    if flow.type is not None and flow.type != flow_type:
        return problem(f"the document is a `{key}` flow ({flow_type}) but spec.flow.type is {flow.type}")
    if flow.name and flow.name != name:
        return problem(f"`{key}.name` is '{name}' but spec.flow.name is '{flow.name}'; make them the same")
    startup = _check_startup(key, flow_type, body)
    if startup:
        return problem(startup)
    return PreparedSource(digest=digest, text=text, key=key, flow_type=flow_type, name=name)


def _check_startup(key: str, flow_type: str, body: Mapping[str, Any]) -> str:
    start = body.get("startUpRef")
    if start is None:
        if flow_type in STARTUP_TASK_TYPES and body.get("startUpTaskActions") is not None:
            return ""
        return (
            f"`{key}.startUpRef` is missing: name the starting item, e.g. '/{key}/menus/menu[Main Menu_10]'"
        )
    if not isinstance(start, str):
        return f"`{key}.startUpRef` must be a path string such as '/{key}/menus/menu[Main Menu_10]'"
    match = REF_PATH.match(start)
    if match is None or match["key"] != key:
        return f"`{key}.startUpRef` '{start}' is not a path of the form '/{key}/<collection>/<item>[<refId>]'"
    items = body.get(match["collection"])
    refs: list[str] = []
    if isinstance(items, list):
        for entry in items:
            if isinstance(entry, dict) and isinstance(entry.get(match["item"]), dict):
                refs.append(str(entry[match["item"]].get("refId", "")))
    if match["ref"] in refs:
        return ""
    available = ", ".join(refs) if refs else "none"
    return (
        f"`{key}.startUpRef` '{start}' does not resolve: no {match['item']} with refId '{match['ref']}' "
        f"under `{key}.{match['collection']}` (available: {available})"
    )
