"""Benchmarks that print numbers. Speed targets are checked here, never by timed test assertions."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# -- docqa bench query -------------------------------------------------------------------------------
SCIFACT = Path("/work/shared/data/scifact/corpus.jsonl")
N_GROUPS = 12  # one group per synthetic point: a filter on one group matches ~8% of them
OPTIMIZE_MAX_CHUNKS = 40_000  # optimize() ~140 s at 100k on 2 cores (STACK.md): run it only below ~60 s


def demo_questions() -> list[str]:
    """Answerable golden questions that the group "everyone" may read (asked as dave in the set)."""
    from eval.golden import golden_path, load_golden

    return [i.question for i in load_golden(golden_path("demo")) if i.answerable and i.user == "dave"]


def _ms(values: list[float]) -> tuple[float | None, float | None]:
    """p50 and p95 in milliseconds of durations in seconds."""
    if not values:
        return None, None
    import numpy as np

    arr = np.asarray(values, dtype=float) * 1000.0
    return round(float(np.percentile(arr, 50)), 3), round(float(np.percentile(arr, 95)), 3)


def sentence_pool(n: int, *, corpus: Path = SCIFACT, seed: int = 0) -> list[str]:
    """``n`` distinct real sentences (8-50 words) from the SciFact abstracts, shuffled reproducibly."""
    import json
    import random
    import re

    sentences: list[str] = []
    seen: set[str] = set()
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", json.loads(line).get("text", "")):
                s = s.strip()
                if 8 <= len(s.split()) <= 50 and s not in seen:
                    seen.add(s)
                    sentences.append(s)
            if len(sentences) >= 4 * n:
                break
    random.Random(seed).shuffle(sentences)
    if len(sentences) < n:
        raise ValueError(f"only {len(sentences)} sentences in {corpus}, wanted {n}")
    return sentences[:n]


@dataclass
class SyntheticCorpus:
    vectors: object  # np.ndarray (n, 384), L2-normalised, float32
    groups: object  # np.ndarray (n,) of group numbers 0..N_GROUPS-1
    ids: list[str]


def build_synthetic(
    store: Any, embedder: Any, pool_texts: list[str], pool_vecs: Any, size: int, *, seed: int = 0
) -> SyntheticCorpus:
    """``size`` points, each the normalised sum of two real sentence vectors plus small noise, with BM25
    of the two sentences' text, one of N_GROUPS groups; upserted in batches of 1,000."""
    import uuid

    import numpy as np

    from app.store import Point

    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, len(pool_texts), size=(size, 2))
    vecs = pool_vecs[pairs[:, 0]] + pool_vecs[pairs[:, 1]]
    vecs += rng.normal(0.0, 0.02, size=vecs.shape).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    vecs = vecs.astype(np.float32)
    groups = rng.integers(0, N_GROUPS, size=size)
    ids = [str(uuid.UUID(int=i + 1)) for i in range(size)]
    for start in range(0, size, 1000):
        batch = []
        for i in range(start, min(start + 1000, size)):
            a, b = pairs[i]
            text = pool_texts[a] + " " + pool_texts[b]
            payload = {"doc_id": f"syn-{i}", "version": 1, "groups": [f"g{groups[i]}"], "text": text}
            batch.append(Point(ids[i], vecs[i], embedder.bm25.embed_document(text), payload))
        store.upsert(batch)
    return SyntheticCorpus(vecs, groups, ids)


def _exact_top10(corpus: SyntheticCorpus, qvec: Any, group: int | None) -> set[str]:
    import numpy as np

    idx = np.arange(len(corpus.ids)) if group is None else np.flatnonzero(corpus.groups == group)
    sims = corpus.vectors[idx] @ qvec
    top = idx[np.argsort(-sims)[:10]]
    return {corpus.ids[i] for i in top}


def bench_synthetic_size(
    store: Any, embedder: Any, corpus: SyntheticCorpus, queries: list[str], qvecs: Any, *, index: str
) -> list[dict]:
    """Dense and hybrid latency, filtered (one group) and unfiltered (all groups), with recall@10."""
    from app.retrieve import rrf_fuse

    all_groups = [f"g{g}" for g in range(N_GROUPS)]
    sparse = [embedder.sparse_query(q) for q in queries]
    rows = []
    for filtered in (True, False):
        for mode in ("dense", "hybrid"):
            times: list[float] = []
            recalls: list[float] = []
            store.search_dense(qvecs[0], groups=all_groups)  # warm-up
            for i, qvec in enumerate(qvecs):
                group = i % N_GROUPS if filtered else None
                groups = [f"g{group}"] if filtered else all_groups
                t0 = time.perf_counter()
                if mode == "dense":
                    dense = store.search_dense(qvec, groups=groups, limit=10)
                else:
                    dense, sp = store.search_hybrid(qvec, sparse[i], groups=groups, limit=10)
                    rrf_fuse(dense, sp, limit=10)
                times.append(time.perf_counter() - t0)
                exact = _exact_top10(corpus, qvec, group)
                recalls.append(len({h.id for h in dense} & exact) / max(len(exact), 1))
            p50, p95 = _ms(times)
            rows.append(
                {
                    "chunks": len(corpus.ids),
                    "filtered": filtered,
                    "mode": mode,
                    "p50_ms": p50,
                    "p95_ms": p95,
                    "recall_at_10": round(sum(recalls) / len(recalls), 4),
                    "index": index,
                    "queries": len(qvecs),
                    "notes": "synthetic; query vectors precomputed"
                    + ("; recall of the dense leg" if mode == "hybrid" else ""),
                }
            )
    return rows


def bench_synthetic(
    embedder: Any, sizes: list[int], *, pool: int = 2000, queries: int = 50, progress: Any = None
) -> list[dict]:
    from app.store import EdgeStore

    say = progress or (lambda _msg: None)
    texts = sentence_pool(pool + queries)
    pool_texts, query_texts = texts[:pool], texts[pool:]
    say(f"embedding {len(texts)} sentences")
    vecs = embedder.embed_documents(texts)
    pool_vecs, qvecs = vecs[:pool], vecs[pool:]
    rows: list[dict] = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="docqa-bench-query-") as tmp:
            store = EdgeStore(Path(tmp) / "qdrant")
            try:
                say(f"building {size} synthetic chunks")
                t0 = time.perf_counter()
                corpus = build_synthetic(store, embedder, pool_texts, pool_vecs, size)
                build_s = time.perf_counter() - t0
                index = "exact (unindexed; optimize() skipped, too slow at this size)"
                if size <= OPTIMIZE_MAX_CHUNKS:
                    say(f"optimize() at {size}")
                    t0 = time.perf_counter()
                    store.optimize()
                    opt_s = time.perf_counter() - t0
                    indexed = store.shard.info().indexed_vectors_count
                    index = f"optimize() {opt_s:.1f} s; shard indexed_vectors_count {indexed}"
                say(f"querying {size} chunks")
                size_rows = bench_synthetic_size(store, embedder, corpus, query_texts, qvecs, index=index)
                for r in size_rows:
                    r["build_s"] = round(build_s, 2)
                rows += size_rows
            finally:
                store.close()
    return rows


def bench_data_and_answers(
    path: Path,
    settings: Settings,
    embedder: Any,
    *,
    questions: int = 20,
    extractive_questions: int = 10,
    llm: bool | None = None,
    llm_questions: int = 5,
    progress: Any = None,
) -> tuple[list[dict], dict[str, dict], list[str]]:
    """Ingest PATH into a temp data dir; time app.retrieve.search as group "everyone"; extractive answer
    latency; and with the local LLM time to first token and total answer time."""
    from app.answer import Answerer
    from app.llm import LLMUnavailableError, make_generator
    from app.retrieve import search

    say = progress or (lambda _msg: None)
    notes: list[str] = []
    rows: list[dict] = []
    answers: dict[str, dict] = {}
    qs = demo_questions()[:questions]
    with tempfile.TemporaryDirectory(prefix="docqa-bench-query-") as tmp:
        run_settings = settings.model_copy(
            update={
                "data_dir": Path(tmp),
                "database_url": None,
                "qdrant_url": None,
                "llm_model_dir": settings.llm_models_dir.resolve(),
                "llm_backend": "local",
            }
        )
        svc = Services(run_settings, embedder=embedder)
        try:
            say(f"ingesting {path}")
            svc.ingestor.ingest([path], set_name="bench")
            chunks = svc.store.count()
            search(svc.store, embedder, qs[0], ["everyone"])  # warm-up
            times = []
            for q in qs:
                t0 = time.perf_counter()
                search(svc.store, embedder, q, ["everyone"])
                times.append(time.perf_counter() - t0)
            p50, p95 = _ms(times)
            rows.append(
                {
                    "chunks": chunks,
                    "filtered": True,
                    "mode": "hybrid",
                    "p50_ms": p50,
                    "p95_ms": p95,
                    "recall_at_10": None,
                    "index": "exact",
                    "queries": len(qs),
                    "notes": f"{path} as group everyone; app.retrieve.search incl. query embedding, "
                    "dedup and neighbours",
                }
            )

            say("extractive answers")
            extractive = Answerer(svc.store, embedder, None)
            totals = []
            for q in qs[:extractive_questions]:
                totals.append(extractive.ask(q, ["everyone"]).timings["total"])
            p50, p95 = _ms(totals)
            answers["extractive"] = {
                "p50_ms": p50,
                "p95_ms": p95,
                "ttft_p50_ms": None,
                "questions": len(totals),
            }

            generator = None
            if llm is not False:
                try:
                    generator = make_generator(run_settings)
                except LLMUnavailableError as exc:
                    notes.append(f"local LLM not measured: {exc}")
            else:
                notes.append("local LLM not measured: --no-llm")
            if generator is not None:
                try:
                    say(f"local LLM answers ({llm_questions} questions)")
                    answerer = Answerer(svc.store, embedder, generator)
                    totals, ttfts, quicks, fallbacks = [], [], [], 0
                    for q in qs[:llm_questions]:
                        t0 = time.perf_counter()
                        first: list[float] = []

                        def on_token(_text: str, first: list[float] = first, t0: float = t0) -> None:
                            if not first:
                                first.append(time.perf_counter() - t0)

                        def on_quick(_quick: dict, t0: float = t0) -> None:
                            quicks.append(time.perf_counter() - t0)

                        ans = answerer.ask(q, ["everyone"], on_token=on_token, on_quick=on_quick)
                        if ans.refused or ans.backend != generator.backend:
                            fallbacks += 1
                            continue
                        totals.append(ans.timings["total"])
                        if first:
                            ttfts.append(first[0])
                    p50, p95 = _ms(totals)
                    answers[generator.backend] = {
                        "p50_ms": p50,
                        "p95_ms": p95,
                        "ttft_p50_ms": _ms(ttfts)[0],
                        "ttft_p95_ms": _ms(ttfts)[1],
                        "quick_answer_p50_ms": _ms(quicks)[0],
                        "quick_answer_p95_ms": _ms(quicks)[1],
                        "questions": len(totals),
                        "model": generator.model,
                        "refused_or_fallback": fallbacks,
                    }
                finally:
                    generator.close()
        finally:
            svc.close()
    return rows, answers, notes


def bench_query(
    settings: Settings,
    *,
    data_path: Path | None = Path("data"),
    sizes: list[int] = (10_000, 100_000),  # type: ignore[assignment]
    llm: bool | None = None,
    pool: int = 2000,
    queries: int = 50,
    data_questions: int = 20,
    extractive_questions: int = 10,
    llm_questions: int = 5,
    progress: Any = None,
) -> dict:
    """Retrieval latency and recall at the data/ size and on synthetic corpora; answer latency."""
    from app.embeddings import Embedder

    embedder = Embedder.from_settings(settings)
    embedder.embed_documents(["warm-up"])  # model load is not query time
    retrieval: list[dict] = []
    answers: dict[str, dict] = {}
    notes: list[str] = []
    t0 = time.perf_counter()
    if data_path is not None:
        retrieval, answers, notes = bench_data_and_answers(
            data_path,
            settings,
            embedder,
            questions=data_questions,
            extractive_questions=extractive_questions,
            llm=llm,
            llm_questions=llm_questions,
            progress=progress,
        )
    if sizes:
        retrieval += bench_synthetic(embedder, list(sizes), pool=pool, queries=queries, progress=progress)
    return {
        "retrieval": retrieval,
        "answer": answers,
        "notes": notes,
        "seconds": round(time.perf_counter() - t0, 1),
    }


# -- docqa bench scale ---------------------------------------------------------------------------------
def write_scifact_docs(dest: Path, n: int, *, corpus: Path = SCIFACT) -> list[Path]:
    """The first ``n`` SciFact abstracts as ``dest/<id>.txt`` (title line, blank line, abstract)."""
    import json

    dest.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            if len(paths) >= n:
                break
            rec = json.loads(line)
            path = dest / f"{rec['_id']}.txt"
            body = f"{rec.get('title', '').strip()}\n\n{rec.get('text', '').strip()}\n"
            path.write_text(body, encoding="utf-8")
            paths.append(path)
    if len(paths) < n:
        raise ValueError(f"only {len(paths)} abstracts in {corpus}, wanted {n}")
    return paths


def bench_scale(settings: Settings, sizes: list[int], *, progress: Any = None) -> dict:
    """Ingestion time vs corpus size: the first N SciFact abstracts for each N in ``sizes``, each
    ingested into a fresh data dir (bench_ingest: pipeline time and raw encode time of its chunks)."""
    say = progress or (lambda _msg: None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="docqa-bench-scale-") as tmp:
        docs = write_scifact_docs(Path(tmp) / "all", max(sizes))
        for n in sorted(sizes):
            folder = Path(tmp) / f"n{n}"
            folder.mkdir()
            for p in docs[:n]:
                (folder / p.name).symlink_to(p)
            say(f"ingesting {n} abstracts")
            b = bench_ingest(folder, settings)
            rows.append(
                {
                    "documents": n,
                    "indexed": b.indexed,
                    "chunks": b.chunks,
                    "tokens": b.tokens,
                    "seconds": round(b.seconds, 2),
                    "docs_per_s": round(n / max(b.seconds, 1e-9), 2),
                    "tokens_per_s": round(b.tokens / max(b.seconds, 1e-9), 1),
                    "raw_encode_seconds": round(b.raw_encode_seconds, 2),
                    "pipeline_vs_raw_encode": round(b.rates()["pipeline_vs_raw_encode"], 3),
                    "embed_backend": getattr(settings, "embed_backend", "fp32"),
                }
            )
    return {"rows": rows, "corpus": str(SCIFACT)}
