"""A run without a state file (a fresh CI runner) rebuilds what the engine would otherwise have forgotten.

The engine observes Genesys first, so a version already live is never published again; what it cannot see
in Genesys is the provenance of that publish. When a promotion's desired version is the live one and the
artifact in Git (`release.json` under `spec.export.git.path` on the branch) is that flow version's, the
dependency hash recorded there is seeded into the new status, so the status, the audit trail and any
export carry it; the artifact store itself never lets an export without it (or without the operation id)
replace what the artifact records (`gitops.layout.inherited_provenance`), so no commit is made.

Source mode (`spec.source`) is not rebuilt yet: telling whether the live version came from the same YAML
needs the source digest in the artifact, which the engine does not hand to the store.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flowrelease.api.models import FlowRelease, FlowReleaseStatus
from flowrelease.engine.ports import ArtifactStoreError, FlowState
from flowrelease.gitops import GitArtifactStore
from flowrelease.gitops.layout import describes

logger = logging.getLogger(__name__)


async def rebuilt_status(
    release: FlowRelease,
    flow: FlowState | None,
    artifacts: GitArtifactStore,
    git_credentials: Mapping[str, str] | None,
) -> FlowReleaseStatus | None:
    """The status to start from instead of a blank one, or None when Git holds nothing to rebuild from."""
    spec = release.spec
    export = spec.export.git if spec.export is not None else None
    if export is None or flow is None or spec.version is None or flow.published_version != spec.version:
        return None
    try:
        metadata = await artifacts.read_metadata(export, git_credentials or {})
    except ArtifactStoreError as error:
        logger.warning(
            "%s: cannot read release.json from %s to rebuild provenance: %s", release.key, export.url, error
        )
        return None
    if not describes(metadata, flow.id, spec.version) or metadata is None:
        return None
    dependency_hash = metadata.get("dependencyHash")
    if not isinstance(dependency_hash, str) or not dependency_hash:
        return None
    logger.info(
        "%s: no state for this release; version %s is live and %s holds its artifact: starting from its "
        "dependency hash",
        release.key,
        spec.version,
        export.url,
    )
    return FlowReleaseStatus(dependency_hash=dependency_hash)
