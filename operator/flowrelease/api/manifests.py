"""Loading FlowRelease manifests from files and folders, for the cluster-less shell.

`load_manifests(paths)` reads YAML files (multi-document; folders recursively, `.yaml`/`.yml`, hidden entries
skipped) and keeps three kinds: `FlowRelease` (validated with the pydantic models), `Secret` (`data` base64 or
`stringData`) and `ConfigMap`. Other kinds are ignored (logged at debug level). `resolve_releases` then
resolves what each FlowRelease refers to: Genesys credentials (a Secret named by `credentialsSecretRef`, keys
`clientId`/`clientSecret`, or the `GENESYS_CLIENT_ID`/`GENESYS_CLIENT_SECRET` environment variables when no
such Secret manifest is given), the Archy YAML of `source.configMapRef`, and git credentials
(`export.git.secretRef`).

Both raise `ManifestError` listing every problem found, each naming file, resource, field and fix.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from flowrelease.api.errors import ManifestError, ManifestProblem, pattern_fix, problems_from_validation
from flowrelease.api.models import (
    API_VERSION,
    CONFIG_KEY_MAX,
    CONFIG_KEY_PATTERN,
    DNS_LABEL_MAX,
    DNS_LABEL_PATTERN,
    DNS_SUBDOMAIN_MAX,
    DNS_SUBDOMAIN_PATTERN,
    GROUP,
    KIND,
    FlowRelease,
)
from flowrelease.api.yaml_documents import YamlDocument, YamlSyntaxError, read_documents

logger = logging.getLogger(__name__)

MANIFEST_SUFFIXES = (".yaml", ".yml")
CLIENT_ID_KEY = "clientId"
CLIENT_SECRET_KEY = "clientSecret"  # noqa: S105 - a Secret key name, not a secret
CLIENT_ID_ENV = "GENESYS_CLIENT_ID"
CLIENT_SECRET_ENV = "GENESYS_CLIENT_SECRET"  # noqa: S105 - the variable's name, not a secret


@dataclass(frozen=True)
class Origin:
    """Where a resource was read from."""

    file: str
    document: int
    """1-based index of the YAML document in the file."""

    def __str__(self) -> str:
        return f"{self.file} (document {self.document})"


@dataclass(frozen=True)
class LoadedRelease:
    release: FlowRelease
    origin: Origin


@dataclass(frozen=True)
class LoadedData:
    """A Secret's or ConfigMap's decoded string data."""

    kind: str
    namespace: str
    name: str
    data: Mapping[str, str]
    origin: Origin


@dataclass(frozen=True)
class ManifestSet:
    releases: tuple[LoadedRelease, ...] = ()
    secrets: Mapping[tuple[str, str], LoadedData] = field(default_factory=dict)
    """(namespace, name) -> Secret"""
    config_maps: Mapping[tuple[str, str], LoadedData] = field(default_factory=dict)
    """(namespace, name) -> ConfigMap"""

    def secret_values(self) -> list[str]:
        """Every value of every Secret, for the redactor."""
        return [value for secret in self.secrets.values() for value in secret.data.values() if value]


@dataclass(frozen=True)
class GenesysCredentials:
    client_id: str
    client_secret: str = field(repr=False)
    source: str
    """Where they came from, for messages: `Secret ns/name` or `environment`."""


@dataclass(frozen=True)
class ResolvedRelease:
    """A FlowRelease with everything it refers to, ready for the engine."""

    release: FlowRelease
    origin: Origin
    credentials: GenesysCredentials
    source_yaml: str | None = field(default=None, repr=False)
    git_credentials: Mapping[str, str] | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return self.release.key


# ------------------------------------------------------------------------------------ reading


def manifest_files(paths: Iterable[Path]) -> tuple[list[Path], list[ManifestProblem]]:
    """The YAML files under `paths` in a stable order; a named file is read whatever its suffix."""
    files: list[Path] = []
    problems: list[ManifestProblem] = []
    for path in paths:
        if path.is_dir() and is_kustomize_folder(path):
            problems.append(
                ManifestProblem(
                    file=str(path),
                    fix=(
                        "is a kustomize folder (it holds a kustomization file), not manifests; render it "
                        f"first, e.g. kubectl kustomize {path} > rendered.yaml, and give the rendered file"
                    ),
                )
            )
        elif path.is_dir():
            files.extend(_yaml_files_under(path))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(
                ManifestProblem(file=str(path), fix="no such file or folder; give YAML manifests or a folder")
            )
    return files, problems


KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def is_kustomize_folder(folder: Path) -> bool:
    """A kustomize base or overlay: its files are inputs to a render (patches, generator sources)."""
    return any((folder / name).is_file() for name in KUSTOMIZATION_FILES)


def _yaml_files_under(folder: Path) -> Iterator[Path]:
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and is_kustomize_folder(entry):
            logger.info("skipping %s: a kustomize folder is rendered (kubectl kustomize), not read", entry)
        elif entry.is_dir():
            yield from _yaml_files_under(entry)
        elif entry.suffix in MANIFEST_SUFFIXES:
            yield entry


def _documents(path: Path) -> tuple[list[YamlDocument], list[ManifestProblem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [], [ManifestProblem(file=str(path), fix=f"cannot read the file: {error}")]
    try:
        return read_documents(text), []
    except YamlSyntaxError as error:
        return [], [ManifestProblem(file=str(path), fix=str(error))]


def _identity(document: Mapping[str, object]) -> tuple[str, str, str]:
    """(kind, namespace, name) as far as the document says."""
    kind = document.get("kind")
    metadata = document.get("metadata")
    namespace, name = "default", "<unnamed>"
    if isinstance(metadata, Mapping):
        namespace = str(metadata.get("namespace") or "default")
        name = str(metadata.get("name") or "<unnamed>")
    return str(kind), namespace, name


def _resource(document: object) -> str:
    if not isinstance(document, Mapping):
        return ""
    kind, namespace, name = _identity(document)
    return f"{kind} {namespace}/{name}"


class _Loader:
    def __init__(self) -> None:
        self.releases: list[LoadedRelease] = []
        self.secrets: dict[tuple[str, str], LoadedData] = {}
        self.config_maps: dict[tuple[str, str], LoadedData] = {}
        self.release_origins: dict[tuple[str, str], Origin] = {}
        self.problems: list[ManifestProblem] = []

    def load_file(self, path: Path) -> None:
        documents, problems = _documents(path)
        self.problems.extend(problems)
        for index, document in enumerate(documents, start=1):
            origin = Origin(str(path), index)
            if document.duplicates:
                for duplicate in document.duplicates:
                    lines = f"lines {duplicate.first_line} and {duplicate.line}"
                    fix = (
                        f"given twice ({lines}); YAML would silently keep only the last one, so delete the "
                        "line you do not mean"
                    )
                    self._problem(origin, _resource(document.value), duplicate.path, fix)
            elif document.value is not None:
                self.load_document(document.value, origin)

    def load_document(self, document: object, origin: Origin) -> None:
        if not isinstance(document, Mapping):
            self._problem(origin, "", "", "not a mapping; each document needs apiVersion, kind and metadata")
            return
        kind, namespace, name = _identity(document)
        api_version = str(document.get("apiVersion", ""))
        resource = f"{kind} {namespace}/{name}"
        if "kind" not in document or not isinstance(document["kind"], str):
            self._problem(origin, "", "kind", f"missing; add kind: {KIND} (or Secret, ConfigMap)")
        elif kind == KIND or api_version.startswith(f"{GROUP}/"):
            self._load_release(document, origin, kind, resource)
        elif kind in ("Secret", "ConfigMap") and api_version == "v1":
            self._load_data(document, origin, kind, resource)
        else:
            logger.debug(
                "ignoring %s %s/%s from %s: not a FlowRelease, Secret or ConfigMap",
                *_identity(document),
                origin,
            )

    def _load_release(self, document: Mapping[str, object], origin: Origin, kind: str, resource: str) -> None:
        if kind != KIND:
            self._problem(origin, resource, "kind", f"unknown kind {kind} in {GROUP}; use kind: {KIND}")
            return
        try:
            release = FlowRelease.model_validate(document)
        except ValidationError as error:
            self.problems.extend(
                problems_from_validation(
                    error,
                    root=FlowRelease,
                    document=document,
                    file=origin.file,
                    index=origin.document,
                    resource=resource,
                )
            )
            return
        key = (release.metadata.namespace, release.metadata.name)
        if key in self.release_origins:
            first = self.release_origins[key]
            fix = f"duplicate; {resource} is already defined in {first}; rename one or remove the copy"
            self._problem(origin, resource, "metadata.name", fix)
            return
        self.release_origins[key] = origin
        self.releases.append(LoadedRelease(release, origin))

    def _load_data(self, document: Mapping[str, object], origin: Origin, kind: str, resource: str) -> None:
        _, namespace, name = _identity(document)
        metadata = document.get("metadata")
        if not isinstance(metadata, Mapping) or not metadata.get("name"):
            self._problem(origin, resource, "metadata.name", f"missing; every {kind} needs a name")
            return
        if not self._kubernetes_names(metadata, origin, resource):
            return
        data = self._string_data(document, origin, kind, resource)
        if data is None:
            return
        store = self.secrets if kind == "Secret" else self.config_maps
        if (namespace, name) in store:
            first = store[(namespace, name)].origin
            fix = f"duplicate; {resource} is already defined in {first}; rename one or remove the copy"
            self._problem(origin, resource, "metadata.name", fix)
            return
        store[(namespace, name)] = LoadedData(kind, namespace, name, data, origin)

    def _kubernetes_names(self, metadata: Mapping[str, object], origin: Origin, resource: str) -> bool:
        """The Secret's or ConfigMap's name and namespace are names the apiserver would accept."""
        ok = True
        for key, pattern, limit in (
            ("name", DNS_SUBDOMAIN_PATTERN, DNS_SUBDOMAIN_MAX),
            ("namespace", DNS_LABEL_PATTERN, DNS_LABEL_MAX),
        ):
            value = metadata.get(key)
            if value is None and key == "namespace":
                continue
            path = f"metadata.{key}"
            if not isinstance(value, str):
                self._problem(origin, resource, path, f'must be a string; quote it in YAML: "{value}"')
                ok = False
            elif len(value) > limit:
                self._problem(
                    origin, resource, path, f"must be at most {limit} characters (got {len(value)})"
                )
                ok = False
            elif not re.search(pattern, value):
                self._problem(origin, resource, path, pattern_fix(path, value))
                ok = False
        return ok

    def _string_data(
        self, document: Mapping[str, object], origin: Origin, kind: str, resource: str
    ) -> dict[str, str] | None:
        data: dict[str, str] = {}
        ok = True
        raw = document.get("data") or {}
        plain = (document.get("stringData") or {}) if kind == "Secret" else {}
        for section, values in (("data", raw), ("stringData", plain)):
            if not isinstance(values, Mapping):
                self._problem(origin, resource, section, "must be a mapping of key: value")
                ok = False
                continue
            for key, value in values.items():
                path = f"{section}.{key}"
                if (
                    not isinstance(key, str)
                    or len(key) > CONFIG_KEY_MAX
                    or not re.search(CONFIG_KEY_PATTERN, key)
                ):
                    fix = (
                        f"{_shown_key(key)} is not a valid key; keys may hold only letters, digits, '-', '_' "
                        f"and '.' (at most {CONFIG_KEY_MAX} characters), e.g. flow.yaml"
                    )
                    self._problem(origin, resource, section, fix)
                    ok = False
                elif not isinstance(value, str):
                    self._problem(origin, resource, path, f'must be a string; quote it in YAML: "{value}"')
                    ok = False
                elif kind == "Secret" and section == "data":
                    decoded = _base64_text(value)
                    if decoded is None:
                        fix = (
                            "not valid base64; encode it (printf %s VALUE | base64) or move it to stringData"
                        )
                        self._problem(origin, resource, path, fix)
                        ok = False
                    else:
                        data[str(key)] = decoded
                else:
                    data[str(key)] = value
        return data if ok else None

    def _problem(self, origin: Origin, resource: str, field_path: str, fix: str) -> None:
        self.problems.append(
            ManifestProblem(
                file=origin.file, document=origin.document, resource=resource, field=field_path, fix=fix
            )
        )


def _shown_key(key: object) -> str:
    return repr(key) if isinstance(key, str) else f"{key!r} ({type(key).__name__}, quote it)"


def _base64_text(value: str) -> str | None:
    try:
        return base64.b64decode("".join(value.split()), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def load_manifests(paths: Iterable[Path]) -> ManifestSet:
    """Read every manifest under `paths`; raise ManifestError listing all problems."""
    files, problems = manifest_files(paths)
    loader = _Loader()
    loader.problems.extend(problems)
    for path in files:
        loader.load_file(path)
    if loader.problems:
        raise ManifestError(loader.problems)
    return ManifestSet(tuple(loader.releases), dict(loader.secrets), dict(loader.config_maps))


# ---------------------------------------------------------------------------------- resolving


def resolve_releases(manifests: ManifestSet, environ: Mapping[str, str]) -> list[ResolvedRelease]:
    """Attach credentials, source YAML and git credentials to each release; raise ManifestError on gaps."""
    resolved: list[ResolvedRelease] = []
    problems: list[ManifestProblem] = _shared_flows(manifests.releases)
    for loaded in manifests.releases:
        resolver = _ReleaseResolver(manifests, loaded, environ)
        result = resolver.resolve()
        problems.extend(resolver.problems)
        if result is not None:
            resolved.append(result)
    if problems:
        raise ManifestError(problems)
    return resolved


def normalised_environment(environment: str) -> str:
    """The org an environment names, for comparing releases (`mypurecloud.com/` is `MyPureCloud.com`)."""
    return environment.strip().lower().rstrip("/")


def _shared_flows(releases: Iterable[LoadedRelease]) -> list[ManifestProblem]:
    """Two releases of one flow would undo each other's publishes on every run: refuse both, naming both.

    Static: the same flow id, or the same type and name. `sync` also compares the flow ids Genesys reports
    for names (`local.preflight`), which catches a release by name and another by id of one flow."""
    owners: dict[tuple[str, ...], list[LoadedRelease]] = {}
    for loaded in releases:
        spec = loaded.release.spec
        target = normalised_environment(spec.genesys.environment)
        flow = ("id", spec.flow.id) if spec.flow.id else ("name", spec.flow.type or "", spec.flow.name)
        owners.setdefault((target, *flow), []).append(loaded)
    problems = []
    for group in owners.values():
        for loaded in group if len(group) > 1 else ():
            others = [other for other in group if other is not loaded]
            field_path = "spec.flow.id" if loaded.release.spec.flow.id else "spec.flow.name"
            problems.append(
                ManifestProblem(
                    file=loaded.origin.file,
                    document=loaded.origin.document,
                    resource=f"{KIND} {loaded.release.key}",
                    field=field_path,
                    fix=one_flow_one_release_fix(
                        [(other.release.key, str(other.origin)) for other in others]
                    ),
                )
            )
    return problems


def one_flow_one_release_fix(others: Iterable[tuple[str, str]]) -> str:
    """The fix for a release whose flow `others` ((namespace/name, origin) pairs) also release."""
    named = "; ".join(f"FlowRelease {key} from {origin}" for key, origin in others)
    return (
        f"the same flow is also released by {named}; one flow needs exactly one FlowRelease, so remove or "
        "retarget all but one of them"
    )


class _ReleaseResolver:
    def __init__(self, manifests: ManifestSet, loaded: LoadedRelease, environ: Mapping[str, str]) -> None:
        self.manifests = manifests
        self.loaded = loaded
        self.release = loaded.release
        self.namespace = loaded.release.metadata.namespace
        self.environ = environ
        self.problems: list[ManifestProblem] = []

    def resolve(self) -> ResolvedRelease | None:
        credentials = self._credentials()
        source_yaml = self._source_yaml()
        git_credentials = self._git_credentials()
        if self.problems or credentials is None:
            return None
        return ResolvedRelease(self.release, self.loaded.origin, credentials, source_yaml, git_credentials)

    def _problem(self, field_path: str, fix: str) -> None:
        self.problems.append(
            ManifestProblem(
                file=self.loaded.origin.file,
                document=self.loaded.origin.document,
                resource=f"{KIND} {self.release.key}",
                field=field_path,
                fix=fix,
            )
        )

    def _credentials(self) -> GenesysCredentials | None:
        ref = self.release.spec.genesys.credentials_secret_ref
        secret = self.manifests.secrets.get((self.namespace, ref.name)) if ref else None
        if ref is not None and secret is not None:
            missing = [key for key in (CLIENT_ID_KEY, CLIENT_SECRET_KEY) if not secret.data.get(key)]
            if missing:
                fix = (
                    f"Secret {self.namespace}/{ref.name} from {secret.origin} has no {' or '.join(missing)}; "
                    "add it under stringData (or data, base64-encoded)"
                )
                strays = [key for key in secret.data if key not in (CLIENT_ID_KEY, CLIENT_SECRET_KEY)]
                guess = difflib.get_close_matches(missing[0], strays, n=1, cutoff=0.6)
                if guess:
                    fix += f" (found {guess[0]}; is it misspelled?)"
                self._problem("spec.genesys.credentialsSecretRef.name", fix)
                return None
            return GenesysCredentials(
                secret.data[CLIENT_ID_KEY],
                secret.data[CLIENT_SECRET_KEY],
                f"Secret {self.namespace}/{ref.name}",
            )
        client_id = self.environ.get(CLIENT_ID_ENV, "")
        client_secret = self.environ.get(CLIENT_SECRET_ENV, "")
        if client_id and client_secret:
            return GenesysCredentials(client_id, client_secret, "environment")
        either = f"or set {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV}"
        if ref is not None:
            fix = (
                f"Secret {self.namespace}/{ref.name} is not among the manifests; add a Secret manifest "
                f"with keys {CLIENT_ID_KEY} and {CLIENT_SECRET_KEY}, {either}"
            )
            self._problem("spec.genesys.credentialsSecretRef.name", fix)
        else:
            fix = f"missing; name a Secret with keys {CLIENT_ID_KEY} and {CLIENT_SECRET_KEY}, {either}"
            self._problem("spec.genesys.credentialsSecretRef", fix)
        return None

    def _source_yaml(self) -> str | None:
        source = self.release.spec.source
        ref = source.config_map_ref if source is not None else None
        if ref is None:
            return None
        config_map = self.manifests.config_maps.get((self.namespace, ref.name))
        if config_map is None:
            fix = (
                f"ConfigMap {self.namespace}/{ref.name} is not among the manifests; "
                f"add a ConfigMap manifest with the flow YAML under data.{ref.key}"
            )
            self._problem("spec.source.configMapRef.name", fix)
            return None
        if ref.key not in config_map.data:
            keys = ", ".join(sorted(config_map.data)) or "none"
            fix = f"ConfigMap {self.namespace}/{ref.name} has no key {ref.key} (its keys: {keys})"
            self._problem("spec.source.configMapRef.key", fix)
            return None
        return config_map.data[ref.key]

    def _git_credentials(self) -> Mapping[str, str] | None:
        export = self.release.spec.export
        if export is None or export.git is None:
            return None
        ref = export.git.secret_ref
        if ref is None:
            return {}
        secret = self.manifests.secrets.get((self.namespace, ref.name))
        if secret is None:
            fix = (
                f"Secret {self.namespace}/{ref.name} is not among the manifests; add a Secret manifest with "
                "username and password (or token) for HTTPS, or ssh-privatekey for SSH"
            )
            self._problem("spec.export.git.secretRef.name", fix)
            return None
        return dict(secret.data)


__all__ = [
    "API_VERSION",
    "GenesysCredentials",
    "LoadedData",
    "LoadedRelease",
    "ManifestError",
    "ManifestProblem",
    "ManifestSet",
    "Origin",
    "ResolvedRelease",
    "load_manifests",
    "manifest_files",
    "resolve_releases",
]
