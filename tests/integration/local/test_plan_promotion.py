"""`flowrelease plan` reads the upstreams: with test and prod each in its own org (realistic emulators), a
prod release whose gate is not met is planned as waiting, never as a publish, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

from flowrelease.engine.archy_source import source_digest
from tests.integration.local.conftest import cli
from tests.support.orgs import Org, promotion_documents, support_ivr_yaml

V1 = support_ivr_yaml("Welcome to support.")
V2 = support_ivr_yaml("Welcome to support, now with shorter waits.")
TEST = "cc-test/support-ivr-test"
PROD = "cc-prod/support-ivr-prod"


def write_folder(folder: Path, orgs: dict[str, Org], test_yaml: str, prod_yaml: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prod.yaml").write_text(
        promotion_documents(orgs["prod"], flow_yaml=prod_yaml, requires=("test",))
    )
    (folder / "test.yaml").write_text(promotion_documents(orgs["test"], flow_yaml=test_yaml))


def test_plan_says_prod_waits_while_test_has_not_released_the_change(
    tmp_path: Path, orgs: dict[str, Org]
) -> None:
    folder = tmp_path / "releases"
    state = tmp_path / "state.json"
    write_folder(folder, orgs, V1, V1)
    first = cli("sync", str(folder), "--state", str(state), "--timeout", "120", cwd=tmp_path)
    assert first.exit_code == 0, first.stderr
    write_folder(folder, orgs, V2, V2)
    saved = state.read_bytes()
    requests = {env: orgs[env].control.request_count() for env in ("test", "prod")}

    run = cli("plan", str(folder), "--state", str(state), "--output", "json", cwd=tmp_path)

    planned = {item["release"]: item for item in run.json()["releases"]}  # type: ignore[union-attr]
    assert run.exit_code == 3, run.stdout + run.stderr
    assert planned[TEST]["action"] == "import", planned[TEST]
    assert planned[PROD]["action"] == "wait", planned[PROD]
    assert planned[PROD]["description"] == (
        f"wait for the promotion gate: {TEST} has not released source {source_digest(V2)} yet; it is on "
        f"source {source_digest(V1)} (Ready)"
    )
    assert state.read_bytes() == saved, "plan wrote nothing"
    for env in ("test", "prod"):
        writes = [
            r
            for r in orgs[env].control.request_log()[requests[env] :]
            if r["method"] not in ("GET", "HEAD")
            and not str(r["path"]).startswith("/oauth")
            and "query" not in str(r["path"])
        ]
        assert writes == [], f"plan only read {env}'s org: {json.dumps(writes)}"
