"""Progress output: the live table on a terminal, plain lines elsewhere, the final table; secrets masked."""

from __future__ import annotations

import io

from rich.console import Console

from flowrelease.api.models import Condition, FlowIdentity, FlowReleaseStatus, Phase
from flowrelease.audit.redaction import SecretRedactor
from flowrelease.engine.outcome import ReleaseEvent
from flowrelease.local.outcomes import ReleaseResult, ResultKind, exit_code
from flowrelease.local.progress import LiveProgress, PlainProgress, results_table

REDACTOR = SecretRedactor(["hunter2-secret"])


def status(phase: Phase, message: str) -> FlowReleaseStatus:
    kind = {"Ready": "Ready", "RolledBack": "Stalled"}.get(phase.value, "Reconciling")
    return FlowReleaseStatus(
        phase=phase,
        desired_version="3.0",
        published_version="2.0",
        flow=FlowIdentity(id="f", name="Support IVR", type="INBOUNDCALL"),
        conditions=[Condition(type=kind, status="True", message=message)],
    )


def result(kind: ResultKind, phase: str = "Ready") -> ReleaseResult:
    return ReleaseResult(
        "cc/a",
        "Support IVR",
        "3.0",
        "3.0",
        phase,
        kind,
        "Version 3.0 is live hunter2-secret",
        verification="verified: bake passed on 20 entries",
    )


def test_plain_progress_prints_one_line_per_change_and_masks_secrets() -> None:
    stream = io.StringIO()
    progress = PlainProgress(Console(file=stream, width=200), REDACTOR)
    progress.started("cc/a", "Support IVR")
    progress.progressed("cc/a", status(Phase.PUBLISHING, "Publishing 3.0 (timeout 900s)"), ())
    progress.progressed("cc/a", status(Phase.PUBLISHING, "Publishing 3.0 (timeout 900s)"), ())
    event = ReleaseEvent("Warning", "RolledBack", "token hunter2-secret refused")
    progress.progressed("cc/a", status(Phase.ROLLED_BACK, "rolled back"), (event,))
    progress.finished(result(ResultKind.STALLED, "RolledBack"))
    assert stream.getvalue().splitlines() == [
        "[cc/a] reconciling Support IVR",
        "[cc/a] Publishing 3.0: Publishing 3.0 (timeout 900s)",
        "[cc/a] Warning RolledBack: token *** refused",
        "[cc/a] done: RolledBack (stalled)",
    ]


def test_live_progress_draws_a_table_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = LiveProgress(Console(file=stream, force_terminal=True, width=160), REDACTOR)
    progress.started("cc/a", "Support IVR")
    progress.progressed("cc/a", status(Phase.VERIFYING, "Baking hunter2-secret"), ())
    progress.finished(result(ResultKind.READY))
    progress.close()
    text = stream.getvalue()
    assert "flowrelease sync (in progress)" in text
    assert "Verifying" in text and "Baking ***" in text
    assert "hunter2-secret" not in text


def test_final_table_has_every_column() -> None:
    stream = io.StringIO()
    Console(file=stream, width=200).print(results_table([result(ResultKind.READY)], REDACTOR))
    header = next(line for line in stream.getvalue().splitlines() if "Release" in line)
    assert [cell.strip() for cell in header.strip("┃ ").split("┃")] == [
        "Release",
        "Flow",
        "Desired",
        "Published",
        "Phase",
        "Message",
        "Verification",
    ]
    assert "Version 3.0 is live ***" in stream.getvalue()
    assert "verified: bake passed on 20 entries" in stream.getvalue()


def test_exit_code_is_0_only_when_every_release_is_ready_or_suspended() -> None:
    assert exit_code([result(ResultKind.READY), result(ResultKind.SUSPENDED, "Suspended")]) == 0
    for failing in (ResultKind.STALLED, ResultKind.TIMED_OUT, ResultKind.ERROR):
        assert exit_code([result(ResultKind.READY), result(failing)]) == 1


def test_plain_progress_names_no_version_for_a_suspended_release() -> None:
    stream = io.StringIO()
    progress = PlainProgress(Console(file=stream, width=200), REDACTOR)
    progress.started("cc/a", "Support IVR")
    progress.progressed("cc/a", FlowReleaseStatus(phase=Phase.SUSPENDED), ())
    progress.finished(
        ReleaseResult(
            "cc/a", "Support IVR", "", "", "Suspended", ResultKind.SUSPENDED, "spec.suspend is true"
        )
    )
    assert stream.getvalue().splitlines() == [
        "[cc/a] reconciling Support IVR",
        "[cc/a] Suspended",
        "[cc/a] done: Suspended (spec.suspend is true)",
    ]


def test_the_live_table_never_grows_taller_than_the_terminal() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=80, height=12)
    progress = LiveProgress(console, REDACTOR)
    for index in range(20):
        progress.started(f"cc/release-{index:02}", "Support IVR")
    done = ReleaseResult("cc/release-00", "Support IVR", "3.0", "3.0", "Ready", ResultKind.READY, "")
    progress.finished(done)
    rendered = console.render_lines(progress._table(), console.options.update(width=80), pad=False)
    progress.close()
    lines = ["".join(segment.text for segment in line) for line in rendered]
    assert len(lines) <= console.height - 1, "\n".join(lines)
    # 12 lines leave room for 6 rows: 5 releases (those in flight first) and a count of the other 15
    shown = [line for line in lines if "cc/release-" in line]
    assert len(shown) == 5 and not any("cc/release-00" in line for line in shown), "\n".join(lines)
    assert any("… 15 more" in line and "1 of them done" in line for line in lines), "\n".join(lines)
