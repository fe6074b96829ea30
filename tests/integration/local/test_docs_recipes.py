"""The local recipe of docs/operator.md runs as written: the emulator and the operator it starts do not want
the same port (they once both took 8080). Flags are parsed by the commands' own click parsers, so a changed
default is noticed too."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import click

from flowrelease.emulator.command import emulator_command
from flowrelease.k8s.command import operator_command

DOCS = Path(__file__).resolve().parents[3] / "docs" / "operator.md"


def recipe() -> list[list[str]]:
    """The `flowrelease ...` commands of the shell block under 'Outside a cluster'."""
    text = DOCS.read_text()
    block = re.search(r"Outside a cluster.*?```sh\n(.*?)```", text, re.DOTALL)
    assert block, "docs/operator.md has no local recipe"
    commands = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "flowrelease":
            commands.append([word for word in words[1:] if word != "&"])
    return commands


def ports(command: click.Command, args: list[str]) -> dict[str, int]:
    params = command.make_context(command.name or "", args).params
    if command is emulator_command:
        return {"emulator": int(params["port"])}
    found = {}
    if params["liveness"]:
        found["operator liveness"] = urlsplit(params["liveness"]).port or 80
    if params["metrics_port"]:
        found["operator metrics"] = int(params["metrics_port"])
    return found


def test_the_local_recipe_starts_an_emulator_and_an_operator_on_different_ports() -> None:
    commands = {words[0]: words[1:] for words in recipe()}
    assert set(commands) == {"emulator", "operator"}
    taken = {
        **ports(emulator_command, commands["emulator"]),
        **ports(operator_command, commands["operator"]),
    }
    assert len(set(taken.values())) == len(taken), f"port clash in docs/operator.md: {taken}"
    assert f"http://127.0.0.1:{taken['emulator']}" in DOCS.read_text(), (
        "the recipe says where the emulator is"
    )
