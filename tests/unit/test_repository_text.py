"""The committed text itself: no merge-conflict markers and no machine paths slip into what users read."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.paths import REPO_ROOT

CONFLICT_MARKER = re.compile(r"^(<{7}|>{7})( |$)", re.MULTILINE)
MACHINE_PATH = re.compile(r"(?<![\w.])/(work|root|home/\w+)/")
TEXT_SUFFIXES = {
    ".md",
    ".py",
    ".yaml",
    ".yml",
    ".json",
    ".sh",
    ".toml",
    ".lua",
    ".go",
    ".txt",
    ".cfg",
    ".tpl",
}


def tracked_text_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        pytest.skip("not a git checkout: nothing to scan")
    names = [name for name in listing.stdout.split("\0") if name]
    return [name for name in names if any(name.endswith(suffix) for suffix in TEXT_SUFFIXES)]


@pytest.mark.parametrize(
    ("pattern", "what"), [(CONFLICT_MARKER, "merge-conflict marker"), (MACHINE_PATH, "machine path")]
)
def test_no_tracked_file_holds(pattern: re.Pattern[str], what: str) -> None:
    offenders = []
    for name in tracked_text_files():
        path = REPO_ROOT / name
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        offenders += [f"{name}: {match.group(0)!r}" for match in pattern.finditer(text)]
    assert not offenders, f"{what} in tracked files: {offenders[:10]}"
