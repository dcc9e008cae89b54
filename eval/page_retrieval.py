"""Retrieval-only runs (no answer): does the search put the evidence page (FinanceBench) or the gold
passage (ClapNQ) in its top k? Our engine's search beside LlamaIndex's default pipeline, measured in the
same run on the same files with the same MiniLM model and the same k.

- page-hit@k: one of the first k retrieved chunks comes from a reference document and its page span
  covers a reference page (a reference without a page counts at document level).
- doc-hit@k: one of the first k chunks comes from a reference document.

Ours: the set's own state (``<data_dir>/eval/<set>``, ingested by the real pipeline as ``docqa eval run``
does) searched with ``app.retrieve.search`` (hybrid dense + BM25, permission filter in the query), as
each question's user. Baseline: ``eval.bench_compare.LlamaIndexBaseline`` over the same files (for
ClapNQ the same passage files, for FinanceBench the same PDFs), each chunk tagged with its file and PDF
page (``page_label``). FinanceBench is one shared store of all the filings: the question names the
company and period and the search must find the filing and the page among all of them.

The metric functions are pure: rankings of (document, first page, last page) in, numbers out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.golden import GoldenItem, select_half
from eval.memory import PeakMemory
from eval.retrieval import same_document

KS = (1, 5, 10)
PER_DOCUMENT = "(per document)"  # row name suffix: each question searched in its reference documents only
Ranked = Sequence[
    tuple[str, int | None, int | None]
]  # (document path/key, first page, last page), best first
Progress = Callable[[str], None]


# -- metrics (pure) --------------------------------------------------------------------------------


def covers(hit: tuple[str, int | None, int | None], ref: Mapping[str, Any]) -> bool:
    """A retrieved chunk is on a reference location: same document and, when the reference gives a
    page, a page span holding it (a chunk without page numbers counts as page 1)."""
    path, first, last = hit
    if not same_document(path, ref["document"]):
        return False
    page = ref.get("page")
    if page is None:
        return True
    lo = first or 1
    return lo <= page <= max(last or lo, lo)


def page_hit_at_k(ranked: Ranked, refs: Sequence[Mapping[str, Any]], k: int) -> bool:
    return any(covers(hit, ref) for hit in ranked[:k] for ref in refs)


def doc_hit_at_k(ranked: Ranked, refs: Sequence[Mapping[str, Any]], k: int) -> bool:
    return any(same_document(hit[0], ref["document"]) for hit in ranked[:k] for ref in refs)


def score_ranked(
    runs: Mapping[str, Ranked], refs: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, float]:
    """Mean page-hit@1/5/10 and doc-hit@1/5/10 over the questions of ``refs`` (a question missing
    from ``runs`` retrieved nothing)."""
    names = [f"page_hit@{k}" for k in KS] + [f"doc_hit@{k}" for k in KS]
    if not refs:
        return dict.fromkeys(names, 0.0)
    out = {}
    for k in KS:
        out[f"page_hit@{k}"] = sum(page_hit_at_k(runs.get(q, []), r, k) for q, r in refs.items()) / len(refs)
    for k in KS:
        out[f"doc_hit@{k}"] = sum(doc_hit_at_k(runs.get(q, []), r, k) for q, r in refs.items()) / len(refs)
    return out


# -- the runs --------------------------------------------------------------------------------------


@dataclass
class PipelineResult:
    pipeline: str
    metrics: dict[str, float]
    files: int  # files the pipeline indexed (with at least one chunk)
    chunks: int
    ingest_s: float | None  # None: ours was already ingested (unchanged files skipped)
    search_p50_ms: float | None
    per_query: dict[str, dict[str, bool]] = field(default_factory=dict)
    peak_mb: float | None = None  # peak resident memory of the process tree while it ingested
    by_half: dict[str, dict[str, float]] = field(default_factory=dict)  # with --half all: test, tune


@dataclass
class PageRetrievalResult:
    set: str
    half: str
    queries: int
    k: int
    rows: list[PipelineResult]
    missing: dict[str, list[str]]  # pipeline -> reference documents it did not index
    notes: list[str] = field(default_factory=list)

    def to_dict(self, per_query: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not per_query:
            for r in d["rows"]:
                r.pop("per_query", None)
        return d


def _per_query(ranked: Ranked, refs: Sequence[Mapping[str, Any]]) -> dict[str, bool]:
    return {
        **{f"page_hit@{k}": page_hit_at_k(ranked, refs, k) for k in KS},
        **{f"doc_hit@{k}": doc_hit_at_k(ranked, refs, k) for k in KS},
    }


def rank_ours(
    svc: Any,
    items: Sequence[GoldenItem],
    k: int,
    progress: Progress | None = None,
    doc_ids_of: Mapping[str, Sequence[str]] | None = None,
) -> tuple[dict[str, list[tuple[str, int | None, int | None]]], list[float]]:
    """Each item's top ``k`` chunks from the engine's search, asked with its user's groups; with
    ``doc_ids_of`` (item id -> doc_ids) only in those documents (the per-document mode)."""
    from app.access import user_groups
    from app.retrieve import search

    runs: dict[str, list[tuple[str, int | None, int | None]]] = {}
    times: list[float] = []
    groups_of: dict[str, list[str]] = {}
    for n, item in enumerate(items, 1):
        groups = groups_of.setdefault(item.user, user_groups(svc.db, item.user))
        doc_ids = doc_ids_of[item.id] if doc_ids_of is not None else None
        t = time.perf_counter()
        passages = search(svc.store, svc.embedder, item.question, groups, limit=k, doc_ids=doc_ids)
        times.append(time.perf_counter() - t)
        runs[item.id] = [
            (p.payload.get("path", ""), p.payload.get("page_start"), p.payload.get("page_end"))
            for p in passages
        ]
        if progress and n % 25 == 0:
            progress(f"ours: {n}/{len(items)} questions")
    return runs, times


def rank_baseline(
    base: Any,
    items: Sequence[GoldenItem],
    groups_of: Mapping[str, Sequence[str]],
    k: int,
    per_document: bool = False,
) -> tuple[dict[str, list[tuple[str, int | None, int | None]]], list[float]]:
    """Each item's top ``k`` chunks; ``per_document``: only in its reference documents."""
    runs, times = {}, []
    for item in items:
        sources = [r["document"] for r in item.reference_sources] if per_document else None
        t = time.perf_counter()
        runs[item.id] = base.retrieve(item.question, groups_of[item.user], k, sources=sources)
        times.append(time.perf_counter() - t)
    return runs, times


def _p50(values: Sequence[float]) -> float | None:
    from app.insights import percentile

    return None if not values else round(percentile([v * 1000 for v in values], 50), 2)


def compare_page_retrieval(
    set_name: str,
    svc: Any,  # app.services.Services opened with eval.runs.set_settings(set_name, ...)
    *,
    half: str = "test",
    k: int = 10,
    limit: int | None = None,
    corpus: Path | None = None,
    baseline: bool = True,
    progress: Progress | None = None,
    per_document: bool = False,
) -> PageRetrievalResult:
    """Ingest the set into ``svc`` (once; unchanged files are skipped), then rank the answerable
    questions of ``half`` with our search and with the LlamaIndex default over the same files.
    ``per_document`` adds rows for the per-document mode: each question searched only in its
    reference documents (a reader who picked the filing), by both pipelines."""
    from eval import datasets
    from eval.bench_compare import BASELINE, LlamaIndexBaseline, llamaindex_embedding, llamaindex_notes

    say = progress or (lambda _m: None)
    k = max(k, max(KS))
    notes: list[str] = []
    t0 = time.perf_counter()
    with PeakMemory() as peak:
        if set_name == "financebench":
            pdfs = corpus or datasets.FINANCEBENCH_DIR / "pdfs"
            say(f"ingesting the filings of {pdfs} into {svc.settings.data_dir} (unchanged files skipped) …")
            items = datasets.prepare_financebench(svc, pdfs)
            files = sorted(p for p in pdfs.iterdir() if p.is_file() and p.suffix.lower() == ".pdf")
            groups = [datasets.FINANCEBENCH_GROUP]
        elif set_name == "clapnq":
            say(f"ingesting the ClapNQ passages into {svc.settings.data_dir} (unchanged files skipped) …")
            items = datasets.prepare_clapnq(svc)
            where = svc.settings.data_dir / "clapnq-corpus"
            files = sorted(p for p in where.iterdir() if p.is_file())
            groups = [datasets.CLAPNQ_GROUP]
        else:
            raise ValueError(f"page retrieval runs over financebench or clapnq, not {set_name!r}")
        ingest_s = time.perf_counter() - t0
    items = [i for i in select_half(items, half) if i.answerable][: limit or None]
    refs = {i.id: i.reference_sources for i in items}
    indexed = sorted(
        {d.path for d in svc.db.list_documents(set_name) if d.current_version is not None}
    )  # fmt: skip
    wanted = sorted({r["document"] for i in items for r in i.reference_sources})
    missing = {"ours": [d for d in wanted if not any(same_document(p, d) for p in indexed)]}
    chunks = sum(1 for _ in svc.store.iter_payloads(fields=["path"]))
    say(f"ours: searching {len(items)} questions")
    runs, times = rank_ours(svc, items, k, progress=say)
    rows = [
        PipelineResult(
            "ours", score_ranked(runs, refs), len(indexed), chunks, round(ingest_s, 1), _p50(times),
            {q: _per_query(runs[q], refs[q]) for q in refs}, peak.mb,
        )
    ]  # fmt: skip
    if per_document:
        docs = [d for d in svc.db.list_documents(set_name) if d.current_version is not None]
        doc_ids_of = {
            i.id: [
                d.doc_id
                for d in docs
                if any(same_document(d.path, r["document"]) for r in i.reference_sources)
            ]
            for i in items
        }
        say(f"ours: searching {len(items)} questions, each in its reference documents")
        doc_runs, doc_times = rank_ours(svc, items, k, doc_ids_of=doc_ids_of)
        rows.append(
            PipelineResult(
                f"ours {PER_DOCUMENT}", score_ranked(doc_runs, refs), len(indexed), chunks, None,
                _p50(doc_times), {q: _per_query(doc_runs[q], refs[q]) for q in refs},
            )
        )  # fmt: skip
    if baseline:
        notes += llamaindex_notes()
        say(f"{BASELINE}: loading the model and ingesting {len(files)} files in memory …")
        with PeakMemory() as base_peak:
            base = LlamaIndexBaseline([(p, p.name, groups) for p in files], llamaindex_embedding())
        try:
            groups_of = {i.user: groups for i in items}
            say(f"{BASELINE}: searching {len(items)} questions")
            base_runs, base_times = rank_baseline(base, items, groups_of, k)
            loaded = {source for source, *_ in base.records}
            missing[BASELINE] = [d for d in wanted if not any(same_document(p, d) for p in loaded)]
            rows.append(
                PipelineResult(
                    BASELINE, score_ranked(base_runs, refs), len(loaded), len(base.records),
                    round(base.ingest_s, 1), _p50(base_times),
                    {q: _per_query(base_runs[q], refs[q]) for q in refs}, base_peak.mb,
                )
            )  # fmt: skip
            if per_document:
                say(f"{BASELINE}: searching {len(items)} questions, each in its reference documents")
                doc_runs, doc_times = rank_baseline(base, items, groups_of, k, per_document=True)
                rows.append(
                    PipelineResult(
                        f"{BASELINE} {PER_DOCUMENT}", score_ranked(doc_runs, refs), len(loaded),
                        len(base.records), None, _p50(doc_times),
                        {q: _per_query(doc_runs[q], refs[q]) for q in refs},
                    )
                )  # fmt: skip
        finally:
            base.close()
    if half == "all":
        from eval.golden import half_of

        for r in rows:
            for h in ("test", "tune"):
                members = [q for q in r.per_query if half_of(q) == h]
                if members:
                    r.by_half[h] = {
                        name: sum(r.per_query[q][name] for q in members) / len(members) for name in r.metrics
                    } | {"queries": len(members)}
    if set_name == "clapnq":
        notes.append("ClapNQ passages are single-page text files: page-hit@k equals doc-hit@k")
    if limit:
        notes.append(f"--limit {limit}: only the first {limit} answerable questions of the half")
    return PageRetrievalResult(set_name, half, len(items), k, rows, missing, notes)
