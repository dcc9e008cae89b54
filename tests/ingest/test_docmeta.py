"""A filing's registrant, form and period read from its cover page (ingest/docmeta.py)."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.docmeta import DocMeta, embedding_text, fiscal_year_of, parse_date, parse_document_meta

pytestmark = pytest.mark.unit

TEN_K = [
    "UNITED STATES SECURITIES AND EXCHANGE COMMISSION Washington, D.C. 20549",
    "FORM 10-K",
    "x For the fiscal year ended December 31, 2017",
    "ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934",
    "Commission File No. 000-22513",
    "AMAZON.COM, INC.",
    "(Exact name of registrant as specified in its charter)",
    "Delaware (State or other jurisdiction of incorporation or organization)",
]


def test_a_10k_cover_gives_registrant_form_and_fiscal_year() -> None:
    meta = parse_document_meta(TEN_K)
    assert meta == DocMeta("AMAZON.COM, INC.", "10-K", "2017-12-31", 2017)
    assert meta.context() == "AMAZON.COM, INC. 10-K annual report FY2017 (fiscal year 2017)"


def test_the_registrant_on_the_same_line_and_a_10q_period() -> None:
    meta = parse_document_meta(
        [
            "FORM 10-Q",
            "QUARTERLY REPORT PURSUANT TO SECTION 13 OR 15(d) For the quarterly period ended March 31, 2021",
            "Commission file number 1-5805 JPMorgan Chase & Co. (Exact name of registrant as specified in "
            "its charter)",
        ]
    )
    assert meta == DocMeta("JPMorgan Chase & Co.", "10-Q", "2021-03-31", 2021)
    assert meta.context() == "JPMorgan Chase & Co. 10-Q quarterly report quarter ended March 31, 2021"


def test_an_8k_is_dated_by_its_event() -> None:
    meta = parse_document_meta(
        [
            "FORM 8-K",
            "Date of report (Date of earliest event reported): May 20, 2022 (May 18, 2022)",
            "Foot Locker, Inc. (Exact name of registrant as specified in charter)",
        ]
    )
    assert meta == DocMeta("Foot Locker, Inc.", "8-K", "2022-05-20", None)
    assert meta.context() == "Foot Locker, Inc. 8-K current report May 20, 2022"


def test_a_cover_whose_words_the_text_layer_glued() -> None:
    """As the 10-K covers of Costco, Corning and Block come out of the PDF text layer: words glued
    at line ends, the file number or a rule of underscores in front of the registrant."""
    costco = (
        "FORM 10-K☒ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIESEXCHANGE ACT OF "
        "1934For the fiscal year ended August 29, 2021or☐TRANSITION REPORT Commission file number "
        "0-20355Costco Wholesale Corporation(Exact name of registrant as specified in its charter)"
    )
    assert parse_document_meta([costco]) == DocMeta(
        "Costco Wholesale Corporation", "10-K", "2021-08-29", 2021
    )
    corning = [
        "Form 10-K ☒ANNUAL REPORT OF THE SECURITIES EXCHANGE ACT OF 1934For the fiscal year ended December "
        "31, 2022OR☐TRANSITION REPORT Commission file number:",
        "1-3247 CORNING INCORPORATED(Exact name of registrant as specified in its charter)New York",
    ]
    assert parse_document_meta(corning) == DocMeta("CORNING INCORPORATED", "10-K", "2022-12-31", 2022)
    block = ["FORM 10-K", "______________________ SQUARE, INC.", "(Exact name of registrant as specified)"]
    assert parse_document_meta(block).company == "SQUARE, INC."


def test_a_document_without_a_filing_cover_has_no_metadata() -> None:
    meta = parse_document_meta(["Travel policy", "Employees book trains for trips under 500 km."])
    assert not meta and meta.context() == "" and meta.to_payload() == {}
    assert embedding_text("", "body") == "body"
    assert embedding_text("ACME 10-K", "body") == "ACME 10-K\nbody"


def test_payload_round_trip() -> None:
    meta = parse_document_meta(TEN_K)
    assert DocMeta.from_payload(meta.to_payload() | {"text": "x"}) == meta
    assert DocMeta.from_payload({}) == DocMeta()


@pytest.mark.parametrize(
    ("end", "year"),
    [
        (date(2019, 12, 31), 2019),
        (date(2021, 8, 29), 2021),
        (date(2023, 1, 28), 2022),
        (date(2020, 2, 1), 2019),
    ],
)
def test_fiscal_years_ending_in_january_are_named_for_the_year_before(end: date, year: int) -> None:
    assert fiscal_year_of(end) == year


def test_dates_as_printed() -> None:
    assert parse_date("December 31, 2019") == date(2019, 12, 31)
    assert parse_date("Sept. 30 , 2020") == date(2020, 9, 30)
    assert parse_date("Smarch 3, 2020") is None
    assert parse_date("February 30, 2020") is None
