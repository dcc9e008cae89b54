"""The generator the answer service uses: one answer streamed from a backend, with a timeout,
retries, a circuit breaker and measurements."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Sequence

from app.llm.base import (
    Generation,
    LLMUnavailableError,
    Messages,
    _BackendError,
    _check_messages,
    _Garbage,
    _Timeout,
)
from app.llm.streaming import StreamingLLM, _Collected
from app.settings import Settings


def _is_meaningful(ch: str) -> bool:
    return not ch.isspace() and ch != "\ufffd" and unicodedata.category(ch)[0] != "C"


def looks_like_garbage(text: str) -> bool:
    """Empty, whitespace only, or mostly replacement/control characters."""
    stripped = text.strip()
    if not stripped:
        return True
    bad = sum(1 for ch in stripped if not ch.isspace() and not _is_meaningful(ch))
    return bad / len(stripped) > 0.3


class Generator:
    """Streams one answer from the configured backend, with timeout, retries and measurements.

    Retries (backoff 0.5 s, 1 s, 2 s ...) happen only while nothing has reached ``on_token``:
    leading whitespace is held back until the first real character, so an empty or whitespace
    answer is retried invisibly. Once text has been streamed, an error raises
    :class:`LLMUnavailableError` and a timeout returns what was generated with
    ``finish_reason="timeout"`` (a retry would stream the same words twice). A timeout before the
    first token is not retried.

    Circuit breaker: when the backend fails (down, timed out, refused) every caller for the next
    ``llm_cooldown_s`` seconds gets :class:`LLMUnavailableError` at once, so under an outage users
    get the extractive fallback immediately instead of each waiting out the timeout and retries.
    An unreadable answer does not open it (that is about one answer, not the backend).
    """

    backoff_s: float = 0.5

    def __init__(self, settings: Settings, llm: StreamingLLM, *, backend: str, model: str) -> None:
        self.settings = settings
        self.llm = llm
        self.backend = backend
        self.model = model
        self._open_until = 0.0  # time.monotonic() until which the breaker is open
        self._open_reason = ""

    def generate(
        self,
        messages: list[tuple[str, str]],
        *,
        max_tokens: int | None = None,
        on_token: Callable[[str], None] | None = None,
        stop: list[str] | None = None,
    ) -> Generation:
        messages = _check_messages(messages)
        limit = max_tokens or self.settings.llm_max_tokens
        if (wait := self._open_until - time.monotonic()) > 0:
            raise LLMUnavailableError(
                f"{self._open_reason} (not asked again for another {wait:.0f} s: DOCQA_LLM_COOLDOWN_S)"
            )
        attempts = max(0, self.settings.llm_retries) + 1
        started = time.monotonic()
        error: _BackendError | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            emitted: list[bool] = [False]
            try:
                return self._attempt(messages, limit, stop or [], on_token, started, emitted)
            except _BackendError as exc:
                error = exc
                if not exc.retryable or emitted[0]:
                    break
        assert error is not None
        tries = f" (tried {attempt + 1} times)" if attempt else ""
        if not isinstance(error, _Garbage) and self.settings.llm_cooldown_s > 0:
            self._open_reason = str(error)
            self._open_until = time.monotonic() + self.settings.llm_cooldown_s
        raise LLMUnavailableError(f"{error}{tries}") from error

    def _attempt(
        self,
        messages: Messages,
        max_tokens: int,
        stop: Sequence[str],
        on_token: Callable[[str], None] | None,
        started: float,
        emitted: list[bool],
    ) -> Generation:
        collected = _Collected()
        held = ""  # text not yet passed to on_token: leading whitespace before the first real character
        first_token_at: float | None = None

        def emit(text: str) -> None:
            nonlocal held
            if not text:
                return
            if not emitted[0]:
                held += text
                if not any(_is_meaningful(ch) for ch in held):
                    return
                text, held = held, ""
            emitted[0] = True
            if on_token is not None:
                on_token(text)

        stream = self.llm.stream_messages(
            messages, max_tokens=max_tokens, stop=stop, timeout_s=self.settings.llm_timeout_s
        )
        try:
            for chunk in stream:
                if first_token_at is None and chunk.tokens:
                    first_token_at = time.monotonic()
                collected.add(chunk)
                emit(chunk.text)  # an exception from on_token propagates to the caller
        except _Timeout:
            if not emitted[0]:
                raise
            collected.finish_reason = "timeout"
        finally:
            stream.close()  # releases the local model's lock at once, whatever happened
        finished = time.monotonic()
        if looks_like_garbage(collected.text):
            what = "an empty answer" if not collected.text.strip() else "unreadable output"
            raise _Garbage(f"The language model ({self.model}) returned {what}.")
        usage = collected.usage()
        return Generation(
            text=collected.text,
            backend=self.backend,
            model=self.model,
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            ttft_s=(first_token_at or finished) - started,
            total_s=finished - started,
            token_logprobs=collected.logprobs,
            finish_reason=collected.finish_reason or "stop",
        )

    def close(self) -> None:
        self.llm.close()
