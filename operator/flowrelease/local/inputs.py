"""What `sync` and `plan` start from: manifests loaded and resolved, the state file opened — or BadInput.

Everything here runs before anything talks to Genesys; a problem is exit code 2 with the problems listed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flowrelease.api.errors import ManifestError, ManifestProblem
from flowrelease.api.manifests import ManifestSet, ResolvedRelease, load_manifests, resolve_releases
from flowrelease.api.models import KIND
from flowrelease.audit.redaction import SecretRedactor
from flowrelease.checks import CheckSecrets
from flowrelease.genesys import UnknownEnvironment, resolve_base_url
from flowrelease.local.check_secrets import check_secrets_for
from flowrelease.local.emulated import with_demo_credentials
from flowrelease.local.promotion_order import PromotionCycle, from_release_problems, upstream_first
from flowrelease.local.state_store import DEFAULT_STATE_PATH, JsonFileStatusStore, StateFileError
from flowrelease.local.wiring import secret_values

EMULATOR_STATE_NAME = "emulator-state.json"


class BadInput(Exception):
    """Exit 2: the problems are printed, nothing is reconciled."""

    def __init__(self, problems: Sequence[ManifestProblem | str]) -> None:
        self.problems = [str(problem) for problem in problems]
        super().__init__("\n".join(self.problems))


@dataclass
class Inputs:
    manifests: ManifestSet
    releases: list[ResolvedRelease]
    redactor: SecretRedactor
    check_secrets: dict[str, CheckSecrets] = field(default_factory=dict)
    """Per release key: the Secrets its verify checks name."""


def load_inputs(paths: Sequence[Path], *, emulator: bool, redactor: SecretRedactor | None = None) -> Inputs:
    """Manifests read and resolved, environments checked, secrets registered (in `redactor`, when given:
    the one already scrubbing the log); BadInput otherwise."""
    try:
        manifests = load_manifests(paths)
    except ManifestError as error:
        raise BadInput(error.problems) from error
    if not manifests.releases:
        shown = " ".join(str(path) for path in paths)
        raise BadInput([f"{shown}: no {KIND} manifests found; give files or folders holding {KIND} YAML"])
    environ: dict[str, str] = dict(os.environ)
    if emulator:
        environ = with_demo_credentials(environ)
    try:
        releases = resolve_releases(manifests, environ)
    except ManifestError as error:
        raise BadInput(error.problems) from error
    if not emulator:
        check_environments(releases)
    importing = from_release_problems(releases)
    if importing:
        raise BadInput(importing)
    try:
        releases = upstream_first(releases)
    except PromotionCycle as cycle:
        raise BadInput([str(cycle)]) from cycle
    redactor = redactor if redactor is not None else SecretRedactor()
    redactor.register(*secret_values(manifests, releases))
    check_secrets: dict[str, CheckSecrets] = {}
    problems: list[ManifestProblem] = []
    for resolved in releases:
        check_secrets[resolved.key], missing = check_secrets_for(manifests, resolved)
        problems += missing
    if problems:
        raise BadInput(problems)
    return Inputs(manifests, releases, redactor, check_secrets)


def check_environments(releases: Sequence[ResolvedRelease]) -> None:
    problems = []
    for resolved in releases:
        try:
            resolve_base_url(resolved.release.spec.genesys.environment)
        except UnknownEnvironment as error:
            problems.append(
                ManifestProblem(
                    file=resolved.origin.file,
                    document=resolved.origin.document,
                    resource=f"{KIND} {resolved.key}",
                    field="spec.genesys.environment",
                    fix=str(error).removeprefix("spec.genesys.environment "),
                )
            )
    if problems:
        raise BadInput(problems)


def sync_state_path(state: Path | None, emulator: bool) -> Path:
    if state is not None:
        return state
    if emulator:
        # The in-process emulator starts from the demo org on every run, so its state starts fresh too.
        path = DEFAULT_STATE_PATH.parent / EMULATOR_STATE_NAME
        path.unlink(missing_ok=True)
        return path
    return DEFAULT_STATE_PATH


def check_writable(**paths: Path) -> None:
    """Each path (`--state`, `--audit-log`, `--git-workdir`) can be created or written, without creating
    anything yet: the nearest existing folder must be a writable folder, an existing file writable."""
    problems = []
    for option, path in paths.items():
        flag = "--" + option.replace("_", "-")
        problem = _unwritable(path)
        if problem:
            problems.append(f"{flag} {path}: {problem}; pick another path")
    if problems:
        raise BadInput(problems)


def _unwritable(path: Path) -> str:
    if path.exists():
        return "" if os.access(path, os.W_OK) else "is not writable"
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"cannot create it: {folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot create it: folder {folder} is not writable"
    return ""


def open_store(path: Path, redactor: SecretRedactor) -> JsonFileStatusStore:
    try:
        return JsonFileStatusStore(path, redactor=redactor)
    except StateFileError as error:
        raise BadInput([str(error)]) from error
