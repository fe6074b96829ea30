"""The bad-input cases the apiserver can judge, sent to the real kube-apiserver (`kubectl create
--dry-run=server`): each is refused with its field and reason. Duplicate keys, which kubectl resolves
silently before the apiserver sees them, are proven refused by kubeconform -strict; the rest say why the
apiserver cannot judge them (they need Genesys, Git or another object)."""

from __future__ import annotations

from pathlib import Path
from string import Template

import pytest

from tests.bad_input.cases import CASES, Case
from tests.support.kube import KubeCluster
from tests.support.kubeconform import Kubeconform

VALUES = {
    "env": "mypurecloud.com",
    "repo": "https://git.example.com/cc/flows.git",
    "support_ivr_id": "2e04429a-96cc-506c-8bc9-8dc8093a2d8f",
    "billing_id": "9b3f1c2e-0000-4000-8000-000000000001",
    "closed_port": "9",
    "missing_repo": "file:///nonexistent/flows.git",
}
JUDGED = [case for case in CASES if case.apiserver is not None]


def documents(case: Case) -> list[str]:
    return Template(case.text).substitute(VALUES).split("\n---\n")


def test_the_table_is_complete() -> None:
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)
    for case in CASES:
        assert case.reason, case.id
        assert (case.apiserver is None) == bool(case.not_apiserver), f"{case.id}: say what the apiserver says"
        assert case.fix, case.id
        assert case.plan in ("refused", "blocked"), case.id


@pytest.mark.kube
@pytest.mark.parametrize("case", JUDGED, ids=[case.id for case in JUDGED])
def test_the_apiserver_refuses_the_case(
    kube_cluster: KubeCluster, flowrelease_crd: str, kube_namespace: str, case: Case
) -> None:
    assert case.apiserver is not None
    if case.apiserver_document == 0:  # the bad namespace name itself
        namespace = case.resource.split(" ")[1].split("/")[0]
        text = f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {namespace}}}\n"
    else:  # into the test's namespace, as `kubectl apply -n` of the folder would
        text = documents(case)[case.apiserver_document - 1].replace(
            "namespace: cc}", f"namespace: {kube_namespace}}}"
        )
    result = kube_cluster.kubectl(
        "create", "--dry-run=server", "-n", kube_namespace, "-f", "-", input=text, check=False
    )
    assert result.returncode != 0, f"{case.id}: accepted\n{result.stdout}"
    assert case.apiserver in result.stderr, f"{case.id}: {case.apiserver!r} not in\n{result.stderr}"
    if case.hidden:
        assert case.hidden not in result.stderr, "the apiserver's error must not echo the password either"


def test_kubeconform_refuses_the_duplicate_keys_kubectl_would_hide(
    kubeconform: Kubeconform, tmp_path: Path
) -> None:
    offline = [case for case in CASES if case.offline]
    assert offline
    files = {}
    for case in offline:
        path = tmp_path / f"{case.id}.yaml"
        path.write_text(Template(case.text).substitute(VALUES))
        files[case.id] = path
    verdicts = kubeconform.validate(list(files.values()))
    for case in offline:
        verdict = verdicts.get(str(files[case.id]))
        assert verdict is not None and verdict.refused, f"{case.id}: {verdict}"
        assert "already" in verdict.message or "duplicate" in verdict.message.lower(), verdict
