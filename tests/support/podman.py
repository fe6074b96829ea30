"""podman for the image tests: the project's own podman (``scripts/podman.sh``), the stand-in base image
(``scripts/build-base-image.sh``) and the operator image built from the repository's ``Dockerfile``.

No registry serves ``python:3.11-slim-bookworm`` here, so the base is built from Debian's packages and
passed as ``--build-arg PYTHON_IMAGE=<tag>``; the Dockerfile itself is built as it is. Builds run with
``--isolation chroot`` (works as root here) and reach PyPI and Debian through this machine's network; the
host's CA bundle is bind-mounted for the RUN steps only (a TLS-inspecting proxy's CA, if the machine has
one), which a build never commits into a layer.

Where podman, runc or debootstrap is missing, or not running as root, the tests skip with the install
command; under ``CI=true`` they fail instead, like the kube tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PODMAN_SCRIPT = REPO_ROOT / "scripts" / "podman.sh"
BASE_IMAGE_SCRIPT = REPO_ROOT / "scripts" / "build-base-image.sh"
INSTALL_COMMAND = "apt-get install -y podman runc debootstrap uidmap fuse-overlayfs slirp4netns"
OPERATOR_IMAGE = "localhost/flowrelease/operator:test"
BUILD_TIMEOUT_S = 1500.0
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class PodmanError(AssertionError):
    """podman exited non-zero; the message carries the command and its output."""

    def __init__(self, args: tuple[str, ...], result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        super().__init__(
            f"podman {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )


def missing_tools() -> str:
    """Why the image tests cannot run here ('' when they can)."""
    if os.geteuid() != 0:
        return "building and running the image needs root (podman build --isolation chroot)"
    absent = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
    return f"{', '.join(absent)} not installed" if absent else ""


def skip_or_fail_without_podman(reason: str) -> NoReturn:
    message = (
        f"the image tests need podman, runc and debootstrap as root ({reason}); install: {INSTALL_COMMAND}"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def podman(*args: str, check: bool = True, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """``scripts/podman.sh <args>``: the project's podman configuration and storage, never the user's."""
    result = subprocess.run(
        ["bash", str(PODMAN_SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise PodmanError(args, result)
    return result


def base_image() -> str:
    """The stand-in base image's tag, built (first time, a few minutes) or loaded from the cache."""
    result = subprocess.run(
        ["bash", str(BASE_IMAGE_SCRIPT)], capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines or not lines[-1].startswith("localhost/"):
        raise AssertionError(f"{BASE_IMAGE_SCRIPT.name} failed:\n{result.stderr[-6000:]}")
    return lines[-1]


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    base: str
    build_seconds: float
    log: str

    def inspect(self) -> dict[str, Any]:
        (info,) = json.loads(podman("image", "inspect", self.tag).stdout)
        return dict(info)

    @property
    def size_bytes(self) -> int:
        return int(self.inspect()["Size"])


def build_operator_image(base: str, tag: str = OPERATOR_IMAGE, *, layer_cache: bool = True) -> BuiltImage:
    """``podman build`` of the repository's Dockerfile on ``base``; unchanged layers are reused unless
    ``layer_cache`` is False."""
    args = ["build", "--isolation", "chroot", "--build-arg", f"PYTHON_IMAGE={base}", "-t", tag]
    if HOST_CA_BUNDLE.is_file():
        args += ["--volume", f"{HOST_CA_BUNDLE}:{HOST_CA_BUNDLE}:ro"]
    if not layer_cache:
        args.append("--no-cache")
    started = time.monotonic()
    result = podman(*args, "-f", str(REPO_ROOT / "Dockerfile"), str(REPO_ROOT), timeout=BUILD_TIMEOUT_S)
    return BuiltImage(tag=tag, base=base, build_seconds=time.monotonic() - started, log=result.stdout)
