"""Loading and resolving manifests: kinds kept and ignored, Secrets, ConfigMaps, environment credentials."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from flowrelease.api.errors import ManifestError, ManifestProblem
from flowrelease.api.manifests import load_manifests, manifest_files, resolve_releases
from flowrelease.api.models import VerifyStage

VALID = Path(__file__).resolve().parents[2] / "fixtures" / "manifests" / "valid"

RELEASE = """\
apiVersion: flowrelease.io/v1alpha1
kind: FlowRelease
metadata: {{name: {name}, namespace: cc}}
spec:
  genesys: {{environment: mypurecloud.com{ref}}}
  flow: {{type: inboundcall, name: Support IVR}}
  version: "3.0"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_folder_is_read_recursively_keeping_releases_secrets_and_config_maps() -> None:
    manifests = load_manifests([VALID])
    assert [loaded.release.key for loaded in manifests.releases] == [
        "contact-center/support-ivr",
        "contact-center/queue-flow",
    ]
    assert manifests.secrets[("contact-center", "genesys-prod")].data == {
        "clientId": "my-client",
        "clientSecret": "my-secret",
    }
    assert manifests.secrets[("contact-center", "flows-git")].data == {
        "username": "bot",
        "password": "git-token-123",
    }
    assert "inqueueCall:" in manifests.config_maps[("contact-center", "queue-flow-yaml")].data["flow.yaml"]
    assert sorted(manifests.secret_values()) == ["bot", "git-token-123", "my-client", "my-secret"]


def test_hidden_folders_and_other_suffixes_are_skipped() -> None:
    files, problems = manifest_files([VALID])
    assert [path.relative_to(VALID).as_posix() for path in files] == ["nested/secrets.yml", "releases.yaml"]
    assert problems == []


def test_other_kinds_are_ignored_and_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="flowrelease.api.manifests"):
        load_manifests([VALID])
    assert any(
        "ignoring Deployment contact-center/unrelated" in record.getMessage() for record in caplog.records
    )


def test_resolved_release_carries_credentials_source_yaml_and_git_credentials() -> None:
    resolved = {item.key: item for item in resolve_releases(load_manifests([VALID]), environ={})}
    ivr = resolved["contact-center/support-ivr"]
    assert (ivr.credentials.client_id, ivr.credentials.client_secret) == ("my-client", "my-secret")
    assert ivr.credentials.source == "Secret contact-center/genesys-prod"
    assert ivr.git_credentials == {"username": "bot", "password": "git-token-123"}
    assert ivr.source_yaml is None
    queue = resolved["contact-center/queue-flow"]
    assert queue.source_yaml is not None and queue.source_yaml.startswith(
        "inqueueCall:\n  name: Support Queue"
    )
    assert queue.git_credentials is None


def test_credentials_repr_never_shows_the_secret() -> None:
    resolved = resolve_releases(load_manifests([VALID]), environ={})
    assert "my-secret" not in repr(resolved)


def test_environment_credentials_when_no_secret_ref(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", RELEASE.format(name="a", ref=""))
    environ = {"GENESYS_CLIENT_ID": "env-id", "GENESYS_CLIENT_SECRET": "env-secret"}
    [resolved] = resolve_releases(load_manifests([tmp_path]), environ=environ)
    assert (resolved.credentials.client_id, resolved.credentials.client_secret) == ("env-id", "env-secret")
    assert resolved.credentials.source == "environment"


def test_environment_credentials_when_the_named_secret_is_not_among_the_manifests(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", RELEASE.format(name="a", ref=", credentialsSecretRef: {name: prod}"))
    environ = {"GENESYS_CLIENT_ID": "env-id", "GENESYS_CLIENT_SECRET": "env-secret"}
    [resolved] = resolve_releases(load_manifests([tmp_path]), environ=environ)
    assert resolved.credentials.client_id == "env-id"


def test_a_secret_manifest_wins_over_the_environment(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", RELEASE.format(name="a", ref=", credentialsSecretRef: {name: prod}"))
    write(
        tmp_path,
        "s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: prod, namespace: cc}\n"
        "stringData: {clientId: file-id, clientSecret: file-secret}\n",
    )
    environ = {"GENESYS_CLIENT_ID": "env-id", "GENESYS_CLIENT_SECRET": "env-secret"}
    [resolved] = resolve_releases(load_manifests([tmp_path]), environ=environ)
    assert resolved.credentials.client_id == "file-id"


def test_only_one_environment_variable_is_not_enough(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", RELEASE.format(name="a", ref=""))
    with pytest.raises(ManifestError) as caught:
        resolve_releases(load_manifests([tmp_path]), environ={"GENESYS_CLIENT_ID": "env-id"})
    [problem] = caught.value.problems
    assert problem.field == "spec.genesys.credentialsSecretRef"


def test_secret_string_data_overrides_data(tmp_path: Path) -> None:
    write(
        tmp_path,
        "s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: prod}\n"
        "data: {clientId: ZnJvbS1kYXRh}\nstringData: {clientId: from-string-data}\n",
    )
    assert load_manifests([tmp_path]).secrets[("default", "prod")].data == {"clientId": "from-string-data"}


def test_duplicate_release_across_files_names_both_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", RELEASE.format(name="dup", ref=""))
    write(tmp_path, "b/b.yaml", RELEASE.format(name="dup", ref=""))
    with pytest.raises(ManifestError) as caught:
        load_manifests([tmp_path])
    [problem] = caught.value.problems
    assert problem == ManifestProblem(
        file=str(tmp_path / "b" / "b.yaml"),
        document=1,
        resource="FlowRelease cc/dup",
        field="metadata.name",
        fix=f"duplicate; FlowRelease cc/dup is already defined in {tmp_path / 'a.yaml'} (document 1); "
        "rename one or remove the copy",
    )


def test_same_name_in_different_namespaces_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", RELEASE.format(name="dup", ref=""))
    write(tmp_path, "b.yaml", RELEASE.format(name="dup", ref="").replace("namespace: cc", "namespace: other"))
    assert len(load_manifests([tmp_path]).releases) == 2


def test_duplicate_secret_is_an_error(tmp_path: Path) -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: prod}\nstringData: {a: b}\n"
    write(tmp_path, "a.yaml", secret)
    write(tmp_path, "b.yaml", secret)
    with pytest.raises(ManifestError) as caught:
        load_manifests([tmp_path])
    assert caught.value.problems[0].resource == "Secret default/prod"


def test_missing_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifests([tmp_path / "nope"])
    assert (
        str(caught.value) == f"{tmp_path / 'nope'}: no such file or folder; give YAML manifests or a folder"
    )


def test_empty_documents_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "r.yaml", "---\n---\n" + RELEASE.format(name="a", ref="") + "---\n")
    assert [loaded.origin.document for loaded in load_manifests([tmp_path]).releases] == [2]


def test_a_named_file_is_read_whatever_its_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "release.txt", RELEASE.format(name="a", ref=""))
    assert len(load_manifests([path]).releases) == 1


def test_manifest_values_arrive_in_the_model(tmp_path: Path) -> None:
    [loaded] = load_manifests([VALID / "releases.yaml"]).releases[:1]
    spec = loaded.release.spec
    assert spec.version == "3.0"
    assert spec.verify.stages[0].min_samples == 20
    assert spec.export is not None and spec.export.git is not None
    assert spec.export.git.branch == "main"


def test_a_stage_s_verification_defaults_are_ones_a_production_user_accepts() -> None:
    stage = VerifyStage.model_validate({"name": "bake", "bakeSeconds": 600})
    assert (stage.min_samples, stage.settle_seconds, stage.on_insufficient_data) == (10, 120, "Extend")
    assert stage.analytics is None and stage.checks == []
    assert stage.bake_limit_seconds == 1800, "Extend grows the window to 3 x bakeSeconds by default"
    longer = VerifyStage.model_validate({"name": "bake", "bakeSeconds": 600, "maxBakeSeconds": 7200})
    assert longer.bake_limit_seconds == 7200
