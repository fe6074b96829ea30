"""Where a tool built by one of scripts/build-*.sh is cached: the script's own answer (`--print`), or the
path an environment variable names instead."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def cached_build_path(override_variable: str, build_script: Path) -> tuple[Path | None, str]:
    """The cached path (not yet checked to exist), or None and why not."""
    override = os.environ.get(override_variable)
    if override:
        return Path(override), ""
    try:
        out = subprocess.run(
            ["bash", str(build_script), "--print"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"could not ask {build_script.name} for its cache path: {error}"
    return Path(out.strip().splitlines()[-1]), ""
