"""`flowrelease sync` promoting one change dev -> test -> prod, each environment its own org (emulator).

The folder holds the three environments in reverse order: sync must run the upstreams first in the same run,
and each gate reads its upstream's status from that run. The orgs play the realistic profile (read lag,
other operation ids, Registered jobs, no validate jobs) with quick timing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flowrelease.engine.archy_source import source_digest
from tests.integration.local.conftest import cli
from tests.support.orgs import Org, promotion_documents, support_ivr_yaml

V1 = support_ivr_yaml("Welcome to support.")
V2 = support_ivr_yaml("Welcome to support, now with shorter waits.")
KEYS = {env: f"cc-{env}/support-ivr-{env}" for env in ("dev", "test", "prod")}


def write_folder(
    folder: Path, orgs: dict[str, Org], flow_yaml: dict[str, str], bake: dict[str, int] | None = None
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    chain = {"dev": (), "test": ("dev",), "prod": ("test",)}
    for index, env in enumerate(("prod", "test", "dev")):  # downstream first on disk: sync must reorder
        text = promotion_documents(
            orgs[env], flow_yaml=flow_yaml[env], requires=chain[env], bake_seconds=(bake or {}).get(env, 1)
        )
        (folder / f"{index}-{env}.yaml").write_text(text)


def sync(folder: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    run = cli(
        "sync", str(folder), "--output", "json", "--state", str(tmp_path / "state.json"), *args, cwd=tmp_path
    )
    return run.exit_code, run.releases(), run.stderr


def state(tmp_path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((tmp_path / "state.json").read_text())
    return {key: record["status"] for key, record in document["releases"].items()}


def test_one_change_flows_dev_test_prod_in_one_run(tmp_path: Path, orgs: dict[str, Org]) -> None:
    folder = tmp_path / "releases"
    write_folder(folder, orgs, {"dev": V1, "test": V1, "prod": V1})

    code, releases, stderr = sync(folder, tmp_path, "--timeout", "120")

    assert code == 0, stderr
    assert {key: item["phase"] for key, item in releases.items()} == {key: "Ready" for key in KEYS.values()}
    statuses = state(tmp_path)
    for env, key in KEYS.items():
        promotion = statuses[key]["promotion"]
        assert (promotion["changeKind"], promotion["change"]) == ("source", source_digest(V1)), env
        assert orgs[env].imports() >= 1, f"{env}'s own org received the import"
    assert statuses[KEYS["prod"]]["promotion"]["gate"] == "Open"
    assert "cc-test/support-ivr-test verified source" in statuses[KEYS["prod"]]["promotion"]["message"]
    assert "gate" not in statuses[KEYS["dev"]]["promotion"], "dev has no spec.promotion: no gate"
    flow_ids = {env: orgs[env].control.flow_id("Support IVR") for env in KEYS}
    assert len(set(flow_ids.values())) == 3, "each org has its own ids"


def test_a_health_breach_in_test_stops_prod(tmp_path: Path, orgs: dict[str, Org]) -> None:
    folder = tmp_path / "releases"
    write_folder(folder, orgs, {"dev": V1, "test": V1, "prod": V1})
    test_flow = orgs["test"].control.flow_id("Support IVR")
    orgs["test"].control.set_analytics(test_flow, failure_ratio=0.4, samples=200)
    prod_published = orgs["prod"].control.state()

    code, releases, stderr = sync(folder, tmp_path, "--timeout", "120")

    assert code == 1, stderr
    assert releases[KEYS["dev"]]["phase"] == "Ready"
    assert releases[KEYS["test"]]["phase"] == "RolledBack"
    prod = state(tmp_path)[KEYS["prod"]]
    assert prod["promotion"]["gate"] == "Blocked"
    stalled = next(c for c in prod["conditions"] if c["type"] == "Stalled")
    assert stalled["reason"] == "PromotionBlocked"
    assert f"cc-test/support-ivr-test rolled back source {source_digest(V1)}" in stalled["message"]
    assert orgs["prod"].imports() == 0, "nothing was imported into prod"
    assert orgs["prod"].control.state() == prod_published, "the prod org is untouched"


def test_a_new_change_in_test_while_prod_bakes_does_not_disturb_prod(
    tmp_path: Path, orgs: dict[str, Org]
) -> None:
    folder = tmp_path / "releases"
    bake = {"dev": 1, "test": 1, "prod": 600}
    write_folder(folder, orgs, {"dev": V1, "test": V1, "prod": V1}, bake)
    # Polled, not notified: this test is about prod baking while test changes, and the polled shell keeps
    # the three imports' timing independent of event delivery. The notified path of the same
    # dev -> test -> prod flow is test_one_change_flows_dev_test_prod_in_one_run.
    first = sync(folder, tmp_path, "--timeout", "60", "--no-notifications")
    assert first[0] == 1, first[2]  # prod is still baking when the run ends
    prod_before = state(tmp_path)[KEYS["prod"]]
    assert prod_before["phase"] == "Verifying", first[1][KEYS["prod"]]
    prod_imports = orgs["prod"].imports()

    write_folder(folder, orgs, {"dev": V2, "test": V2, "prod": V1}, bake)
    second = sync(folder, tmp_path, "--timeout", "60", "--no-notifications")

    statuses = state(tmp_path)
    assert second[1][KEYS["test"]]["phase"] == "Ready", second[2]
    assert statuses[KEYS["test"]]["promotion"]["change"] == source_digest(V2)
    prod_after = statuses[KEYS["prod"]]
    assert prod_after["phase"] == "Verifying"
    assert prod_after["verification"]["startedAt"] == prod_before["verification"]["startedAt"]
    assert prod_after["promotion"] == prod_before["promotion"]
    assert prod_after["publishedVersion"] == prod_before["publishedVersion"]
    assert orgs["prod"].imports() == prod_imports, "prod imported nothing new"


def test_a_cycle_of_requirements_is_bad_input(tmp_path: Path, orgs: dict[str, Org]) -> None:
    folder = tmp_path / "releases"
    folder.mkdir()
    (folder / "a.yaml").write_text(promotion_documents(orgs["dev"], flow_yaml=V1, requires=("test",)))
    (folder / "b.yaml").write_text(promotion_documents(orgs["test"], flow_yaml=V1, requires=("dev",)))

    run = cli("sync", str(folder), "--state", str(tmp_path / "state.json"), cwd=tmp_path)

    assert run.exit_code == 2, run.stderr
    assert "spec.promotion.requires forms a cycle" in run.stdout + run.stderr
    assert orgs["dev"].imports() == 0 and orgs["test"].imports() == 0
