"""Feedback on answers, escalations to human reviewers and the verified answers published from them
(app/feedback.py and app/verified.py decide who may do what)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.server.deps import LocalDep, acting, error_responses
from app.server.models import (
    AnswerId,
    EscalateRequest,
    EscalationId,
    EscalationOut,
    FeedbackOut,
    FeedbackRequest,
    PublishRequest,
    ReplyRequest,
    Status,
    UserParam,
    UserRequest,
    VerifiedId,
    VerifiedOut,
)

router = APIRouter()


# -- feedback and escalations (the services check who may do what) ---------------------------------
@router.post(
    "/feedback",
    response_model=FeedbackOut,
    summary="Rate an answer (its asker only); given again, it is updated",
    responses=error_responses(400, 403, 404),
)
def give_feedback(request: Request, local: LocalDep, req: FeedbackRequest) -> dict[str, Any]:
    return local.feedback(
        req.query_log_id, acting(request, req.user), req.thumb, reason=req.reason, comment=req.comment
    )


@router.get(
    "/feedback/{query_log_id}",
    response_model=FeedbackOut,
    summary="The user's feedback on an answer (404 if none)",
    responses=error_responses(404),
)
def get_feedback(
    request: Request, local: LocalDep, query_log_id: AnswerId, user: UserParam
) -> dict[str, Any]:
    return local.get_feedback(query_log_id, acting(request, user))


@router.post(
    "/escalations",
    response_model=EscalationOut,
    status_code=201,
    summary="Hand an answer to a human reviewer of the cited documents' groups",
    responses=error_responses(400, 403, 404),
)
def escalate(request: Request, local: LocalDep, req: EscalateRequest) -> dict[str, Any]:
    return local.escalate(req.query_log_id, acting(request, req.user), comment=req.comment)


@router.get(
    "/escalations",
    response_model=list[EscalationOut],
    summary="Escalations the user may see, newest first",
    responses=error_responses(404),
)
def list_escalations(
    request: Request,
    local: LocalDep,
    user: UserParam,
    status: Annotated[Status | None, Query(description="Only those in this state.")] = None,
    mine: Annotated[bool, Query(description="Only those the user asked or is assigned to.")] = False,
) -> Any:
    return local.escalations(acting(request, user), status=status, mine=mine)


@router.get(
    "/escalations/{escalation_id}",
    response_model=EscalationOut,
    summary="One escalation, as the user may see it",
    responses=error_responses(403, 404),
)
def get_escalation(
    request: Request, local: LocalDep, escalation_id: EscalationId, user: UserParam
) -> dict[str, Any]:
    return local.escalation(escalation_id, acting(request, user))


@router.post(
    "/escalations/{escalation_id}/claim",
    response_model=EscalationOut,
    summary="A reviewer takes an escalation",
    responses=error_responses(403, 404, 409),
)
def claim(
    request: Request, local: LocalDep, body: UserRequest, escalation_id: EscalationId
) -> dict[str, Any]:
    return local.claim(escalation_id, acting(request, body.user))


@router.post(
    "/escalations/{escalation_id}/reply",
    response_model=EscalationOut,
    summary="A reviewer answers the asker (claims it if still open)",
    responses=error_responses(400, 403, 404, 409),
)
def reply(
    request: Request, local: LocalDep, body: ReplyRequest, escalation_id: EscalationId
) -> dict[str, Any]:
    return local.reply(escalation_id, acting(request, body.user), body.text)


@router.post(
    "/escalations/{escalation_id}/close",
    response_model=EscalationOut,
    summary="Close an escalation (its asker, a reviewer it is routed to, or an admin)",
    responses=error_responses(403, 404, 409),
)
def close_escalation(
    request: Request, local: LocalDep, body: UserRequest, escalation_id: EscalationId
) -> dict[str, Any]:
    return local.close_escalation(escalation_id, acting(request, body.user))


# -- verified answers (app/verified.py checks who may do what) -------------------------------------
@router.post(
    "/verified",
    response_model=VerifiedOut,
    status_code=201,
    summary="Publish an answered escalation as a verified answer for readers in the chosen groups",
    responses=error_responses(400, 403, 404, 409),
)
def publish_verified(request: Request, local: LocalDep, req: PublishRequest) -> dict[str, Any]:
    return local.publish_verified(
        req.escalation_id,
        acting(request, req.user),
        question=req.question,
        answer=req.answer,
        groups=req.groups,
    )


@router.get(
    "/verified",
    response_model=list[VerifiedOut],
    summary="Verified answers the user may read or has published (all for admins), newest first",
    responses=error_responses(404),
)
def list_verified(request: Request, local: LocalDep, user: UserParam) -> Any:
    return local.verified_answers(acting(request, user))


@router.delete(
    "/verified/{verified_id}",
    response_model=VerifiedOut,
    summary="Unpublish a verified answer (the reviewer who published it, or an admin)",
    responses=error_responses(403, 404),
)
def unpublish_verified(
    request: Request, local: LocalDep, verified_id: VerifiedId, user: UserParam
) -> dict[str, Any]:
    return local.unpublish_verified(verified_id, acting(request, user))
