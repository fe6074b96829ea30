"""deploy/argocd/health.lua judged by the evaluators' own code (tools/health-eval: kstatus from
sigs.k8s.io/cli-utils, and the script in gopher-lua opened exactly as Argo CD opens a custom health script):
the health table in docs/kubernetes.md is what they compute, and the script needs no Lua library Argo CD
withholds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.rendered import DEPLOY
from tests.support.health_eval import HEALTH_LUA, HealthEval
from tests.support.health_table import EXAMPLES, case_of, documented_rows, release_object

ARGOCD_CM = DEPLOY / "argocd" / "argocd-cm.yaml"
HEALTH_KEY = "resource.customizations.health.flowrelease.io_FlowRelease"


def test_the_documented_table_is_what_kstatus_and_argocd_compute(health_eval: HealthEval) -> None:
    rows = documented_rows()
    assert [row.case for row in rows] == list(EXAMPLES), "one example object per documented case, in order"
    judged = health_eval.judge(EXAMPLES[row.case] for row in rows)
    computed = [
        (row.case, health.kstatus.status, health.argocd.status)
        for row, health in zip(rows, judged, strict=True)
    ]
    documented = [(row.case, row.kstatus, row.argocd) for row in rows]
    assert computed == documented
    for row, health in zip(rows, judged, strict=True):
        assert case_of(EXAMPLES[row.case]) == row.case
        assert health.argocd.message and not health.argocd.error, (row.case, health)


def test_the_script_runs_without_open_libs_and_gives_the_same_verdicts_with_them(
    health_eval: HealthEval,
) -> None:
    closed = health_eval.judge(EXAMPLES.values())
    opened = health_eval.judge(EXAMPLES.values(), open_libs=True)
    assert [h.argocd for h in closed] == [h.argocd for h in opened]


def test_the_script_names_no_library_argocd_withholds() -> None:
    code = "\n".join(line.split("--", 1)[0] for line in HEALTH_LUA.read_text().splitlines())
    used = set(re.findall(r"\b(string|math|io|os|debug|coroutine|require|load|loadstring|dofile)\b", code))
    assert used == set(), used


def test_argocd_gives_custom_scripts_base_table_and_package_only(
    tmp_path: Path, health_eval: HealthEval
) -> None:
    """The environment the tool reproduces (and the reason the old script failed): no string, math, io or
    global os; require("os") offers time and date only."""
    probe = tmp_path / "probe.lua"
    probe.write_text(
        'local safe = require("os")\n'
        "local seen = {}\n"
        'for _, name in ipairs({"string", "math", "io", "os", "debug", "coroutine", "table", "ipairs",'
        ' "tostring", "pcall", "require"}) do\n'
        "  if _G[name] ~= nil then table.insert(seen, name) end\n"
        "end\n"
        "local os_functions = {}\n"
        "for name, _ in pairs(safe) do table.insert(os_functions, name) end\n"
        "table.sort(os_functions)\n"
        'return {status = "Healthy", message = table.concat(seen, ",") .. "|"'
        ' .. table.concat(os_functions, ",") .. "|" .. type(obj.metadata.generation)}\n'
    )
    (health,) = health_eval.judge([release_object(None)], script=probe)
    assert health.argocd.message == "table,ipairs,tostring,pcall,require|date,time|number"


def test_a_script_calling_string_format_is_unknown_in_argocd(tmp_path: Path, health_eval: HealthEval) -> None:
    """What every FlowRelease showed after a sync with the old script."""
    old = tmp_path / "old.lua"
    old.write_text(
        'return {status = "Progressing", message = string.format("%d", obj.metadata.generation)}\n'
    )
    (health,) = health_eval.judge([release_object(None)], script=old)
    assert health.argocd.status == "Unknown"
    assert "attempt to index a non-table object(nil) with key 'format'" in health.argocd.message


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ('{status = "Healthy", message = "ok"}', ("Healthy", "ok")),
        ('{status = "Fine"}', ("Unknown", "Lua returned an invalid health status")),
        ("{}", ("", "")),
        ("nil", ("", "")),
    ],
    ids=["valid", "unknown-status", "empty-table", "nil"],
)
def test_the_returned_table_is_read_as_argocd_reads_it(
    tmp_path: Path, health_eval: HealthEval, returned: str, expected: tuple[str, str]
) -> None:
    script = tmp_path / "returns.lua"
    script.write_text(f"return {returned}\n")
    (health,) = health_eval.judge([release_object(None)], script=script)
    assert (health.argocd.status, health.argocd.message) == expected


def test_the_tool_is_built_with_the_documented_versions(health_eval: HealthEval) -> None:
    versions = health_eval.versions()
    assert versions["sigs.k8s.io/cli-utils"] == "v0.37.2"
    assert versions["github.com/yuin/gopher-lua"] == "v1.1.2"
    assert versions["argocd-behaviour"] == "v3.5.1"
    doc = (Path(__file__).resolve().parents[2] / "docs" / "kubernetes.md").read_text()
    for version in ("v0.37.2", "v1.1.2", "v3.5.1"):
        assert version in doc


def test_argocd_cm_snippet_installs_exactly_health_lua_under_the_argocd_key() -> None:
    configmap = yaml.safe_load(ARGOCD_CM.read_text())
    assert configmap["metadata"] == {
        "name": "argocd-cm",
        "namespace": "argocd",
        "labels": {"app.kubernetes.io/name": "argocd-cm", "app.kubernetes.io/part-of": "argocd"},
    }
    assert configmap["data"] == {HEALTH_KEY: HEALTH_LUA.read_text()}
