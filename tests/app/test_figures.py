"""Figures that need arithmetic are computed by code from the statements' line items (app/figures.py)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from app.figures import (
    Item,
    Op,
    compute_answer,
    describe,
    find_item,
    is_primary_statement,
    items,
    line_items,
    parse_formula,
    resolve,
)
from tests.conftest import SHARED_DATA

# A made-up statement laid out in columns, as a PDF's text layer reads (two years, in millions).
INCOME = """                    EXAMPLE CORP. CONSOLIDATED STATEMENTS OF OPERATIONS
                              (in millions, except per share data)
                                              Year Ended December 31,
                                            2022            2021
Net sales                               $  12,000       $  10,000
Cost of sales                               7,000           6,500
Loss on extinguishment of debt                 —               40
Net income                              $   1,100       $    (200)
"""
BALANCE = """| | December 31, 2022 | December 31, 2021 |
| --- | --- | --- |
| Inventories | 3,000 | 4,000 |
| Accounts payable | 2,500 | 1,500 |
| Property and equipment, net | 900 | 700 |
"""


@pytest.mark.unit
def test_line_items_read_column_layouts_and_markdown_rows() -> None:
    income = line_items(INCOME)
    assert income is not None and income.years == [2022, 2021] and income.scale == "millions"
    assert income.rows["net sales"] == {2022: 12000.0, 2021: 10000.0}
    assert income.rows["net income"] == {2022: 1100.0, 2021: -200.0}  # (200) is negative
    assert income.rows["loss on extinguishment of debt"] == {2022: 0.0, 2021: 40.0}  # — is zero
    balance = line_items(BALANCE)
    assert balance is not None and balance.rows["inventories"] == {2022: 3000.0, 2021: 4000.0}
    assert line_items("No table here, only prose from 2021 and 2022.") is None


@pytest.mark.unit
def test_metrics_find_their_rows_by_synonym() -> None:
    income, balance = line_items(INCOME), line_items(BALANCE)
    assert find_item(income, "revenue")[0] == "net sales"
    assert find_item(income, "COGS")[0] == "cost of sales"
    assert find_item(balance, "PP&E")[0] == "property and equipment, net"
    assert find_item(balance, "inventory")[0] == "inventories"
    assert find_item(income, "goodwill") is None


@pytest.mark.unit
@pytest.mark.parametrize(
    ("question", "needs"),
    [
        (
            "What is the FY2022 DPO? DPO is defined as: 365 * (average accounts payable between FY2021 "
            "and FY2022) / (FY2022 COGS + change in inventory between FY2021 and FY2022). Round to two "
            "decimal places.",
            {("accounts payable", 2021), ("accounts payable", 2022), ("COGS", 2022), ("inventory", 2021),
             ("inventory", 2022)},
        ),
        ("What is the year-over-year change in revenue from FY2021 to FY2022 in percent?",
         {("revenue", 2021), ("revenue", 2022)}),
        ("What is the FY2021 - FY2022 total revenue growth rate?",
         {("total revenue", 2021), ("total revenue", 2022)}),
        ("What was capex as a % of revenue in FY2022 for Example Corp?",
         {("capex", 2022), ("revenue", 2022)}),
        ("How many vacation days do I get?", None),
    ],
)  # fmt: skip
def test_the_computation_a_question_asks_for(question: str, needs: set | None) -> None:
    formula = parse_formula(question)
    if needs is None:
        assert formula is None
    else:
        assert formula is not None and {(i.metric, i.year) for i in items(formula.expr)} == needs


@pytest.mark.unit
def test_the_computation_is_done_by_code_and_shown_with_each_cited_figure() -> None:
    question = (
        "What is the FY2022 DPO? DPO is defined as: 365 * (average accounts payable between FY2021 and "
        "FY2022) / (FY2022 COGS + change in inventory between FY2021 and FY2022). Round to two decimal "
        "places."
    )
    formula = parse_formula(question)
    assert formula.expr == Op(
        "/",
        (
            Op("*", (365.0, Op("avg", (Item("accounts payable", 2021), Item("accounts payable", 2022))))),
            Op("+", (Item("COGS", 2022), Op("-", (Item("inventory", 2022), Item("inventory", 2021))))),
        ),
    )
    figures = resolve(formula, [(1, line_items(INCOME)), (2, line_items(BALANCE))])
    value, text = describe(formula, figures)
    assert value == pytest.approx(365 * 2000 / (7000 - 1000))
    assert text.startswith(
        "DPO = (365 × ((1,500 [2] + 2,500 [2]) / 2)) / (7,000 [1] + (3,000 [2] − 4,000 [2])) = 121.67"
    )
    assert "cost of sales FY2022: 7,000 [1]" in text
    assert resolve(parse_formula("What is the FY2019 revenue growth from FY2018 to FY2019?"), []) is None


@pytest.mark.unit
def test_an_answer_computed_from_the_sources_cites_the_ones_it_used() -> None:
    question = "What is the year-over-year change in revenue from FY2021 to FY2022 in percent?"
    prose = (1, "Example Corp sells widgets. Revenue grew strongly in 2022 compared to 2021.")
    done = compute_answer(question, [prose, (2, BALANCE), (3, INCOME)])
    assert done is not None and done.value == pytest.approx(20.0) and done.sources == [3]
    assert "(12,000 [3] − 10,000 [3]) / 10,000 [3]" in done.text and done.text.endswith(
        "Figures used: net sales FY2022: 12,000 [3]; net sales FY2021: 10,000 [3]."
    )
    # a figure the sources lack (FY2020), or a question that asks for no arithmetic: nothing computed
    assert compute_answer("What is the revenue growth from FY2020 to FY2021?", [(3, INCOME)]) is None
    assert compute_answer("Who is the CEO of Example Corp?", [(3, INCOME)]) is None


FB = SHARED_DATA / "financebench-dev"


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (scripts/setup.sh) is missing")
def test_the_financebench_metric_questions_are_computed_right_from_their_evidence_pages() -> None:
    """Given the statement pages (their text layer in reading layout), the formula, the line items and
    the arithmetic give the analysts' answers: 6 of the 6 dev questions that define a computation."""
    rows = [json.loads(line) for line in (FB / "questions.jsonl").read_text().splitlines() if line.strip()]
    done = {}
    for q in rows:
        formula = parse_formula(q["question"])
        if formula is None:
            continue
        statements = []
        for n, ev in enumerate(q["evidence"], 1):
            text = subprocess.run(
                ["pdftotext", "-layout", "-f", str(ev["page"]), "-l", str(ev["page"]),
             str(FB / "pdfs" / q["document"]), "-"],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            if statement := line_items(text):
                statements.append((n, statement))
        figures = resolve(formula, statements)
        done[q["id"]] = round(describe(formula, figures)[0], formula.decimals or 2) if figures else None
    assert done == {
        "financebench_id_02987": 24.26,
        "financebench_id_07966": 1.9,
        "financebench_id_06655": 93.86,
        "financebench_id_08135": 30.8,
        "financebench_id_03838": 101.5,
        "financebench_id_04103": -3.70,
    }


# A segment table as a 10-K's PDF gives it: the header's "2020" lost, the columns are 2020, 2019, 2018.
BROKEN_HEADER = """Year Ended December 31, 2019
| Total segment revenue $ | 9,497,578 | $ | 4,567,587 | $ | 3,149,569 |
| --- | --- | --- | --- | --- | --- |
| Caviar revenue | — | 145,913 |  | 148,608 |  |
| Total net revenue $ | 9,497,578 | $ | 4,713,500 | $ | 3,298,177 |"""
QUARTERS = (
    "Quarterly Results of Operations 2020 2019\n| Total net revenue | 3,158,970 | 3,033,874 | 1,923,625 |"
    " 1,381,109 | 1,313,429 | 1,266,474 | 1,174,238 | 959,359 |"
)


@pytest.mark.unit
def test_a_filings_columns_are_its_fiscal_year_and_earlier_when_the_header_lost_a_year() -> None:
    assert line_items(BROKEN_HEADER) is None  # the years the columns hold are not in the text
    st = line_items(BROKEN_HEADER, fiscal_year=2020)
    assert st is not None and st.rows["total net revenue"] == {2020: 9497578, 2019: 4713500, 2018: 3298177}
    # "total revenue" is the total net revenue row, not the segment total that shares its words
    assert find_item(st, "total revenue") == ("total net revenue", st.rows["total net revenue"])
    # eight quarters under two years are not eight years
    assert line_items(QUARTERS, fiscal_year=2020) is None
    done = compute_answer(
        "What is the FY2019 - FY2020 total revenue growth rate? Answer in percents.",
        [(1, BROKEN_HEADER)],
        2020,
    )
    assert done is not None and round(done.value, 1) == 101.5


@pytest.mark.unit
def test_a_primary_statement_without_years_reads_as_the_filings_latest_years() -> None:
    text = (
        "| Total cost of revenue | 6,764,169 |  | 2,823,815 |  | 1,994,477 |  |\n"
        "| Gross profit | 2,733,409 | | 1,889,685 |"
    )
    assert line_items(text, 2020) is None  # not known to be a statement: its columns could be anything
    st = line_items(text, 2020, primary=True)
    assert st is not None and st.rows["total cost of revenue"] == {
        2020: 6764169,
        2019: 2823815,
        2018: 1994477,
    }
    assert st.rows["gross profit"] == {2020: 2733409, 2019: 1889685}
    assert is_primary_statement("SQUARE, INC. CONSOLIDATED STATEMENTS OF OPERATIONS")
    assert is_primary_statement("Consolidated Balance Sheets") and not is_primary_statement(
        "Selected financial data"
    )


@pytest.mark.unit
def test_a_row_named_as_the_metric_in_any_statement_wins_over_a_row_that_only_shares_its_words() -> None:
    costs = line_items("| Total cost of revenue | 6,764,169 | 2,823,815 |", 2020, primary=True)
    income = line_items(BROKEN_HEADER, 2020)
    assert costs is not None and income is not None
    formula = parse_formula("What is the FY2019 - FY2020 total revenue growth rate?")
    assert formula is not None
    figures = resolve(formula, [(1, costs), (2, income)])
    assert figures is not None
    assert {f.label for f in figures.values()} == {"total net revenue"} and {
        f.source for f in figures.values()
    } == {2}
