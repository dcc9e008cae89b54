"""Runs in worker processes: partition one file and chunk it. Never raises for bad input.

A worker tells the pipeline where it is through the events queue the pool was started with
(:func:`init_worker`): ``(path, stage)`` with stage "parse" when it starts a file (the pipeline's
timeout clock starts then, not when the file was queued), "ocr page N" for each page it OCRs and
"chunk" when it chunks.
"""

from __future__ import annotations

import multiprocessing.queues
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ingest.chunk import Chunk, chunk_elements
from ingest.docmeta import parse_document_meta
from ingest.partition import partition_file

MIN_CHUNK_TOKENS = 128  # the chunk budget left when a document's context line is long
StageSink = Callable[[str, str], None]  # (path, stage)
_events: StageSink | None = None  # set in each worker process by init_worker


@dataclass(frozen=True)
class WorkerOptions:
    chunk_tokens: int = 240
    section_title_tokens: int = 16
    ocr_languages: str = "eng"
    ocr_dpi: int = 300
    max_bytes: int | None = None


@dataclass
class Prepared:
    status: str  # ok | empty | failed | unsupported
    reason: str = ""
    file_type: str = ""
    pages: int = 0
    ocr_pages: int = 0
    chunks: list[Chunk] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    meta: dict[str, object] = field(default_factory=dict)  # payload of every chunk (ingest.docmeta)
    context: str = ""  # embedded in front of every chunk (ingest.docmeta.embedding_text)


@lru_cache(maxsize=1)
def _counter():  # noqa: ANN202 - app.embeddings.TokenCounter, loaded once per process
    from app.embeddings import TokenCounter

    return TokenCounter()


def init_worker(events: multiprocessing.queues.SimpleQueue | None = None) -> None:
    """Process-pool initializer: one OCR thread per worker (the pool already uses every core), and
    no PyTorch: spaCy's thinc imports it when installed (the fp32 encoder brings it) although
    partitioning never uses it: a worker took ~9 s to its first file with it, ~2 s without.
    ``events`` receives (path, stage) as the worker moves through a file."""
    global _events
    os.environ["OMP_THREAD_LIMIT"] = "1"
    sys.modules["torch"] = None  # type: ignore[assignment] - `import torch` raises ImportError
    _events = None if events is None else (lambda path, stage: events.put((path, stage)))


def report_stage(path: str, stage: str, on_stage: StageSink | None = None) -> None:
    """Tell ``on_stage`` (else the pool's events queue, in a worker) that ``path`` reached ``stage``."""
    sink = on_stage or _events
    if sink is not None:
        sink(path, stage)


def prepare_file(path: str, opts: WorkerOptions, on_stage: StageSink | None = None) -> Prepared:
    """Partition and chunk one file; ``on_stage`` (else the worker's events queue) hears each stage."""

    def stage(name: str) -> None:
        report_stage(path, name, on_stage)

    stage("parse")
    try:
        result = partition_file(
            Path(path),
            ocr_languages=opts.ocr_languages,
            ocr_dpi=opts.ocr_dpi,
            max_bytes=opts.max_bytes,
            on_ocr_page=lambda n: stage(f"ocr page {n}"),
        )
    except Exception as exc:  # partition_file promises not to raise; this is the last net
        return Prepared("failed", f"partitioning crashed: {type(exc).__name__}: {exc}")
    prepared = Prepared(
        status=result.status,
        reason=result.reason,
        file_type=result.file_type,
        pages=result.pages,
        ocr_pages=result.ocr_pages,
        timings=dict(result.timings),
    )
    if result.status != "ok":
        return prepared
    stage("chunk")
    t0 = time.perf_counter()
    meta = parse_document_meta(el.text for el in result.elements)
    prepared.meta, prepared.context = meta.to_payload(), meta.context()
    # the context line is embedded with each chunk: the chunk leaves room for it in the model's window
    reserve = _counter()(prepared.context) + 1 if prepared.context else 0
    prepared.chunks = chunk_elements(
        result.elements,
        _counter(),
        max_tokens=max(MIN_CHUNK_TOKENS, opts.chunk_tokens - reserve),
        title_tokens=opts.section_title_tokens,
    )
    prepared.timings["chunk"] = time.perf_counter() - t0
    if not prepared.chunks:
        prepared.status, prepared.reason = "empty", result.reason or "no text to index"
    return prepared
