"""POST /login and /logout: session tokens that act only as their user."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from app.access import LoginRefused, log_in
from app.client import EngineError
from app.server.deps import StateDep, error_responses
from app.server.models import LoginOut, LoginRequest

router = APIRouter()


@router.post(
    "/login",
    response_model=LoginOut,
    summary="Log in with name and password: a session token that acts only as this user",
    responses=error_responses(401, 429),
)
def login(request: Request, body: LoginRequest, engine: StateDep) -> dict[str, Any]:
    address = request.client.host if request.client else None
    try:
        user = log_in(
            engine.services.db, engine.throttle, body.name, body.password, address=address, via="engine"
        )
    except LoginRefused as exc:
        if exc.retry_after:
            raise EngineError(429, str(exc), retry_after=str(exc.retry_after)) from None
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    issued, session = engine.sessions.issue(user.name)
    expires = datetime.fromtimestamp(session.expires, UTC).isoformat(timespec="seconds")
    return {
        "token": issued,
        "user": user.name,
        "roles": user.role_list,
        "groups": user.group_names,
        "expires_at": expires,
        "idle_minutes": engine.settings.session_idle_minutes,
    }


@router.post("/logout", status_code=204, summary="End this session token", responses=error_responses(400))
def logout(request: Request, engine: StateDep) -> None:
    if request.state.principal.user is None:
        raise HTTPException(400, "the service token is not a session; it cannot log out")
    engine.sessions.revoke(request.state.token)
