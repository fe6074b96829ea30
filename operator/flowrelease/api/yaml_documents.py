"""YAML documents read the way a manifest means them: one value per key, or an error naming both lines.

PyYAML, like kubectl, keeps the last of two equal keys in a mapping. In a manifest a repeated key is an
editing mistake (a second `version:` line left behind) whose effect nobody sees, so `read_documents`
reports every repeated key, anywhere in a document, with its field path and both line numbers. Merge keys
(`<<: *defaults`) are YAML's way to override on purpose and are not duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class DuplicateKey:
    path: str
    """Dotted field path of the repeated key, e.g. `spec.version` or `spec.verify.stages[0].name`."""
    line: int
    """1-based line of the repeat."""
    first_line: int
    """1-based line where the key was first given."""


@dataclass(frozen=True)
class YamlDocument:
    value: object
    duplicates: tuple[DuplicateKey, ...] = ()


class YamlSyntaxError(Exception):
    """The text is not YAML; the message says where and what to check."""


def read_documents(text: str) -> list[YamlDocument]:
    """Every document of a YAML stream, with the keys it repeats. Raises YamlSyntaxError."""
    loader = yaml.SafeLoader(text)
    documents: list[YamlDocument] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            # Before construction: constructing merge keys rewrites the mapping nodes in place.
            duplicates = tuple(_duplicates(node, "", set()))
            documents.append(YamlDocument(loader.construct_document(node), duplicates))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        reason = error.problem or error.context or "invalid YAML"
        raise YamlSyntaxError(
            f"YAML syntax error at {where}: {reason}; check the indentation and quoting there"
        ) from error
    except yaml.YAMLError as error:
        raise YamlSyntaxError(f"YAML syntax error: {error}") from error
    finally:
        loader.dispose()
    return documents


def _key_name(node: Node) -> str:
    return str(node.value) if isinstance(node, ScalarNode) else f"<{node.tag}>"


def _duplicates(node: Node, path: str, seen: set[int]) -> Iterator[DuplicateKey]:
    if id(node) in seen:  # an alias of a node already walked (anchors may even be recursive)
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        first: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            if key.tag == _MERGE_TAG:
                continue
            child = f"{path}.{_key_name(key)}" if path else _key_name(key)
            identity = (key.tag, _key_name(key))
            line = key.start_mark.line + 1
            if identity in first:
                yield DuplicateKey(child, line, first[identity])
            else:
                first[identity] = line
            yield from _duplicates(value, child, seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicates(item, f"{path}[{index}]", seen)
