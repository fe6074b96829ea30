"""Architect jobs against the emulator: validate, import (register, upload, poll) and export."""

from __future__ import annotations

import pytest
import yaml

from flowrelease.emulator.control import ControlCalls
from flowrelease.engine.ports import Conflict, NotFound, Timeout, Transient
from flowrelease.genesys import GenesysJobFailed, GenesysTimeout
from tests.contract.client.conftest import Harness
from tests.support.paths import OWN_ARCHY


async def test_validate_a_good_version_succeeds(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    job = await harness.client().validate(flow_id, "3.0")
    assert (job.status, job.flow_id, job.messages) == ("Success", flow_id, ())


async def test_validate_reports_warnings_as_messages(harness: Harness) -> None:
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_validation_warnings(flow_id, ["Menu has no timeout"], version="3.0")
    job = await harness.client().validate(flow_id, "3.0")
    assert job.status == "Success"
    assert [(m.type, m.text.endswith("Menu has no timeout")) for m in job.messages] == [("Warning", True)]


async def test_validate_polls_with_growing_waits_until_the_job_finishes(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("polls", polls=4)
    job = await harness.client().validate(harness.emulator.flow_id("Support IVR"), "3.0")
    assert job.status == "Success"
    assert harness.time.sleeps == [0.5, 0.75, 1.125]


async def test_validate_that_never_finishes_times_out_within_its_bound(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("seconds", seconds=3600)
    with pytest.raises(GenesysTimeout) as caught:
        await harness.client().validate(harness.emulator.flow_id("Support IVR"), "3.0")
    assert isinstance(caught.value, Timeout)
    assert sum(harness.time.sleeps) <= 60.0
    assert "still Started" in str(caught.value)


async def test_validate_of_a_missing_version_fails_with_messages(harness: Harness) -> None:
    job = await harness.client().validate(harness.emulator.flow_id("Support IVR"), "77.0")
    assert job.status == "Failure"
    assert any(message.type == "Error" for message in job.messages)


async def test_import_registers_uploads_without_the_token_and_finishes(harness: Harness) -> None:
    client = harness.client()
    document = yaml.safe_load((OWN_ARCHY / "claims-ivr.yaml").read_text())
    text = yaml.safe_dump(document, sort_keys=False)
    job_id, url, headers = await client.start_import()
    assert job_id and url and headers
    await client.upload_import(url, headers, text)
    job = await client.get_job(job_id)
    assert job.status == "Success", job.messages
    assert job.flow_id
    (upload,) = [r for r in harness.sent if r.method == "PUT"]
    assert "authorization" not in upload.headers, "the bearer token never goes to a presigned URL"
    for name, value in headers.items():
        assert upload.headers[name] == value


async def test_import_of_broken_yaml_fails_with_architect_messages(harness: Harness) -> None:
    client = harness.client()
    job_id, url, headers = await client.start_import()
    await client.upload_import(url, headers, "inboundCall:\n  name: Broken\n  startUpRef: /nowhere\n")
    job = await client.get_job(job_id)
    assert job.status == "Failure"
    assert job.messages and all(message.text for message in job.messages)


async def test_reading_an_unknown_job_is_not_found(harness: Harness) -> None:
    with pytest.raises(NotFound, match="jobs expire"):
        await harness.client().get_job("no-such-job")


async def test_export_downloads_yaml_without_the_token_and_reads_the_configuration(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("polls", polls=2)
    flow_id = harness.emulator.flow_id("Support IVR")
    exported = await harness.client().export_flow(flow_id, "3.0")
    assert (exported.flow_id, exported.flow_name, exported.flow_type, exported.version) == (
        flow_id,
        "Support IVR",
        "INBOUNDCALL",
        "3.0",
    )
    assert yaml.safe_load(exported.yaml)["inboundCall"]["name"] == "Support IVR"
    assert exported.configuration
    (download,) = [r for r in harness.sent if r.url.path.startswith("/_downloads/")]
    assert "authorization" not in download.headers
    assert max(harness.time.sleeps) <= 2.0, "export polls at most every 2 s"


async def test_export_retries_archys_internal_429_then_succeeds(harness: Harness) -> None:
    flow_id = "0b7c6f0e-1111-4222-8333-944445555666"

    async def flow_appears() -> None:
        seed = {"flows": [{"id": flow_id, "name": "Late Flow", "type": "INBOUNDCALL", "versions": [{}]}]}
        await harness.time._control.call(ControlCalls.seed(seed))

    harness.time.on_sleep.append(flow_appears)
    exported = await harness.client().export_flow(flow_id, "1.0")
    assert exported.flow_name == "Late Flow"
    assert harness.time.sleeps[0] == 15.0, "the first whole-export retry waits 15 s, as CX as Code"
    assert harness.control_count(method="POST", path="/api/v2/flows/export/jobs") == 2


async def test_export_gives_up_after_bounded_archy_429_retries(harness: Harness) -> None:
    with pytest.raises(GenesysJobFailed) as caught:
        await harness.client().export_flow("0b7c6f0e-0000-4000-8000-000000000000", "1.0")
    assert isinstance(caught.value, Transient) and caught.value.archy_throttled
    assert "could not find the flow with id" in str(caught.value)
    assert harness.control_count(method="POST", path="/api/v2/flows/export/jobs") == 5
    assert harness.time.sleeps == [15.0, 30.0, 45.0, 60.0]


async def test_export_that_never_finishes_times_out(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("seconds", seconds=3600)
    with pytest.raises(Timeout):
        await harness.client().export_flow(harness.emulator.flow_id("Support IVR"), "3.0")
    assert sum(harness.time.sleeps) <= 90.0 and max(harness.time.sleeps) <= 2.0


async def test_a_second_upload_to_the_same_job_is_a_conflict_and_not_replayed(harness: Harness) -> None:
    client = harness.client()
    _, url, headers = await client.start_import()
    document = "inboundCall:\n  name: Support IVR\n"
    await client.upload_import(url, headers, document)
    with pytest.raises(Conflict):
        await client.upload_import(url, headers, document)


async def test_an_upload_answered_with_5xx_is_not_replayed(harness: Harness) -> None:
    client = harness.client()
    _, url, headers = await client.start_import()
    harness.emulator.control.add_fault(path="/_uploads/*", method="PUT", status=503, count=1)
    with pytest.raises(Transient):
        await client.upload_import(url, headers, "inboundCall:\n  name: Support IVR\n")
    assert len([r for r in harness.sent if r.method == "PUT"]) == 1


async def test_registering_an_import_job_is_not_replayed_after_a_5xx(harness: Harness) -> None:
    harness.emulator.control.add_fault(path="/api/v2/flows/jobs", method="POST", status=500, count=1)
    with pytest.raises(Transient):
        await harness.client().start_import()
    assert harness.control_count(method="POST", path="/api/v2/flows/jobs") == 1
