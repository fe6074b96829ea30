"""The engine's time bounds: how long it believes "not visible yet", and how long it waits for jobs.

Each bound is stated with its evidence in docs/engine.md ("Completion and failure rules"). All are counted
from times recorded in the status (intent, acknowledgement, first failure), never from a poll counter, so a
poll that learns nothing new writes an identical status.
"""

from __future__ import annotations

VISIBILITY_GRACE_SECONDS = 30.0
"""After a side effect was acknowledged (or, after a crash, its intent recorded), how long a read that shows
no sign of it (the previous currentOperation, another id, none at all, the old version) is "not visible
yet" (genesys-realism.md R1, R2). Past it, an acknowledged POST changed nothing (R4 "ignore", R5) and an
unacknowledged one never reached Genesys. Never more than `spec.publish.timeoutSeconds`."""

MIN_UNSEEN_READS = 3
"""…and how many reads of the flow since the operation started must show no sign of it, besides the time:
R1 lags by reads as well as by time (the realistic emulator plays 2 stale reads), and a tight rate limit can
leave a release only one or two reads in the whole grace. Counted in memory (a restarted engine counts
afresh, which only waits longer), so a read that learns nothing still writes an identical status."""

UPLOAD_GRACE_SECONDS = 60.0
"""A restarted engine finds an import job `Registered` whose upload it never saw acknowledged: how long it
waits for the job to start before concluding the file never arrived and importing again (R6)."""

VALIDATE_JOB_TIMEOUT_SECONDS = 120.0
"""A validate job not finished by then is treated as the validate service being unavailable (R7)."""

EXPORT_JOB_TIMEOUT_SECONDS = 90.0
"""An export job not finished by then is an export failure, retried with the export backoff."""

CONFLICT_RETRY_SECONDS = 5.0
"""A publish refused with 409 under lockPolicy Wait/ForceUnlock is sent again after this wait."""

LOCK_RECHECK_SECONDS = 10.0
EXPORT_RETRY_MIN_SECONDS = 15.0
EXPORT_RETRY_MAX_SECONDS = 300.0
EXPORT_CHECK_RETRY_MIN_SECONDS = 5.0
EXPORT_CHECK_RETRY_MAX_SECONDS = 60.0


def visibility_grace(timeout_seconds: float) -> float:
    """The grace for a release whose publish timeout is `timeout_seconds`."""
    return min(VISIBILITY_GRACE_SECONDS, float(timeout_seconds))


def export_retry_delay(failing_for: float) -> float:
    """Export backoff: as long again as the export has been failing, within [15 s, 300 s]."""
    return min(EXPORT_RETRY_MAX_SECONDS, max(EXPORT_RETRY_MIN_SECONDS, failing_for))


def export_check_retry_delay(failing_for: float) -> float:
    """Backoff of the export-target check before publishing: as long again as it has been failing, within
    [5 s, 60 s] (nothing is live yet, so it is retried sooner than an export; publish.timeoutSeconds bounds
    it all)."""
    return min(EXPORT_CHECK_RETRY_MAX_SECONDS, max(EXPORT_CHECK_RETRY_MIN_SECONDS, failing_for))
