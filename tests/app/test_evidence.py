"""Evidence a reader can check (app/evidence.py and its use in app/answer/): the quoted table row
carries its headers and row label, an e-mail is answered from its body, the unit picked holds what the
question asks for."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from app.answer import Answerer, extractive_answer
from app.evidence import (
    asks_about_header,
    email_roles,
    found_terms,
    haystack,
    holds_answer,
    question_type,
    specific_terms,
    table_view,
)
from app.retrieve import Passage

pytestmark = pytest.mark.unit


def passage(text: str, title: str = "doc.pdf", kind: str = "text", **kw: object) -> Passage:
    payload = {"text": text, "title": title, "path": title, "doc_id": "d1", "kind": kind, "version": 1}
    payload |= {"page_start": 1, "page_end": 1, "section": ""} | kw
    return Passage(id=f"p-{len(text)}", score=1.0, payload=payload)


class FlatEmbedder:
    """Every text embeds alike: the choice of unit rests on the evidence rules alone."""

    @staticmethod
    def counter(text: str) -> int:
        return len(text.split())

    @staticmethod
    def embed_documents(texts: Sequence[str]) -> np.ndarray:
        return np.full((len(texts), 4), 0.5, dtype=np.float32)


def pick(question: str, passages: Sequence[Passage], max_units: int = 1) -> str:
    """The quick answer's first ``max_units`` units for ``question`` over ``passages``."""
    answerer = Answerer(None, FlatEmbedder(), context_tokens=400)
    sources = answerer.select_evidence(np.full(4, 0.5, dtype=np.float32), passages, question=question)
    return extractive_answer(sources, max_units=max_units)


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("How many vacation days do I get?", "number"),
        ("What is the maximum salary for a Senior Engineer?", "number"),
        ("When is the invoice due?", "date"),
        ("In which year did the policy change?", "date"),
        ("Who approved the budget?", "name"),
        ("Where is the offsite held?", "place"),
        ("Summarise the remote work policy.", "other"),
    ],
)
def test_question_type_names_what_is_asked_for(question: str, qtype: str) -> None:
    assert question_type(question) == qtype


def test_a_table_row_is_quoted_with_its_label_and_column_headers() -> None:
    header = "| Role | Min | Max |\n| --- | --- | --- |"
    assert (
        table_view(header, "| Senior Engineer | 72,000 | 92,000 |")
        == "Senior Engineer — Min 72,000 · Max 92,000"
    )
    # the column the question names comes alone when it holds what is asked for
    asked = table_view(header, "| Director | 110,000 | 140,000 |", "What is the max for a Director?")
    assert asked == "Director — Max 140,000"
    # a sheet's title comes first
    assert table_view(header, "| Junior | 40,000 | 52,000 |", title="Bands 2025").startswith(
        "Bands 2025: Junior"
    )


def test_a_year_or_date_column_stays_with_the_row_it_names() -> None:
    header = "| Year | Observer | Freshwater ducks | Sea ducks |"
    row = "| 2022 | Lake team | 170 | 41 |"
    assert table_view(header, row) == "Year 2022, Lake team — Freshwater ducks 170 · Sea ducks 41"
    # even when the question names only another column
    asked = table_view(
        "| Date | Site | Count |", "| 2022-03-01 | North | 12 |", "What count did the site report?"
    )
    assert asked == "Date 2022-03-01, North — Count 12"


def test_the_quick_answer_quotes_the_asked_row_with_its_headers() -> None:
    table = passage(
        "Salary bands\n| Role | Min | Max |\n| --- | --- | --- |\n| Junior Engineer | 50,000 | 64,000 |\n"
        "| Senior Engineer | 72,000 | 92,000 |\n| Director | 110,000 | 140,000 |",
        title="bands.xlsx",
        kind="table",
    )
    out = pick("What are the salary bands for a Senior Engineer?", [table])
    assert out == "Senior Engineer — Min 72,000 · Max 92,000 [1]"


EMAIL = "\n".join(
    [
        "Subject: Parking fee for the new garage",
        "From: Anna Keller <anna@example.com>",
        "Hi all, the parking fee for the new garage is 45 EUR per month.",
        "Best regards,",
        "Anna Keller, Facilities, phone 555 0199",
        "On Mon, 3 March 2025, Tom Berg wrote:",
        "> What is the parking fee for the new garage going to be?",
    ]
)


def test_email_units_are_told_apart() -> None:
    units = EMAIL.splitlines()
    assert email_roles(units) == ["header", "header", "body", "signature", "signature", "quoted", "quoted"]
    assert asks_about_header("Who sent the e-mail about the garage?")
    assert not asks_about_header("What is the parking fee for the new garage?")


def test_an_email_is_answered_from_its_body_not_its_subject_signature_or_quoted_reply() -> None:
    mail = passage(EMAIL, title="garage.eml", message="<1@example.com>")
    out = pick("What is the parking fee for the new garage?", [mail])
    assert out == "Hi all, the parking fee for the new garage is 45 EUR per month. [1]"


def test_the_unit_must_hold_what_is_asked_beyond_the_question_itself() -> None:
    question = "How many checks were processed in November 2015?"
    assert holds_answer("In November 2015 the bank processed 264,140 checks.", question)
    assert not holds_answer("Checks processed in November 2015 are listed below.", question)


def test_specific_terms_are_matched_whole() -> None:
    assert specific_terms("What did the NW-600 cost in 2026 in Japan?") == ["nw-600", "2026", "japan"]
    hay = haystack("Orders of 1309 units; model 2145_1", path="reports/nw_600-price.pdf")
    assert found_terms(["13", "2145_2", "1309", "nw"], hay) == ["1309", "nw"]
    # a month is found under its name in another language
    assert found_terms(["june"], haystack("Réunion du 3 juin")) == ["june"]
