"""Retrieval metrics on hand-made cases with known values, and the SciFact harness on a small subset."""

from __future__ import annotations

import json
import math
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from eval.retrieval import (
    BeirSet,
    document_ranking,
    document_text,
    evaluate,
    hit_at_k,
    load_beir,
    mrr,
    ndcg_at_k,
    recall_at_k,
    same_document,
)

SCIFACT = Path(__file__).resolve().parents[3] / "shared" / "data" / "scifact"

# ranked a b c d; relevant b, d and e (e never retrieved)
RANKED = ["a", "b", "c", "d"]
JUDGED = {"b": 1, "d": 1, "e": 1, "z": 0}


@pytest.mark.unit
def test_hit_at_k() -> None:
    assert hit_at_k(RANKED, JUDGED, 1) == 0.0
    assert hit_at_k(RANKED, JUDGED, 2) == 1.0
    assert hit_at_k(RANKED, {"z": 0}, 4) == 0.0  # grade 0 is not relevant
    assert hit_at_k([], JUDGED, 10) == 0.0


@pytest.mark.unit
def test_recall_at_k() -> None:
    assert recall_at_k(RANKED, JUDGED, 1) == 0.0
    assert recall_at_k(RANKED, JUDGED, 2) == pytest.approx(1 / 3)
    assert recall_at_k(RANKED, JUDGED, 10) == pytest.approx(2 / 3)
    assert recall_at_k(["e", "d", "b"], JUDGED, 3) == 1.0
    assert recall_at_k(RANKED, {}, 3) == 0.0


@pytest.mark.unit
def test_mrr() -> None:
    assert mrr(RANKED, JUDGED) == 0.5
    assert mrr(RANKED, JUDGED, k=1) == 0.0  # the first relevant one is at rank 2
    assert mrr(["d", "a"], JUDGED) == 1.0
    assert mrr(["a", "c", "x", "d"], JUDGED) == 0.25
    assert mrr(["a", "c"], JUDGED) == 0.0


@pytest.mark.unit
def test_ndcg_binary() -> None:
    # DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3) + 1/log2(4) (three relevant documents)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 0.5
    assert ndcg_at_k(RANKED, JUDGED, 4) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(RANKED, JUDGED, 4) == pytest.approx(0.498189, abs=1e-6)
    assert ndcg_at_k(["b", "d", "e"], JUDGED, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "c"], JUDGED, 10) == 0.0
    assert ndcg_at_k(RANKED, {}, 10) == 0.0
    # cut at k: the ideal ordering is cut too (two slots, three relevant: IDCG = 1 + 1/log2(3))
    assert ndcg_at_k(["b", "a"], JUDGED, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))


@pytest.mark.unit
def test_ndcg_graded_uses_exponential_gain_and_the_ideal_order_of_the_qrels() -> None:
    judged = {"a": 1, "b": 2, "c": 0, "d": 3}
    dcg = 1 + 3 / math.log2(3)  # a (2^1-1) at rank 1, b (2^2-1) at rank 2, c gains nothing
    idcg = 7 + 3 / math.log2(3) + 1 / math.log2(4)  # d, b, a
    assert ndcg_at_k(["a", "b", "c"], judged, 3) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["a", "b", "c"], judged, 3) == pytest.approx(0.307980, abs=1e-6)
    assert ndcg_at_k(["d", "b", "a"], judged, 3) == pytest.approx(1.0)


@pytest.mark.unit
def test_ndcg_counts_a_repeated_document_once() -> None:
    assert ndcg_at_k(["b", "b"], {"b": 1, "d": 1}, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))


@pytest.mark.unit
def test_evaluate_averages_over_judged_queries_and_missing_runs_score_zero() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"x": 1, "y": 1}, "q3": {"n": 0}}  # q3: nothing relevant, skipped
    runs = {"q1": ["a", "b"], "q3": ["n"]}  # q2 retrieved nothing
    m = evaluate(runs, qrels, k=10)
    assert set(m) == {"hit@5", "hit@10", "recall@10", "mrr@10", "ndcg@10"}
    assert m["hit@10"] == 0.5
    assert m["recall@10"] == 0.5
    assert m["mrr@10"] == 0.5
    assert m["ndcg@10"] == 0.5
    empty = evaluate({}, {}, k=3)
    assert empty == {"hit@5": 0.0, "hit@3": 0.0, "recall@3": 0.0, "mrr@3": 0.0, "ndcg@10": 0.0}


@pytest.mark.unit
def test_demo_passages_become_a_document_ranking() -> None:
    assert same_document("docs/hr/handbook.pdf", "docs/hr/handbook.pdf")
    assert same_document("data/docs/hr/handbook.pdf", "docs/hr/handbook.pdf")
    assert not same_document("docs/hr/old-handbook.pdf", "handbook.pdf")
    paths = ["docs/a.pdf", "data/docs/hr/handbook.pdf", "docs/a.pdf", "docs/hr/handbook.pdf", "docs/b.md"]
    ranked = document_ranking(paths, ["docs/hr/handbook.pdf"])
    assert ranked == ["docs/a.pdf", "docs/hr/handbook.pdf", "docs/b.md"]
    assert mrr(ranked, {"docs/hr/handbook.pdf": 1}) == 0.5


@pytest.mark.unit
def test_load_beir_keeps_judged_queries_and_embeds_title_plus_text(tmp_path: Path) -> None:
    (tmp_path / "qrels").mkdir()
    corpus = [{"_id": "d1", "title": "T1", "text": "one"}, {"_id": "d2", "title": "", "text": "two"}]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in corpus) + "\n")
    queries = [{"_id": "q1", "text": "first?"}, {"_id": "q2", "text": "unjudged"}]
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries) + "\n")
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\n")
    data = load_beir(tmp_path)
    assert data.queries == {"q1": "first?"}
    assert data.qrels == {"q1": {"d2": 1}}
    assert document_text(data.corpus["d1"]) == "T1 one"
    assert document_text(data.corpus["d2"]) == "two"
    with pytest.raises(FileNotFoundError, match="qrels"):
        load_beir(tmp_path, split="dev")


class HashEmbedder:
    """Deterministic fake vectors (no model): counts calls so caching can be checked."""

    def __init__(self) -> None:
        from app.store import Bm25Encoder

        self.bm25 = Bm25Encoder()
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        rows = [np.random.default_rng(zlib.crc32(t.encode())).normal(size=384) for t in texts]
        vecs = np.asarray(rows, dtype=np.float32).reshape(len(texts), 384)
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    def sparse_documents(self, texts: list[str]) -> list:
        return [self.bm25.embed_document(t) for t in texts]

    def sparse_query(self, text: str):
        return self.bm25.embed_query(text)


@pytest.mark.integration
def test_index_corpus_is_cached_resumed_and_pruned(tmp_path: Path) -> None:
    from app.store import EdgeStore
    from eval.retrieval import index_corpus, rank_beir

    corpus = {f"d{i}": {"title": f"title {i}", "text": f"word{i} shared text"} for i in range(20)}
    emb = HashEmbedder()
    with EdgeStore(tmp_path / "qdrant") as store:
        first = index_corpus(store, emb, corpus, batch=8)
        assert (first.docs, first.embedded, store.count()) == (20, 20, 20)
        assert index_corpus(store, emb, corpus).embedded == 0 and emb.embedded == 20
        corpus["d20"] = {"title": "new", "text": "word20"}
        del corpus["d0"]
        again = index_corpus(store, emb, corpus)
        assert (again.embedded, again.removed, store.count()) == (1, 1, 20)
        runs = rank_beir(store, emb, {"q": "word7"}, mode="sparse", depth=3)
        assert runs["q"][0] == "d7"
        dense = rank_beir(store, emb, {"q": "title 7 word7 shared text"}, mode="dense", depth=3)
        assert dense["q"][0] == "d7"  # the same text hashes to the same vector
        assert rank_beir(store, emb, {"q": "word7"}, mode="hybrid", depth=3)["q"][0] == "d7"


@pytest.mark.integration
@pytest.mark.skipif(not (SCIFACT / "corpus.jsonl").is_file(), reason="SciFact not in ../shared/data")
def test_scifact_subset_dense_sparse_hybrid(tmp_path: Path, embedder) -> None:
    from app.store import EdgeStore
    from eval.retrieval import eval_beir

    full = load_beir(SCIFACT)
    assert len(full.corpus) == 5183 and len(full.queries) == 300
    data: BeirSet = full.subset(list(full.queries)[:30], extra_docs=100)
    assert len(data.queries) == 30 and 130 <= len(data.corpus) < 150
    t0 = time.perf_counter()
    results = {}
    with EdgeStore(tmp_path / "eval" / "scifact" / "qdrant") as store:
        for mode in ("dense", "sparse", "hybrid"):
            results[mode] = eval_beir(store, embedder, data, mode=mode, k=10)
    seconds = time.perf_counter() - t0
    assert results["dense"].index["embedded"] == len(data.corpus)
    assert results["sparse"].index["embedded"] == results["hybrid"].index["embedded"] == 0  # cached
    for mode, r in results.items():
        m = r.metrics
        assert r.queries == 30, mode
        assert set(m) == {"hit@5", "hit@10", "recall@10", "mrr@10", "ndcg@10"}
        # a 130-document corpus is far easier than the full 5,183: every mode must do well
        assert 0.75 <= m["ndcg@10"] <= 1.0 and m["hit@10"] >= 0.85, (mode, m)
        assert m["hit@5"] <= m["hit@10"] and m["recall@10"] <= m["hit@10"], (mode, m)
        assert m["mrr@10"] <= m["hit@10"], (mode, m)
    assert results["dense"].reference == {"ndcg@10": 0.645}
    assert seconds < 120, f"took {seconds:.0f} s"


@pytest.mark.integration
def test_demo_needs_the_demo_ingested(svc) -> None:
    from eval.retrieval import NotIngestedError, eval_demo

    with pytest.raises(NotIngestedError, match="docqa ingest data --set demo"):
        eval_demo(svc, [])


@pytest.mark.integration
def test_cli_fails_clearly_without_the_demo_and_on_a_bad_mode(settings) -> None:
    from typer.testing import CliRunner

    from eval.cli import eval_app

    runner = CliRunner()
    env = {"DOCQA_DATA_DIR": str(settings.data_dir), "COLUMNS": "200"}
    result = runner.invoke(eval_app, ["retrieval", "--set", "demo", "--json"], env=env)
    assert result.exit_code == 2
    assert "docqa ingest data --set demo" in result.output
    result = runner.invoke(eval_app, ["retrieval", "--set", "scifact", "--mode", "fuzzy"], env=env)
    assert result.exit_code == 2 and "--mode must be one of" in result.output
    result = runner.invoke(eval_app, ["retrieval", "--set", "nope"], env=env)
    assert result.exit_code == 2 and "unknown retrieval set" in result.output
