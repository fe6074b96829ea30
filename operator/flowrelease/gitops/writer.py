"""ArtifactWriter: put one artifact on a branch through a working clone — write, commit, push, retry.

Blocking (git runs as subprocesses): the store calls it in a worker thread, holding the clone's lock.

On a non-fast-forward push it fetches, rebases its commit onto the remote branch and pushes again. When the
rebase conflicts, or a clean rebase leaves the folder holding something other than the artifact (someone
edited the same files), it resets to the remote tip and writes the artifact afresh. It gives up after
`max_push_attempts` pushes and never force-pushes.
"""

from __future__ import annotations

import logging
import random
import time
from pathlib import PurePosixPath

from flowrelease.engine.ports import ArtifactProvenance, ExportedFlow, StoredArtifact
from flowrelease.gitops.clone import WorkingClone
from flowrelease.gitops.errors import GitPushRejected
from flowrelease.gitops.layout import ARTIFACT_FILES, METADATA_FILE, inherited_provenance, plan_artifact
from flowrelease.gitops.message import commit_message

_logger = logging.getLogger("flowrelease.gitops")


class ArtifactWriter:
    def __init__(
        self,
        clone: WorkingClone,
        *,
        branch: str,
        folder: PurePosixPath,
        flow: ExportedFlow,
        provenance: ArtifactProvenance,
        max_push_attempts: int,
    ) -> None:
        self._clone = clone
        self._branch = branch
        self._folder = folder
        self._flow = flow
        self._provenance = provenance
        self._max_push_attempts = max_push_attempts
        self._files: dict[str, bytes] = {}

    def run(self) -> StoredArtifact:
        base = self._clone.sync(self._branch)
        if not self._commit_on(base):
            return self._unchanged(base)
        for attempt in range(1, self._max_push_attempts + 1):
            if self._clone.push(self._branch) == "pushed":
                return self._pushed()
            if attempt == self._max_push_attempts:
                break
            _logger.warning(
                "push to %s (%s) rejected: the branch moved on; rebasing and retrying (attempt %d of %d)",
                self._clone.remote.url,
                self._branch,
                attempt + 1,
                self._max_push_attempts,
            )
            time.sleep(random.uniform(0.02, 0.1) * attempt)
            tip = self._clone.fetch(self._branch)
            if self._clone.rebase(self._branch) and self._folder_holds_the_artifact():
                if self._clone.rev_parse("HEAD") == tip:
                    return self._unchanged(tip)
                continue
            self._clone.reset_to(self._branch, tip)
            if not self._commit_on(tip):
                return self._unchanged(tip)
        raise GitPushRejected(
            f"git push {self._clone.remote.url} (branch {self._branch}) was rejected "
            f"{self._max_push_attempts} times because other writers kept moving the branch; flowrelease "
            "never force-pushes and will retry the export later"
        )

    def _commit_on(self, base: str | None) -> bool:
        """Write the artifact over the checked-out `base`; True when that made a commit to push."""
        existing = self._clone.read_files(self._folder, ARTIFACT_FILES)
        provenance = inherited_provenance(self._flow, self._provenance, existing.get(METADATA_FILE))
        plan = plan_artifact(self._folder, self._flow, provenance, existing)
        self._files = dict(plan.files)
        if not plan.changed:
            return False
        message = commit_message(self._flow, provenance, self._folder)
        return self._clone.commit_files(self._folder, plan.files, message) is not None

    def _folder_holds_the_artifact(self) -> bool:
        return self._clone.read_files(self._folder, ARTIFACT_FILES) == self._files

    def _unchanged(self, commit: str | None) -> StoredArtifact:
        _logger.info(
            "artifact %s of %s version %s unchanged in %s (%s); nothing to commit",
            self._folder,
            self._flow.flow_name,
            self._flow.version,
            self._clone.remote.url,
            self._branch,
        )
        return StoredArtifact(path=str(self._folder), commit=commit or "", changed=False)

    def _pushed(self) -> StoredArtifact:
        commit = self._clone.rev_parse("HEAD")
        _logger.info(
            "committed %s version %s to %s (%s) as %s in %s",
            self._flow.flow_name,
            self._flow.version,
            self._clone.remote.url,
            self._branch,
            commit[:12],
            self._folder,
        )
        return StoredArtifact(path=str(self._folder), commit=commit, changed=True)
