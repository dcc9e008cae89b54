"""The LLM queue: one generation at a time, a bounded number of questions waiting for it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from app.client import EngineError


class EngineBusyError(EngineError):
    def __init__(self, waiting: int) -> None:
        noun = "question is" if waiting == 1 else "questions are"
        detail = f"the engine is busy, {waiting} {noun} waiting; try again shortly"
        super().__init__(503, detail, retry_after=str(min(60, 5 * (waiting + 1))))
        self.waiting = waiting


class GenerationQueue:
    """At most one generation at a time; at most ``max_waiting`` admitted questions waiting for it.

    A question using an LLM backend is admitted (or refused with EngineBusyError) when it arrives;
    it takes the generation lock only when it actually generates (see QueuedGenerator).
    """

    def __init__(self, max_waiting: int) -> None:
        self.max_waiting = max(0, max_waiting)
        self._state = threading.Lock()
        self._generation = threading.Lock()
        self._admitted = 0
        self._generating = 0

    def admit(self) -> Callable[[], None]:
        """Admit a question; returns its release function (idempotent)."""
        with self._state:
            if self._admitted >= self.max_waiting + 1:
                raise EngineBusyError(self._admitted - self._generating)
            self._admitted += 1
        released = threading.Event()

        def release() -> None:
            with self._state:
                if not released.is_set():
                    released.set()
                    self._admitted -= 1

        return release

    @contextmanager
    def generating(self) -> Iterator[None]:
        with self._generation:
            with self._state:
                self._generating += 1
            try:
                yield
            finally:
                with self._state:
                    self._generating -= 1

    def stats(self) -> dict[str, int]:
        with self._state:
            return {
                "waiting": self._admitted - self._generating,
                "generating": self._generating,
                "max_waiting": self.max_waiting,
            }


class QueuedGenerator:
    """Wraps an app.llm Generator so that each generate() call holds the queue's generation lock."""

    def __init__(self, inner: Any, queue: GenerationQueue) -> None:
        self.inner = inner
        self.queue = queue
        self.backend = inner.backend
        self.model = inner.model

    def generate(self, messages: Any, **kwargs: Any) -> Any:
        with self.queue.generating():
            return self.inner.generate(messages, **kwargs)
