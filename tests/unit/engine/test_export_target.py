# ruff: noqa: E501  (a table reads best one case per block)
"""The words of a failed export-target check, as a table: the errors are the real ones gitops raises (its
URL, branch, path and Secret rules, and git's own stderr classified), so the field each names is the one
both the engine's ValidationFailed condition and `sync`'s exit-2 preflight tell the user to fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from flowrelease.engine.export_target import ExportTargetProblem, export_target_problem
from flowrelease.engine.ports import ArtifactStoreError
from flowrelease.gitops.credentials import parse_credentials
from flowrelease.gitops.failures import git_failure
from flowrelease.gitops.layout import export_folder
from flowrelease.gitops.remote import check_branch, parse_remote

HTTPS = parse_remote("https://git.example.com/cc/flows.git")


def raised(action: Callable[[], object]) -> ArtifactStoreError:
    with pytest.raises(ArtifactStoreError) as caught:
        action()
    return caught.value


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    error: Callable[[], ArtifactStoreError]
    want: ExportTargetProblem


CASES = [
    Case("branch", "a branch Git refuses names the branch, its prefix dropped from the text",
         lambda: raised(lambda: check_branch("main..next")),
         ExportTargetProblem("spec.export.git.branch", "'main..next' is not a valid Git branch name; use a name "
                             "such as main or releases/prod (no spaces, '..', '~^:?*[\\', leading '-' or "
                             "trailing '.lock')", True)),
    Case("path", "an unsafe path names the path",
         lambda: raised(lambda: export_folder("../outside")),
         ExportTargetProblem("spec.export.git.path", "'../outside' contains a \"..\" component; give a relative "
                             "folder inside the repository, e.g. flows/support-ivr", True)),
    Case("password-in-url", "a URL with a password names the URL and never shows the password",
         lambda: raised(lambda: parse_remote("https://bot:hunter2@git.example.com/f.git")),
         ExportTargetProblem("spec.export.git.url", "(https://git.example.com/f.git) embeds a password; remove "
                             "it from the URL and put the credentials in the Secret named by "
                             "spec.export.git.secretRef (keys username and password, or token)", True)),
    Case("half-a-credential", "a Secret that makes no credential names the Secret (the error's own field)",
         lambda: raised(lambda: parse_credentials({"password": "x"}, HTTPS)),
         ExportTargetProblem("spec.export.git.secretRef", "the Secret named by spec.export.git.secretRef has "
                             "password but no username; add username, or store a token under token", True)),
    Case("token-rejected", "git's 401 is the Secret's problem, permanent",
         lambda: git_failure("ls-remote", HTTPS, "fatal: Authentication failed for 'https://git.example.com/'", ()),
         ExportTargetProblem("spec.export.git.secretRef", "git ls-remote https://git.example.com/cc/flows.git "
                             "failed: the remote refused the credentials; check the Secret named by "
                             "spec.export.git.secretRef (username+password or token for HTTPS, ssh-privatekey "
                             "for SSH) and that it may write to the repository (git: fatal: Authentication "
                             "failed for 'https://git.example.com/')", True)),
    Case("unreachable", "a refused connection is the URL's (or the network's), and transient",
         lambda: git_failure("ls-remote", HTTPS, "fatal: unable to access: Failed to connect: Connection refused", ()),
         ExportTargetProblem("spec.export.git.url", "git ls-remote https://git.example.com/cc/flows.git failed: "
                             "the remote is unreachable (network, DNS or timeout); this is retried, but check "
                             "spec.export.git.url and the network if it persists (git: fatal: unable to "
                             "access: Failed to connect: Connection refused)", False)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_problem_names_the_field_to_fix(case: Case) -> None:
    assert export_target_problem(case.error()) == case.want, case.reason


def test_the_message_is_field_then_text() -> None:
    problem = ExportTargetProblem("spec.export.git.url", "did not answer", False)
    assert problem.message == "spec.export.git.url: did not answer"
