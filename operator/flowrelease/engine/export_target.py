"""What a failed check of the Git export target means, in words both shells print: PURE.

`ArtifactStore.check_target` raises the ArtifactStoreError the export would meet (a rejected token, a missing
repository, an unusable URL, path or branch, an unreachable remote). Both the engine (before the first side
effect of an attempt) and `flowrelease sync`'s up-front preflight turn it into the same `field: text`, so a
problem reads the same whether a pipeline sees exit 2 or a cluster sees a ValidationFailed condition.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowrelease.engine.ports import ArtifactStoreError

URL_FIELD = "spec.export.git.url"
EXPORT_FIELDS = ("spec.export.git.branch", "spec.export.git.path", URL_FIELD, "spec.export.git.secretRef")


@dataclass(frozen=True)
class ExportTargetProblem:
    field: str
    """The spec field to fix: spec.export.git.url, .branch, .path or .secretRef."""
    text: str
    """What is wrong and what to check, without the field."""
    permanent: bool
    """Retrying cannot help until someone changes the Secret, the URL, the repository or its rules."""

    @property
    def message(self) -> str:
        return f"{self.field}: {self.text}"


def export_target_problem(error: ArtifactStoreError) -> ExportTargetProblem:
    """The field a message starts with wins (`spec.export.git.branch 'x' is not ...`), then the error's own
    `field`, then the URL (the remote answered, or did not)."""
    message = str(error)
    for field in EXPORT_FIELDS:
        if message.startswith(f"{field} "):
            return ExportTargetProblem(field, message.removeprefix(f"{field} "), error.permanent)
    return ExportTargetProblem(error.field or URL_FIELD, message, error.permanent)
