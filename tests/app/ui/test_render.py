"""Pure helpers behind the Ask page's rendering."""

from __future__ import annotations

import pytest

from app.ui import render

pytestmark = pytest.mark.unit


def test_markers_link_to_their_source_cards_only_when_the_source_is_shown() -> None:
    text = "Thirty days [1]. Expire in March [2]. Odd [7]."
    out = render.link_markers(text, 5, {1, 2})
    assert "[\\[1\\]](#src-5-1)" in out and "[\\[2\\]](#src-5-2)" in out
    assert "\\[7\\]" in out and "#src-5-7" not in out


def test_cited_words_are_highlighted_and_the_rest_escaped() -> None:
    answer = "Every employee gets 30 vacation days [1]. Other claim [2]."
    words = render.cited_words(answer, 1)
    assert {"employee", "vacation", "days"} <= words and "other" not in words
    html = render.highlight("<b>Employees</b>: every employee has 30 vacation days.", words)
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert "<mark>employee</mark>" in html and "<mark>vacation</mark>" in html
    assert "<mark>has</mark>" not in html


def test_provenance_labels_fallback_extractive_and_cache() -> None:
    assert "no language model" in render.provenance({"backend": "extractive"})[0]
    fallback = render.provenance({"backend": "extractive", "fallback_reason": "timed out"})
    assert fallback[0] == "Quoted from the sources, not written by the language model: timed out"
    cached = render.provenance({"backend": "local", "model": "qwen", "cache_hit": True})
    assert "qwen" in cached[0] and "cache" in cached[1]
    # a refusal quotes nothing and is written from no source: no label says otherwise
    assert render.provenance({"backend": "local", "model": "qwen", "refused": True}) == []


def test_md_escape_shows_text_literally() -> None:
    assert render.md_escape("[click](javascript:x) **b**") == "\\[click\\]\\(javascript\\:x\\) \\*\\*b\\*\\*"
    assert render.pages_label({"page": 2, "page_end": 3}) == "pp. 2–3"
    assert render.pages_label({"page": 4, "page_end": 4}) == "p. 4"


def test_source_cards_show_the_location_of_the_citation() -> None:
    """The card says where to look: a sheet and its rows, a heading path, a printed page label."""
    sheet = {"page": 2, "page_end": 2, "location": "sheet Revenue, rows 4–9"}
    assert render.pages_label(sheet) == "sheet Revenue, rows 4–9"
    pdf = {"page": 12, "page_end": 12, "location": "p. 12 (printed 10)"}
    assert render.pages_label(pdf) == "p. 12 (printed 10)"
    old = {"page": 1, "page_end": 1}  # an answer from before locations were stored
    assert render.pages_label(old) == "p. 1"
    verified = {"page": 1, "page_end": 1, "verified_by": "rita", "verified_at": "2026-01-02"}
    assert render.pages_label(verified) == "Verified by rita, 2026-01-02"
