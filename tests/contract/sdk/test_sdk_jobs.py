"""Architect jobs with every real Archy fixture, export jobs and validate jobs, through the official SDK."""

from __future__ import annotations

from pathlib import Path

import httpx
import PureCloudPlatformClientV2 as sdk
import pytest
import yaml

from flowrelease.emulator.archy import substitute
from flowrelease.emulator.demo import FIXTURE_SUBSTITUTIONS
from tests.contract.sdk.conftest import assert_known_enums
from tests.support.emulator import EmulatorHandle
from tests.support.paths import OWN_ARCHY, third_party_params

EXPECTED_TYPES = {
    "architect-flow-public-api": "INBOUNDCALL",
    "cx-as-code-cicd-gitactions": "INBOUNDEMAIL",
    "deploy-webmessaging-chatbot": "BOT",
    "simple-ivr-deploy": "INBOUNDCALL",
    "terraform-provider-genesyscloud": "INQUEUECALL",
    "webhook-workflow-workitem": "WORKFLOW",
}


def run_architect_job(architect: sdk.ArchitectApi, text: str) -> sdk.ArchitectJobStateResponse:
    registered = architect.post_flows_jobs()
    assert_known_enums(registered)
    upload = httpx.put(registered.presigned_url, content=text.encode(), headers=registered.headers)
    assert upload.status_code == 200
    for _ in range(5):
        state = architect.get_flows_job(registered.id, expand=["messages"])
        assert_known_enums(state)
        if state.status in {"Success", "Failure"}:
            return state
    raise AssertionError("the Architect job did not finish")


@pytest.mark.parametrize("fixture", third_party_params())
def test_every_fixture_flow_imports_and_publishes(architect: sdk.ArchitectApi, fixture: Path) -> None:
    text = substitute(fixture.read_text(), FIXTURE_SUBSTITUTIONS)
    state = run_architect_job(architect, text)
    assert state.status == "Success", [m.text for m in state.messages or []]
    assert state.command == "Publish"
    flow = architect.get_flow(state.flow.id)
    expected = next(kind for prefix, kind in EXPECTED_TYPES.items() if fixture.name.startswith(prefix))
    assert flow.type == expected
    assert flow.published_version.id == "1.0"
    again = run_architect_job(architect, text)
    assert again.flow.id == flow.id
    assert architect.get_flow(flow.id).published_version.id == "2.0"


def test_a_broken_reference_fails_the_job_with_actionable_messages(architect: sdk.ArchitectApi) -> None:
    text = (
        (OWN_ARCHY / "claims-ivr.yaml")
        .read_text()
        .replace("name: Billing\n", "name: Roth queue\n")
        .replace("Claims Menu_20]", "Claims Menu_99]")
    )
    state = run_architect_job(architect, text)
    assert state.status == "Failure"
    errors = [m.text for m in state.messages if m.type == "Error"]
    assert any("Queue 'Roth queue'" in e and "menuTransferToAcd[Billing question]" in e for e in errors)
    assert any("Claims Menu_99" in e and "Available refIds: Claims Menu_20" in e for e in errors)
    assert state.flow is None


def test_unsubstituted_placeholders_are_named(architect: sdk.ArchitectApi) -> None:
    state = run_architect_job(architect, (OWN_ARCHY / "intake-workflow.yaml").read_text())
    assert state.status == "Failure"
    assert "{{workflow_name}}" in state.messages[0].text


def test_export_job_downloads_deterministic_archy_yaml(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Support IVR")

    def export() -> bytes:
        body = sdk.RegisterArchitectExportJob()
        reference = sdk.ArchitectFlowReference()
        reference.id, reference.version = flow_id, "2.0"
        details = sdk.ExportDetails()
        details.flow = reference
        body.flows = [details]
        registered = architect.post_flows_export_jobs(body)
        assert_known_enums(registered)
        state = architect.get_flows_export_job(registered.id)
        assert_known_enums(state)
        assert (state.status, state.command) == ("Success", "Export")
        return httpx.get(state.download_url).content

    first, second = export(), export()
    assert first == second
    document = yaml.safe_load(first)
    assert document["inboundCall"]["name"] == "Support IVR"
    assert "Billing" in first.decode()


def test_export_of_an_unknown_flow_fails_like_archy(architect: sdk.ArchitectApi) -> None:
    body = sdk.RegisterArchitectExportJob()
    reference = sdk.ArchitectFlowReference()
    reference.id = "00000000-0000-0000-0000-000000000000"
    details = sdk.ExportDetails()
    details.flow = reference
    body.flows = [details]
    state = architect.get_flows_export_job(architect.post_flows_export_jobs(body).id, expand=["messages"])
    assert state.status == "Failure"
    text = " ".join(m.text for m in state.messages)
    assert "could not find the flow with id" in text and "exit code to 107" in text


def validate(
    architect: sdk.ArchitectApi, flow_id: str, version: str
) -> sdk.ArchitectValidateJobStateResponse:
    body = sdk.RegisterArchitectValidateJob()
    reference = sdk.ArchitectFlowReference()
    reference.id, reference.version = flow_id, version
    details = sdk.ValidateDetails()
    details.flow = reference
    body.flows = [details]
    registered = architect.post_flows_validate_jobs(body)
    assert_known_enums(registered)
    state = architect.get_flows_validate_job(registered.id, expand=["messages"])
    assert_known_enums(state)
    return state


def test_validate_job_reports_deleted_resources_and_configured_warnings(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    clean = validate(architect, flow_id, "3.0")
    assert (clean.status, clean.messages) == ("Success", [])
    emulator.control.set_validation_warnings(flow_id, ["Prompt 'Welcome' has no en-us audio"])
    sales = next(r for r in emulator.control.state()["resources"] if r["name"] == "Sales")
    emulator.control.delete_resource(sales["id"])
    state = validate(architect, flow_id, "3.0")
    assert state.status == "Failure"
    kinds = sorted((m.type, "Sales" in m.text or "Welcome" in m.text) for m in state.messages)
    assert kinds == [("Error", True), ("Warning", True)]
    assert validate(architect, flow_id, "2.0").messages[0].type == "Warning"
