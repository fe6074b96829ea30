"""Every bad-input case through `flowrelease sync` and `flowrelease plan` (click's runner, in this process)
against the loopback emulator: refused with file, resource, field and fix (exit 2), or held with a clear
condition (exit 1); nothing published, imported or committed (the emulator's request log, the Git remote)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from string import Template

import pytest
from click.testing import CliRunner, Result

from flowrelease.cli import main
from tests.bad_input.cases import CASES, Case
from tests.bad_input.conftest import BareRepo
from tests.support.emulator import EmulatorHandle

PUBLISH = "/api/v2/flows/actions/publish"
IMPORT = "/api/v2/flows/jobs"
SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: genesys, namespace: cc}
stringData: {clientId: $client_id, clientSecret: $client_secret}
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_case(case: Case, folder: Path, emulator: EmulatorHandle, repo: BareRepo) -> Path:
    folder.mkdir(parents=True)
    values = {
        "env": emulator.base_url,
        "repo": repo.url,
        "support_ivr_id": emulator.flow_id("Support IVR"),
        "billing_id": emulator.flow_id("Billing IVR"),
        "closed_port": str(closed_port()),
        "missing_repo": (folder.parent / "no-such-repo.git").as_uri(),
        "client_id": emulator.client_id,
        "client_secret": case.secret or emulator.client_secret,
    }
    (folder / "secret-genesys.yaml").write_text(Template(SECRET).substitute(values))
    path = folder / "release.yaml"
    path.write_text(Template(case.text).substitute(values))
    return path


def invoke(command: str, folder: Path, tmp_path: Path) -> Result:
    args = [command, str(folder), "--output", "json"]
    if command == "sync":
        args += ["--state", str(tmp_path / "state.json"), "--git-workdir", str(tmp_path / "git")]
        args += ["--timeout", "60"]
    else:
        args += ["--state", str(tmp_path / "state.json")]
    return CliRunner().invoke(main, args, env={"GENESYS_CLIENT_ID": None, "GENESYS_CLIENT_SECRET": None})


def expected_prefix(case: Case, path: Path) -> str:
    where = f"{path} (document {case.document})" if case.document else str(path)
    parts = [where, *(part for part in (case.resource, case.field) if part)]
    return ": ".join(parts) + ": "


def assert_nothing_done(emulator: EmulatorHandle, repo: BareRepo, case: Case, result: Result) -> None:
    assert emulator.control.request_count(method="POST", path=PUBLISH) == 0, f"{case.id} published"
    assert emulator.control.request_count(method="POST", path=IMPORT) == 0, f"{case.id} imported"
    assert repo.commits() == [], f"{case.id} committed"
    if case.hidden:
        assert case.hidden not in result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_sync_refuses_or_holds_the_case_and_does_nothing(
    tmp_path: Path, emulator: EmulatorHandle, repo: BareRepo, case: Case
) -> None:
    if case.setup is not None:
        case.setup(emulator)
    path = write_case(case, tmp_path / "manifests", emulator, repo)
    result = invoke("sync", path.parent, tmp_path)
    summary = json.loads(result.stdout)

    if case.held:
        assert result.exit_code == 1, result.stdout + result.stderr
        (release,) = [item for item in summary["releases"] if item["release"] == "cc/bad"]
        assert (release["result"], release["ok"]) == ("stalled", False), release
        state = json.loads((tmp_path / "state.json").read_text())
        conditions = state["releases"]["cc/bad"]["status"]["conditions"]
        stalled = next(condition for condition in conditions if condition["type"] == "Stalled")
        assert (stalled["status"], stalled["reason"]) == ("True", case.held), stalled
        assert case.fix in stalled["message"], stalled["message"]
    else:
        assert result.exit_code == 2, result.stdout + result.stderr
        prefix = expected_prefix(case, path)
        named = [problem for problem in summary["problems"] if problem.startswith(prefix)]
        assert named, f"{case.reason}: no problem starts with {prefix!r}: {summary['problems']}"
        assert any(case.fix in problem for problem in named), f"{case.fix!r} not in {named}"
        assert not (tmp_path / "state.json").exists(), "a refused run writes no state"
    assert "Traceback" not in result.stdout + result.stderr
    assert_nothing_done(emulator, repo, case, result)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_plan_agrees_with_sync(tmp_path: Path, emulator: EmulatorHandle, repo: BareRepo, case: Case) -> None:
    if case.setup is not None:
        case.setup(emulator)
    path = write_case(case, tmp_path / "manifests", emulator, repo)
    result = invoke("plan", path.parent, tmp_path)
    summary = json.loads(result.stdout)

    if case.held:  # sync ends blocked: plan must say so, in the words of sync's Stalled condition
        (release,) = [item for item in summary["releases"] if item["release"] == "cc/bad"]
        assert release["action"] == "blocked", release
        assert release["description"].startswith("blocked: ") and case.fix in release["description"], release
        assert result.exit_code == 1 and summary["exitCode"] == 1, result.stdout + result.stderr
    else:
        assert result.exit_code == 2, result.stdout + result.stderr
        prefix = expected_prefix(case, path)
        assert any(problem.startswith(prefix) and case.fix in problem for problem in summary["problems"]), (
            summary["problems"]
        )
    assert_nothing_done(emulator, repo, case, result)
    assert emulator.control.request_count(method="POST") == emulator.control.request_count(
        method="POST", path="/oauth/token"
    ), "plan only reads"
