"""Where test inputs live: the repository's own fixtures, and the third-party Archy samples beside it.

The real Archy files from public Genesys repositories are not part of this repository (they are not ours to
copy); a checkout next to the steering folder finds them at `../shared/fixtures/archy-flows/`. Tests that need
them call `third_party_archy_dir()`, which skips with the reason when the folder is absent (a user's clone).
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
OWN_ARCHY = REPO_ROOT / "tests" / "fixtures" / "archy"
THIRD_PARTY_ARCHY = REPO_ROOT.parent / "shared" / "fixtures" / "archy-flows"


def third_party_archy_files() -> list[Path]:
    """The third-party samples, sorted; empty when the folder is absent (for parametrize at collection)."""
    if not THIRD_PARTY_ARCHY.is_dir():
        return []
    return sorted(p for p in THIRD_PARTY_ARCHY.iterdir() if p.is_file())


def third_party_archy(prefix: str) -> Path:
    """The sample whose file name starts with `prefix`; skips the test when the samples are not here."""
    for path in third_party_archy_files():
        if path.name.startswith(prefix):
            return path
    pytest.skip(
        f"third-party Archy sample {prefix!r} not found: these tests read {THIRD_PARTY_ARCHY} "
        "(../shared/fixtures/archy-flows next to the repository), which this checkout does not have"
    )


def third_party_params() -> list[object]:
    """Parametrize values over every sample, or one skipped case saying why there are none."""
    files = third_party_archy_files()
    if files:
        return [pytest.param(p, id=p.name.split("__")[0]) for p in files]
    return [
        pytest.param(
            None,
            id="no-third-party-samples",
            marks=pytest.mark.skip(reason=f"{THIRD_PARTY_ARCHY} is absent in this checkout"),
        )
    ]
