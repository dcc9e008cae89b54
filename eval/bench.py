"""Benchmarks that print numbers. Speed targets are checked here, never by timed test assertions."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.services import Services
from app.settings import Settings

STAGES = ("partition", "ocr", "chunk", "embed", "upsert")


@dataclass
class IngestBench:
    path: str
    files: int
    indexed: int
    pages: int
    ocr_pages: int
    chunks: int
    tokens: int
    seconds: float
    stages: dict[str, float]
    raw_encode_seconds: float
    statuses: dict[str, int] = field(default_factory=dict)

    def rates(self) -> dict[str, float]:
        s = max(self.seconds, 1e-9)
        raw = max(self.raw_encode_seconds, 1e-9)
        return {
            "files_per_s": self.files / s,
            "pages_per_s": self.pages / s,
            "chunks_per_s": self.chunks / s,
            "raw_encode_chunks_per_s": self.chunks / raw,
            "raw_encode_tokens_per_s": self.tokens / raw,
            "pipeline_vs_raw_encode": raw / s,  # 1.0 = the pipeline runs at the model's speed
        }

    def stage_shares(self) -> dict[str, float]:
        total = sum(self.stages.get(k, 0.0) for k in STAGES) or 1.0
        return {k: self.stages.get(k, 0.0) / total for k in STAGES}

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "files": self.files,
            "indexed": self.indexed,
            "pages": self.pages,
            "ocr_pages": self.ocr_pages,
            "chunks": self.chunks,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 2),
            "statuses": self.statuses,
            "stage_seconds": {k: round(self.stages.get(k, 0.0), 2) for k in STAGES},
            "stage_shares": {k: round(v, 3) for k, v in self.stage_shares().items()},
            "raw_encode_seconds": round(self.raw_encode_seconds, 2),
            **{k: round(v, 2) for k, v in self.rates().items()},
        }


def bench_ingest(path: Path, settings: Settings) -> IngestBench:
    """Ingest PATH into a throw-away data directory, then time raw sentence-transformers encoding of
    the very chunks the pipeline produced, so the pipeline's overhead over the model shows."""
    with tempfile.TemporaryDirectory(prefix="docqa-bench-") as tmp:
        run_settings = settings.model_copy(
            update={"data_dir": Path(tmp), "database_url": None, "qdrant_url": None}
        )
        svc = Services(run_settings)
        try:
            svc.embedder.embed_documents(["warm-up"])  # model load is not ingestion time
            report = svc.ingestor.ingest([path], set_name="bench")
            texts = [p["text"] for _, p in svc.store.iter_payloads(fields=["text"])]
            t0 = time.perf_counter()
            svc.embedder.embed_documents(texts)
            raw = time.perf_counter() - t0
            tokens = sum(min(n, 254) for n in svc.embedder.counter.count_many(texts))
        finally:
            svc.close()
    return IngestBench(
        path=str(path),
        files=len(report.files),
        indexed=sum(f.status == "indexed" for f in report.files),
        pages=sum(f.pages for f in report.files if f.status == "indexed"),
        ocr_pages=sum(f.ocr_pages for f in report.files),
        chunks=len(texts),
        tokens=tokens,
        seconds=report.seconds,
        stages=report.stages,
        raw_encode_seconds=raw,
        statuses=report.counts,
    )
