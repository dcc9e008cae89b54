"""Borderless tables of figures rebuilt from word boxes (ingest/numeric_tables.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ingest.numeric_tables import find_tables, is_figure, lines_of, shared_prefix

pytestmark = pytest.mark.unit

SIZE = 9.0
SPACE = 2.5  # gap between the words of one cell
CHAR = 4.5  # width of one character


@dataclass(frozen=True)
class W:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float = SIZE


def line(top: float, *cells: tuple[float, str], right: bool = False) -> list[W]:
    """Words of one line: each (x, text) cell starts at x (or, with ``right``, ends there for the
    cells after the first: figures are set flush right)."""
    out: list[W] = []
    for i, (x, text) in enumerate(cells):
        width = sum(len(t) * CHAR + SPACE for t in text.split()) - SPACE
        x = x - width if right and i else x
        for word in text.split():
            out.append(W(word, x, x + len(word) * CHAR, top, top + SIZE))
            x += len(word) * CHAR + SPACE
    return out


def statement() -> list[W]:
    """A balance sheet as a 10-K sets it: title, column headers, labels left, figures right."""
    words: list[W] = []
    words += line(40, (200, "CONSOLIDATED BALANCE SHEETS"))
    words += line(52, (210, "(Amounts in millions)"))
    words += line(70, (420, "At December 31, 2019"), (515, "At December 31, 2018"))
    words += line(84, (20, "Assets"))
    words += line(97, (20, "Current assets:"))
    rows = [("Cash and cash equivalents", "$ 5,794", "$ 4,225"), ("Inventories, net", "32", "43"),
            ("Total current assets", "7,292", "6,106"), ("Goodwill", "9,764", "9,762"),
            ("Total assets", "$ 19,845", "$ 17,890")]  # fmt: skip
    for n, (label, a, b) in enumerate(rows):
        words += line(110 + 13 * n, (30, label), (492, a), (578, b), right=True)
    words += line(190, (40, "The accompanying notes are an integral part of these Consolidated Financial"))
    return words


def test_figures_and_not_words() -> None:
    for text in ["5,794", "(5,563)", "$ 1.2", "12.5%", "—", "n/a", "2019", "1,192,093,991"]:
        assert is_figure(text), text
    for text in ["Total assets", "2019 and 2018", "Note 23", "F-4", "10-K"]:
        assert not is_figure(text), text


def test_cells_split_at_wide_gaps_and_a_currency_sign_joins_its_figure() -> None:
    (only,) = lines_of(line(10, (30, "Total assets"), (470, "$"), (500, "19,845")))
    assert [c.text for c in only.cells] == ["Total assets", "19,845"]


def test_a_statement_becomes_rows_with_their_labels_under_the_column_headers() -> None:
    (table,) = find_tables(statement())
    assert table.rows[0] == ["At December 31,", "2019", "2018"]
    assert ["Cash and cash equivalents", "5,794", "4,225"] in table.rows
    assert table.rows[-1] == ["Total assets", "19,845", "17,890"]
    assert table.rows[1:3] == [["Assets", "", ""], ["Current assets:", "", ""]]  # kept as body rows
    x0, top, x1, bottom = table.bbox
    assert top == 70 and bottom < 190  # the title above and the note below stay text


def test_the_page_number_under_a_statement_is_no_column() -> None:
    """Amazon's 2017 balance sheet: the page number "40" close under the last row made a third,
    empty column that took the header "2016" twice."""
    words = statement() + line(180, (301, "40"))
    words = [w for w in words if w.top != 190]  # no note between the last row and the page number
    (table,) = find_tables(words)
    assert table.rows[0] == ["At December 31,", "2019", "2018"]
    assert table.rows[-1] == ["Total assets", "19,845", "17,890"]


def test_a_header_spanning_columns_heads_each_of_them() -> None:
    words = line(60, (400, "Year Ended December 31,"))
    words += line(72, (380, "2019"), (460, "2018"), (540, "2017"))
    for n, label in enumerate(["Net sales", "Cost of sales", "Net income"]):
        words += line(86 + 13 * n, (20, label), (400, "1,000"), (480, "900"), (560, "800"), right=True)
    (table,) = find_tables(words)
    assert table.rows[0] == ["Year Ended December 31,", "2019", "2018", "2017"]
    assert table.rows[-1] == ["Net income", "1,000", "900", "800"]


def test_prose_with_figures_is_not_a_table() -> None:
    words: list[W] = []
    for n in range(6):
        words += line(20 + 13 * n, (20, f"Net sales grew 12% to $5,794 million in 2019 from {n} a year ago"))
    assert find_tables(words) == []


def test_too_few_rows_or_no_labels_is_not_a_table() -> None:
    two = line(10, (20, "Revenue"), (400, "5"), right=True) + line(23, (20, "Cost"), (400, "3"), right=True)
    assert find_tables(two) == []
    axis = [w for n in range(5) for w in line(10 + 13 * n, (300, str(10 * n)), (400, str(n)))]
    assert find_tables(axis) == []


def test_words_of_a_table_found_already_are_left_out() -> None:
    assert find_tables(statement(), exclude=[(0, 0, 700, 800)]) == []


def test_shared_header_words_move_over_the_labels() -> None:
    heads = ["For the Years Ended December 31, 2019", "For the Years Ended December 31, 2018"]
    assert shared_prefix("", heads) == ("For the Years Ended December 31,", ["2019", "2018"])
    assert shared_prefix("(in millions)", heads) == ("(in millions)", heads)
    assert shared_prefix("", ["2019", "2018"]) == ("", ["2019", "2018"])
