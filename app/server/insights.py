"""Usage, feedback and escalation counts for admins (GET /insights, /insights/feedback)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.server.deps import LocalDep, acting, error_responses
from app.server.models import FeedbackSummary, UserParam

router = APIRouter()


@router.get(
    "/insights/feedback",
    response_model=FeedbackSummary,
    summary="Feedback and escalation counts (admins only)",
    responses=error_responses(403, 404),
)
def feedback_insights(
    request: Request,
    local: LocalDep,
    user: UserParam,
    since: Annotated[datetime | None, Query(description="Only since then (ISO 8601, naive = UTC).")] = None,
) -> dict[str, Any]:
    return local.feedback_summary(acting(request, user), since=since)


@router.get(
    "/insights",
    summary="Questions per day, feedback, confidence bands, escalations, content gaps, latency, "
    "cache hit rate (admins only)",
    responses=error_responses(403, 404),
)
def insights(
    request: Request,
    local: LocalDep,
    user: UserParam,
    days: Annotated[int, Query(ge=1, le=366, description="The last N days.")] = 30,
) -> dict[str, Any]:
    return local.insights(acting(request, user), days=days)
