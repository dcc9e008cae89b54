"""Figures and names of a generated answer must be in its cited sources (app/grounding.py)."""

from __future__ import annotations

import pytest

from app.grounding import names, numbers, only_markers, ungrounded

TABLE = "| Level | Min | Max |\n| Senior Engineer | 72,000 | 92,000 |\n| Director | 110,000 | 140,000 |"
FILING = "(in millions) Total net revenues 34,229; capital expenditures 1,749 in fiscal 2022."


@pytest.mark.unit
@pytest.mark.parametrize(
    ("answer", "missing"),
    [
        ("A senior engineer earns 72,000 to 92,000 [1].", []),
        ("A senior engineer earns 72000 to 92000 [1].", []),  # 1,234 = 1234
        (
            "The senior band tops out at 140,000 [1].",
            [],
        ),  # in the table (the director's: wrong row, not a figure)
        ("The senior band is 72,000 to 95,000 [1].", ["95,000"]),  # a misread figure
        ("Revenue was $34.2 billion in fiscal 2022 [1].", []),  # in millions, rounded
        ("Revenue was $34.2 million [1].", ["34.2 million"]),  # a thousandfold off
        ("Capital expenditures were 1,749 [1].", []),
        ("Revenue grew in fiscal 2021 [1].", ["2021"]),  # a shifted year
        ("Ask Eva Lindner in HR [1].", ["Eva Lindner"]),  # an invented name
        ("Employees earn 5.1% more [1].", ["5.1%"]),
    ],
)
def test_ungrounded_finds_figures_and_names_the_sources_do_not_hold(answer: str, missing: list[str]) -> None:
    assert ungrounded(answer, [TABLE, FILING]) == missing


@pytest.mark.unit
def test_numbers_names_and_bare_markers() -> None:
    assert numbers("12% of 1.5 bn and 3,400 [2]") == [("12%", 12.0), ("1.5 bn", 1.5e9), ("3,400", 3400.0)]
    assert names("Wednesday replaces Tuesday. The office of Maria Keller approves it.") == ["Maria Keller"]
    assert names("Employees in Germany get 30 days.") == ["Germany"]  # not the sentence's first word
    assert only_markers("[1] [2].") and only_markers("  ") and not only_markers("Yes [1].")
