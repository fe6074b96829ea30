"""Architect jobs, export jobs and validate jobs, plus the emulator-hosted upload and download URLs.

`POST /api/v2/flows/jobs` returns a presigned URL on this emulator (`/_uploads/{jobId}`) and the headers the
PUT must carry; export jobs hand out `/_downloads/{jobId}?signature=…`. Both live on the same host, outside
`/api/v2`, so they need no bearer token, like S3 presigned URLs.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowrelease.emulator.routes.parsing import MAX_BODY_BYTES, query_list, read_json
from flowrelease.emulator.runtime import caller_of, runtime_of
from flowrelease.emulator.wire import ApiError, JsonObject, bad_request, json_response

EXPAND_VALUES = {"messages"}


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _wants_messages(request: Request) -> bool:
    expand = query_list(request, "expand")
    unknown = [e for e in expand if e not in EXPAND_VALUES]
    if unknown:
        raise bad_request(f"expand accepts only 'messages', got {unknown}.", field="expand")
    return "messages" in expand


async def register_architect_job(request: Request) -> Response:
    runtime = runtime_of(request)
    body = await read_json(request, required=False)
    if body is not None and not isinstance(body, dict):
        raise bad_request("RegisterArchitectJobRequest must be a JSON object.", field="body")
    job = runtime.jobs.architect.register(caller_of(request))
    return json_response(
        {
            "id": job.id,
            "presignedUrl": f"{_base_url(request)}/_uploads/{job.id}",
            "headers": runtime.jobs.architect.upload_headers(job),
            "selfUri": f"/api/v2/flows/jobs/{job.id}",
        }
    )


async def get_architect_job(request: Request) -> Response:
    runtime = runtime_of(request)
    wants_messages = _wants_messages(request)
    job = runtime.jobs.architect.get(request.path_params["job_id"], observe=True)
    payload: JsonObject = {"id": job.id, "status": job.status, "command": "Publish"}
    if job.flow_id:
        payload["flow"] = {"id": job.flow_id, "selfUri": f"/api/v2/flows/{job.flow_id}"}
    if wants_messages and not job.messages_withheld:
        payload["messages"] = [m.as_json() for m in job.messages]
    payload["selfUri"] = f"/api/v2/flows/jobs/{job.id}"
    return json_response(payload)


async def receive_upload(request: Request) -> Response:
    runtime = runtime_of(request)
    body = await request.body()
    if len(body) > 4 * MAX_BODY_BYTES:
        raise ApiError(413, "request.entity.too.large", "The flow file is too large.")
    headers = {k.lower(): v for k, v in request.headers.items()}
    runtime.jobs.architect.receive_upload(request.path_params["job_id"], headers, body)
    return Response(status_code=200)


def _job_uri(kind: str, job_id: str) -> str:
    return f"/api/v2/flows/{kind}/jobs/{job_id}"


def _registration(job_id: str, status: str, total_flows: int, kind: str) -> Response:
    """RegisterArchitectExportJobResponse / RegisterArchitectValidateJobResponse (same four fields)."""
    return json_response(
        {"id": job_id, "status": status, "totalFlows": total_flows, "selfUri": _job_uri(kind, job_id)}
    )


async def register_export_job(request: Request) -> Response:
    runtime = runtime_of(request)
    job = runtime.jobs.exports.register(await read_json(request))
    return _registration(job.id, job.status, len(job.flows) or len(job.messages), "export")


async def get_export_job(request: Request) -> Response:
    runtime = runtime_of(request)
    wants_messages = _wants_messages(request)
    job = runtime.jobs.exports.get(request.path_params["job_id"], observe=True)
    payload: JsonObject = {"id": job.id, "status": job.status, "command": "Export"}
    if job.status == "Success":
        payload["downloadUrl"] = f"{_base_url(request)}/_downloads/{job.id}?signature={job.download_token}"
    if wants_messages and not job.messages_withheld:
        payload["messages"] = [m.as_json() for m in job.messages]
    payload["selfUri"] = _job_uri("export", job.id)
    return json_response(payload)


async def download_export(request: Request) -> Response:
    runtime = runtime_of(request)
    job = runtime.jobs.exports.download(
        request.path_params["job_id"], request.query_params.get("signature", "")
    )
    media_type = "application/zip" if job.content_name.endswith(".zip") else "application/x-yaml"
    return Response(
        job.content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{job.content_name}"'},
    )


async def register_validate_job(request: Request) -> Response:
    runtime = runtime_of(request)
    job = runtime.jobs.validations.register(await read_json(request))
    return _registration(job.id, job.status, len(job.targets) or len(job.messages), "validate")


async def get_validate_job(request: Request) -> Response:
    runtime = runtime_of(request)
    wants_messages = _wants_messages(request)
    job = runtime.jobs.validations.get(request.path_params["job_id"], observe=True)
    payload: JsonObject = {"id": job.id, "status": job.status, "command": "Validate"}
    if wants_messages and not job.messages_withheld:
        payload["messages"] = [m.as_json() for m in job.messages]
    payload["selfUri"] = _job_uri("validate", job.id)
    return json_response(payload)


ROUTES = [
    Route("/api/v2/flows/jobs", register_architect_job, methods=["POST"]),
    Route("/api/v2/flows/jobs/{job_id}", get_architect_job, methods=["GET"]),
    Route("/api/v2/flows/export/jobs", register_export_job, methods=["POST"]),
    Route("/api/v2/flows/export/jobs/{job_id}", get_export_job, methods=["GET"]),
    Route("/api/v2/flows/validate/jobs", register_validate_job, methods=["POST"]),
    Route("/api/v2/flows/validate/jobs/{job_id}", get_validate_job, methods=["GET"]),
]
UNAUTHENTICATED_ROUTES = [
    Route("/_uploads/{job_id}", receive_upload, methods=["PUT"]),
    Route("/_downloads/{job_id}", download_export, methods=["GET"]),
]
