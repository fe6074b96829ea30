"""What the built operator image holds, read from its own filesystem (`podman image mount`) and by running
its programs: the operator and the tools it shells out to, and nothing a build or a test left behind."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.rendered import REPO_ROOT
from tests.support.podman import BuiltImage, podman

pytestmark = [pytest.mark.image, pytest.mark.timeout(900)]

COMPILERS = re.compile(
    r"^(cc|c\+\+|gcc|g\+\+|cpp|clang|clang\+\+|tcc|x86_64-linux-gnu-(gcc|g\+\+|cpp)(-\d+)?)(-\d+)?$"
)
SITE_PACKAGES = "opt/flowrelease/lib/python3.11/site-packages"


def _normalize(requirement: str) -> str:
    name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def rootfs(operator_image: BuiltImage) -> Iterator[Path]:
    mounted = podman("image", "mount", operator_image.tag).stdout.strip()
    try:
        yield Path(mounted)
    finally:
        podman("image", "unmount", operator_image.tag, check=False)


@pytest.fixture(scope="module")
def files(rootfs: Path) -> list[Path]:
    return [path.relative_to(rootfs) for path in rootfs.rglob("*")]


def _run(image: BuiltImage, *argv: str) -> str:
    result = podman(
        "run", "--rm", "--pull=never", "--read-only", "--entrypoint", argv[0], image.tag, *argv[1:]
    )
    return result.stdout + result.stderr


def test_the_image_runs_the_operator_as_uid_10001_with_the_deployments_arguments(
    operator_image: BuiltImage, deployment: dict[str, Any]
) -> None:
    config = operator_image.inspect()["Config"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["flowrelease"]
    assert config["Cmd"] == container["args"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["FLOWRELEASE_WORKDIR"] == "/var/lib/flowrelease"
    assert env["HOME"] == "/tmp"
    assert env["PATH"].split(":")[0] == "/opt/flowrelease/bin"


def test_git_and_ssh_are_there_for_the_export(operator_image: BuiltImage) -> None:
    assert _run(operator_image, "git", "--version").startswith("git version 2.39.5")
    assert _run(operator_image, "ssh", "-V").startswith("OpenSSH_9.2p1")
    assert "Usage: flowrelease" in _run(operator_image, "flowrelease", "--help")


def test_no_compiler_is_in_the_image(rootfs: Path, files: list[Path]) -> None:
    programs = [p for p in files if not (rootfs / p).is_dir()]
    assert [str(p) for p in programs if COMPILERS.match(p.name)] == []
    toolchain = {"cc1", "cc1plus", "as", "ld", "ld.bfd", "ld.gold", "make"}
    assert [str(p) for p in programs if p.name in toolchain] == []
    assert [str(p) for p in programs if p.name == "Python.h"] == []  # no headers to build extensions against


def test_no_test_dependency_is_installed(rootfs: Path) -> None:
    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    test_names = {_normalize(requirement) for requirement in extras["test"]}
    assert {"pytest", "hypothesis", "purecloudplatformclientv2"} <= test_names
    installed = {
        _normalize(path.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        for path in (rootfs / SITE_PACKAGES).glob("*.dist-info")
    }
    assert "flowrelease" in installed and "kopf" in installed
    assert installed & test_names == set()


def test_no_build_or_package_caches_are_left(rootfs: Path, files: list[Path]) -> None:
    assert not (rootfs / "src").exists() and not (rootfs / "wheels").exists()
    caches = [
        str(p) for p in files if p.name in {".cache", "pip-cache"} or p.parts[:3] == ("root", ".cache", "pip")
    ]
    assert caches == []
    assert list((rootfs / "var/lib/apt/lists").glob("*_Packages*")) == []
    assert list((rootfs / "var/cache/apt/archives").glob("*.deb")) == []
    assert [str(p) for p in (rootfs / "tmp").iterdir()] == []


def test_neither_the_test_suite_nor_its_bytecode_is_in_the_image(rootfs: Path, files: list[Path]) -> None:
    package = rootfs / SITE_PACKAGES / "flowrelease"
    assert (package / "cli.py").is_file() and (package / "py.typed").is_file()
    ours = {p.name for p in (REPO_ROOT / "tests").rglob("*.py") if p.name.startswith(("test_", "conftest"))}
    assert "conftest.py" in ours
    leaked = [
        str(p)
        for p in files
        if p.name in ours or (p.suffix == ".pyc" and p.name.split(".")[0] + ".py" in ours)
    ]
    assert leaked == []
    assert not any(part == "tests" for p in package.rglob("*") for part in p.relative_to(package).parts)


def test_the_image_history_records_the_pinned_base_and_no_secret_build_args(
    operator_image: BuiltImage,
) -> None:
    history = json.loads(
        podman("image", "history", "--format", "json", "--no-trunc", operator_image.tag).stdout
    )
    created = " ".join(str(layer.get("CreatedBy", "")) for layer in history)
    assert "git=1:2.39.5-0+deb12u3" in created
    assert "ca-certificates.crt" not in created
