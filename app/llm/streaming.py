"""The llama-index ``LLM`` surface both backends share (so ragas can use the same object as a
judge): a backend streams chunks (:meth:`StreamingLLM.stream_messages`), and completion and chat,
streamed or not, are built on that."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from app.llm.base import ROLES, LLMUnavailableError, Messages, _BackendError, _Chunk


def _from_chat_messages(messages: Sequence[ChatMessage]) -> list[tuple[str, str]]:
    out = []
    for message in messages:
        role = message.role.value if isinstance(message.role, MessageRole) else str(message.role)
        out.append((role if role in ROLES else "user", message.content or ""))
    return out


@dataclass
class _Collected:
    text: str = ""
    logprobs: list[float] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    counted_tokens: int = 0
    finish_reason: str = ""

    def add(self, chunk: _Chunk) -> None:
        self.text += chunk.text
        self.logprobs.extend(chunk.logprobs)
        self.counted_tokens += chunk.tokens
        if chunk.prompt_tokens is not None:
            self.prompt_tokens = chunk.prompt_tokens
        if chunk.completion_tokens is not None:
            self.completion_tokens = chunk.completion_tokens
        if chunk.finish_reason:
            self.finish_reason = chunk.finish_reason

    def usage(self) -> dict[str, int]:
        completion = self.completion_tokens or self.counted_tokens
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        }


class StreamingLLM(CustomLLM):
    """Shared llama-index surface of our backends; subclasses implement :meth:`stream_messages`."""

    model_name: str
    context_window: int = 4096
    num_output: int = 300
    timeout_s: float = 90.0

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.num_output,
            is_chat_model=True,
            model_name=self.model_name,
        )

    def stream_messages(
        self, messages: Messages, *, max_tokens: int, stop: Sequence[str], timeout_s: float
    ) -> Iterator[_Chunk]:
        """Yield the generation as chunks, within ``timeout_s``; raise :class:`_BackendError`."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the model or the connection pool."""

    # llama-index entry points: one attempt each (no retries: ragas retries on its own).
    def _iter(self, messages: Messages, kwargs: dict[str, Any]) -> Iterator[tuple[_Chunk, _Collected]]:
        collected = _Collected()
        stream = self.stream_messages(
            messages,
            max_tokens=int(kwargs.get("max_tokens") or self.num_output),
            stop=list(kwargs.get("stop") or []),
            timeout_s=self.timeout_s,
        )
        try:
            for chunk in stream:
                collected.add(chunk)
                yield chunk, collected
        except _BackendError as exc:
            raise LLMUnavailableError(str(exc)) from exc
        finally:
            stream.close()  # releases the local model's lock even if the consumer stops early

    def _collect(self, messages: Messages, kwargs: dict[str, Any]) -> _Collected:
        collected = _Collected()
        for _, collected in self._iter(messages, kwargs):  # noqa: B007 - the last state is the result
            pass
        return collected

    @staticmethod
    def _raw(collected: _Collected) -> dict[str, Any]:
        return {"usage": collected.usage(), "finish_reason": collected.finish_reason}

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        collected = self._collect([("user", prompt)], kwargs)
        return CompletionResponse(
            text=collected.text, raw=self._raw(collected), additional_kwargs=collected.usage()
        )

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            for chunk, collected in self._iter([("user", prompt)], kwargs):
                yield CompletionResponse(
                    text=collected.text,
                    delta=chunk.text,
                    raw=self._raw(collected),
                    additional_kwargs=collected.usage(),
                )

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        collected = self._collect(_from_chat_messages(messages), kwargs)
        return ChatResponse(
            message=ChatMessage(role=MessageRole.ASSISTANT, content=collected.text),
            raw=self._raw(collected),
            additional_kwargs=collected.usage(),
        )

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        def gen() -> ChatResponseGen:
            for chunk, collected in self._iter(_from_chat_messages(messages), kwargs):
                yield ChatResponse(
                    message=ChatMessage(role=MessageRole.ASSISTANT, content=collected.text),
                    delta=chunk.text,
                    raw=self._raw(collected),
                    additional_kwargs=collected.usage(),
                )

        return gen()
