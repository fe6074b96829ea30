"""The condition vocabulary of a FlowRelease: types, reasons, and the phrases status messages are built from.

Three kstatus conditions tell tools (kubectl wait, Flux, Argo CD) where a release stands:

- `Ready`        True only when the desired version is live, verified and (when asked) exported.
- `Reconciling`  True while work is in flight; its message names the version and the timeout. Absent when
                 the release is settled (Ready or Stalled).
- `Stalled`      True when the release needs a person: validation failed, rolled back, or a permanent error.

Domain conditions say what happened to the release, one fact each: `Validated`, `Published`, `Healthy`,
`Verified`, `Exported`, `RolledBack`, `Drifted`. `Healthy` says no verify stage found the version unhealthy;
`Verified` is the stronger claim that every stage was judged on enough samples and every check passed
(False with `NotJudged` when a stage passed unjudged under onInsufficientData: Pass, or without stages).
"""

from __future__ import annotations

from typing import Final

# ------------------------------------------------------------------------------------------- types

READY: Final = "Ready"
RECONCILING: Final = "Reconciling"
STALLED: Final = "Stalled"
VALIDATED: Final = "Validated"
PUBLISHED: Final = "Published"
HEALTHY: Final = "Healthy"
VERIFIED: Final = "Verified"
EXPORTED: Final = "Exported"
ROLLED_BACK: Final = "RolledBack"
DRIFTED: Final = "Drifted"

KSTATUS_TYPES: Final = (READY, RECONCILING, STALLED)
DOMAIN_TYPES: Final = (VALIDATED, PUBLISHED, HEALTHY, VERIFIED, EXPORTED, ROLLED_BACK, DRIFTED)
ALL_TYPES: Final = KSTATUS_TYPES + DOMAIN_TYPES

# ----------------------------------------------------------------------------------------- reasons

# progress
PROGRESSING: Final = "Progressing"
VALIDATING: Final = "Validating"
PUBLISHING: Final = "Publishing"
IMPORTING: Final = "Importing"
VERIFYING: Final = "Verifying"
BAKING: Final = "Baking"
EXPORTING: Final = "Exporting"
ROLLING_BACK: Final = "RollingBack"
RESTORING: Final = "RestoringPreviousVersion"
REIMPORTING: Final = "ReimportingPreviousVersion"
WAITING_FOR_LOCK: Final = "WaitingForLock"
RETRYING: Final = "RetryingAfterError"
WAITING_FOR_PROMOTION: Final = "WaitingForPromotion"
"""Also a condition type: True while the promotion gate waits for an upstream release (docs/promotion.md)."""
PROMOTION_BLOCKED: Final = "PromotionBlocked"
"""Stalled: an upstream release rolled back (or failed) the very change this release would publish."""

# success
SUCCEEDED: Final = "Succeeded"
ALREADY_PUBLISHED: Final = "AlreadyPublished"
NO_VERIFY_STAGES: Final = "NoVerifyStages"
STAGES_PASSED: Final = "StagesPassed"
NOT_JUDGED: Final = "NotJudged"
EXTENDED: Final = "BakeExtended"
NOT_REQUESTED: Final = "NotRequested"
IN_SYNC: Final = "InSync"

# validation failures (Stalled, phase ValidationFailed, nothing published)
FLOW_NOT_FOUND: Final = "FlowNotFound"
VERSION_NOT_FOUND: Final = "VersionNotFound"
VERSION_NOT_CHECKED_IN: Final = "VersionNotCheckedIn"
FLOW_LOCKED: Final = "FlowLocked"
LOCK_WAIT_TIMED_OUT: Final = "LockWaitTimedOut"
DEPENDENCY_MISSING: Final = "DependencyMissing"
DEPENDENCY_HASH_MISMATCH: Final = "DependencyHashMismatch"
VALIDATION_ERRORS: Final = "ValidationErrors"
VALIDATION_WARNINGS: Final = "ValidationWarnings"
SOURCE_INVALID: Final = "SourceInvalid"
IMPORT_FAILED: Final = "ImportFailed"
VALIDATION_FAILED: Final = "ValidationFailed"
VALIDATION_SERVICE_UNAVAILABLE: Final = "ValidationServiceUnavailable"
EXPORT_TARGET_INVALID: Final = "ExportTargetInvalid"
EXPORT_TARGET_UNREACHABLE: Final = "ExportTargetUnreachable"
FLOW_IDENTITY_MISMATCH: Final = "FlowIdentityMismatch"

# ownership (Stalled, phase Pending, nothing published; lifts by itself when the owner goes)
FLOW_CONFLICT: Final = "FlowConflict"

# release failures
PUBLISH_FAILED: Final = "PublishFailed"
PUBLISH_TIMED_OUT: Final = "PublishTimedOut"
PUBLISH_IGNORED: Final = "PublishIgnored"
IMPORT_NOT_PUBLISHED: Final = "ImportNotPublished"
IMPORT_TIMED_OUT: Final = "ImportTimedOut"
HEALTH_BREACH: Final = "HealthBreach"
CHECK_FAILED: Final = "CheckFailed"
INSUFFICIENT_DATA: Final = "InsufficientData"
VERIFICATION_FAILURES: Final = frozenset({HEALTH_BREACH, CHECK_FAILED, INSUFFICIENT_DATA})
"""Why a verify stage fails (and the release rolls back): the `Healthy`/`Verified` False reasons."""
ROLLBACK_SUCCEEDED: Final = "RollbackSucceeded"
RESTORE_SUCCEEDED: Final = "RestoredAsNewVersion"
ROLLBACK_FAILED: Final = "RollbackFailed"
ROLLBACK_DISABLED: Final = "RollbackDisabled"
NOTHING_TO_ROLL_BACK_TO: Final = "NothingToRollBackTo"
VERSION_FAILED_BEFORE: Final = "VersionFailedBefore"

# export
EXPORT_FAILED: Final = "ExportFailed"
ARTIFACT_STORE_MISSING: Final = "ArtifactStoreNotConfigured"

# drift
DRIFT_DETECTED: Final = "DriftDetected"

# permanent errors from Genesys
AUTHENTICATION_FAILED: Final = "AuthenticationFailed"
PERMISSION_DENIED: Final = "PermissionDenied"
INVALID_REQUEST: Final = "InvalidRequest"
NOT_FOUND: Final = "NotFound"
CONFLICT: Final = "Conflict"

SUSPENDED: Final = "Suspended"

FAILURE_REASONS: Final = frozenset(
    {
        FLOW_NOT_FOUND,
        VERSION_NOT_FOUND,
        VERSION_NOT_CHECKED_IN,
        FLOW_LOCKED,
        LOCK_WAIT_TIMED_OUT,
        DEPENDENCY_MISSING,
        DEPENDENCY_HASH_MISMATCH,
        VALIDATION_ERRORS,
        VALIDATION_WARNINGS,
        VALIDATION_SERVICE_UNAVAILABLE,
        FLOW_IDENTITY_MISMATCH,
        EXPORT_TARGET_INVALID,
        EXPORT_TARGET_UNREACHABLE,
        SOURCE_INVALID,
        IMPORT_FAILED,
        PUBLISH_FAILED,
        PUBLISH_TIMED_OUT,
        PUBLISH_IGNORED,
        IMPORT_TIMED_OUT,
        IMPORT_NOT_PUBLISHED,
        EXPORT_FAILED,
        HEALTH_BREACH,
        CHECK_FAILED,
        INSUFFICIENT_DATA,
        ROLLBACK_FAILED,
        ROLLBACK_DISABLED,
        NOTHING_TO_ROLL_BACK_TO,
        AUTHENTICATION_FAILED,
        PERMISSION_DENIED,
        INVALID_REQUEST,
        NOT_FOUND,
        CONFLICT,
    }
)


def published_message(version: str, operation_id: str) -> str:
    """The `Published` condition's message (for people; the id is in `status.publishedOperationId`)."""
    if operation_id:
        return f"Version {version} is live (operation {operation_id})."
    return f"Version {version} is live."
