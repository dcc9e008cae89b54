"""Stored evaluation runs, read-only (`docqa eval run` writes them); evaluators and admins only, since
results quote documents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from app.server.deps import LocalDep, acting, error_responses
from app.server.models import UserParam

router = APIRouter()


@router.get(
    "/eval/runs",
    summary="Stored evaluation runs, newest first (evaluators and admins only)",
    responses=error_responses(403, 404),
)
def eval_runs(
    request: Request,
    local: LocalDep,
    user: UserParam,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most N runs.")] = 100,
) -> list[dict[str, Any]]:
    return local.eval_runs(acting(request, user), limit=limit)


@router.get(
    "/eval/runs/{run_id}",
    summary="One evaluation run and its per-question results (evaluators and admins only)",
    responses=error_responses(403, 404),
)
def eval_run(
    request: Request,
    local: LocalDep,
    run_id: Annotated[int, PathParam(description="The run's id.")],
    user: UserParam,
) -> dict[str, Any]:
    return local.eval_run(run_id, acting(request, user))


@router.get(
    "/eval/compare",
    summary="Run b against baseline run a: metric deltas and per-question regressions "
    "(evaluators and admins only)",
    responses=error_responses(403, 404),
)
def eval_compare(
    request: Request,
    local: LocalDep,
    a: Annotated[int, Query(description="The baseline run.")],
    b: Annotated[int, Query(description="The run to judge against it.")],
    user: UserParam,
    threshold: Annotated[
        float | None, Query(ge=0, description="Gate: name each gated metric dropping by more.")
    ] = None,
) -> dict[str, Any]:
    return local.eval_compare(a, b, acting(request, user), threshold=threshold)
