"""The engine's HTTP API models: request bodies, responses, and the annotated parameters the routes
share (OpenAPI schema at ``/openapi.json``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.answer import Citation

API_VERSION = "1"


# -- API models ------------------------------------------------------------------------------------
class Error(BaseModel):
    detail: str


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000)
    user: str = Field(min_length=1, max_length=200, description="Asks as this user (trusted; see /docs).")
    backend: Literal["local", "openai", "extractive"] | None = Field(
        None, description="Default: the engine's DOCQA_LLM_BACKEND. extractive = no language model."
    )
    history: list[str] = Field(
        default_factory=list, max_length=50, description="The conversation's earlier questions, oldest first."
    )
    stream: bool = Field(False, description="Answer with Server-Sent Events: token events, then answer.")
    doc: str | None = Field(
        None,
        max_length=1000,
        description="Answer from this document only (a doc_id, or its path as GET /documents lists it); "
        "404 when the user may read no such document.",
    )


class ConfidenceOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    score: float
    band: Literal["high", "medium", "low"]
    message: str
    reasons: list[str]
    suggest_expert: bool
    high_stakes: list[str] = []
    features: dict[str, float] = {}


class AskResponse(BaseModel):
    """Answer.to_dict() plus cache_hit, query_log_id and log_warning."""

    model_config = ConfigDict(extra="allow")
    question: str
    answer: str
    refused: bool
    backend: str
    model: str
    fallback_reason: str
    confidence: ConfidenceOut
    citations: list[Citation]
    notes: list[str]
    injection_suspected: bool
    prompt_version: str
    rewritten_query: str
    tokens: dict[str, int]
    timings_ms: dict[str, float]
    cache_hit: bool
    query_log_id: int | None = Field(description="QueryLog row (for feedback); null if logging failed.")
    log_warning: str = ""


class QueueOut(BaseModel):
    waiting: int
    generating: int
    max_waiting: int


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    error: str = ""
    versions: dict[str, str]
    pid: int
    uptime_s: float
    data_dir: str
    store: dict[str, Any] = Field(description="kind (qdrant-edge | qdrant-server) and points (null if down)")
    llm: dict[str, str] = Field(description="backend and model used when a question names none")
    queue: QueueOut
    jobs: dict[str, int]


class DocumentOut(BaseModel):
    doc_id: str
    set: str
    path: str
    title: str
    groups: list[str]
    version: int | None
    status: str = Field(description="state of the current version: active, or writing/none when not indexed")
    pages: int
    chunks: int
    file_type: str
    last_ingested: str | None
    updated: str | None


class ReadableDocumentOut(BaseModel):
    doc_id: str
    set: str
    path: str = Field(description="The document's path within its set.")
    title: str
    version: int | None
    pages: int
    file_type: str


class GroupsRequest(BaseModel):
    groups: list[str] = Field(description="Groups that may read the document; [] = nobody.")


class Removed(BaseModel):
    removed: str
    path: str


class IngestRequest(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)
    path: str | None = Field(None, description="A file or folder on the engine's machine.")
    paths: list[str] = Field(default_factory=list, description="More files or folders, same set.")
    set: str = Field("default", min_length=1, description="Document set.")
    groups: list[str] | None = Field(
        None,
        alias="acl",
        description="Groups allowed to read ALL these files (overrides the folder's acl.yaml).",
    )
    prune: bool = Field(False, description="Remove documents of the set that are not among the paths.")
    workers: int | None = Field(None, ge=0, le=16, description="Partitioning processes for this job.")

    @model_validator(mode="after")
    def _some_path(self) -> IngestRequest:
        if not self.path and not self.paths:
            raise ValueError("give path (or paths)")
        return self

    def all_paths(self) -> list[str]:
        return ([self.path] if self.path else []) + list(self.paths)


class FileOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    path: str
    status: str
    reason: str
    pages: int
    chunks: int
    seconds: float


class JobSummary(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    set: str
    paths: list[str]
    groups: list[str] | None
    prune: bool
    created: str
    started: str | None
    finished: str | None
    total: int | None = Field(description="files discovered (null until known)")
    done: int = Field(description="files reported so far")
    current: str = Field(description="the file reported last")
    stage: str = Field(
        "",
        description="the files in progress per stage, e.g. 'parse 1 · ocr 1 (scan.pdf, page 14) · embed 3'",
    )
    counts: dict[str, int]
    seconds: float
    run_id: int | None = Field(description="the IngestRun row, once the job has finished")
    error: str


class JobOut(JobSummary):
    files: list[FileOut] = Field(description="per-file reports, from index `since` on")


class JobCreated(BaseModel):
    job_id: str
    status: str


# -- feedback and escalation models ----------------------------------------------------------------
USER_DOC = "Acts as this user (trusted; see /docs)."
UserName = Annotated[str, Field(min_length=1, max_length=200, description=USER_DOC)]
UserParam = Annotated[str, Query(min_length=1, max_length=200, description=USER_DOC)]
EscalationId = Annotated[int, PathParam(description="The escalation's id.")]
AnswerId = Annotated[int, PathParam(description="The answer's query_log_id (from /ask).")]
Thumb = Literal["up", "down"]  # app.feedback.THUMBS
Reason = Literal["wrong", "incomplete", "wrong_source", "outdated"]  # app.feedback.REASONS
Status = Literal["open", "claimed", "answered", "closed"]  # app.feedback.STATUSES


class FeedbackRequest(BaseModel):
    user: UserName
    query_log_id: int = Field(
        description="The answer's query_log_id (from /ask); only its asker may rate it."
    )
    thumb: Thumb
    reason: Reason | None = Field(None, description="Only with a thumb down.")
    comment: str = Field("", description="Cut to 2000 characters.")


class FeedbackOut(BaseModel):
    id: int
    query_log_id: int
    user: str
    thumb: Thumb
    reason: Reason | None
    comment: str
    created_at: str | None = Field(description="ISO 8601, UTC")
    updated_at: str | None = Field(description="ISO 8601, UTC; when it was last given")


class SourceOut(BaseModel):
    """A cited source, rendered from the references an escalation keeps."""

    n: int | None = None
    document: str = ""
    path: str = ""
    page: int | None = None
    location: str = Field("", description="Where in the document (sheet and rows, heading…).")
    snippet: str = Field("", description="The cited chunk (at most 2000 characters); empty when it changed.")
    doc_id: str | None = None
    version: int | None = None
    changed: bool = Field(False, description="The document was re-ingested since: the quoted chunk is gone.")


class EscalateRequest(BaseModel):
    user: UserName
    query_log_id: int = Field(
        description="The answer's query_log_id (from /ask); only its asker may escalate. The engine keeps "
        "references to the logged answer and its cited chunks; nothing else the client sends is stored."
    )
    comment: str = Field("", description="What the asker wants checked; cut to 2000 characters.")


class EscalationOut(BaseModel):
    """An escalation as the requesting user may see it."""

    id: int
    query_log_id: int | None
    asker: str
    question: str
    answer: str
    sources: list[SourceOut]
    confidence: float
    band: str
    comment: str
    groups: list[str] = Field(description="Groups owning the cited documents when it was made.")
    status: Status
    assignee: str | None
    reply: str
    replied_by: str | None
    created_at: str | None
    claimed_at: str | None
    replied_at: str | None
    closed_at: str | None
    withheld: int = Field(
        description="How many cited documents the viewer may not read (or were deleted); when any, "
        "answer and sources are empty and only the question is shown."
    )
    withheld_reason: str = Field("", description="Why only the question is shown.")
    queue: Literal["reviewers", "admins"] = Field(
        "reviewers", description="admins: no reviewer may read every cited document."
    )
    queue_reason: str = ""


class UserRequest(BaseModel):
    user: UserName


class ReplyRequest(BaseModel):
    user: UserName
    text: str = Field(description="The answer to the asker (at most 10000 characters); may be revised.")


class FeedbackSummary(BaseModel):
    since: str | None
    total: int
    up: int
    down: int
    up_share: float | None = Field(description="up / total; null without feedback")
    down_reasons: dict[str, int] = Field(description="wrong, incomplete, wrong_source, outdated, unspecified")
    escalations: dict[str, int] = Field(description="per status, and total")


# -- verified answer models (app/verified.py) ------------------------------------------------------
VerifiedId = Annotated[int, PathParam(description="The verified answer's id.")]


class PublishRequest(BaseModel):
    user: UserName
    escalation_id: int = Field(description="An answered escalation routed or assigned to the user.")
    question: str | None = Field(None, max_length=1000, description="Default: the escalation's question.")
    answer: str | None = Field(None, max_length=10_000, description="Default: the escalation's reply.")
    groups: list[str] | None = Field(
        None,
        description="Groups chosen to read it (at least one); a reviewer picks among the groups that may "
        "read every cited document (its own groups when it cites none), an admin any. Only the chosen "
        "groups that may read every cited document get it. Default: those groups.",
    )


class VerifiedOut(BaseModel):
    id: int
    doc_id: str = Field(description="Its id in the vector store and in citations (verified-<id>).")
    question: str
    answer: str
    groups: list[str]
    reviewer: str
    escalation_id: int | None
    created_at: str | None = Field(description="ISO 8601, UTC")
    can_unpublish: bool = Field(description="The requesting user may remove it.")
    status: Literal["published", "withdrawn"] = Field(
        "published", description="withdrawn: a document it restates was deleted (see withdrawn_reason)."
    )
    withdrawn_reason: str = ""
    withheld: bool = Field(
        False,
        description="The requesting user may not read it now (listed for its publisher and admins): "
        "no answer.",
    )
    sources: list[str] = Field(default_factory=list, description="The doc_ids of the documents it restates.")


# -- admin models ----------------------------------------------------------------------------------
AdminParam = Annotated[
    str | None,
    Query(min_length=1, max_length=200, description="The acting user; when given, must be an admin (403)."),
]


class RejectedFile(BaseModel):
    path: str = Field(description="The file as uploaded; a zip member as <zip>/<member>.")
    status: Literal["unsupported", "too-large"]
    reason: str


class UploadOut(BaseModel):
    job_id: str
    status: str
    files: list[str] = Field(description="the saved file names (zip members flattened: a/b.txt -> a__b.txt)")
    rejected: list[RejectedFile] = Field(
        default_factory=list, description="Files not saved: a type the pipeline cannot read, or too large."
    )


UPLOAD_BODY: dict[str, Any] = {  # POST /uploads reads its multipart body itself (streamed to disk)
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["set", "groups", "files"],
                "properties": {
                    "user": {
                        "type": "string",
                        "description": f"{USER_DOC} Before the files, or give ?user= instead.",
                    },
                    "set": {"type": "string", "maxLength": 100, "description": "Document set."},
                    "groups": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Groups that may read these documents.",
                    },
                    "files": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "The files; a zip is extracted.",
                    },
                },
            }
        }
    },
}


class UserOut(BaseModel):
    name: str
    groups: list[str]
    roles: list[str]
    created: str | None


class SaveUserRequest(BaseModel):
    user: UserName
    name: str = Field(min_length=1, max_length=100, description="The user to create or change.")
    groups: list[str] = Field(default_factory=list)
    roles: list[Literal["employee", "reviewer", "admin", "evaluator"]] = Field(default_factory=list)
    password: str | None = Field(None, description="Required for a new user; resets it when given.")


class LoginRequest(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class LoginOut(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; acts only as this user.")
    user: str
    roles: list[str]
    groups: list[str]
    expires_at: str = Field(description="ISO 8601, UTC (absolute; it also ends after idling)")
    idle_minutes: float = Field(description="Unused for longer, it expires (0 = never)")


class AuditOut(BaseModel):
    id: int
    at: str | None = Field(description="ISO 8601, UTC")
    actor: str = Field(
        description='A user, "service" (the service token, acting for no user), "cli:<os user>" (the CLI '
        "without an engine), or the name tried at a failed login"
    )
    action: str
    target: str
    details: dict[str, Any]
