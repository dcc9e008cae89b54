"""Blocks from words (ingest.pdf_layout): pure functions on hand-placed fake words."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ingest.pdf_layout import blocks, segments


@dataclass
class FakeWord:  # a word as ingest.pdf_words gives it, placed by hand
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float = 10.0


def line(text: str, x: float, top: float, size: float = 10.0, gap: float = 3.0) -> list[FakeWord]:
    out = []
    for word in text.split():
        width = 5.0 * len(word)
        out.append(FakeWord(word, x, top, x + width, top + size, size))
        x += width + gap
    return out


def texts(found: list) -> list[str]:
    return [" ".join(w.text for ln in b.lines for w in ln) for b in found]


@pytest.mark.unit
def test_lines_close_together_make_one_paragraph_and_a_wide_gap_starts_another() -> None:
    words = line("first line of a", 50, 100) + line("paragraph here", 50, 112)
    words += line("next paragraph", 50, 140)
    assert texts(blocks(words)) == ["first line of a paragraph here", "next paragraph"]


@pytest.mark.unit
def test_two_columns_read_column_by_column_in_drawing_order() -> None:
    left = line("left one", 50, 100) + line("left two", 50, 112)
    right = line("right one", 300, 100) + line("right two", 300, 112)
    assert texts(blocks(left + right)) == ["left one left two", "right one right two"]
    assert texts(blocks(right + left)) == ["right one right two", "left one left two"]


@pytest.mark.unit
def test_a_larger_heading_right_above_a_subheading_stays_apart() -> None:
    words = line("3. Working time", 50, 100, size=14) + line("3.1 Regular hours", 50, 116, size=11)
    assert texts(blocks(words)) == ["3. Working time", "3.1 Regular hours"]


@pytest.mark.unit
def test_a_line_is_cut_at_a_gap_wider_than_one_and_a_half_ems() -> None:
    words = line("Net sales", 50, 100) + line("118,573", 300, 100)
    assert [[w.text for w in s] for s in segments(words)] == [["Net", "sales"], ["118,573"]]


@pytest.mark.unit
def test_lines_set_one_and_a_half_apart_stay_apart_and_single_spaced_lines_join() -> None:
    spaced = line("Engineering", 60, 100, size=12) + line("The band is 80,000 EUR.", 60, 118, size=12)
    assert texts(blocks(spaced)) == ["Engineering", "The band is 80,000 EUR."]
    tight = line("Engineering", 60, 100, size=12) + line("The band is 80,000 EUR.", 60, 114, size=12)
    assert texts(blocks(tight)) == ["Engineering The band is 80,000 EUR."]
