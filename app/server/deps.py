"""What the engine's routers share: the state create_app builds (``app.state.engine``), who a request
acts as (the service token or a session), and how errors become ``{"detail": ...}`` responses."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import LoginThrottle, RateLimiter, SessionTokens, tokens_equal
from app.client import EngineError, InProcessEngine
from app.db import DatabaseUnavailableError
from app.jobs import JobManager
from app.server.generation import GenerationQueue
from app.server.models import Error
from app.store import StoreBusyError, StoreUnavailableError

if TYPE_CHECKING:
    from app.services import Services
    from app.settings import Settings

log = logging.getLogger("docqa.engine")


# -- the engine's state ----------------------------------------------------------------------------
@dataclass
class EngineState:
    """What the routes share, built once by create_app (``app.state.engine``)."""

    services: Services
    local: InProcessEngine  # the operations, over services opened in this process
    jobs: JobManager
    queue: GenerationQueue
    sessions: SessionTokens
    throttle: LoginThrottle
    limiter: RateLimiter
    token: str  # the service token
    started: float  # time.monotonic() when the app was made

    @property
    def settings(self) -> Settings:
        return self.services.settings


async def engine_state(request: Request) -> EngineState:
    return request.app.state.engine


async def local_engine(request: Request) -> InProcessEngine:
    return request.app.state.engine.local


StateDep = Annotated[EngineState, Depends(engine_state)]
LocalDep = Annotated[InProcessEngine, Depends(local_engine)]


# -- errors ----------------------------------------------------------------------------------------
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


HANDLED = (Exception, DatabaseUnavailableError, StoreBusyError, StoreUnavailableError, EngineError)


async def error_response(_: Request, exc: Exception) -> JSONResponse:
    """The exception handler of HANDLED: ``{"detail": ...}`` (never a traceback), Retry-After when set."""
    status, detail = error_status(exc)
    if status == 500:
        log.error("unexpected error", exc_info=exc)
    retry = getattr(exc, "retry_after", None)
    return JSONResponse({"detail": detail}, status, headers={"Retry-After": retry} if retry else None)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
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


# -- who acts --------------------------------------------------------------------------------------
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


def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
) -> None:
    """Every route but OPEN_PATHS: the service token or a live session token, else 401."""
    if getattr(request.scope.get("route"), "path", None) in OPEN_PATHS:
        return
    engine: EngineState = request.app.state.engine
    given = credentials.credentials if credentials else ""
    request.state.token = given
    if tokens_equal(given, engine.token):
        claimed = (request.headers.get(ACTOR_HEADER) or "").strip()[:200] or None
        request.state.principal = Principal(None, "service", claimed)
        return
    name = engine.sessions.resolve(given) if given else None
    if name is not None and engine.services.db.get_user(name) is None:  # removed since
        engine.sessions.revoke_user(name)
        name = None
    if name is None:
        detail = (
            "your session has expired or is unknown; log in again (POST /login)"
            if given
            else "authentication required: send Authorization: Bearer <token> (POST /login gives one)"
        )
        raise HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = Principal(name, name)


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


def service_or_admin(request: Request) -> None:
    """Endpoints that name no user: the service token, or a session of an admin."""
    user = request.state.principal.user
    if user is not None:
        request.app.state.engine.local.require_admin(user)
