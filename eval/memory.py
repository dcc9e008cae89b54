"""Peak memory of this process and its children (worker processes), sampled while a block runs."""

from __future__ import annotations

import threading
from types import TracebackType

import psutil

SAMPLE_S = 0.25


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of ``process`` and all its descendants, in bytes."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # a worker that exited between listing and reading
            continue
    return total


class PeakMemory:
    """``with PeakMemory() as peak: …`` then ``peak.mb``: the highest sampled resident memory of this
    process tree (workers included) while the block ran."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._process = psutil.Process()

    @property
    def mb(self) -> float:
        return round(self.peak / 2**20, 1)

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss(self._process))
            if self._stop.wait(SAMPLE_S):
                return

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self._process))
