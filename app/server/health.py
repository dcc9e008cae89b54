"""GET /health: liveness, versions, store size, the LLM queue and the ingestion jobs (no token needed)."""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from typing import Any

from fastapi import APIRouter

from app.answer import PROMPT_VERSION
from app.server.deps import UNAVAILABLE, StateDep
from app.server.models import API_VERSION, Health

router = APIRouter()


@router.get("/health", response_model=Health, summary="Liveness, versions, store size, LLM queue, jobs")
def health(engine: StateDep) -> dict[str, Any]:
    settings = engine.settings
    status, error, points = "ok", "", None
    try:
        points = engine.services.store.count()
    except UNAVAILABLE as exc:
        status, error = "degraded", str(exc)
    model = {"local": settings.llm_model, "openai": settings.openai_model or ""}
    return {
        "status": status,
        "error": error,
        "versions": _versions(),
        "pid": os.getpid(),
        "uptime_s": round(time.monotonic() - engine.started, 1),
        "data_dir": str(settings.data_dir.resolve()),
        "store": {"kind": "qdrant-server" if settings.qdrant_url else "qdrant-edge", "points": points},
        "llm": {"backend": settings.llm_backend, "model": model.get(settings.llm_backend, "")},
        "queue": engine.queue.stats(),
        "jobs": engine.jobs.stats(),
    }


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
