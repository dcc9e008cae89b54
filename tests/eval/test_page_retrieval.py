"""Long-document retrieval end to end: filings with a cover page and a borderless financial statement,
ingested by the real pipeline and searched in one shared store (eval/page_retrieval.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FILINGS = {  # file -> (registrant, fiscal year, statement title, rows: label, this year, last year)
    "ACME_2020_10K.pdf": ("ACME CORPORATION", 2020, "CONSOLIDATED STATEMENTS OF OPERATIONS",
                          [("Net revenue", "4,321", "3,904"), ("Cost of revenue", "2,100", "1,950"),
                           ("Operating income", "1,221", "1,054"), ("Net income", "877", "702")]),
    "ACME_2021_10K.pdf": ("ACME CORPORATION", 2021, "CONSOLIDATED STATEMENTS OF OPERATIONS",
                          [("Net revenue", "5,012", "4,321"), ("Cost of revenue", "2,480", "2,100"),
                           ("Operating income", "1,530", "1,221"), ("Net income", "1,002", "877")]),
    "GLOBEX_2021_10K.pdf": ("GLOBEX INC.", 2021, "CONSOLIDATED BALANCE SHEETS",
                            [("Cash and cash equivalents", "812", "640"), ("Inventories", "1,310", "1,122"),
                             ("Total current assets", "2,905", "2,410"), ("Total assets", "9,876", "9,020")]),
}  # fmt: skip
PROSE = (
    "The company designs and sells industrial products to customers around the world. Demand for our "
    "products depends on economic conditions, and competition in our markets is intense. We invest in "
    "research and development and in our manufacturing plants to improve quality and reduce costs."
)


def _filing(path: Path, registrant: str, year: int, title: str, rows: list[tuple[str, str, str]]) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(612, 792))
    c.setFont("Helvetica", 10)
    cover = ["UNITED STATES SECURITIES AND EXCHANGE COMMISSION", "FORM 10-K",
             f"For the fiscal year ended December 31, {year}", registrant,
             "(Exact name of registrant as specified in its charter)"]  # fmt: skip
    for n, line in enumerate(cover):
        c.drawString(72, 720 - 16 * n, line)
    c.showPage()
    for _page in range(2):  # business and risk prose: words of the question, no figures
        c.setFont("Helvetica", 10)
        for n in range(12):
            c.drawString(72, 720 - 14 * n, PROSE[n * 20 : n * 20 + 90] or "revenue and income")
        c.showPage()
    c.setFont("Helvetica-Bold", 12)
    c.drawString(150, 740, f"{registrant} {title}")
    c.setFont("Helvetica", 10)
    c.drawString(200, 724, "(Amounts in millions)")
    c.drawString(380, 700, "Year Ended December 31,")
    c.drawRightString(430, 686, str(year))
    c.drawRightString(520, 686, str(year - 1))
    for n, (label, this, last) in enumerate(rows):
        y = 668 - 14 * n
        c.drawString(72, y, label)
        c.drawRightString(430, y, this)
        c.drawRightString(520, y, last)
    c.showPage()
    c.save()


def test_the_statement_page_of_the_filing_a_question_names_comes_first(
    svc, tmp_path: Path, monkeypatch
) -> None:
    from eval import datasets
    from eval.page_retrieval import PER_DOCUMENT, compare_page_retrieval

    root = tmp_path / "fb"
    (root / "pdfs").mkdir(parents=True)
    for name, (registrant, year, title, rows) in FILINGS.items():
        _filing(root / "pdfs" / name, registrant, year, title, rows)
    questions = [
        ("q-acme-21", "What was ACME's net revenue in FY2021?", "ACME_2021_10K.pdf"),
        ("q-acme-20", "What was ACME's FY2020 net income in its income statement?", "ACME_2020_10K.pdf"),
        ("q-globex", "How much were Globex's total assets at the end of FY2021?", "GLOBEX_2021_10K.pdf"),
    ]  # fmt: skip
    with (root / "questions.jsonl").open("w") as fh:
        for qid, q, doc in questions:
            evidence = [{"document": doc, "page": 4, "evidence": ""}]
            fh.write(json.dumps({"id": qid, "question": q, "answer": "", "justification": "",
                                 "question_type": "", "reasoning": "", "document": doc,
                                 "evidence": evidence}) + "\n")  # fmt: skip
    monkeypatch.setattr(datasets, "FINANCEBENCH_DIR", root)
    result = compare_page_retrieval("financebench", svc, half="all", k=10, baseline=False, per_document=True)

    # what was indexed: the statement as rows under their column headers, the cover as metadata
    payloads = [p for _, p in svc.store.iter_payloads()]
    statement = [p for p in payloads if p.get("kind") == "table" and p["path"] == "ACME_2021_10K.pdf"]
    assert statement and "| Net revenue | 5,012 | 4,321 |" in statement[0]["text"]
    assert "| Year Ended December 31, | 2021 | 2020 |" in statement[0]["text"]
    acme21 = next(p for p in payloads if p["path"] == "ACME_2021_10K.pdf")
    assert (acme21["company"], acme21["form"], acme21["fiscal_year"]) == ("ACME CORPORATION", "10-K", 2021)

    ours, per_doc = result.rows
    assert per_doc.pipeline == f"ours {PER_DOCUMENT}"
    for qid, _q, _doc in questions:
        assert ours.per_query[qid]["page_hit@1"], qid  # the right filing (of two ACME years) and page
        assert per_doc.per_query[qid]["page_hit@1"], qid
