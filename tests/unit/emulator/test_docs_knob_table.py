"""docs/emulator.md stays true: its knob table names every knob, both profile values, and tests that exist."""

from __future__ import annotations

import ast
import re

from flowrelease.emulator.behaviour_json import KNOB_NAMES
from tests.support.paths import REPO_ROOT

DOC = REPO_ROOT / "docs" / "emulator.md"
NODE = re.compile(r"`((?:tests/[\w/]+\.py)|…)::(\w+)`")


def knob_rows() -> list[str]:
    text = DOC.read_text()
    section = text.split("## Profiles and behaviour knobs", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if re.match(r"^\| (R\d+|§3) \|", line)]


def test_every_behaviour_r1_to_r11_and_every_knob_has_a_row() -> None:
    rows = knob_rows()
    numbers = {int(number) for row in rows for number in re.findall(r"^\| R(\d+) \|", row)}
    assert sorted(numbers) == list(range(1, 12))
    for knob in KNOB_NAMES:
        assert any(f"`{knob}`" in row for row in rows), f"{knob} has no row in {DOC.name}"


def test_every_test_the_table_names_exists() -> None:
    named: list[tuple[str, str]] = []
    for row in knob_rows():
        module = ""
        tests = row.rsplit("|", 2)[-2]
        found = NODE.findall(tests)
        assert found, f"a row without tests: {row[:60]}"
        for path, name in found:
            module = module if path == "…" else path
            named.append((module, name))
    for module, name in named:
        tree = ast.parse((REPO_ROOT / module).read_text())
        functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert name in functions, f"{module}::{name} is named in {DOC.name} but does not exist"
