"""Wires settings to the outside things (database, vector store, models), lazily, once per process."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from app.db import Database, DatabaseUnavailableError
from app.embeddings import Embedder
from app.settings import Settings
from app.store import VectorStore, open_store


class Services:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        settings.ensure_dirs()
        self._generators: dict = {}
        if embedder is not None:  # share one loaded model (tests, benchmarks)
            self.__dict__["embedder"] = embedder

    @cached_property
    def db(self) -> Database:
        try:
            return Database(self.settings.db_url)
        except ImportError as exc:  # e.g. postgresql+psycopg without psycopg installed
            scheme = self.settings.db_url.split("://", 1)[0]
            raise DatabaseUnavailableError(
                f"cannot open the database: its driver ({scheme}) is not installed ({exc})"
            ) from exc

    @cached_property
    def store(self) -> VectorStore:
        return open_store(self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        return Embedder.from_settings(self.settings)

    @cached_property
    def ingestor(self):  # noqa: ANN201 - ingest.pipeline.Ingestor (ingest depends on app, not back)
        from app.verified import refresh
        from ingest.pipeline import Ingestor

        def changed(doc_ids: Sequence[str]) -> None:  # what restates these documents follows them
            refresh(self.db, self.store, doc_ids)

        return Ingestor(self.settings, self.db, self.store, self.embedder, on_change=changed)

    def generator(self, backend: str | None = None):  # noqa: ANN201 - app.llm.Generator or None
        """The LLM for ``backend`` (default: settings), built once per backend and kept loaded;
        None for "extractive". Raises app.llm.LLMUnavailableError when it cannot start."""
        from app.llm import make_generator

        backend = backend or self.settings.llm_backend
        if backend not in self._generators:
            self._generators[backend] = make_generator(
                self.settings.model_copy(update={"llm_backend": backend})
            )
        return self._generators[backend]

    def answerer(self, backend: str | None = None):  # noqa: ANN201 - app.answer.Answerer
        """An answerer using the configured LLM backend, or ``backend`` ("extractive" = no LLM)."""
        from app.answer import Answerer
        from app.cache import AnswerCache
        from app.llm import LLMUnavailableError
        from app.visibility import current_passages

        db = self.db
        cache = (
            AnswerCache(db, ttl_hours=self.settings.answer_cache_ttl_hours)
            if self.settings.answer_cache
            else None
        )

        try:
            generator = self.generator(backend)
            reason = ""
        except LLMUnavailableError as exc:  # e.g. the local model is not installed: answer without it
            generator, reason = None, str(exc)
        return Answerer(
            self.store,
            self.embedder,
            generator,
            unavailable_reason=reason,
            cache=cache,
            keep=lambda passages, groups: current_passages(db, passages, groups),
        )

    def close(self) -> None:
        for gen in self._generators.values():
            if gen is not None:
                gen.close()
        if "store" in self.__dict__:
            self.store.close()
        if "db" in self.__dict__:
            self.db.close()
