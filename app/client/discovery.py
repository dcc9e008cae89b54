"""Finding the running engine: <data_dir>/engine.json (written by `docqa serve`, mode 0600) and
``find_engine``, which trusts it only when the pid is alive and GET /health answers."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.client.errors import EngineError
from app.client.http import EngineClient
from app.processes import pid_alive, process_created

if TYPE_CHECKING:
    from app.settings import Settings

ENGINE_FILE = "engine.json"
HEALTH_TIMEOUT_S = 1.0


def engine_file(settings: Settings) -> Path:
    return settings.data_dir / ENGINE_FILE


def write_engine_file(settings: Settings, url: str, token: str | None = None) -> None:
    """Announce the engine at ``url`` (with its service ``token``) in engine.json, mode 0600."""
    path = engine_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    info: dict[str, Any] = {
        "url": url,
        "pid": os.getpid(),
        "process_created": process_created(),  # tells this process from a later one with its pid
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if token:
        info["token"] = token
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(info, indent=2) + "\n")
    tmp.replace(path)


def remove_engine_file(settings: Settings, url: str) -> None:
    """Remove engine.json if it still announces this process at ``url``."""
    info = read_engine_file(settings)
    if info and info.get("pid") == os.getpid() and info.get("url") == url:
        engine_file(settings).unlink(missing_ok=True)


def read_engine_file(settings: Settings) -> dict[str, Any] | None:
    try:
        info = json.loads(engine_file(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("url"), str) else None


def find_engine(settings: Settings) -> EngineClient | None:
    """The engine serving this data dir, or None when none runs (then open the stores yourself)."""
    configured = settings.engine_token.get_secret_value() if settings.engine_token else None
    info = read_engine_file(settings)
    if settings.engine_url:
        same = info is not None and info["url"].rstrip("/") == settings.engine_url.rstrip("/")
        return EngineClient(settings.engine_url, token=configured or (_token(info) if same else None))
    if info is None or not pid_alive(info.get("pid"), info.get("process_created")):
        return None
    client = EngineClient(info["url"], token=configured or _token(info))
    try:
        client.health(timeout=HEALTH_TIMEOUT_S)
    except EngineError:
        client.close()
        return None
    return client


def _token(info: Mapping[str, Any] | None) -> str | None:
    token = (info or {}).get("token")
    return token if isinstance(token, str) and token else None
