"""The configured backend: ``extractive`` (no language model), ``local`` or ``openai``."""

from __future__ import annotations

from app.llm.base import LLMUnavailableError
from app.llm.generator import Generator
from app.llm.local import LocalLlamaLLM
from app.llm.openai_backend import OpenAICompatibleLLM
from app.llm.streaming import StreamingLLM
from app.llm.weights import ensure_local_model
from app.settings import Settings


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
