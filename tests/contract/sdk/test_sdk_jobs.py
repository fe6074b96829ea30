"""Architect jobs with every real Archy fixture, export jobs and validate jobs, through the official SDK.

On both profiles (see conftest): on the realistic one jobs stay Registered after the upload, take seconds,
fail without messages, a flow a job created is not visible at first, and validate jobs answer 404 until the
test turns them on.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import PureCloudPlatformClientV2 as sdk
import pytest
import yaml
from PureCloudPlatformClientV2.rest import ApiException

from flowrelease.emulator.archy import substitute
from flowrelease.emulator.demo import FIXTURE_SUBSTITUTIONS
from tests.contract.sdk.conftest import assert_known_enums, wait_for_flow, wait_for_job
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


def run_architect_job(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle, text: str
) -> sdk.ArchitectJobStateResponse:
    registered = architect.post_flows_jobs()
    assert_known_enums(registered)
    upload = httpx.put(registered.presigned_url, content=text.encode(), headers=registered.headers)
    assert upload.status_code == 200
    seen: list[str] = []

    def read() -> sdk.ArchitectJobStateResponse:
        state = architect.get_flows_job(registered.id, expand=["messages"])
        seen.append(state.status)
        return state

    state = wait_for_job(emulator, read)
    behaviour = emulator.server.runtime.org.behaviour
    # Registered for N reads or T seconds, whichever comes first (R6); the polls here advance the clock,
    # so a hold by time may end before the N-th read: the first read is Registered either way.
    held = min(behaviour.job_registered_polls, 1 if behaviour.job_registered_seconds is not None else 1_000)
    assert seen[:held] == ["Registered"] * held, (
        "the realistic profile holds a job Registered after the upload"
    )
    return state


def messages_of_a_failure(emulator: EmulatorHandle, state: sdk.ArchitectJobStateResponse) -> list[str]:
    """The failure's Error texts; the realistic profile's failures carry no messages at all (R6)."""
    assert state.status == "Failure" and state.flow is None
    if emulator.profile == "realistic":
        assert state.messages is None
        return []
    return [m.text for m in state.messages if m.type == "Error"]


@pytest.mark.parametrize("fixture", third_party_params())
def test_every_fixture_flow_imports_and_publishes(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle, fixture: Path
) -> None:
    text = substitute(fixture.read_text(), FIXTURE_SUBSTITUTIONS)
    state = run_architect_job(architect, emulator, text)
    assert state.status == "Success", [m.text for m in state.messages or []]
    assert state.command == "Publish"
    flow = wait_for_flow(architect, emulator, state.flow.id, lambda f: f.published_version is not None)
    expected = next(kind for prefix, kind in EXPECTED_TYPES.items() if fixture.name.startswith(prefix))
    assert flow.type == expected
    assert flow.published_version.id == "1.0"
    again = run_architect_job(architect, emulator, text)
    assert again.flow.id == flow.id
    republished = wait_for_flow(architect, emulator, flow.id, lambda f: f.published_version.id != "1.0")
    assert republished.published_version.id == "2.0"


def test_a_broken_reference_fails_the_job_with_actionable_messages(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    text = (
        (OWN_ARCHY / "claims-ivr.yaml")
        .read_text()
        .replace("name: Billing\n", "name: Roth queue\n")
        .replace("Claims Menu_20]", "Claims Menu_99]")
    )
    errors = messages_of_a_failure(emulator, run_architect_job(architect, emulator, text))
    if emulator.profile == "ideal":
        assert any("Queue 'Roth queue'" in e and "menuTransferToAcd[Billing question]" in e for e in errors)
        assert any("Claims Menu_99" in e and "Available refIds: Claims Menu_20" in e for e in errors)


def test_unsubstituted_placeholders_are_named(architect: sdk.ArchitectApi, emulator: EmulatorHandle) -> None:
    state = run_architect_job(architect, emulator, (OWN_ARCHY / "intake-workflow.yaml").read_text())
    errors = messages_of_a_failure(emulator, state)
    if emulator.profile == "ideal":
        assert "{{workflow_name}}" in errors[0]


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
        state = wait_for_job(emulator, lambda: architect.get_flows_export_job(registered.id))
        assert (state.status, state.command) == ("Success", "Export")
        return httpx.get(state.download_url).content

    first, second = export(), export()
    assert first == second
    document = yaml.safe_load(first)
    assert document["inboundCall"]["name"] == "Support IVR"
    assert "Billing" in first.decode()


def test_export_of_an_unknown_flow_fails_like_archy(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    body = sdk.RegisterArchitectExportJob()
    reference = sdk.ArchitectFlowReference()
    reference.id = "00000000-0000-0000-0000-000000000000"
    details = sdk.ExportDetails()
    details.flow = reference
    body.flows = [details]
    job_id = architect.post_flows_export_jobs(body).id
    state = wait_for_job(emulator, lambda: architect.get_flows_export_job(job_id, expand=["messages"]))
    assert state.status == "Failure"
    text = " ".join(m.text for m in state.messages)
    assert "could not find the flow with id" in text and "exit code to 107" in text


def validate(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle, flow_id: str, version: str
) -> sdk.ArchitectValidateJobStateResponse:
    body = sdk.RegisterArchitectValidateJob()
    reference = sdk.ArchitectFlowReference()
    reference.id, reference.version = flow_id, version
    details = sdk.ValidateDetails()
    details.flow = reference
    body.flows = [details]
    registered = architect.post_flows_validate_jobs(body)
    assert_known_enums(registered)
    return wait_for_job(
        emulator, lambda: architect.get_flows_validate_job(registered.id, expand=["messages"])
    )


def test_validate_jobs_are_a_404_on_the_realistic_profile(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    flow_id = emulator.flow_id("Support IVR")
    if emulator.profile == "ideal":
        assert validate(architect, emulator, flow_id, "3.0").status == "Success"
        return
    with pytest.raises(ApiException) as unavailable:
        validate(architect, emulator, flow_id, "3.0")
    assert unavailable.value.status == 404
    assert '"code":"not.found"' in unavailable.value.body


def test_validate_job_reports_deleted_resources_and_configured_warnings(
    architect: sdk.ArchitectApi, emulator: EmulatorHandle
) -> None:
    emulator.control.set_behaviour(validate_jobs="available")
    flow_id = emulator.flow_id("Support IVR")
    clean = validate(architect, emulator, flow_id, "3.0")
    assert (clean.status, clean.messages) == ("Success", [])
    emulator.control.set_validation_warnings(flow_id, ["Prompt 'Welcome' has no en-us audio"])
    sales = next(r for r in emulator.control.state()["resources"] if r["name"] == "Sales")
    emulator.control.delete_resource(sales["id"])
    state = validate(architect, emulator, flow_id, "3.0")
    assert state.status == "Failure"
    if emulator.profile == "ideal":
        kinds = sorted((m.type, "Sales" in m.text or "Welcome" in m.text) for m in state.messages)
        assert kinds == [("Error", True), ("Warning", True)]
    else:
        assert state.messages is None, "a realistic failure carries no messages"
    assert validate(architect, emulator, flow_id, "2.0").messages[0].type == "Warning"
