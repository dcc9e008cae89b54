from __future__ import annotations

import pytest

from app.subquestions import names_document, split_question


@pytest.mark.unit
@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "How many freshwater ducks were counted in 2020 according to the duck survey slide and the duck"
            " observations spreadsheet?",
            [
                "How many freshwater ducks were counted in 2020 according to the duck survey slide?",
                "How many freshwater ducks were counted in 2020 according to the duck observations"
                " spreadsheet?",
            ],
        ),
        (
            "Do the Quarterly Duck Survey slide and the duck observations spreadsheet agree on the number of"
            " freshwater ducks in 2022?",
            [
                "What is the number of freshwater ducks in 2022 according to the Quarterly Duck Survey"
                " slide?",
                "What is the number of freshwater ducks in 2022 according to the duck observations"
                " spreadsheet?",
            ],
        ),
        (
            "What were total sales in January–June 2023 and in January–June 2022 in the segment analyses?",
            [
                "What were total sales in January–June 2023 in the segment analyses?",
                "What were total sales in January–June 2022 in the segment analyses?",
            ],
        ),
        (
            "What was Amazon's revenue in FY2016 and FY2017?",
            ["What was Amazon's revenue in FY2016?", "What was Amazon's revenue in FY2017?"],
        ),
    ],
)
def test_a_question_naming_two_documents_or_periods_becomes_one_question_about_each(
    question: str, parts: list[str]
) -> None:
    assert [sub.text for sub in split_question(question)] == parts


@pytest.mark.unit
@pytest.mark.parametrize(
    "question",
    [
        "How many WARN notices were received between July 2015 and March 2016, and how many employees?",
        "How much has the effective tax rate of Corning changed between FY2021 and FY2022?",
        "Has CVS Health reported any ongoing legal battles from 2022, 2021 and 2020?",
        "What is Amazon's year-over-year change in revenue from FY2016 to FY2017?",
        "In the scanned Huckleberry Finn page, what did Huck get when he prayed, and what was missing?",
        "What does the text file attached to the 'Fake email with attachment' message say?",
    ],
)
def test_a_range_a_list_or_one_document_stays_one_question(question: str) -> None:
    assert split_question(question) == []


@pytest.mark.unit
def test_a_document_is_recognised_by_the_words_the_question_names_it_with() -> None:
    assert names_document("duck observations spreadsheet", "duck-observations-spreadsheet.csv") == 1.0
    assert names_document("Quarterly Duck Survey slide", "Quarterly Duck Survey slides.pptx") == 1.0
    assert names_document("duck observations spreadsheet", "duck-survey-slides.md") == pytest.approx(1 / 3)
    assert names_document("the report", "") == 0.0
