"""Retrieval-only evaluation: hit@k, recall@k, MRR and nDCG@10 over SciFact (BEIR) or the demo golden set.

The metric functions are pure: a ranking (ids, best first) and graded judgements ``{id: grade}``
(grade > 0 means relevant) in, a number out.

SciFact (../shared/data/scifact, BEIR format, test split) is indexed the way BEIR/MTEB evaluate a
sentence-transformers model, so dense-only reproduces the published all-MiniLM-L6-v2 nDCG@10 (0.645):
one point per abstract (no chunking), embedded as ``title + " " + text`` (the model truncates at 256
word pieces), cosine similarity. The points live in their own Edge store under
``<data_dir>/eval/scifact/qdrant`` (payload ``doc_id`` = the BEIR id, ``groups`` = ["everyone"]), built
once: a rerun embeds only the documents the store does not hold yet.

The demo set ranks documents, not chunks: each answerable golden question is asked through
``app.retrieve.search`` with its user's groups, and the passages' documents (first occurrence) form
the ranking; the item's reference documents are the relevant ones.
"""

from __future__ import annotations

import csv
import json
import math
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.retrieve import rrf_fuse
from app.store import Point, VectorStore

if TYPE_CHECKING:
    from app.embeddings import Embedder

MODES = ("dense", "sparse", "hybrid")
SCIFACT_GROUPS = ["everyone"]
SCIFACT_SET = "scifact"
# What a cached point was embedded from; a point with another recipe is embedded again.
SCIFACT_RECIPE = "title+' '+text|all-MiniLM-L6-v2|256|bm25"
PUBLISHED_DENSE_NDCG10 = 0.645  # MTEB, sentence-transformers/all-MiniLM-L6-v2 on BEIR SciFact test
_NAMESPACE = uuid.UUID("9a3f6f0e-51c2-4d0b-8d5e-2f4b7c1e6a20")


def scifact_recipe(embedder: Embedder) -> str:
    """SCIFACT_RECIPE plus the encoder when it is not the fp32 one (cached fp32 points stay valid)."""
    backend = getattr(embedder, "backend", "fp32")
    return SCIFACT_RECIPE if backend == "fp32" else f"{SCIFACT_RECIPE}|{backend}"


Qrels = Mapping[str, Mapping[str, int]]  # query id -> {doc id: grade}
Progress = Callable[[int, int], None]  # (done, total)


# -- metrics (pure) --------------------------------------------------------------------------------


def _relevant(judged: Mapping[str, int]) -> set[str]:
    return {d for d, grade in judged.items() if grade > 0}


def hit_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """1.0 if a relevant document is among the first ``k``, else 0.0."""
    rel = _relevant(judged)
    return 1.0 if any(d in rel for d in ranked[:k]) else 0.0


def recall_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the first ``k`` (0.0 when nothing is relevant)."""
    rel = _relevant(judged)
    if not rel:
        return 0.0
    return len(rel & set(ranked[:k])) / len(rel)


def mrr(ranked: Sequence[str], judged: Mapping[str, int], k: int | None = None) -> float:
    """Reciprocal rank of the first relevant document (within the first ``k`` if given), else 0.0."""
    rel = _relevant(judged)
    for rank, d in enumerate(ranked[:k] if k is not None else ranked, start=1):
        if d in rel:
            return 1.0 / rank
    return 0.0


def dcg(grades: Iterable[int]) -> float:
    """Discounted cumulative gain: sum of (2^grade - 1) / log2(position + 1), positions from 1."""
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades) if g > 0)


def ndcg_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with graded relevance: DCG of the first ``k`` over the DCG of the ideal ordering of all
    the judged documents (cut at ``k``). A document counts once (a repeat gains nothing).
    For binary judgements (SciFact) this equals BEIR's pytrec_eval ``ndcg_cut``; trec_eval uses linear
    gains (grade instead of 2^grade - 1), which differ only for grades above 1."""
    seen: set[str] = set()
    grades = []
    for d in ranked[:k]:
        grades.append(0 if d in seen else judged.get(d, 0))
        seen.add(d)
    ideal = dcg(sorted((g for g in judged.values() if g > 0), reverse=True)[:k])
    return dcg(grades) / ideal if ideal > 0 else 0.0


def metric_names(k: int) -> list[str]:
    return ["hit@5", f"hit@{k}", f"recall@{k}", f"mrr@{k}", "ndcg@10"]


def score_query(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> dict[str, float]:
    return {
        "hit@5": hit_at_k(ranked, judged, 5),
        f"hit@{k}": hit_at_k(ranked, judged, k),
        f"recall@{k}": recall_at_k(ranked, judged, k),
        f"mrr@{k}": mrr(ranked, judged, k),
        "ndcg@10": ndcg_at_k(ranked, judged, 10),
    }


def evaluate(runs: Mapping[str, Sequence[str]], qrels: Qrels, k: int = 10) -> dict[str, float]:
    """Mean of each metric over the queries that have at least one relevant document (a query
    missing from ``runs`` counts as retrieving nothing)."""
    names = metric_names(k)
    scored = [score_query(runs.get(q, []), judged, k) for q, judged in qrels.items() if _relevant(judged)]
    if not scored:
        return dict.fromkeys(names, 0.0)
    return {n: sum(s[n] for s in scored) / len(scored) for n in names}


# -- BEIR data ----------------------------------------------------------------------------------------


@dataclass
class BeirSet:
    corpus: dict[str, dict[str, str]]  # doc id -> {"title", "text"}
    queries: dict[str, str]  # query id -> text; only the queries that have judgements
    qrels: dict[str, dict[str, int]]

    def subset(self, query_ids: Sequence[str], extra_docs: int = 0) -> BeirSet:
        """The given queries, their relevant documents plus the first ``extra_docs`` others (tests)."""
        qrels = {q: dict(self.qrels[q]) for q in query_ids}
        wanted = {d for judged in qrels.values() for d in judged}
        keep = wanted | set([d for d in self.corpus if d not in wanted][:extra_docs])
        docs = [d for d in self.corpus if d in keep]
        return BeirSet({d: self.corpus[d] for d in docs}, {q: self.queries[q] for q in query_ids}, qrels)


def _jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_beir(directory: Path, split: str = "test") -> BeirSet:
    """corpus.jsonl, queries.jsonl and qrels/<split>.tsv of a BEIR dataset; queries without a
    judgement in ``split`` are dropped. Raises FileNotFoundError naming a missing file."""
    files = {"corpus": directory / "corpus.jsonl", "queries": directory / "queries.jsonl"}
    files["qrels"] = directory / "qrels" / f"{split}.tsv"
    for name, path in files.items():
        if not path.is_file():
            raise FileNotFoundError(f"BEIR {name} file missing: {path}")
    corpus = {
        str(r["_id"]): {"title": r.get("title") or "", "text": r.get("text") or ""}
        for r in _jsonl(files["corpus"])
    }
    qrels: dict[str, dict[str, int]] = {}
    with files["qrels"].open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 3 or row[0] == "query-id":
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    all_queries = {str(r["_id"]): r["text"] for r in _jsonl(files["queries"])}
    missing = sorted(q for q in qrels if q not in all_queries)
    if missing:
        raise ValueError(f"{files['qrels']}: judged queries missing from queries.jsonl: {missing[:5]}")
    queries = {q: all_queries[q] for q in all_queries if q in qrels}  # file order
    return BeirSet(corpus, queries, {q: qrels[q] for q in queries})


def document_text(doc: Mapping[str, str]) -> str:
    """What BEIR/MTEB embed for a sentence-transformers model: title + " " + text (stripped)."""
    return (doc.get("title", "") + " " + doc.get("text", "")).strip()


def point_id_for(doc_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{SCIFACT_SET}\x00{doc_id}"))


@dataclass
class IndexReport:
    docs: int
    embedded: int  # documents embedded by this call (0 = the store already held the corpus)
    removed: int
    seconds: float


def index_corpus(
    store: VectorStore,
    embedder: Embedder,
    corpus: Mapping[str, Mapping[str, str]],
    *,
    batch: int = 128,
    progress: Progress | None = None,
) -> IndexReport:
    """Make ``store`` hold exactly ``corpus``, one point per document (dense + BM25 of
    ``document_text``). Documents already stored with the current recipe are not embedded again, so
    an interrupted run resumes; points of documents no longer in the corpus are deleted."""
    t0 = time.perf_counter()
    have: set[str] = set()
    stale: list[str] = []
    recipe = scifact_recipe(embedder)
    if store.count() > 0:
        for pid, payload in store.iter_payloads(fields=["doc_id", "embed"]):
            doc_id = str(payload.get("doc_id"))
            if doc_id in corpus and payload.get("embed") == recipe and pid == point_id_for(doc_id):
                have.add(doc_id)
            else:
                stale.append(pid)
    store.delete_ids(stale)
    todo = [d for d in corpus if d not in have]
    if progress:
        progress(0, len(todo))
    for start in range(0, len(todo), batch):
        ids = todo[start : start + batch]
        texts = [document_text(corpus[d]) for d in ids]
        dense = embedder.embed_documents(texts)
        sparse = embedder.sparse_documents(texts)
        store.upsert(
            [
                Point(
                    id=point_id_for(d),
                    dense=dense[i],
                    sparse=sparse[i],
                    payload={
                        "doc_id": d,
                        "groups": SCIFACT_GROUPS,
                        "set": SCIFACT_SET,
                        "title": corpus[d].get("title", ""),
                        "embed": recipe,
                        "encoder": getattr(embedder, "encoder_id", ""),
                    },
                )
                for i, d in enumerate(ids)
            ]
        )
        if progress:
            progress(min(start + batch, len(todo)), len(todo))
    if todo or stale:
        store.flush()
    return IndexReport(len(corpus), len(todo), len(stale), time.perf_counter() - t0)


def rank_beir(
    store: VectorStore,
    embedder: Embedder,
    queries: Mapping[str, str],
    *,
    mode: str = "dense",
    depth: int = 10,
    candidates: int = 30,
    progress: Progress | None = None,
) -> dict[str, list[str]]:
    """Each query's ranked BEIR doc ids (up to ``depth``). hybrid = app.retrieve's fusion: RRF (k=60)
    of the dense and BM25 top ``max(candidates, depth)`` from one search_hybrid call."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    qids = list(queries)
    vectors = embedder.embed_documents([queries[q] for q in qids]) if mode != "sparse" else None
    runs: dict[str, list[str]] = {}
    for n, q in enumerate(qids):
        text = queries[q]
        if mode == "dense":
            hits = store.search_dense(vectors[n], groups=SCIFACT_GROUPS, limit=depth)
            ranked = [h.payload["doc_id"] for h in hits]
        elif mode == "sparse":
            hits = store.search_sparse(embedder.sparse_query(text), groups=SCIFACT_GROUPS, limit=depth)
            ranked = [h.payload["doc_id"] for h in hits]
        else:
            pool = max(candidates, depth)
            dense, sparse = store.search_hybrid(
                vectors[n], embedder.sparse_query(text), groups=SCIFACT_GROUPS, limit=pool
            )
            ranked = [p.doc_id for p in rrf_fuse(dense, sparse, limit=depth)]
        runs[q] = ranked
        if progress:
            progress(n + 1, len(qids))
    return runs


@dataclass
class RetrievalResult:
    set: str
    mode: str
    k: int
    queries: int
    metrics: dict[str, float]
    search_seconds: float
    index: dict[str, Any] | None = None
    reference: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self, per_query: bool = False) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "per_query"}
        if per_query:
            d["per_query"] = self.per_query
        return d


def eval_beir(
    store: VectorStore,
    embedder: Embedder,
    data: BeirSet,
    *,
    name: str = SCIFACT_SET,
    mode: str = "dense",
    k: int = 10,
    limit: int | None = None,
    index_progress: Progress | None = None,
    search_progress: Progress | None = None,
) -> RetrievalResult:
    """Index ``data``'s corpus into ``store`` (once) and score its first ``limit`` queries."""
    report = index_corpus(store, embedder, data.corpus, progress=index_progress)
    qids = list(data.queries)[:limit] if limit else list(data.queries)
    t0 = time.perf_counter()
    runs = rank_beir(
        store, embedder, {q: data.queries[q] for q in qids}, mode=mode, depth=max(k, 10),
        progress=search_progress,
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    qrels = {q: data.qrels[q] for q in qids}
    result = RetrievalResult(
        set=name,
        mode=mode,
        k=k,
        queries=len(qids),
        metrics=evaluate(runs, qrels, k),
        search_seconds=round(seconds, 2),
        index={"docs": report.docs, "embedded": report.embedded, "seconds": round(report.seconds, 1)},
        per_query={q: score_query(runs[q], qrels[q], k) for q in qids},
    )
    if name == SCIFACT_SET and mode == "dense":
        result.reference = {"ndcg@10": PUBLISHED_DENSE_NDCG10}
        if limit:
            result.notes.append("a --limit run is not comparable with the published full-set number")
    return result


# -- the demo golden set ------------------------------------------------------------------------------


def _norm_path(path: str) -> str:
    return path.replace("\\", "/").lstrip("./")


def same_document(path: str, reference: str) -> bool:
    """A passage's path (as ingested) names a golden reference document (the same rule as eval.runner's
    citation check: equal, or one is a path suffix of the other)."""
    a, b = _norm_path(path), _norm_path(reference)
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def document_ranking(paths: Iterable[str], references: Sequence[str]) -> list[str]:
    """Passage paths (best first) -> distinct documents, each named by the reference it matches if any."""
    ranked: list[str] = []
    for path in paths:
        name = next((r for r in references if same_document(path, r)), _norm_path(path))
        if name not in ranked:
            ranked.append(name)
    return ranked


class NotIngestedError(RuntimeError):
    """The demo corpus is not in the current data dir."""


def eval_demo(
    svc: Any,  # app.services.Services
    items: Sequence[Any],  # eval.golden.GoldenItem
    *,
    k: int = 10,
    limit: int | None = None,
    set_name: str = "demo",
    progress: Progress | None = None,
) -> RetrievalResult:
    """Document-level retrieval over the ingested demo corpus, each answerable item asked as its user."""
    from app.access import user_groups
    from app.retrieve import search

    ingested = [d.path for d in svc.db.list_documents(set_name) if d.current_version is not None]
    if not ingested or svc.store.count() == 0:
        raise NotIngestedError(
            f"the demo corpus is not ingested in {svc.settings.data_dir} (no indexed documents in set "
            f"{set_name!r}): run `docqa ingest data --set {set_name}` first, or point DOCQA_DATA_DIR at "
            "a data dir that holds it"
        )
    answerable = [i for i in items if i.answerable][: limit or None]
    notes: list[str] = []
    refs_missing = sorted(
        {
            s["document"]
            for i in answerable
            for s in i.reference_sources
            if not any(same_document(p, s["document"]) for p in ingested)
        }
    )
    if refs_missing:
        notes.append(f"reference documents not ingested: {', '.join(refs_missing)}")
    depth = max(k, 10)
    runs: dict[str, list[str]] = {}
    qrels: dict[str, dict[str, int]] = {}
    no_groups: list[str] = []
    t0 = time.perf_counter()
    for n, item in enumerate(answerable):
        refs = [s["document"] for s in item.reference_sources]
        qrels[item.id] = dict.fromkeys(refs, 1)
        groups = user_groups(svc.db, item.user)
        if not groups:
            no_groups.append(item.user)
        passages = search(svc.store, svc.embedder, item.question, groups, limit=max(30, 3 * depth))
        runs[item.id] = document_ranking([p.payload.get("path", p.doc_id) for p in passages], refs)[:depth]
        if progress:
            progress(n + 1, len(answerable))
    if no_groups:
        unknown = ", ".join(sorted(set(no_groups)))
        notes.append(f"users without groups retrieve nothing: {unknown} (demo users: `docqa users seed`)")
    return RetrievalResult(
        set=set_name,
        mode="hybrid",
        k=k,
        queries=len(answerable),
        metrics=evaluate(runs, qrels, k),
        search_seconds=round(time.perf_counter() - t0, 2),
        notes=notes,
        per_query={q: score_query(runs[q], qrels[q], k) for q in qrels},
    )
