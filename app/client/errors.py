"""The errors of the Engine interface, the same from the HTTP client and the in-process engine."""

from __future__ import annotations


class EngineError(Exception):
    """The engine answered with an error (``status``: HTTP status, or the error event's)."""

    def __init__(self, status: int, detail: str, retry_after: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


class EngineUnavailableError(EngineError):
    """The engine could not be reached (connection refused, timed out, dropped the stream)."""

    def __init__(self, url: str, exc: Exception) -> None:
        super().__init__(0, f"cannot reach the engine at {url}: {type(exc).__name__}: {exc}")
