"""Architect jobs against the emulator: validate, import (register, upload, poll) and export."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from flowrelease.engine.ports import Conflict, JobState, NotFound, Transient, Unavailable
from tests.contract.client.conftest import Harness
from tests.support.paths import OWN_ARCHY


async def finished(read: Any, job_id: str, polls: int = 10) -> JobState:
    """Poll a job by hand, as the engine's planner does across passes (the client never sleeps for it)."""
    for _ in range(polls):
        job: JobState = await read(job_id)
        if job.status in ("Success", "Failure"):
            return job
    raise AssertionError(f"job {job_id} did not finish in {polls} reads")


async def test_validate_a_good_version_succeeds(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    job = await finished(client.get_validate_job, await client.start_validate(flow_id, "3.0"))
    assert (job.status, job.messages) == ("Success", ())
    assert harness.time.sleeps == [], "the client does one request per call and never sleeps for a job"


async def test_validate_reports_warnings_as_messages(harness: Harness) -> None:
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    harness.emulator.control.set_validation_warnings(flow_id, ["Menu has no timeout"], version="3.0")
    job = await finished(client.get_validate_job, await client.start_validate(flow_id, "3.0"))
    assert job.status == "Success"
    assert [(m.type, m.text.endswith("Menu has no timeout")) for m in job.messages] == [("Warning", True)]


async def test_a_running_validate_job_reads_as_running(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("polls", polls=4)
    client = harness.client()
    job_id = await client.start_validate(harness.emulator.flow_id("Support IVR"), "3.0")
    assert (await client.get_validate_job(job_id)).status in ("Registered", "Started")
    assert harness.control_count(method="GET", path="/api/v2/flows/validate/jobs/*") == 1


async def test_validate_of_a_missing_version_fails_with_messages(harness: Harness) -> None:
    client = harness.client()
    job_id = await client.start_validate(harness.emulator.flow_id("Support IVR"), "77.0")
    job = await finished(client.get_validate_job, job_id)
    assert job.status == "Failure"
    assert any(message.type == "Error" for message in job.messages)


@pytest.mark.parametrize("status", [404, 403, 501])
async def test_validate_service_unavailable_is_its_own_error_and_not_retried(
    harness: Harness, status: int
) -> None:
    """R7: the validate jobs are a preview API; 404/403/501 there mean 'not available here', not 'check
    spec.flow', and 501 is never retried like a passing server error."""
    harness.emulator.control.add_fault(path="/api/v2/flows/validate/jobs", method="POST", status=status)
    with pytest.raises(Unavailable) as caught:
        await harness.client().start_validate(harness.emulator.flow_id("Support IVR"), "3.0")
    assert caught.value.status == status
    assert "validate job service is not available" in str(caught.value) or status == 501
    assert harness.control_count(method="POST", path="/api/v2/flows/validate/jobs") == 1


async def test_reading_a_validate_job_of_an_unavailable_service(harness: Harness) -> None:
    client = harness.client()
    job_id = await client.start_validate(harness.emulator.flow_id("Support IVR"), "3.0")
    harness.emulator.control.add_fault(path="/api/v2/flows/validate/jobs/*", method="GET", status=404)
    with pytest.raises(Unavailable):
        await client.get_validate_job(job_id)


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


async def test_export_downloads_yaml_without_the_token(harness: Harness) -> None:
    harness.emulator.control.set_transition_mode("polls", polls=2)
    client = harness.client()
    flow_id = harness.emulator.flow_id("Support IVR")
    job = await finished(client.get_export_job, await client.start_export(flow_id, "3.0"))
    assert job.status == "Success" and job.download_url and not job.throttled
    text = await client.download_export(job.download_url)
    assert yaml.safe_load(text)["inboundCall"]["name"] == "Support IVR"
    (download,) = [r for r in harness.sent if r.path.startswith("/_downloads/")]
    assert "authorization" not in download.headers
    assert harness.time.sleeps == []


async def test_an_export_failing_with_archys_internal_429_says_so(harness: Harness) -> None:
    """genesys-api.md §7: "could not find the flow with id" + exit code 107 is Archy being rate limited;
    the engine retries the export later (the client reports it, it does not loop)."""
    client = harness.client()
    job_id = await client.start_export("0b7c6f0e-0000-4000-8000-000000000000", "1.0")
    job = await finished(client.get_export_job, job_id)
    assert job.status == "Failure" and job.throttled and not job.download_url
    assert any("could not find the flow with id" in m.text for m in job.messages)
    assert harness.control_count(method="POST", path="/api/v2/flows/export/jobs") == 1


async def test_reading_an_unknown_export_job_is_not_found(harness: Harness) -> None:
    with pytest.raises(NotFound):
        await harness.client().get_export_job("no-such-job")


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
