"""The ``openai`` backend: any OpenAI-compatible ``/chat/completions`` server (vLLM, Ollama,
llama.cpp server, OpenAI), streamed through the official ``openai`` SDK."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import PrivateAttr

from app.llm.base import TEMPERATURE, Messages, _BackendError, _check_messages, _Chunk, _Timeout
from app.llm.streaming import StreamingLLM

if TYPE_CHECKING:  # imported where used: ``import openai`` takes a second or more
    import openai
    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletionChunk


class OpenAICompatibleLLM(StreamingLLM):
    """An OpenAI-compatible chat-completions server, streamed through the official ``openai`` SDK.

    Works with any model name (vLLM, Ollama, llama.cpp server, OpenAI). Asks for usage
    (``stream_options.include_usage``) and log-probabilities; a server that rejects those optional
    fields with a 400 is asked again without them. Without usage from the server, prompt tokens
    are estimated (4 characters a token) and completion tokens counted as streamed chunks.

    The SDK's own retries are off (``max_retries=0``): :class:`Generator` retries and keeps the
    circuit breaker. The key, organization and project the SDK would read from ``OPENAI_API_KEY``,
    ``OPENAI_ORG_ID`` and ``OPENAI_PROJECT_ID`` are never sent: the key comes from the settings
    only, and without one no ``Authorization`` header is sent at all. The SDK is imported on first
    use (importing it takes a second or more and only this backend needs it).
    """

    base_url: str
    connect_timeout_s: float = 10.0

    _client: openai.OpenAI = PrivateAttr()
    _headers: dict[str, str | openai.Omit] = PrivateAttr()
    _optional_fields: bool = PrivateAttr(default=True)

    def __init__(self, *, api_key: str | None = None, **data: Any) -> None:
        import openai  # deferred: importing the SDK takes a second or more

        super().__init__(**data)
        # The SDK wants some key, and given None it would read OPENAI_API_KEY from the environment
        # and send that real key to whatever server base_url names. So a placeholder is passed and,
        # without a key, the Authorization header it would make ("Bearer not-needed") is omitted
        # from every request; so are the organization/project headers the SDK reads from the
        # environment.
        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or "not-needed",
            timeout=openai.Timeout(self.timeout_s, connect=min(self.connect_timeout_s, self.timeout_s)),
            max_retries=0,
        )
        self._headers = {"OpenAI-Organization": openai.omit, "OpenAI-Project": openai.omit}
        if not api_key:
            self._headers["Authorization"] = openai.omit

    @classmethod
    def class_name(cls) -> str:
        return "docqa_openai_compatible"

    def _create(
        self, messages: Messages, max_tokens: int, stop: Sequence[str], remaining_s: float
    ) -> openai.Stream[ChatCompletionChunk]:
        """Send one streamed chat-completions request (the optional fields while the server takes them)."""
        import openai  # deferred: importing the SDK takes a second or more

        optional = self._optional_fields
        return self._client.chat.completions.create(
            model=self.model_name,
            messages=[{"role": r, "content": c} for r, c in messages],
            max_tokens=max_tokens,
            temperature=TEMPERATURE,
            stream=True,
            stop=list(stop) if stop else openai.omit,
            stream_options={"include_usage": True} if optional else openai.omit,
            logprobs=True if optional else openai.omit,
            extra_headers=self._headers,
            timeout=openai.Timeout(remaining_s, connect=min(self.connect_timeout_s, remaining_s)),
        )

    def stream_messages(
        self, messages: Messages, *, max_tokens: int, stop: Sequence[str], timeout_s: float
    ) -> Iterator[_Chunk]:
        import openai  # deferred: importing the SDK takes a second or more

        deadline = time.monotonic() + timeout_s
        messages = _check_messages(messages)
        where = f"The language model server at {self.base_url}"
        usage: CompletionUsage | None = None
        finish = ""
        n_chunks = 0
        try:
            for _ in range(2):  # a second time only without the optional fields
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Timeout(f"{where} did not answer within {timeout_s:g} s.")
                try:
                    stream = self._create(messages, max_tokens, stop, remaining)
                except openai.BadRequestError:
                    if not self._optional_fields:
                        raise
                    self._optional_fields = False
                    continue
                with stream:
                    for part in stream:
                        if time.monotonic() > deadline:
                            raise _Timeout(f"{where} did not finish within {timeout_s:g} s.")
                        # missing fields are None: the SDK builds the chunks without validating them
                        if part.usage is not None and part.usage.model_fields_set:
                            usage = part.usage
                        for choice in part.choices or []:
                            text = (choice.delta.content if choice.delta else None) or ""
                            logprobs = [
                                float(item.logprob)
                                for item in ((choice.logprobs.content if choice.logprobs else None) or [])
                                if item.logprob is not None
                            ]
                            if text or logprobs:
                                n_chunks += 1
                                yield _Chunk(text=text, logprobs=logprobs, tokens=max(1, len(logprobs)))
                            if choice.finish_reason:
                                finish = choice.finish_reason
                break
        except openai.APITimeoutError as exc:
            raise _Timeout(f"{where} did not answer within {timeout_s:g} s.") from exc
        except openai.APIConnectionError as exc:
            raise _BackendError(f"{where} cannot be reached ({_reason(exc.__cause__ or exc)}).") from exc
        except openai.APIStatusError as exc:
            code, detail = exc.status_code, exc.response.text[:300].strip()
            raise _BackendError(
                f"{where} answered HTTP {code} {exc.response.reason_phrase}: {detail}",
                retryable=code in (408, 409, 425, 429) or code >= 500,
            ) from exc
        except openai.APIError as exc:  # an {"error": ...} event in the stream
            raise _BackendError(f"{where} reported an error: {exc.body}") from exc
        except json.JSONDecodeError as exc:
            raise _BackendError(f"{where} sent an unreadable event: {exc.doc[:100]!r}") from exc
        # The SDK wraps only the errors of sending the request; reading the stream raises httpx's.
        except httpx.TimeoutException as exc:
            raise _Timeout(f"{where} did not answer within {timeout_s:g} s.") from exc
        except httpx.HTTPError as exc:
            raise _BackendError(f"{where} failed: {_reason(exc)}.") from exc
        if usage:
            prompt_tokens = int(usage.prompt_tokens or 0)
            completion_tokens = int(usage.completion_tokens or 0)
        else:
            chars = sum(len(c) for _, c in messages)
            prompt_tokens, completion_tokens = max(1, chars // 4), n_chunks
        yield _Chunk(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason="stop" if finish in ("stop", "eos") else (finish or "stop"),
        )

    def close(self) -> None:
        self._client.close()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    if "Connection refused" in text or "[Errno 111]" in text:
        return "connection refused"
    return text or type(exc).__name__
