"""The headline metrics of `docqa eval run` (answerable correct, over-refusal, unanswerable refused,
citation precision, confidence AUROC, per half), the location check behind "the right location cited",
page-hit@k / doc-hit@k of the retrieval-only runs, and RAGAS scores that fail being counted."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from eval.metrics import citation_precision, headline, headline_by_half, headline_correct
from eval.page_retrieval import covers, doc_hit_at_k, page_hit_at_k, score_ranked
from eval.runner import location_matches, with_retrieval

pytestmark = pytest.mark.unit


def cite(path: str, page: int = 1, page_end: int | None = None, section: str | None = None) -> dict:
    c = {"n": 1, "doc_id": path, "path": path, "page": page, "page_end": page_end or page}
    if section is not None:
        c["section"] = section
    return c


# -- location ---------------------------------------------------------------------------------------
def test_a_page_reference_needs_the_page_inside_the_cited_span() -> None:
    ref = {"document": "pdf/warn.pdf", "page": 13}
    assert location_matches(ref, cite("pdf/warn.pdf", 12, 14))
    assert not location_matches(ref, cite("pdf/warn.pdf", 16))
    assert not location_matches(ref, cite("pdf/other.pdf", 13))
    assert location_matches({"document": "warn.pdf"}, cite("messy-corpus/pdf/warn.pdf", 3))  # document only


def test_a_sheet_is_checked_by_its_index() -> None:
    ref = {"document": "office/cups.xlsx", "page": 2, "sheet": "Stanley Cups Since 67"}
    assert location_matches(ref, cite("office/cups.xlsx", 2))
    assert not location_matches(ref, cite("office/cups.xlsx", 1))


def test_a_section_reference_needs_the_cited_passage_under_that_heading() -> None:
    ref = {"document": "office/word_sample.docx", "section": "Let’s eat"}
    assert location_matches(ref, cite("office/word_sample.docx", section="Summer activities / Let's eat"))
    assert not location_matches(ref, cite("office/word_sample.docx", section="Let’s swim!"))
    assert not location_matches(ref, cite("office/word_sample.docx"))  # no section recorded
    # a chunk spanning several headings carries the first as its section: a heading line inside counts
    swim = {"document": "office/word_sample.docx", "section": "Let’s swim!"}
    chunk = "Summer activities\nSwimming in the lake\nLet’s swim!\n1. Wear sunglasses"
    assert location_matches(swim, cite("office/word_sample.docx", section="Summer activities"), chunk)
    assert not location_matches(
        swim, cite("office/word_sample.docx", section="Summer activities"), "Let’s swim"
    )


def test_an_attachment_reference_needs_the_attachment_cited() -> None:
    ref = {"document": "email/a.eml", "attachment": "fake-attachment.txt"}
    assert location_matches(ref, cite("email/a.eml", section="Attachment: fake-attachment.txt"))
    assert location_matches(ref, cite("email/a.eml", section="Attachment: fake-attachment.txt / Notes"))
    assert not location_matches(ref, cite("email/a.eml", section="Fake email with attachment"))


def test_with_retrieval_keeps_the_retrieved_passages_and_each_citations_section() -> None:
    class P:
        def __init__(self, section: str) -> None:
            self.id = f"id-{section}"
            self.payload = {"doc_id": "d1", "path": "a.docx", "page_start": 1, "page_end": 1,
                            "section": section, "text": f"text under {section}"}  # fmt: skip
            self.score, self.dense_score = 0.5, 0.4

        @property
        def text(self) -> str:
            return self.payload["text"]

    class S:
        def __init__(self, n: int, passage: P) -> None:
            self.n, self.passage = n, passage

    class A:
        retrieved = [P("Intro"), P("Let’s eat")]
        sources = [S(1, retrieved[1])]

    result = with_retrieval({"citations": [cite("a.docx")]}, A())
    assert result["citations"][0]["section"] == "Let’s eat"
    assert result["citations"][0]["chunk_id"] == "id-Let’s eat" == result["retrieved"][1]["id"]
    assert [p["section"] for p in result["retrieved"]] == ["Intro", "Let’s eat"]
    assert result["retrieved"][0]["text"] == "text under Intro" and result["retrieved"][0]["score"] == 0.5
    assert with_retrieval({"citations": []}, None) == {"citations": []}


# -- headline ---------------------------------------------------------------------------------------
def row(item_id: str, *, answerable: bool = True, refused: bool = False, mentions: bool | None = True,
        page_hit: bool | None = True, confidence: float = 0.5, cites: tuple = (),
        refs: tuple = ({"document": "a.pdf", "page": 1},)) -> dict:  # fmt: skip
    return {
        "item_id": item_id, "answerable": answerable, "refused": refused, "confidence": confidence,
        "mentions": mentions if answerable else None, "page_hit": page_hit if answerable else None,
        "reference_sources": list(refs) if answerable else [], "answer": {"citations": list(cites)},
    }  # fmt: skip


ROWS = [
    # answerable: right (fact + location), fact but wrong page, refused, right doc wrong fact
    row("a1", confidence=0.9, cites=(cite("a.pdf", 1), cite("b.pdf", 2))),
    row("a2", page_hit=False, confidence=0.6, cites=(cite("a.pdf", 3),)),
    row("a3", refused=True, confidence=0.1),
    row("a4", mentions=False, confidence=0.4, cites=(cite("a.pdf", 1),)),
    # unanswerable: refused twice, answered once (wrongly, confidently)
    row("u1", answerable=False, refused=True),
    row("u2", answerable=False, refused=True),
    row("u3", answerable=False, confidence=0.7, cites=(cite("c.pdf"),)),
]


def test_headline_correct_needs_the_fact_and_the_location() -> None:
    assert [headline_correct(r) for r in ROWS] == [True, False, False, False, True, True, False]


def test_headline_cells_carry_their_n() -> None:
    h = headline(ROWS)
    assert h["answerable_correct"] == {"value": 0.25, "n": 4, "k": 1}
    assert h["over_refusal"] == {"value": 0.25, "n": 4, "k": 1}
    assert h["unanswerable_refused"]["value"] == pytest.approx(2 / 3) and h["unanswerable_refused"]["n"] == 3
    # citations of answered answerable questions: a.pdf p1, b.pdf p2, a.pdf p3, a.pdf p1
    assert citation_precision(ROWS) == (3, 2, 4)
    assert h["citation_precision"]["value"] == 0.75 and h["citation_precision_location"]["value"] == 0.5
    # answered: a1 (right, 0.9), a2 (0.6), a4 (0.4), u3 (0.7): the right one ranks first
    assert h["confidence_auroc"] == {"value": 1.0, "n": 4, "k": 1}


def test_undefined_cells_say_so_instead_of_zero() -> None:
    h = headline([row("u1", answerable=False, refused=True)])
    assert h["answerable_correct"] == {"value": None, "n": 0, "k": 0}
    assert h["citation_precision"]["value"] is None and h["confidence_auroc"]["value"] is None
    all_wrong = headline([row("a1", mentions=False, cites=(cite("a.pdf"),)), row("a2", page_hit=False)])
    assert all_wrong["confidence_auroc"] == {"value": None, "n": 2, "k": 0}  # one class only: undefined


def test_headline_by_half_splits_by_the_id_hash() -> None:
    from eval.golden import half_of

    rows = [row(f"q{n}") for n in range(40)]
    halves = headline_by_half(rows)
    assert set(halves) == {"test", "tune", "all"}
    assert halves["all"]["answerable_correct"]["n"] == 40
    assert halves["test"]["answerable_correct"]["n"] == sum(half_of(f"q{n}") == "test" for n in range(40))
    assert halves["test"]["answerable_correct"]["n"] + halves["tune"]["answerable_correct"]["n"] == 40


def test_the_report_table_has_one_column_per_half() -> None:
    from eval.report import headline_rows

    header, rows = headline_rows(headline_by_half(ROWS))
    assert header[0] == "metric" and header[-1] == "all" and len(rows) == 7
    header, rows = headline_rows({"test": headline(ROWS), "all": headline(ROWS)})
    assert header == ["metric", "test half"]
    assert rows[0][1] == "25.0% (1/4)" and rows[5][1] == "1.000 (n=4)"
    assert rows[6] == ["generated answers replaced by the quote", "– (n=0)"]  # quotes only: none generated


def test_generated_answers_replaced_by_the_quote_are_counted() -> None:
    def answered(item_id: str, backend: str, replaced: bool = False, refused: bool = False) -> dict:
        r = row(item_id, refused=refused)
        r["answer"] |= {"backend": backend, "quote_replaced": replaced}
        return r

    rows = [
        answered("g1", "local"),  # the model's answer stood
        answered("g2", "extractive", replaced=True),  # it stated a figure its sources don't hold
        answered("g3", "extractive"),  # the model was down: quoted, nothing was generated
        answered("g4", "local", refused=True),  # refused: not an answer
    ]
    assert headline(rows)["quote_replaced"] == {"value": 0.5, "n": 2, "k": 1}


# -- retrieval-only ---------------------------------------------------------------------------------
def test_page_and_doc_hits() -> None:
    refs = [{"document": "AMAZON_2017_10K.pdf", "page": 38}, {"document": "AMAZON_2017_10K.pdf", "page": 40}]
    ranked = [
        ("COSTCO_2021_10K.pdf", 38, 38),
        ("AMAZON_2017_10K.pdf", 39, 39),
        ("AMAZON_2017_10K.pdf", 39, 40),
    ]
    assert not page_hit_at_k(ranked, refs, 1) and not doc_hit_at_k(ranked, refs, 1)
    assert not page_hit_at_k(ranked, refs, 2) and doc_hit_at_k(ranked, refs, 2)
    assert page_hit_at_k(ranked, refs, 3)
    assert covers(("passage.txt", None, None), {"document": "passage.txt"})  # no page: document level
    assert covers(("p.txt", None, None), {"document": "p.txt", "page": 1})  # no pages recorded: page 1
    scores = score_ranked({"q1": ranked, "q2": []}, {"q1": refs, "q2": refs, "q3": refs})
    assert scores["page_hit@1"] == 0.0 and scores["page_hit@5"] == pytest.approx(1 / 3)
    assert scores["doc_hit@5"] == pytest.approx(1 / 3) and set(scores) >= {"page_hit@10", "doc_hit@10"}


# -- RAGAS: a score that fails is counted, never dropped ----------------------------------------------
def test_ragas_counts_the_scores_it_could_not_compute(monkeypatch: pytest.MonkeyPatch) -> None:
    import ragas

    from eval.ragas_eval import RagasRow, score_rows

    class Result:
        scores = [
            {"non_llm_string_similarity": 0.5, "semantic_similarity": math.nan},
            {"non_llm_string_similarity": None, "semantic_similarity": 0.8},
        ]

    monkeypatch.setattr(ragas, "evaluate", lambda *a, **kw: Result())
    rows = [RagasRow("q1", "q?", "a", ["ctx"], "ref"), RagasRow("q2", "q?", "a", ["ctx"], "ref")]
    out = score_rows(rows, "nonllm", embeddings=object())
    # the context metrics had no reference contexts to run on: not run, so nothing failed
    assert out["failed"] == {"string_similarity": 1, "semantic_similarity": 1, "context_precision_nonllm": 0,
                             "context_recall_nonllm": 0}  # fmt: skip
    assert out["metrics"]["string_similarity"] == 0.5 and out["metrics"]["semantic_similarity"] == 0.8

    def boom(*_a, **_kw):
        raise RuntimeError("judge down")

    monkeypatch.setattr(ragas, "evaluate", boom)
    out = score_rows(rows, "nonllm", embeddings=object())
    assert out["failed"]["string_similarity"] == 2 and out["failed"]["semantic_similarity"] == 2
    assert out["metrics"]["string_similarity"] is None and "judge down" in out["errors"][0]


def test_ragas_uses_every_retrieved_passage_not_only_the_cited_ones() -> None:
    from eval.ragas_eval import build_rows

    result = {
        "item_id": "q1", "question": "q?", "answerable": True, "refused": False, "reference_sources": [],
        "answer": {"answer": "a [1]", "citations": [{"n": 1, "snippet": "cited"}],
                   "retrieved": [{"text": "cited"}, {"text": "also retrieved"}]},
    }  # fmt: skip
    rows, skipped = build_rows([result], {"q1": "ref"})
    assert skipped == 0 and rows[0].retrieved_contexts == ["cited", "also retrieved"]
    assert rows[0].contexts_from == "retrieved"
    del result["answer"]["retrieved"]
    rows, _ = build_rows([result], {"q1": "ref"})
    assert rows[0].retrieved_contexts == ["cited"] and rows[0].contexts_from == "cited"


def test_ragas_scores_per_half_keep_their_failures() -> None:
    from eval.golden import half_of
    from eval.ragas_eval import by_half

    ids = [f"q{n}" for n in range(12)]
    per_item = {i: {"string_similarity": None if n % 3 == 0 else 0.5} for n, i in enumerate(ids)}
    halves = by_half({"mode": "nonllm", "per_item": per_item})
    for half, metrics in halves.items():
        members = [i for i in ids if half_of(i) == half]
        cell = metrics["string_similarity"]
        assert cell["n"] == len(members)
        assert cell["failed"] == sum(per_item[i]["string_similarity"] is None for i in members)
        assert cell["value"] in (0.5, None)
    assert by_half(None) == {}


@pytest.mark.integration
@pytest.mark.slow
def test_financebench_page_retrieval_on_two_tiny_filings(svc, tmp_path: Path, monkeypatch) -> None:
    """Two small PDFs as 'filings' (reportlab), three questions with evidence pages: both pipelines run
    on the same files, ours finds each evidence page, and a question on a missing filing is reported."""
    import json

    from reportlab.pdfgen import canvas

    from eval import datasets
    from eval.page_retrieval import compare_page_retrieval

    root = tmp_path / "fb"
    pdfs = root / "pdfs"
    pdfs.mkdir(parents=True)
    pages = {
        "ACME_2020_10K.pdf": ["ACME Corporation annual report 2020. Table of contents.",
                              "ACME net revenue in fiscal 2020 was 4,321 million dollars.",
                              "ACME employs 12,000 people in 14 countries."],
        "GLOBEX_2021_10K.pdf": ["Globex annual report 2021.",
                                "Globex paid a quarterly dividend of 0.77 dollars per share in 2021."],
    }  # fmt: skip
    for name, texts in pages.items():
        c = canvas.Canvas(str(pdfs / name))
        for text in texts:
            c.drawString(72, 720, text)
            c.showPage()
        c.save()
    questions = [
        ("q-acme-rev", "What was ACME's net revenue in fiscal 2020?", "4,321", "ACME_2020_10K.pdf", 2),
        ("q-globex-div", "What quarterly dividend did Globex pay in 2021?", "0.77", "GLOBEX_2021_10K.pdf", 2),
        ("q-missing", "What was Initech's 2019 revenue?", "1", "INITECH_2019_10K.pdf", 3),
    ]
    with (root / "questions.jsonl").open("w") as fh:
        for qid, q, a, doc, page in questions:
            fh.write(json.dumps({"id": qid, "question": q, "answer": a, "justification": "",
                                 "question_type": "metrics-generated", "reasoning": "Information extraction",
                                 "document": doc, "evidence": [{"document": doc, "page": page,
                                                                "evidence": a}]}) + "\n")  # fmt: skip
    monkeypatch.setattr(datasets, "FINANCEBENCH_DIR", root)
    result = compare_page_retrieval("financebench", svc, half="all", k=10)
    assert [r.pipeline for r in result.rows] == ["ours", "llamaindex-default"]
    assert result.queries == 3 and result.missing["ours"] == ["INITECH_2019_10K.pdf"]
    ours, base = result.rows
    assert ours.files == 2 and base.files == 2
    for row in (ours, base):
        assert row.per_query["q-acme-rev"]["page_hit@10"] and row.per_query["q-globex-div"]["page_hit@10"]
        assert not row.per_query["q-missing"]["doc_hit@10"]
        assert row.metrics["page_hit@10"] == pytest.approx(2 / 3)
    assert ours.per_query["q-acme-rev"]["page_hit@1"]
    assert set(ours.by_half) <= {"test", "tune"} and sum(h["queries"] for h in ours.by_half.values()) == 3
