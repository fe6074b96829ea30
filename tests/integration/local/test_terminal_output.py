"""What a person at a terminal sees: `sync` run on a real pseudo-terminal, its bytes rendered by pyte (a VT100
emulator), the whole screen and scrollback read back. The final table appears exactly once, and nothing of
the live table is left behind, even when it would be taller than the terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pyte
import pytest

from tests.integration.local.conftest import CLI, REPO, ManifestFolder, clean_env

RELEASE = """\
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: release-number-{index}, namespace: cc}}
spec:
  genesys: {{environment: {environment}, credentialsSecretRef: {{name: genesys}}}}
  flow: {{type: inboundcall, name: No Such Flow {index}}}
  version: "3.0"
"""


def run_on_terminal(args: list[str], cwd: Path, columns: int, rows: int) -> tuple[int, list[str]]:
    """Run the CLI with a pty of `columns` x `rows` as its terminal; every line the terminal ever showed."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    process = subprocess.Popen(
        [*CLI, *args],
        cwd=cwd,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**clean_env(), "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)},
        close_fds=True,
    )
    os.close(terminal)
    output = bytearray()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1.0)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    code = process.wait(timeout=30)
    screen = pyte.HistoryScreen(columns, rows, history=100_000, ratio=0.5)
    pyte.Stream(screen).feed(output.decode("utf-8", errors="replace"))
    history = ["".join(line[x].data for x in sorted(line)).rstrip() for line in screen.history.top]
    return code, [*history, *(line.rstrip() for line in screen.display)]


def tables(lines: list[str]) -> tuple[int, int]:
    final = sum(1 for line in lines if line.strip() == "flowrelease sync")
    live = sum(1 for line in lines if "flowrelease sync (in progress)" in line)
    return final, live


def test_the_final_table_is_shown_once_on_a_terminal(tmp_path: Path) -> None:
    code, lines = run_on_terminal(["sync", str(REPO / "examples"), "--emulator"], tmp_path, 120, 40)
    assert code == 0, "\n".join(lines)
    assert tables(lines) == (1, 0), "\n".join(lines)
    assert any(line.startswith("3/3 releases ready.") for line in lines)


@pytest.mark.parametrize(("columns", "rows"), [(80, 24), (100, 12)])
def test_a_live_table_taller_than_the_terminal_leaves_nothing_behind(
    tmp_path: Path, manifests: ManifestFolder, columns: int, rows: int
) -> None:
    for index in range(1, 13):
        (manifests.path / f"release-{index:02}.yaml").write_text(
            RELEASE.format(index=index, environment=manifests.environment)
        )
    code, lines = run_on_terminal(["sync", str(manifests.path)], tmp_path, columns, rows)
    assert code == 1, "\n".join(lines)  # every flow is missing: ValidationFailed
    assert tables(lines) == (1, 0), "\n".join(lines)
    assert sum(1 for line in lines if "release-number-12" in line) == 1, "one row per release, once"
