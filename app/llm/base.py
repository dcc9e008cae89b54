"""What every language model backend shares: the messages, the result of a generation, the errors
and the chunks a backend streams."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.settings import Settings

Messages = Sequence[tuple[str, str]]
ROLES = ("system", "user", "assistant")
TEMPERATURE = 0.0  # greedy: answers are reproducible and tests deterministic


@dataclass
class Generation:
    text: str
    backend: str  # "local" | "openai"
    model: str
    prompt_tokens: int
    completion_tokens: int
    ttft_s: float  # time to first token, from the start of generate() (retries included)
    total_s: float
    token_logprobs: list[float]  # per generated token when the backend gives them, else []
    finish_reason: str = ""  # "stop" | "length" | "timeout"

    @property
    def tokens_per_s(self) -> float:
        """Generation speed after the first token."""
        decode_s = self.total_s - self.ttft_s
        return (self.completion_tokens - 1) / decode_s if self.completion_tokens > 1 and decode_s > 0 else 0.0

    def cost(self, settings: Settings) -> float:
        """Price of this call from the per-1,000-token prices in settings (0 for unpriced backends)."""
        return (
            self.prompt_tokens * settings.llm_price_in_per_1k
            + self.completion_tokens * settings.llm_price_out_per_1k
        ) / 1000.0


class LLMUnavailableError(RuntimeError):
    """The language model is down, timed out or produced garbage after the retries.

    The message is meant for a user; the answer service falls back to an extractive answer.
    """


class ModelIntegrityError(LLMUnavailableError):
    """The joined model file does not have the expected size or sha256."""


class _BackendError(Exception):
    """One failed attempt. ``retryable`` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class _Timeout(_BackendError):
    """Nothing (more) arrived in time. Not retried: a backend too slow for one attempt is as slow for
    the next, and the user would wait several timeouts for the fallback."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class _Garbage(_BackendError):
    """This answer was unreadable: worth another attempt, and no sign that the backend is down."""


@dataclass
class _Chunk:
    """A piece of a streamed generation, as a backend yields it."""

    text: str = ""
    logprobs: list[float] = field(default_factory=list)
    tokens: int = 0  # generated tokens this chunk stands for
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None


def _check_messages(messages: Messages) -> list[tuple[str, str]]:
    checked = []
    for role, content in messages:
        if role not in ROLES:
            raise ValueError(f"unknown message role {role!r}; use one of {ROLES}")
        checked.append((role, content))
    if not checked:
        raise ValueError("no messages to send to the language model")
    return checked
