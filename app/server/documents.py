"""Documents and their ingestion: list, read, delete, change who may read them, download the kept
original; ingestion jobs from paths on the engine's machine or from uploaded files (admins, or the
service token)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from starlette.requests import ClientDisconnect

from app.client import EngineError
from app.jobs import MultipartUpload, UploadError, UploadLimits, staging_dir
from app.server.deps import (
    LocalDep,
    StateDep,
    acting,
    actor_of,
    claimed_by,
    error_responses,
    service_or_admin,
)
from app.server.models import (
    UPLOAD_BODY,
    USER_DOC,
    AdminParam,
    DocumentOut,
    Error,
    GroupsRequest,
    IngestRequest,
    JobCreated,
    JobOut,
    JobSummary,
    ReadableDocumentOut,
    Removed,
    UploadOut,
    UserParam,
    UserRequest,
)
from ingest.manifest import MANIFEST_NAME, AclManifest, ManifestError

router = APIRouter()


# -- documents -------------------------------------------------------------------------------------
@router.get("/documents", response_model=list[DocumentOut], summary="Indexed documents")
def documents(
    request: Request,
    local: LocalDep,
    set_name: str | None = Query(None, alias="set", description="Only this set."),
) -> Any:
    service_or_admin(request)
    return local.documents(set_name)


@router.get(
    "/documents/readable",
    response_model=list[ReadableDocumentOut],
    summary="The indexed documents the user may read (to ask within one of them)",
    responses=error_responses(403, 404),
)
def readable_documents(request: Request, local: LocalDep, user: UserParam) -> Any:
    return local.readable_documents(acting(request, user))


@router.delete(
    "/documents/{doc_id}",
    response_model=Removed,
    summary="Remove a document everywhere (points, rows, kept original)",
    responses=error_responses(404),
)
def delete_document(
    request: Request, local: LocalDep, doc_id: str, user: AdminParam = None
) -> dict[str, str]:
    user = acting(request, user)
    return local.delete_document(doc_id, user=user, actor=actor_of(request), claimed_by=claimed_by(request))


@router.put(
    "/documents/{doc_id}/groups",
    response_model=DocumentOut,
    summary="Change who may read a document (in place, no re-embedding)",
    responses=error_responses(404),
)
def set_groups(
    request: Request, local: LocalDep, doc_id: str, body: GroupsRequest, user: AdminParam = None
) -> dict[str, Any]:
    user = acting(request, user)
    return local.set_groups(
        doc_id, body.groups, user=user, actor=actor_of(request), claimed_by=claimed_by(request)
    )


@router.post(
    "/documents/{doc_id}/reingest",
    response_model=JobCreated,
    status_code=202,
    summary="Re-run ingestion of an uploaded document on its kept upload (admins only)",
    responses=error_responses(403, 404, 409),
)
def reingest(request: Request, local: LocalDep, doc_id: str, body: UserRequest) -> dict[str, Any]:
    return local.reingest(doc_id, acting(request, body.user))


@router.get(
    "/documents/{doc_id}/original",
    summary="Download the kept original of a document's current version (if the user may read it)",
    response_class=FileResponse,
    responses={
        **error_responses(403, 404),
        200: {"description": "The file, inline; for PDFs append #page=N to open at a page."},
    },
)
def original(request: Request, local: LocalDep, doc_id: str, user: UserParam) -> FileResponse:
    found = local.original_file(doc_id, acting(request, user))
    return FileResponse(
        found["path"],
        media_type=found["media_type"],
        filename=found["filename"],
        content_disposition_type="inline",
        headers={"X-DocQA-Version": str(found["version"]), "Cache-Control": "private, no-store"},
    )


# -- ingestion jobs --------------------------------------------------------------------------------
@router.post(
    "/ingest",
    response_model=JobCreated,
    status_code=202,
    summary="Start an ingestion job (paths on the engine's machine)",
    responses=error_responses(400),
)
def ingest(request: Request, req: IngestRequest, engine: StateDep) -> dict[str, str]:
    service_or_admin(request)
    paths = [Path(p).expanduser() for p in req.all_paths()]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise HTTPException(400, f"no such file or folder on the engine's machine: {', '.join(missing)}")
    _check_manifests(paths)
    job = engine.jobs.submit(
        [p.resolve() for p in paths],
        set_name=req.set,
        groups=[g.strip() for g in req.groups if g.strip()] if req.groups else None,
        prune=req.prune,
        workers=req.workers,
    )
    details = {
        "paths": req.all_paths()[:100],
        "groups": req.groups,
        "prune": req.prune,
        "job_id": job["id"],
    }
    engine.local.audit_event(
        "ingest.start", req.set, details, actor=actor_of(request), claimed_by=claimed_by(request)
    )
    return {"job_id": job["id"], "status": job["status"]}


@router.post(
    "/uploads",
    response_model=UploadOut,
    status_code=202,
    summary="Upload files or a zip as a document set and start its ingestion job (admins only)",
    description="Files of a type the pipeline cannot read (sniffed from their content) or larger "
    "than DOCQA_MAX_FILE_MB are not saved and listed in `rejected`; an upload with nothing left, "
    "an unsafe name or a damaged zip is refused (400), one larger than DOCQA_UPLOAD_MAX_MB (by "
    "Content-Length, as received, or its zips uncompressed) 413. Give the user in the query (or "
    "the user field before the files): a non-admin is refused before the files are read.",
    responses={
        **error_responses(400, 403, 404),
        413: {"model": Error, "description": "Larger than DOCQA_UPLOAD_MAX_MB"},
    },
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload(
    request: Request,
    engine: StateDep,
    user: Annotated[
        str | None, Query(min_length=1, max_length=200, description=f"{USER_DOC} Or the user field.")
    ] = None,
) -> dict[str, Any]:
    settings, local = engine.settings, engine.local
    limits = UploadLimits.of(settings)
    early = acting(request, user)  # a session's own user, or ?user=: checked before the body
    if early is not None:
        await run_in_threadpool(local.require_admin, early)

    def authorize(named: str | None) -> str:
        """The user field, checked when the first file starts (or at the end without files)."""
        if named is None:
            if early is None:
                raise HTTPException(400, "name the acting user: ?user=, or a user field before the files")
            return early
        who = acting(request, named)
        if early is not None and who != early:
            raise HTTPException(400, f"?user= names {early} but the user field {who}")
        if early is None:
            local.require_admin(who)
        return who

    declared = request.headers.get("content-length", "")
    try:
        if declared.isdigit() and int(declared) > limits.max_request_bytes:  # refused unread
            raise limits.too_large(f"the upload ({int(declared) / 1024 / 1024:.0f} MB)")
        with (
            staging_dir(settings.data_dir) as staging,
            closing(
                MultipartUpload(request.headers.get("content-type", ""), staging, limits, authorize)
            ) as form,
        ):
            try:
                async for chunk in request.stream():
                    await run_in_threadpool(form.feed, chunk)
            except ClientDisconnect:
                raise HTTPException(400, "the client went away during the upload") from None
            acting_user = form.finish()
            set_name = form.field("set")
            if not set_name:
                raise HTTPException(400, "give the document set (the set field)")
            groups = form.fields.get("groups", [])
            return await run_in_threadpool(local.upload, acting_user, set_name, groups, form.files)
    except UploadError as exc:
        raise EngineError(exc.status, str(exc)) from None


@router.get("/jobs", response_model=list[JobSummary], summary="Ingestion jobs, newest first")
def list_jobs(request: Request, engine: StateDep) -> Any:
    service_or_admin(request)
    return engine.jobs.list_jobs()


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    summary="An ingestion job's progress",
    responses=error_responses(404),
)
def get_job(
    request: Request,
    engine: StateDep,
    job_id: str,
    since: int = Query(0, ge=0, description="Leave out the first `since` file reports."),
) -> Any:
    service_or_admin(request)
    job = engine.jobs.get(job_id, files_from=since)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r} (jobs are kept in memory until the engine stops)")
    return job


def _check_manifests(paths: Sequence[Path]) -> None:
    for p in paths:
        if p.is_dir() and (p / MANIFEST_NAME).is_file():
            try:
                AclManifest.load(p / MANIFEST_NAME)
            except ManifestError as exc:
                raise HTTPException(400, f"access manifest: {exc}") from None
