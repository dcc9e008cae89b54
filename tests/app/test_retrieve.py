"""Retrieval: fusion, the documents a question names, ranking by page, the per-document mode."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest

from app.doc_match import asked, document_match, name_match, period_match
from app.retrieve import NAMED_WEIGHT, Passage, boost_named_documents, rrf_fuse, search
from app.store import Bm25Encoder, EdgeStore, Hit, Point
from ingest.docmeta import DocMeta

AMZN17 = DocMeta("AMAZON.COM, INC.", "10-K", "2017-12-31", 2017)
AMZN19 = DocMeta("AMAZON.COM, INC.", "10-K", "2019-12-31", 2019)
JPM = DocMeta("JPMORGAN CHASE & CO.", "10-Q", "2021-03-31", 2021)


def passage(
    pid: str, score: float, doc: str = "d", page: int = 1, unit: str = "page", **meta: object
) -> Passage:
    payload = {"doc_id": doc, "version": 1, "page_start": page, "page_end": page, "unit": unit, **meta}
    return Passage(pid, score, payload)


@pytest.mark.unit
def test_what_a_question_names() -> None:
    q = asked("What is JPM's FY2019 - FY2020 revenue growth, and fiscal 2018? (USD 1,2019 is no year)")
    assert q.years == (2018, 2019, 2020)
    assert "jpm" in q.acronyms and "usd" in q.acronyms
    assert asked("Amazon FY19 net income").years == (2019,)


@pytest.mark.unit
def test_company_names_match_by_their_distinctive_words() -> None:
    assert name_match(asked("What is Amazon's FY2017 DPO?"), "AMAZON.COM, INC.") == 1.0
    assert name_match(asked("Which of JPM's segments earned least?"), "JPMORGAN CHASE & CO.") == 0.5
    assert (
        name_match(asked("jpm segments"), "JPMORGAN CHASE & CO.") == 0.0
    )  # a prefix counts in capitals only
    assert name_match(asked("General Mills inventory"), "General Mills, Inc.") == 1.0
    assert name_match(asked("General Mills inventory"), "General Motors Company") == 0.5
    assert name_match(asked("What is the company's revenue?"), "Costco Wholesale Corporation") == 0.0
    assert name_match(asked("anything"), "") == 0.0


@pytest.mark.unit
def test_the_latest_year_asked_is_the_filing_that_holds_it() -> None:
    q = asked("Amazon's FY2017 DPO, from average payables between FY2016 and FY2017")
    assert period_match(q, AMZN17) == 1.0 and period_match(q, AMZN19) == 0.0
    assert period_match(asked("Amazon FY2018 vs FY2019"), AMZN17) == 0.0
    assert period_match(asked("Amazon revenue growth"), AMZN17) == 0.5  # no year asked
    assert document_match(q, AMZN17) == 1.0
    assert document_match(q, AMZN19) == 0.5
    assert document_match(q, JPM) == 0.0
    assert document_match(q, DocMeta()) == 0.0


@pytest.mark.unit
def test_passages_of_the_named_document_gain_a_rank() -> None:
    ranked = [
        passage("a", 0.03, "jpm", **JPM.to_payload()),
        passage("b", 0.025, "amzn19", **AMZN19.to_payload()),
        passage("c", 0.02, "amzn17", **AMZN17.to_payload()),
        passage("d", 0.019, "memo"),
    ]
    out = boost_named_documents("What was Amazon's FY2017 revenue?", ranked)
    assert [p.id for p in out] == ["c", "b", "a", "d"]
    assert out[0].score == pytest.approx(0.02 + NAMED_WEIGHT)
    assert boost_named_documents("What was the revenue?", ranked) == ranked  # names nothing: unchanged


@pytest.mark.unit
def test_rrf_fusion_sums_reciprocal_ranks() -> None:
    dense = [Hit("a", 0.9, {}), Hit("b", 0.8, {})]
    sparse = [Hit("b", 7.0, {}), Hit("c", 5.0, {})]
    fused = rrf_fuse(dense, sparse, k=60, limit=3)
    assert [p.id for p in fused] == ["b", "a", "c"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)


class _Embedder:
    """Vectors from a word -> axis table: enough to steer the dense search in a test."""

    dim = 8

    def __init__(self) -> None:
        self.bm25 = Bm25Encoder()

    def embed_query(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for i, w in enumerate(["revenue", "payroll", "cash", "lease"]):
            v[i] = text.lower().count(w)
        v[-1] = 0.1
        return v / np.linalg.norm(v)

    def sparse_query(self, text: str):
        return self.bm25.embed_query(text)


@pytest.mark.integration
def test_the_per_document_mode_searches_one_document_through_the_permission_filter(tmp_path: Path) -> None:
    emb = _Embedder()
    store = EdgeStore(tmp_path / "shard", dim=emb.dim)
    docs = {"d1": ["hr"], "d2": ["hr"], "d3": ["finance"]}
    points = []
    for doc, groups in docs.items():
        for page, text in enumerate(["revenue rose", "payroll costs", "cash and leases"], 1):
            text = f"{doc} {text}"
            points.append(
                Point(
                    str(uuid.uuid4()),
                    emb.embed_query(text),
                    Bm25Encoder().embed_document(text),
                    {
                        "doc_id": doc,
                        "version": 1,
                        "groups": groups,
                        "text": text,
                        "page_start": page,
                        "page_end": page,
                        "unit": "page",
                        "active": True,
                    },
                )  # fmt: skip
            )
    store.upsert(points)
    try:
        everywhere = search(store, emb, "revenue", ["hr"], limit=10)
        assert {p.doc_id for p in everywhere} == {"d1", "d2"}
        picked = search(store, emb, "revenue", ["hr"], limit=10, doc_ids=["d2"])
        assert {p.doc_id for p in picked} == {"d2"} and picked[0].text == "d2 revenue rose"
        assert search(store, emb, "revenue", ["hr"], limit=10, doc_ids=["d3"]) == []  # not readable
        assert search(store, emb, "revenue", ["hr"], limit=10, doc_ids=[]) == []
        kept = search(store, emb, "revenue", ["hr"], limit=10, doc_ids=["d1", "d2"],
                      keep=lambda ps, _g: [p for p in ps if p.doc_id == "d1"])  # fmt: skip
        assert {p.doc_id for p in kept} == {"d1"}
    finally:
        store.close()
