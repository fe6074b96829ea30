"""Before the first side effect of an attempt the engine checks the Git export target (the ArtifactStore's
read-only check, `git ls-remote` with the release's credentials): a target that refuses fails validation
with nothing published, imported or unlocked; one that does not answer is checked again with backoff, and the
release goes ahead once it does. Real parts: the realistic emulator, real Git over file:// and HTTPS."""

from __future__ import annotations

from pathlib import Path

from flowrelease.api import conditions as C
from flowrelease.api.models import FlowReleaseStatus, Phase
from flowrelease.engine.outcome import Outcome, OutcomeKind
from flowrelease.gitops import GitArtifactStore
from tests.integration.engine.harness import Harness, fixture_text
from tests.support.git_http import GitHttpServer


def only_token_posts(harness: Harness) -> bool:
    control = harness.emulator.control
    return control.request_count(method="POST") == control.request_count(method="POST", path="/oauth/token")


def stalled(status: FlowReleaseStatus) -> tuple[str, str, str]:
    found = next(c for c in status.conditions if c.type == C.STALLED)
    return found.status, found.reason, found.message


def with_store(harness: Harness, tmp_path: Path) -> None:
    harness.artifacts = GitArtifactStore(tmp_path / "work")
    harness.reconciler = harness.new_reconciler()


async def test_a_missing_export_repository_fails_validation_and_nothing_is_sent(
    harness: Harness, tmp_path: Path
) -> None:
    with_store(harness, tmp_path)
    missing = (tmp_path / "nowhere.git").as_uri()
    release = harness.release(export={"git": {"url": missing, "path": "flows/ivr"}})

    outcome = await harness.drive(release)

    assert outcome.kind is OutcomeKind.STALLED and outcome.status.phase is Phase.VALIDATION_FAILED
    state, reason, message = stalled(outcome.status)
    assert (state, reason) == ("True", C.EXPORT_TARGET_INVALID)
    assert message.startswith(
        f"Validation failed, nothing was published: spec.export.git.url: git ls-remote {missing} failed: the "
        "repository does not exist"
    ), message
    assert only_token_posts(harness), "no validate job, no publish"
    assert ("Warning", C.VALIDATION_FAILED) in harness.release_events()
    assert harness.events("validate")[-1].outcome == "failed"


async def test_a_lock_is_not_broken_and_a_source_not_imported_for_a_target_that_refuses(
    harness: Harness, tmp_path: Path
) -> None:
    with_store(harness, tmp_path)
    export = {"git": {"url": (tmp_path / "nowhere.git").as_uri(), "path": "flows/claims"}}
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.lock_flow(flow_id, client_id="architect-ui", client_name="Jane in Architect")
    unlocking = harness.release(export=export, publish={"lockPolicy": "ForceUnlock"})
    importing = harness.release(
        name="claims-ivr",
        flow={"type": "inboundcall", "name": "Claims IVR"},
        source={"configMapRef": {"name": "claims", "key": "flow.yaml"}},
        export=export,
    )

    unlocked = await harness.drive(unlocking)
    imported = await harness.drive(importing, source_yaml=fixture_text("claims-ivr.yaml"))

    for outcome in (unlocked, imported):
        assert outcome.kind is OutcomeKind.STALLED, outcome.message
        assert stalled(outcome.status)[1] == C.EXPORT_TARGET_INVALID
    assert only_token_posts(harness), "no unlock, no Architect import job"
    assert harness.flow_state()["lockedByClientId"] == "architect-ui", "the lock is still theirs"


async def test_a_target_that_does_not_answer_is_checked_again_then_the_release_goes_ahead(
    harness: Harness, tmp_path: Path, git_http_server: GitHttpServer
) -> None:
    with_store(harness, tmp_path)
    git_http_server.create_repo("flows.git")
    git_http_server.unavailable.add("git-upload-pack")  # the Git host is in an outage
    credentials = {
        "username": git_http_server.username,
        "password": git_http_server.password,
        "ca.crt": git_http_server.ca_certificate,
    }
    release = harness.release(export={"git": {"url": git_http_server.url("flows.git"), "path": "flows/ivr"}})
    waits: list[float | None] = []

    def retrying(outcome: Outcome) -> bool:
        reconciling = next((c for c in outcome.status.conditions if c.type == C.RECONCILING), None)
        if reconciling is not None and reconciling.reason == C.RETRYING:
            waits.append(outcome.after)
        return len(waits) == 2

    waiting = await harness.drive(release, git_credentials=credentials, until=retrying)

    check = waiting.status.export_check
    assert check is not None and not check.permanent and not check.checked_at
    assert check.message.startswith(f"spec.export.git.url: git ls-remote {git_http_server.url('flows.git')}")
    assert "503" in check.message and git_http_server.password not in check.message
    assert waits[0] is not None and 4.0 <= waits[0] <= 5.0, "the first retry after 5 s (times to the second)"
    assert waits[1] is not None and waits[1] >= waits[0], "then as long again as it has been failing"
    assert harness.publishes() == [] and waiting.status.phase is Phase.VALIDATING

    git_http_server.unavailable.clear()
    ready = await harness.drive(release, waiting.status, git_credentials=credentials)

    assert ready.kind is OutcomeKind.READY, ready.message
    assert len(harness.publishes("3.0")) == 1
    assert ready.status.artifact is not None and ready.status.artifact.version == "3.0"


async def test_a_read_only_token_fails_validation_and_nothing_is_published(
    harness: Harness, tmp_path: Path, git_http_server: GitHttpServer
) -> None:
    with_store(harness, tmp_path)
    git_http_server.create_repo("flows.git")
    credentials = {
        "username": "reader",
        "password": git_http_server.reader_token,
        "ca.crt": git_http_server.ca_certificate,
    }
    release = harness.release(export={"git": {"url": git_http_server.url("flows.git"), "path": "flows/ivr"}})

    outcome = await harness.drive(release, git_credentials=credentials)

    assert outcome.kind is OutcomeKind.STALLED and outcome.status.phase is Phase.VALIDATION_FAILED, (
        outcome.message
    )
    check = outcome.status.export_check
    assert check is not None and check.permanent
    assert check.message.startswith(
        f"spec.export.git.secretRef: git push --dry-run {git_http_server.url('flows.git')}"
    )
    assert "write access" in check.message and git_http_server.reader_token not in check.message
    assert harness.publishes() == [], "a token that cannot push is found before the publish, not after"
    assert [service for service, _, _ in git_http_server.advertised] == [
        "git-upload-pack",
        "git-receive-pack",
    ]
