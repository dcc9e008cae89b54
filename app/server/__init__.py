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

import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import uvicorn
from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool

from app.access import StartRefused, check_start
from app.auth import Clock, LoginThrottle, RateLimiter, SessionTokens, new_token
from app.client import InProcessEngine, find_engine, remove_engine_file, write_engine_file
from app.db import DatabaseUnavailableError
from app.embeddings import EncoderMismatchError, check_encoder
from app.jobs import JobManager, sweep_staging
from app.logs import install
from app.server import ask, documents, evaluation, feedback, health, insights, login, users
from app.server.ask import RateLimitedError
from app.server.deps import HANDLED, EngineState, authenticate, error_response, error_status
from app.server.generation import EngineBusyError, GenerationQueue, QueuedGenerator
from app.server.models import API_VERSION, Reason, Status, Thumb
from app.services import Services
from app.store import StoreUnavailableError
from app.verified import refresh as refresh_verified

if TYPE_CHECKING:
    from app.answer import Answerer
    from app.settings import Settings

__all__ = [
    "API_VERSION",
    "EngineBusyError",
    "EngineStartError",
    "GenerationQueue",
    "QueuedGenerator",
    "RateLimitedError",
    "Reason",
    "Status",
    "Thumb",
    "bind",
    "create_app",
    "error_status",
    "make_server",
    "public_url",
    "serve",
]

log = logging.getLogger("docqa.engine")
ROUTERS = (login, health, ask, documents, feedback, insights, evaluation, users)  # in OpenAPI order


class EngineStartError(RuntimeError):
    """`docqa serve` cannot start (another engine runs, the port is taken, a user has a demo password
    outside demo mode, no admin exists and no first admin password is given)."""


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

    app = FastAPI(
        title="DocQA engine",
        version=API_VERSION,
        summary="Permission-aware document question answering: cited answers from what a user may read.",
        description=(__doc__ or "").split("\n\n", 1)[1],
        lifespan=lifespan,
        dependencies=[Depends(authenticate)],
    )

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
    app.state.engine = EngineState(services, local, jobs, queue, sessions, throttle, limiter, token, started)
    app.state.services, app.state.jobs, app.state.queue = services, jobs, queue
    app.state.service_token, app.state.sessions = token, sessions
    for handled in HANDLED:
        app.add_exception_handler(handled, error_response)
    for module in ROUTERS:
        app.include_router(module.router)
    return app


def _warm_up(services: Services) -> None:
    """Open the database and the store and load the embedding model before the first question; remove
    upload staging folders a killed engine left."""
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
    host, port = sock.getsockname()[:2]
    app = create_app(services, announce_url=public_url(host, port))
    config = uvicorn.Config(
        app, log_level=log_level, timeout_graceful_shutdown=5, lifespan="on", workers=1, access_log=False
    )
    install()  # after uvicorn configured its loggers: redact personal data from every record
    return uvicorn.Server(config)


def serve(settings: Settings, host: str, port: int) -> None:
    """`docqa serve`: open the stores (fail fast if another process holds them), check the users
    (app.access.check_start: outside demo mode no demo passwords; an admin exists or is created
    from DOCQA_ADMIN_PASSWORD_FILE), then serve."""
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
