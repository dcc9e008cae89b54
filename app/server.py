"""`docqa serve`: the engine, the one process that owns the stores and the loaded models.

The embedded vector store admits one process at a time, and a local LLM should be loaded once and
asked one question at a time; so the CLI and the UI are clients of this FastAPI service
(``create_app``; OpenAPI schema at ``/openapi.json``, interactive docs at ``/docs``).

Authentication: every endpoint but /health and /login needs ``Authorization: Bearer <token>``
(401 otherwise). The service token (DOCQA_ENGINE_TOKEN, or made at start and written to
<data_dir>/engine.json, mode 0600) is for trusted clients acting for users, the CLI and the UI server:
the ``user`` field (or ``?user=``) names who acts. A session token from POST /login (name and
password; it expires after DOCQA_SESSION_HOURS, or DOCQA_SESSION_IDLE_MINUTES unused) acts only as
its user: a request naming anyone else is refused 403, and endpoints naming no user (documents,
ingestion jobs) need the role admin. Groups and roles are always resolved here from the database.
Failed logins are throttled per name and per client address (429 with Retry-After), and each user
may ask DOCQA_QUESTIONS_PER_MINUTE questions (burst DOCQA_QUESTIONS_BURST; 429 with Retry-After
beyond). Admin actions and failed logins go to the audit log (GET /audit); its actor comes from the
authenticated principal only: the acting user, else "service" for the service token (a client's
X-DocQA-Actor header is kept as the unverified detail ``claimed_by``). Ingestion paths are paths
on the engine's machine.

Feedback and escalations (app/feedback.py decides who may do what): the asker rates an answer
(POST /feedback, by its ``query_log_id`` from /ask) or hands it to a human reviewer (POST
/escalations), routed to the reviewers of the cited documents' groups; reviewers claim, reply and
close; admins see the counts (GET /insights/feedback). Errors: 400 bad input (a reason with a thumb
up, an empty reply, a source that is not one of the answer's citations), 403 not allowed, 404 unknown
user, answer or escalation, 409 the escalation's state forbids it (claimed by someone else, closed),
422 a request that does not match the schema.

Concurrency: blocking work runs in worker threads, so /health answers while a question is being
generated. LLM generations are serialised (one at a time) and at most ``engine_max_queue`` questions
may wait for the model; beyond that /ask answers at once by quoting the sources, labelled in
``fallback_reason`` (or, with DOCQA_ENGINE_BUSY_FALLBACK=false, 503 with Retry-After). Retrieval, cache hits,
refusals and extractive answers never wait for the model. Ingestion jobs run one at a time in a
background thread (app/jobs.py).

Streaming (``"stream": true`` on POST /ask) uses Server-Sent Events (``text/event-stream``)::

    event: token    data: {"text": "..."}                 zero or more, as the model generates
    event: answer   data: {...the AskResponse JSON...}     once, at the end
    event: error    data: {"status": 500, "detail": "..."} instead of the answer when it fails

Errors before the stream starts (unknown user, queue full, validation) are plain HTTP errors.
Every error body is ``{"detail": ...}``; never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.sse import EventSourceResponse, format_sse_event
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.answer import PROMPT_VERSION, Citation
from app.auth import Clock, LoginThrottle, RateLimiter, SessionTokens, new_token, tokens_equal
from app.client import EngineError, InProcessEngine
from app.db import DatabaseUnavailableError
from app.embeddings import EncoderMismatchError, check_encoder
from app.jobs import JobManager
from app.store import StoreBusyError, StoreUnavailableError

if TYPE_CHECKING:
    from app.answer import Answerer
    from app.services import Services
    from app.settings import Settings

log = logging.getLogger("docqa.engine")
API_VERSION = "1"
PING_S = 10.0  # SSE keep-alive comment while a question waits for the model


# -- errors ----------------------------------------------------------------------------------------
class EngineBusyError(EngineError):
    def __init__(self, waiting: int) -> None:
        noun = "question is" if waiting == 1 else "questions are"
        detail = f"the engine is busy, {waiting} {noun} waiting; try again shortly"
        super().__init__(503, detail, retry_after=str(min(60, 5 * (waiting + 1))))
        self.waiting = waiting


class RateLimitedError(EngineError):
    def __init__(self, user: str, per_minute: float, wait_s: float) -> None:
        import math

        wait = max(1, math.ceil(wait_s))
        detail = f"Too many questions: {user} may ask {per_minute:g} per minute; try again in {wait} s"
        super().__init__(429, detail, retry_after=str(wait))


class EngineStartError(RuntimeError):
    """`docqa serve` cannot start (another engine runs, the port is taken, a user has a demo password
    outside demo mode, no admin exists and no first admin password is given)."""


UNAVAILABLE = (StoreUnavailableError, StoreBusyError, DatabaseUnavailableError)


def error_status(exc: BaseException) -> tuple[int, str]:
    """(HTTP status, user-facing detail) for an exception; unexpected ones say only their type."""
    if isinstance(exc, EngineError):
        return exc.status, exc.detail
    if isinstance(exc, UNAVAILABLE):
        return 503, str(exc)
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    return 500, f"internal error ({type(exc).__name__}); see the engine's log"


# -- the LLM queue ---------------------------------------------------------------------------------
class GenerationQueue:
    """At most one generation at a time; at most ``max_waiting`` admitted questions waiting for it.

    A question using an LLM backend is admitted (or refused with EngineBusyError) when it arrives;
    it takes the generation lock only when it actually generates (see QueuedGenerator).
    """

    def __init__(self, max_waiting: int) -> None:
        self.max_waiting = max(0, max_waiting)
        self._state = threading.Lock()
        self._generation = threading.Lock()
        self._admitted = 0
        self._generating = 0

    def admit(self) -> Callable[[], None]:
        """Admit a question; returns its release function (idempotent)."""
        with self._state:
            if self._admitted >= self.max_waiting + 1:
                raise EngineBusyError(self._admitted - self._generating)
            self._admitted += 1
        released = threading.Event()

        def release() -> None:
            with self._state:
                if not released.is_set():
                    released.set()
                    self._admitted -= 1

        return release

    @contextmanager
    def generating(self) -> Iterator[None]:
        with self._generation:
            with self._state:
                self._generating += 1
            try:
                yield
            finally:
                with self._state:
                    self._generating -= 1

    def stats(self) -> dict[str, int]:
        with self._state:
            return {
                "waiting": self._admitted - self._generating,
                "generating": self._generating,
                "max_waiting": self.max_waiting,
            }


class QueuedGenerator:
    """Wraps an app.llm Generator so that each generate() call holds the queue's generation lock."""

    def __init__(self, inner: Any, queue: GenerationQueue) -> None:
        self.inner = inner
        self.queue = queue
        self.backend = inner.backend
        self.model = inner.model

    def generate(self, messages: Any, **kwargs: Any) -> Any:
        with self.queue.generating():
            return self.inner.generate(messages, **kwargs)


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


# -- verified answer models (app/verified.py) --------------------------------------------------------
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


# -- admin models -----------------------------------------------------------------------------------
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


@dataclass
class Principal:
    """Who a request is authenticated as: ``user`` None for the service token."""

    user: str | None
    actor: str  # the audit actor of admin actions that name no user: the session's user, or "service"
    claimed_by: str | None = None  # the service client's unverified X-DocQA-Actor (audit detail only)


BEARER = HTTPBearer(
    auto_error=False,
    description="The service token (<data_dir>/engine.json or DOCQA_ENGINE_TOKEN), or a session token "
    "from POST /login.",
)
ACTOR_HEADER = "X-DocQA-Actor"  # who a service client says acts (e.g. "cli:ops"): recorded, never trusted
OPEN_PATHS = frozenset({"/health", "/login"})


def acting(request: Request, user: str | None) -> str | None:
    """The user a request acts as: the named one with the service token; with a session token its
    own user (403 when the request names someone else)."""
    p: Principal = request.state.principal
    if p.user is None:
        return user
    if user is not None and user != p.user:
        raise HTTPException(403, f"this session token belongs to {p.user}; it cannot act as {user}")
    return p.user


def actor_of(request: Request) -> str:
    """The audit actor of an action naming no user, from the authenticated principal only: a session
    token's user, or "service" for the service token (whatever X-DocQA-Actor says)."""
    return request.state.principal.actor


def claimed_by(request: Request) -> str | None:
    """The service client's X-DocQA-Actor, unverified: kept as details["claimed_by"] in the audit log."""
    return request.state.principal.claimed_by


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Bad request",
        401: "Missing, unknown or expired token; or a wrong name or password",
        429: "Too many failed logins or questions (with Retry-After)",
        403: "Not allowed for this user",
        404: "Not found",
        409: "The escalation's state does not allow this",
        503: "Stores unavailable, or the LLM queue is full (with Retry-After)",
    }
    return {c: {"model": Error, "description": text[c]} for c in codes}


# -- the app ---------------------------------------------------------------------------------------
def create_app(
    services: Services,
    *,
    announce_url: str | None = None,
    service_token: str | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The engine's FastAPI app over ``services``. With ``announce_url`` the app writes
    <data_dir>/engine.json (with the service token, mode 0600) on startup, so clients find it, and
    removes it on shutdown. The service token: ``service_token``, else DOCQA_ENGINE_TOKEN, else a
    random one (``app.state.service_token``). ``clock`` (seconds) drives login throttling, question
    rate limits and session expiry (tests inject one)."""
    from app.client import remove_engine_file, write_engine_file

    settings = services.settings
    configured = settings.engine_token.get_secret_value() if settings.engine_token else None
    token = service_token or configured or new_token()
    throttle = LoginThrottle(
        settings.login_max_failures,
        settings.login_window_s,
        settings.login_cooldown_s,
        clock=clock or time.monotonic,
    )
    limiter = RateLimiter(
        settings.questions_per_minute, settings.questions_burst, clock=clock or time.monotonic
    )
    sessions = SessionTokens(
        settings.session_hours * 3600, settings.session_idle_minutes * 60, clock=clock or time.time
    )
    queue = GenerationQueue(settings.engine_max_queue)
    jobs = JobManager(services)
    answerer_lock = threading.Lock()  # loading a model twice at once would cost twice the RAM
    started = time.monotonic()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_warm_up, services)
        if announce_url:
            write_engine_file(settings, announce_url, token)
            log.info("DocQA engine at %s (pid %d, data dir %s)", announce_url, os.getpid(), settings.data_dir)
        try:
            yield
        finally:
            if announce_url:
                remove_engine_file(settings, announce_url)
            await run_in_threadpool(jobs.close)

    def authenticate(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
    ) -> None:
        """Every route but OPEN_PATHS: the service token or a live session token, else 401."""
        if getattr(request.scope.get("route"), "path", None) in OPEN_PATHS:
            return
        given = credentials.credentials if credentials else ""
        request.state.token = given
        if tokens_equal(given, token):
            claimed = (request.headers.get(ACTOR_HEADER) or "").strip()[:200] or None
            request.state.principal = Principal(None, "service", claimed)
            return
        name = sessions.resolve(given) if given else None
        if name is not None and services.db.get_user(name) is None:  # removed since
            sessions.revoke_user(name)
            name = None
        if name is None:
            detail = (
                "your session has expired or is unknown; log in again (POST /login)"
                if given
                else "authentication required: send Authorization: Bearer <token> (POST /login gives one)"
            )
            raise HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})
        request.state.principal = Principal(name, name)

    app = FastAPI(
        title="DocQA engine",
        version=API_VERSION,
        summary="Permission-aware document question answering: cited answers from what a user may read.",
        description=(__doc__ or "").split("\n\n", 1)[1],
        lifespan=lifespan,
        dependencies=[Depends(authenticate)],
    )
    app.state.services, app.state.jobs, app.state.queue = services, jobs, queue
    app.state.service_token, app.state.sessions = token, sessions

    @app.exception_handler(EngineError)
    @app.exception_handler(StoreUnavailableError)
    @app.exception_handler(StoreBusyError)
    @app.exception_handler(DatabaseUnavailableError)
    @app.exception_handler(Exception)
    async def _error(_: Request, exc: Exception) -> JSONResponse:
        status, detail = error_status(exc)
        if status == 500:
            log.error("unexpected error", exc_info=exc)
        retry = getattr(exc, "retry_after", None)
        return JSONResponse({"detail": detail}, status, headers={"Retry-After": retry} if retry else None)

    def answerer_for(backend: str | None) -> Answerer:
        backend = backend or settings.llm_backend
        if backend == "extractive":
            return services.answerer("extractive")
        with answerer_lock:
            answerer = services.answerer(backend)
        if answerer.generator is not None:
            answerer.generator = QueuedGenerator(answerer.generator, queue)
        return answerer

    local = InProcessEngine(services, answerer_for=answerer_for, job_manager=jobs, actor="service")

    def service_or_admin(request: Request) -> None:
        """Endpoints that name no user: the service token, or a session of an admin."""
        user = request.state.principal.user
        if user is not None:
            local.require_admin(user)

    # -- login -------------------------------------------------------------------------------------
    @app.post(
        "/login",
        response_model=LoginOut,
        summary="Log in with name and password: a session token that acts only as this user",
        responses=_responses(401, 429),
    )
    def login(request: Request, body: LoginRequest) -> dict[str, Any]:
        from app.access import LoginRefused, log_in

        address = request.client.host if request.client else None
        try:
            user = log_in(services.db, throttle, body.name, body.password, address=address, via="engine")
        except LoginRefused as exc:
            if exc.retry_after:
                raise EngineError(429, str(exc), retry_after=str(exc.retry_after)) from None
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
        issued, session = sessions.issue(user.name)
        expires = datetime.fromtimestamp(session.expires, UTC).isoformat(timespec="seconds")
        return {
            "token": issued,
            "user": user.name,
            "roles": user.role_list,
            "groups": user.group_names,
            "expires_at": expires,
            "idle_minutes": settings.session_idle_minutes,
        }

    @app.post("/logout", status_code=204, summary="End this session token", responses=_responses(400))
    def logout(request: Request) -> None:
        if request.state.principal.user is None:
            raise HTTPException(400, "the service token is not a session; it cannot log out")
        sessions.revoke(request.state.token)

    def rate_exempt(user: str) -> bool:
        exempt = set(settings.questions_exempt_roles)
        found = services.db.get_user(user) if exempt else None
        return bool(found and exempt & set(found.role_list))

    # -- health ------------------------------------------------------------------------------------
    @app.get("/health", response_model=Health, summary="Liveness, versions, store size, LLM queue, jobs")
    def health() -> dict[str, Any]:
        status, error, points = "ok", "", None
        try:
            points = services.store.count()
        except UNAVAILABLE as exc:
            status, error = "degraded", str(exc)
        model = {"local": settings.llm_model, "openai": settings.openai_model or ""}
        return {
            "status": status,
            "error": error,
            "versions": _versions(),
            "pid": os.getpid(),
            "uptime_s": round(time.monotonic() - started, 1),
            "data_dir": str(settings.data_dir.resolve()),
            "store": {"kind": "qdrant-server" if settings.qdrant_url else "qdrant-edge", "points": points},
            "llm": {"backend": settings.llm_backend, "model": model.get(settings.llm_backend, "")},
            "queue": queue.stats(),
            "jobs": jobs.stats(),
        }

    # -- ask ---------------------------------------------------------------------------------------
    @app.post(
        "/ask",
        response_model=AskResponse,
        summary="Answer a question from the documents the user may read",
        responses={
            **_responses(404, 503),
            200: {
                "description": "The answer as JSON, or with stream=true a text/event-stream: with a "
                "language model first one `quick` event (the extractive answer quoted from the "
                "sources, {answer, citations, seconds}, to show while the model writes), then `token` "
                "events, then one `answer` event (the same JSON) or one `error` event.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
        },
    )
    async def ask(request: Request, req: AskRequest) -> Any:
        user = acting(request, req.user)
        groups = await run_in_threadpool(local.user_groups, user)  # unknown user: 404 before any stream
        if req.doc:  # a document the user may not read (or none): 404 before any stream too
            await run_in_threadpool(local.documents_named, req.doc, groups)
        if limiter.enabled and not await run_in_threadpool(rate_exempt, user):
            wait = limiter.take(user)
            if wait > 0:
                raise RateLimitedError(user, settings.questions_per_minute, wait)
        backend = req.backend or settings.llm_backend
        release: Callable[[], None] = lambda: None  # noqa: E731
        busy = ""  # why the model was not asked although the question wanted it
        if backend != "extractive":
            try:
                release = queue.admit()
            except EngineBusyError as exc:
                if not settings.engine_busy_fallback:
                    raise
                backend = "extractive"  # answer at once by quoting, rather than make the user retry
                waiting = f"{exc.waiting} question{'s' * (exc.waiting != 1)}"
                busy = f"it was busy ({waiting} already waiting for it)."

        def work(
            on_token: Callable[[str], None] | None, on_quick: Callable[[dict], None] | None = None
        ) -> dict:
            try:
                result = local.ask(req.question, user, backend=backend, history=req.history,
                                   on_token=on_token, on_quick=on_quick, doc=req.doc)  # fmt: skip
            finally:
                release()
            if busy and not result.get("refused"):
                result["fallback_reason"] = busy
            return result

        if not req.stream:
            try:
                return await run_in_threadpool(work, None)
            finally:
                release()
        return EventSourceResponse(_stream(work), headers={"Cache-Control": "no-cache"})

    # -- documents ---------------------------------------------------------------------------------
    @app.get("/documents", response_model=list[DocumentOut], summary="Indexed documents")
    def documents(
        request: Request, set_name: str | None = Query(None, alias="set", description="Only this set.")
    ) -> Any:
        service_or_admin(request)
        return local.documents(set_name)

    @app.get(
        "/documents/readable",
        response_model=list[ReadableDocumentOut],
        summary="The indexed documents the user may read (to ask within one of them)",
        responses=_responses(403, 404),
    )
    def readable_documents(request: Request, user: UserParam) -> Any:
        return local.readable_documents(acting(request, user))

    @app.delete(
        "/documents/{doc_id}",
        response_model=Removed,
        summary="Remove a document everywhere (points, rows, kept original)",
        responses=_responses(404),
    )
    def delete_document(request: Request, doc_id: str, user: AdminParam = None) -> dict[str, str]:
        user = acting(request, user)
        return local.delete_document(
            doc_id, user=user, actor=actor_of(request), claimed_by=claimed_by(request)
        )

    @app.put(
        "/documents/{doc_id}/groups",
        response_model=DocumentOut,
        summary="Change who may read a document (in place, no re-embedding)",
        responses=_responses(404),
    )
    def set_groups(
        request: Request, doc_id: str, body: GroupsRequest, user: AdminParam = None
    ) -> dict[str, Any]:
        user = acting(request, user)
        return local.set_groups(
            doc_id, body.groups, user=user, actor=actor_of(request), claimed_by=claimed_by(request)
        )

    @app.post(
        "/documents/{doc_id}/reingest",
        response_model=JobCreated,
        status_code=202,
        summary="Re-run ingestion of an uploaded document on its kept upload (admins only)",
        responses=_responses(403, 404, 409),
    )
    def reingest(request: Request, doc_id: str, body: UserRequest) -> dict[str, Any]:
        return local.reingest(doc_id, acting(request, body.user))

    @app.get(
        "/documents/{doc_id}/original",
        summary="Download the kept original of a document's current version (if the user may read it)",
        response_class=FileResponse,
        responses={
            **_responses(403, 404),
            200: {"description": "The file, inline; for PDFs append #page=N to open at a page."},
        },
    )
    def original(request: Request, doc_id: str, user: UserParam) -> FileResponse:
        found = local.original_file(doc_id, acting(request, user))
        return FileResponse(
            found["path"],
            media_type=found["media_type"],
            filename=found["filename"],
            content_disposition_type="inline",
            headers={"X-DocQA-Version": str(found["version"]), "Cache-Control": "private, no-store"},
        )

    # -- ingestion jobs ----------------------------------------------------------------------------
    @app.post(
        "/ingest",
        response_model=JobCreated,
        status_code=202,
        summary="Start an ingestion job (paths on the engine's machine)",
        responses=_responses(400),
    )
    def ingest(request: Request, req: IngestRequest) -> dict[str, str]:
        service_or_admin(request)
        paths = [Path(p).expanduser() for p in req.all_paths()]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise HTTPException(400, f"no such file or folder on the engine's machine: {', '.join(missing)}")
        _check_manifests(paths)
        job = jobs.submit(
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
        local.audit_event(
            "ingest.start", req.set, details, actor=actor_of(request), claimed_by=claimed_by(request)
        )
        return {"job_id": job["id"], "status": job["status"]}

    @app.post(
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
            **_responses(400, 403, 404),
            413: {"model": Error, "description": "Larger than DOCQA_UPLOAD_MAX_MB"},
        },
        openapi_extra={"requestBody": UPLOAD_BODY},
    )
    async def upload(
        request: Request,
        user: Annotated[
            str | None, Query(min_length=1, max_length=200, description=f"{USER_DOC} Or the user field.")
        ] = None,
    ) -> dict[str, Any]:
        from contextlib import closing

        from starlette.requests import ClientDisconnect

        from app.jobs import MultipartUpload, UploadError, UploadLimits, staging_dir

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

    @app.get("/jobs", response_model=list[JobSummary], summary="Ingestion jobs, newest first")
    def list_jobs(request: Request) -> Any:
        service_or_admin(request)
        return jobs.list_jobs()

    @app.get(
        "/jobs/{job_id}",
        response_model=JobOut,
        summary="An ingestion job's progress",
        responses=_responses(404),
    )
    def get_job(
        request: Request,
        job_id: str,
        since: int = Query(0, ge=0, description="Leave out the first `since` file reports."),
    ) -> Any:
        service_or_admin(request)
        job = jobs.get(job_id, files_from=since)
        if job is None:
            raise HTTPException(404, f"no job {job_id!r} (jobs are kept in memory until the engine stops)")
        return job

    # -- feedback and escalations (the services check who may do what) -----------------------------
    @app.post(
        "/feedback",
        response_model=FeedbackOut,
        summary="Rate an answer (its asker only); given again, it is updated",
        responses=_responses(400, 403, 404),
    )
    def give_feedback(request: Request, req: FeedbackRequest) -> dict[str, Any]:
        return local.feedback(
            req.query_log_id, acting(request, req.user), req.thumb, reason=req.reason, comment=req.comment
        )

    @app.get(
        "/feedback/{query_log_id}",
        response_model=FeedbackOut,
        summary="The user's feedback on an answer (404 if none)",
        responses=_responses(404),
    )
    def get_feedback(request: Request, query_log_id: AnswerId, user: UserParam) -> dict[str, Any]:
        return local.get_feedback(query_log_id, acting(request, user))

    @app.post(
        "/escalations",
        response_model=EscalationOut,
        status_code=201,
        summary="Hand an answer to a human reviewer of the cited documents' groups",
        responses=_responses(400, 403, 404),
    )
    def escalate(request: Request, req: EscalateRequest) -> dict[str, Any]:
        return local.escalate(req.query_log_id, acting(request, req.user), comment=req.comment)

    @app.get(
        "/escalations",
        response_model=list[EscalationOut],
        summary="Escalations the user may see, newest first",
        responses=_responses(404),
    )
    def list_escalations(
        request: Request,
        user: UserParam,
        status: Annotated[Status | None, Query(description="Only those in this state.")] = None,
        mine: Annotated[bool, Query(description="Only those the user asked or is assigned to.")] = False,
    ) -> Any:
        return local.escalations(acting(request, user), status=status, mine=mine)

    @app.get(
        "/escalations/{escalation_id}",
        response_model=EscalationOut,
        summary="One escalation, as the user may see it",
        responses=_responses(403, 404),
    )
    def get_escalation(request: Request, escalation_id: EscalationId, user: UserParam) -> dict[str, Any]:
        return local.escalation(escalation_id, acting(request, user))

    @app.post(
        "/escalations/{escalation_id}/claim",
        response_model=EscalationOut,
        summary="A reviewer takes an escalation",
        responses=_responses(403, 404, 409),
    )
    def claim(request: Request, body: UserRequest, escalation_id: EscalationId) -> dict[str, Any]:
        return local.claim(escalation_id, acting(request, body.user))

    @app.post(
        "/escalations/{escalation_id}/reply",
        response_model=EscalationOut,
        summary="A reviewer answers the asker (claims it if still open)",
        responses=_responses(400, 403, 404, 409),
    )
    def reply(request: Request, body: ReplyRequest, escalation_id: EscalationId) -> dict[str, Any]:
        return local.reply(escalation_id, acting(request, body.user), body.text)

    @app.post(
        "/escalations/{escalation_id}/close",
        response_model=EscalationOut,
        summary="Close an escalation (its asker, a reviewer it is routed to, or an admin)",
        responses=_responses(403, 404, 409),
    )
    def close_escalation(request: Request, body: UserRequest, escalation_id: EscalationId) -> dict[str, Any]:
        return local.close_escalation(escalation_id, acting(request, body.user))

    # -- verified answers (app/verified.py checks who may do what) --------------------------------
    @app.post(
        "/verified",
        response_model=VerifiedOut,
        status_code=201,
        summary="Publish an answered escalation as a verified answer for readers in the chosen groups",
        responses=_responses(400, 403, 404, 409),
    )
    def publish_verified(request: Request, req: PublishRequest) -> dict[str, Any]:
        return local.publish_verified(
            req.escalation_id,
            acting(request, req.user),
            question=req.question,
            answer=req.answer,
            groups=req.groups,
        )

    @app.get(
        "/verified",
        response_model=list[VerifiedOut],
        summary="Verified answers the user may read or has published (all for admins), newest first",
        responses=_responses(404),
    )
    def list_verified(request: Request, user: UserParam) -> Any:
        return local.verified_answers(acting(request, user))

    @app.delete(
        "/verified/{verified_id}",
        response_model=VerifiedOut,
        summary="Unpublish a verified answer (the reviewer who published it, or an admin)",
        responses=_responses(403, 404),
    )
    def unpublish_verified(request: Request, verified_id: VerifiedId, user: UserParam) -> dict[str, Any]:
        return local.unpublish_verified(verified_id, acting(request, user))

    @app.get(
        "/insights/feedback",
        response_model=FeedbackSummary,
        summary="Feedback and escalation counts (admins only)",
        responses=_responses(403, 404),
    )
    def feedback_insights(
        request: Request,
        user: UserParam,
        since: Annotated[
            datetime | None, Query(description="Only since then (ISO 8601, naive = UTC).")
        ] = None,
    ) -> dict[str, Any]:
        return local.feedback_summary(acting(request, user), since=since)

    @app.get(
        "/insights",
        summary="Questions per day, feedback, confidence bands, escalations, content gaps, latency, "
        "cache hit rate (admins only)",
        responses=_responses(403, 404),
    )
    def insights(
        request: Request,
        user: UserParam,
        days: Annotated[int, Query(ge=1, le=366, description="The last N days.")] = 30,
    ) -> dict[str, Any]:
        return local.insights(acting(request, user), days=days)

    # -- evaluation runs (read-only; evaluators and admins only: results quote documents) ----------
    @app.get(
        "/eval/runs",
        summary="Stored evaluation runs, newest first (evaluators and admins only)",
        responses=_responses(403, 404),
    )
    def eval_runs(
        request: Request,
        user: UserParam,
        limit: Annotated[int, Query(ge=1, le=1000, description="At most N runs.")] = 100,
    ) -> list[dict[str, Any]]:
        return local.eval_runs(acting(request, user), limit=limit)

    @app.get(
        "/eval/runs/{run_id}",
        summary="One evaluation run and its per-question results (evaluators and admins only)",
        responses=_responses(403, 404),
    )
    def eval_run(
        request: Request, run_id: Annotated[int, PathParam(description="The run's id.")], user: UserParam
    ) -> dict[str, Any]:
        return local.eval_run(run_id, acting(request, user))

    @app.get(
        "/eval/compare",
        summary="Run b against baseline run a: metric deltas and per-question regressions "
        "(evaluators and admins only)",
        responses=_responses(403, 404),
    )
    def eval_compare(
        request: Request,
        a: Annotated[int, Query(description="The baseline run.")],
        b: Annotated[int, Query(description="The run to judge against it.")],
        user: UserParam,
        threshold: Annotated[
            float | None, Query(ge=0, description="Gate: name each gated metric dropping by more.")
        ] = None,
    ) -> dict[str, Any]:
        return local.eval_compare(a, b, acting(request, user), threshold=threshold)

    # -- users (admins only) -----------------------------------------------------------------------
    @app.get("/users", response_model=list[UserOut], summary="Users, their groups and roles (admins only)")
    def list_users(request: Request, user: UserParam) -> Any:
        return local.users(acting(request, user))

    @app.get("/groups", response_model=list[str], summary="Every known group (admins only)")
    def list_groups(request: Request, user: UserParam) -> Any:
        return local.groups(acting(request, user))

    @app.post(
        "/users",
        response_model=UserOut,
        summary="Create a user, or change their groups, roles and password (admins only)",
        responses=_responses(400, 403, 404),
    )
    def save_user(request: Request, body: SaveUserRequest) -> dict[str, Any]:
        user = acting(request, body.user)
        changed = local.save_user(
            user, body.name, groups=body.groups, roles=body.roles, password=body.password or None
        )
        if body.password:  # a new password ends the user's sessions
            sessions.revoke_user(changed["name"])
        return changed

    @app.delete(
        "/users/{name}",
        summary="Remove a user (admins only; not oneself); their sessions end",
        responses=_responses(400, 403, 404),
    )
    def delete_user(
        request: Request, name: Annotated[str, PathParam(description="The user to remove.")], user: UserParam
    ) -> dict[str, str]:
        removed = local.delete_user(acting(request, user), name)
        sessions.revoke_user(name)
        return removed

    # -- audit log (admins only) -------------------------------------------------------------------
    @app.get(
        "/audit",
        response_model=list[AuditOut],
        summary="Admin actions and failed logins, newest first (admins only)",
        responses=_responses(403, 404),
    )
    def audit(
        request: Request,
        user: UserParam,
        actor: Annotated[str | None, Query(max_length=200, description="Only by this actor.")] = None,
        action: Annotated[
            str | None,
            Query(max_length=100, description='Only this action, or a prefix ending in "." (user.).'),
        ] = None,
        since: Annotated[
            datetime | None, Query(description="Only since then (ISO 8601, naive = UTC).")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=5000, description="At most N entries.")] = 200,
    ) -> Any:
        return local.audit(acting(request, user), actor=actor, action=action, since=since, limit=limit)

    return app


def _warm_up(services: Services) -> None:
    """Open the database and the store and load the embedding model before the first question; remove
    upload staging folders a killed engine left."""
    from app.jobs import sweep_staging
    from app.verified import refresh as refresh_verified

    if swept := sweep_staging(services.settings.data_dir):
        log.info("removed %d upload staging folder(s) an earlier engine left", swept)
    services.embedder.embed_query("warm up")
    try:
        _ = services.db
        check_encoder(services.store, services.embedder)  # DOCQA_EMBED_BACKEND changed since ingestion?
        if changed := refresh_verified(services.db, services.store):  # a source changed while we were down
            log.info(
                "%d verified answer(s) re-grouped or withdrawn after their sources changed", len(changed)
            )
    except (StoreUnavailableError, DatabaseUnavailableError) as exc:
        log.warning("starting without the stores: %s", exc)
    except EncoderMismatchError as exc:  # search would compare unrelated vectors
        log.warning("%s `docqa doctor --repair` re-embeds them.", exc)


def _check_manifests(paths: Sequence[Path]) -> None:
    from ingest.manifest import MANIFEST_NAME, AclManifest, ManifestError

    for p in paths:
        if p.is_dir() and (p / MANIFEST_NAME).is_file():
            try:
                AclManifest.load(p / MANIFEST_NAME)
            except ManifestError as exc:
                raise HTTPException(400, f"access manifest: {exc}") from None


def _versions() -> dict[str, str]:
    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "unknown"

    return {
        "docqa": version("docqa"),
        "api": API_VERSION,
        "prompt": PROMPT_VERSION,
        "python": platform.python_version(),
        "fastapi": version("fastapi"),
    }


def _stream(work: Callable[..., dict[str, Any]]) -> AsyncIterator[bytes]:
    """Start ``work(on_token, on_quick)`` in a thread now (so it always runs to its end and frees its
    queue slot, even if the client goes away) and relay its quick answer (before a language model
    writes), its tokens, then its answer or error, as SSE."""
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def put(kind: str, value: Any) -> None:
        loop.call_soon_threadsafe(events.put_nowait, (kind, value))

    def run() -> None:
        try:
            answer = AskResponse.model_validate(
                work(lambda token: put("token", token), lambda quick: put("quick", quick))
            )
            put("answer", answer.model_dump(mode="json"))
        except Exception as exc:
            if error_status(exc)[0] == 500:
                log.error("unexpected error while streaming", exc_info=exc)
            put("error", exc)

    threading.Thread(target=run, name="docqa-ask", daemon=True).start()

    async def relay() -> AsyncIterator[bytes]:
        while True:
            try:
                kind, value = await asyncio.wait_for(events.get(), PING_S)
            except TimeoutError:
                yield b": waiting\n\n"  # keeps proxies and clients from timing out
                continue
            if kind == "token":
                yield _sse("token", {"text": value})
            elif kind == "quick":
                yield _sse("quick", value)
            elif kind == "answer":
                yield _sse("answer", value)
                return
            else:
                status, detail = error_status(value)
                yield _sse("error", {"status": status, "detail": detail})
                return

    return relay()


def _sse(event: str, data: Any) -> bytes:
    return format_sse_event(event=event, data_str=json.dumps(data, ensure_ascii=False))


# -- running it ------------------------------------------------------------------------------------
def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def public_url(host: str, port: int) -> str:
    """The URL clients on this machine use for an engine bound to (host, port)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(services: Services, sock: socket.socket, *, log_level: str = "info") -> Any:
    """A uvicorn.Server (one process, one worker) for the engine on the bound ``sock``; run it
    with ``server.run(sockets=[sock])``. It announces itself in <data_dir>/engine.json."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    app = create_app(services, announce_url=public_url(host, port))
    config = uvicorn.Config(
        app, log_level=log_level, timeout_graceful_shutdown=5, lifespan="on", workers=1, access_log=False
    )
    from app.logs import install

    install()  # after uvicorn configured its loggers: redact personal data from every record
    return uvicorn.Server(config)


def serve(settings: Settings, host: str, port: int) -> None:
    """`docqa serve`: open the stores (fail fast if another process holds them), check the users
    (app.access.check_start: outside demo mode no demo passwords; an admin exists or is created
    from DOCQA_ADMIN_PASSWORD_FILE), then serve."""
    from app.access import StartRefused, check_start
    from app.client import find_engine
    from app.services import Services

    running = find_engine(settings.model_copy(update={"engine_url": None}))
    if running is not None:
        raise EngineStartError(f"an engine already serves {settings.data_dir} at {running.url}")
    services = Services(settings)
    try:
        _ = services.store, services.db  # StoreBusyError here: another process holds the store
        try:  # no demo passwords outside demo mode; the first admin from its secret
            check_start(services.db, settings)
        except StartRefused as exc:
            raise EngineStartError(str(exc)) from None
        try:
            sock = bind(host, port)
        except OSError as exc:
            detail = exc.strerror or str(exc)
            raise EngineStartError(f"cannot listen on {host}:{port}: {detail} (try --port)") from None
        server = make_server(services, sock)
        server.run(sockets=[sock])
    finally:
        services.close()
