"""Users, groups and the audit log (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from app.server.deps import LocalDep, StateDep, acting, error_responses
from app.server.models import AuditOut, SaveUserRequest, UserOut, UserParam

router = APIRouter()


# -- users (admins only) ---------------------------------------------------------------------------
@router.get("/users", response_model=list[UserOut], summary="Users, their groups and roles (admins only)")
def list_users(request: Request, local: LocalDep, user: UserParam) -> Any:
    return local.users(acting(request, user))


@router.get("/groups", response_model=list[str], summary="Every known group (admins only)")
def list_groups(request: Request, local: LocalDep, user: UserParam) -> Any:
    return local.groups(acting(request, user))


@router.post(
    "/users",
    response_model=UserOut,
    summary="Create a user, or change their groups, roles and password (admins only)",
    responses=error_responses(400, 403, 404),
)
def save_user(request: Request, engine: StateDep, body: SaveUserRequest) -> dict[str, Any]:
    user = acting(request, body.user)
    changed = engine.local.save_user(
        user, body.name, groups=body.groups, roles=body.roles, password=body.password or None
    )
    if body.password:  # a new password ends the user's sessions
        engine.sessions.revoke_user(changed["name"])
    return changed


@router.delete(
    "/users/{name}",
    summary="Remove a user (admins only; not oneself); their sessions end",
    responses=error_responses(400, 403, 404),
)
def delete_user(
    request: Request,
    engine: StateDep,
    name: Annotated[str, PathParam(description="The user to remove.")],
    user: UserParam,
) -> dict[str, str]:
    removed = engine.local.delete_user(acting(request, user), name)
    engine.sessions.revoke_user(name)
    return removed


# -- audit log (admins only) -----------------------------------------------------------------------
@router.get(
    "/audit",
    response_model=list[AuditOut],
    summary="Admin actions and failed logins, newest first (admins only)",
    responses=error_responses(403, 404),
)
def audit(
    request: Request,
    local: LocalDep,
    user: UserParam,
    actor: Annotated[str | None, Query(max_length=200, description="Only by this actor.")] = None,
    action: Annotated[
        str | None,
        Query(max_length=100, description='Only this action, or a prefix ending in "." (user.).'),
    ] = None,
    since: Annotated[datetime | None, Query(description="Only since then (ISO 8601, naive = UTC).")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="At most N entries.")] = 200,
) -> Any:
    return local.audit(acting(request, user), actor=actor, action=action, since=since, limit=limit)
