"""The `flowrelease` command line: a thin router that imports each subcommand only when it runs.

Subcommands live next to the shell that owns them, so `flowrelease --help` stays cheap to start.
"""

from __future__ import annotations

import importlib

import click

from flowrelease import __version__

# name -> "module:attribute" of a click.Command; imported on first use only.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "sync": ("flowrelease.local.commands:sync_command", "Reconcile a folder of FlowRelease manifests."),
    "plan": ("flowrelease.local.commands:plan_command", "Show what sync would do, changing nothing."),
    "emulator": ("flowrelease.emulator.command:emulator_command", "Run the Genesys Cloud emulator."),
    "operator": ("flowrelease.k8s.command:operator_command", "Run the Kubernetes operator (kopf)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when invoked, not at start-up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*SUBCOMMANDS, *super().list_commands(ctx)])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in SUBCOMMANDS:
            target, _ = SUBCOMMANDS[cmd_name]
            module_name, attribute = target.split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in sorted(SUBCOMMANDS.items())]
        rows += [(name, cmd.get_short_help_str()) for name, cmd in sorted(self.commands.items())]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """flowrelease: declarative, verified, reversible releases of Genesys Cloud Architect flows."""


@main.command("version")
def version_command() -> None:
    """Print the flowrelease version."""
    click.echo(__version__)
