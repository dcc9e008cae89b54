"""POST /ask: a cited answer from the documents the user may read, as JSON or streamed (SSE), through
the question rate limit and the LLM queue."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, format_sse_event

from app.client import EngineError
from app.server.deps import EngineState, StateDep, acting, error_responses, error_status
from app.server.generation import EngineBusyError
from app.server.models import AskRequest, AskResponse

log = logging.getLogger("docqa.engine")
PING_S = 10.0  # SSE keep-alive comment while a question waits for the model

router = APIRouter()


class RateLimitedError(EngineError):
    def __init__(self, user: str, per_minute: float, wait_s: float) -> None:
        wait = max(1, math.ceil(wait_s))
        detail = f"Too many questions: {user} may ask {per_minute:g} per minute; try again in {wait} s"
        super().__init__(429, detail, retry_after=str(wait))


@router.post(
    "/ask",
    response_model=AskResponse,
    summary="Answer a question from the documents the user may read",
    responses={
        **error_responses(404, 503),
        200: {
            "description": "The answer as JSON, or with stream=true a text/event-stream: with a "
            "language model first one `quick` event (the extractive answer quoted from the "
            "sources, {answer, citations, seconds}, to show while the model writes), then `token` "
            "events, then one `answer` event (the same JSON) or one `error` event.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def ask(request: Request, req: AskRequest, engine: StateDep) -> Any:
    settings, local, limiter = engine.settings, engine.local, engine.limiter
    user = acting(request, req.user)
    groups = await run_in_threadpool(local.user_groups, user)  # unknown user: 404 before any stream
    if req.doc:  # a document the user may not read (or none): 404 before any stream too
        await run_in_threadpool(local.documents_named, req.doc, groups)
    if limiter.enabled and not await run_in_threadpool(rate_exempt, engine, user):
        wait = limiter.take(user)
        if wait > 0:
            raise RateLimitedError(user, settings.questions_per_minute, wait)
    backend = req.backend or settings.llm_backend
    release: Callable[[], None] = lambda: None  # noqa: E731
    busy = ""  # why the model was not asked although the question wanted it
    if backend != "extractive":
        try:
            release = engine.queue.admit()
        except EngineBusyError as exc:
            if not settings.engine_busy_fallback:
                raise
            backend = "extractive"  # answer at once by quoting, rather than make the user retry
            waiting = f"{exc.waiting} question{'s' * (exc.waiting != 1)}"
            busy = f"it was busy ({waiting} already waiting for it)."

    def work(on_token: Callable[[str], None] | None, on_quick: Callable[[dict], None] | None = None) -> dict:
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


def rate_exempt(engine: EngineState, user: str) -> bool:
    exempt = set(engine.settings.questions_exempt_roles)
    found = engine.services.db.get_user(user) if exempt else None
    return bool(found and exempt & set(found.role_list))


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
