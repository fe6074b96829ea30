"""The Secrets a release's verify checks name, found among the manifests given to `sync`/`plan`.

A missing Secret or key is bad input (exit 2, nothing runs), named like every other manifest problem.
"""

from __future__ import annotations

from collections.abc import Mapping

from flowrelease.api.errors import ManifestProblem
from flowrelease.api.manifests import ManifestSet, ResolvedRelease
from flowrelease.api.models import KIND
from flowrelease.checks import CheckSecrets
from flowrelease.checks.secret_refs import check_secret_refs, missing_key


def check_secrets_for(
    manifests: ManifestSet, resolved: ResolvedRelease
) -> tuple[CheckSecrets, list[ManifestProblem]]:
    release = resolved.release
    namespace = release.metadata.namespace
    loaded: dict[str, Mapping[str, str]] = {}
    problems: list[ManifestProblem] = []

    def problem(field: str, fix: str) -> None:
        problems.append(
            ManifestProblem(
                file=resolved.origin.file,
                document=resolved.origin.document,
                resource=f"{KIND} {release.key}",
                field=field,
                fix=fix,
            )
        )

    for ref in check_secret_refs(release.spec):
        secret = manifests.secrets.get((namespace, ref.name))
        if secret is None:
            problem(
                ref.field,
                f"Secret {namespace}/{ref.name} is not among the manifests; add a Secret manifest with "
                f"{'key ' + ref.key if ref.key else 'one key per header'}",
            )
            continue
        why_not = missing_key(ref, secret.data, namespace)
        if why_not:
            problem(ref.field, why_not)
        else:
            loaded[ref.name] = secret.data
    return CheckSecrets(loaded), problems
