"""No secret (client secret, access token) reaches stdout, stderr, the audit log or the state file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.local.conftest import ManifestFolder, cli
from tests.support.emulator import EmulatorHandle

CLIENT_SECRET = "S3cr3t-For-The-Leak-Test-42"
WRONG_SECRET = "Wrong-S3cret-Must-Not-Leak-99"


@pytest.fixture
def issued_tokens(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every access token the emulator hands out (recorded by wrapping its token store)."""
    tokens: list[str] = []
    store = emulator.server.runtime.tokens
    issue: Callable[..., object] = store.issue

    def recording_issue(*args: object, **kwargs: object) -> object:
        issued = issue(*args, **kwargs)
        tokens.append(issued.access_token)  # type: ignore[attr-defined]
        return issued

    monkeypatch.setattr(store, "issue", recording_issue)
    return tokens


@pytest.mark.parametrize("output", ["text", "json"])
def test_no_secret_or_token_in_any_output(
    tmp_path: Path, emulator: EmulatorHandle, issued_tokens: list[str], output: str
) -> None:
    emulator.control.seed({"clients": [{"id": "ci-bot", "secret": CLIENT_SECRET}]})
    folder = ManifestFolder(tmp_path / "m", emulator.base_url, "ci-bot", CLIENT_SECRET)
    folder.secret("wrong", "ci-bot", WRONG_SECRET)
    folder.release("support-ivr")
    folder.release("billing", flow_name="Billing IVR", version="9.9")
    folder.release(
        "denied", flow_name="Support In-Queue", flow_type="inqueuecall", version="2.0", secret="wrong"
    )
    state, audit = tmp_path / "state.json", tmp_path / "audit.jsonl"
    run = cli(
        "sync",
        str(folder.path),
        "-vv",
        "--output",
        output,
        "--state",
        str(state),
        "--audit-log",
        str(audit),
        cwd=tmp_path,
    )
    assert run.exit_code == 1, run.stderr
    assert issued_tokens, "the run authenticated at least once"
    outputs = {
        "stdout": run.stdout,
        "stderr": run.stderr,
        "audit log": audit.read_text(),
        "state file": state.read_text(),
    }
    assert "DEBUG" in run.stderr, "debug logging was on"
    for where, text in outputs.items():
        for secret in [CLIENT_SECRET, WRONG_SECRET, *issued_tokens]:
            assert secret not in text, f"a secret leaked into the {where}"
