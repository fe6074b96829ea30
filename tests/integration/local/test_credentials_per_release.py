"""Credentials per release: in one `sync` run, a release whose Secret holds a wrong clientSecret for a client
id another release uses correctly fails alone with AuthenticationFailed, whatever the file order; releases of
another OAuth client are untouched. Against the loopback emulator with two clients seeded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.local.conftest import PUBLISH_PATH, ManifestFolder, cli
from tests.support.emulator import EmulatorHandle

SECOND_CLIENT = ("team-b-client", "team-b-secret-0f9e")
WRONG_SECRET = "not-the-demo-secret-7c1d"


@pytest.mark.parametrize(
    ("right_file", "wrong_file"),
    [("a-right", "b-wrong"), ("b-right", "a-wrong")],
    ids=["right-secret-file-first", "wrong-secret-file-first"],
)
def test_a_wrong_secret_fails_only_its_own_release_in_either_file_order(
    tmp_path: Path, manifests: ManifestFolder, emulator: EmulatorHandle, right_file: str, wrong_file: str
) -> None:
    emulator.control.seed({"clients": [{"id": SECOND_CLIENT[0], "secret": SECOND_CLIENT[1]}]})
    # team-b releases Billing IVR 1.0, older than its published 2.0: this test is about credentials, so the
    # org takes older versions (R4's other readings are tests/integration/engine/test_rollback*.py's).
    emulator.control.set_behaviour(older_version_publish="accept")
    manifests.secret("genesys-wrong", emulator.client_id, WRONG_SECRET)
    manifests.secret("genesys-team-b", *SECOND_CLIENT)
    manifests.release(right_file, flow_name="Support IVR", version="3.0")
    manifests.release(
        wrong_file,
        flow_name="Support In-Queue",
        flow_type="inqueuecall",
        version="2.0",
        secret="genesys-wrong",
    )
    manifests.release("team-b", flow_name="Billing IVR", version="1.0", secret="genesys-team-b")
    before = {flow["id"]: flow for flow in emulator.control.state()["flows"]}
    run = cli("sync", str(manifests.path), "--output", "json", "--concurrency", "1", cwd=tmp_path)

    assert run.exit_code == 1, run.stderr
    releases = run.releases()
    assert releases[f"cc/{right_file}"]["phase"] == "Ready", releases
    assert releases["cc/team-b"]["phase"] == "Ready", releases["cc/team-b"]
    wrong = releases[f"cc/{wrong_file}"]
    assert wrong["result"] == "stalled" and wrong["publishedVersion"] == ""
    assert "Genesys rejected the OAuth client credentials" in str(wrong["message"])
    state = json.loads((tmp_path / ".flowrelease" / "state.json").read_text())
    conditions = state["releases"][f"cc/{wrong_file}"]["status"]["conditions"]
    stalled = next(condition for condition in conditions if condition["type"] == "Stalled")
    assert (stalled["status"], stalled["reason"]) == ("True", "AuthenticationFailed")
    assert WRONG_SECRET not in run.stdout + run.stderr
    # Exactly the two releases with good secrets published, each with its own client's token.
    publishes = emulator.control.request_log(method="POST", path=PUBLISH_PATH)
    assert sorted(entry["clientId"] for entry in publishes) == sorted([emulator.client_id, SECOND_CLIENT[0]])
    in_queue = emulator.flow_id("Support In-Queue")
    flows = {flow["id"]: flow for flow in emulator.control.state()["flows"]}
    assert flows[in_queue].get("publishedVersion") == before[in_queue].get("publishedVersion")
