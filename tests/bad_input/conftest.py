"""A fresh bare repository per case (its commits read with plain git), beside the emulator fixture."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

GIT_ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


@dataclass(frozen=True)
class BareRepo:
    path: Path

    @property
    def url(self) -> str:
        return self.path.as_uri()

    def commits(self) -> list[str]:
        done = subprocess.run(
            ["git", "--git-dir", str(self.path), "rev-list", "--all"],
            env=GIT_ENV,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()


@pytest.fixture
def repo(tmp_path: Path) -> BareRepo:
    path = tmp_path / "remote" / "flows.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(path)], env=GIT_ENV, check=True)
    return BareRepo(path)
