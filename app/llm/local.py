"""The ``local`` backend: llama-cpp-python running a packaged GGUF (app.llm.weights) in process."""

from __future__ import annotations

import codecs
import math
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from pydantic import PrivateAttr

from app.llm.base import (
    TEMPERATURE,
    LLMUnavailableError,
    Messages,
    _BackendError,
    _check_messages,
    _Chunk,
    _Timeout,
)
from app.llm.streaming import StreamingLLM


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
        try:  # optional dependency, built by scripts/setup.sh: imported only when this backend starts
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
        from llama_cpp import llama_cpp as C  # optional dependency (see __init__)

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
        from llama_cpp import llama_cpp as C  # optional dependency (see __init__)

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
