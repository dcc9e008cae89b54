"""Which documents a question names: the company and the period it asks about. Pure.

Filings carry their registrant, form and fiscal year in every chunk's payload (ingest/docmeta.py).
A question that names a company ("What is Amazon's FY2017 days payable outstanding?") is about that
company's filing for that period, although the page that answers it (a balance sheet) names neither.
:func:`document_match` says how well a document's metadata matches what the question names, from 0
(names nothing of it) to 1 (names the company and its fiscal year as the latest year asked about):
retrieval adds it to the fused score of the document's passages (app/retrieve.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.docmeta import DocMeta

# Words of a company's name that do not tell companies apart.
GENERIC_NAME_WORDS = frozenset({
    "inc", "incorporated", "corp", "corporation", "company", "co", "companies", "the", "and", "of",
    "holdings", "holding", "group", "plc", "ltd", "limited", "llc", "lp", "sa", "ag", "nv", "se", "com",
})  # fmt: skip
_WORD = re.compile(r"[a-z0-9]+")
_ACRONYM = re.compile(r"\b[A-Z][A-Z&]{1,5}\b")
_YEAR = re.compile(r"(?<![\d.,$])(?:fy\s?)?((?:19|20)\d\d)(?!\d)(?![,.]\d)", re.IGNORECASE)
_SHORT_FY = re.compile(r"\bfy\s?'?(\d\d)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Asked:
    """What a question names: its words (lowercase), the words it writes in capitals, its years."""

    words: frozenset[str]
    acronyms: frozenset[str]
    years: tuple[int, ...]


def asked(question: str) -> Asked:
    years = {int(y) for y in _YEAR.findall(question)} | {2000 + int(y) for y in _SHORT_FY.findall(question)}
    return Asked(
        frozenset(_WORD.findall(question.lower())),
        frozenset(a.lower() for a in _ACRONYM.findall(question)),
        tuple(sorted(years)),
    )


def name_words(company: str) -> list[str]:
    """The words that tell a company apart: "AMAZON.COM, INC." -> ["amazon"]."""
    return [w for w in _WORD.findall(company.lower()) if w not in GENERIC_NAME_WORDS and not w.isdigit()]


def name_match(q: Asked, company: str) -> float:
    """The share of the company's distinctive name words the question names; a word in capitals
    that begins one of them counts too ("JPM" for JPMorgan)."""
    names = name_words(company)
    if not names:
        return 0.0
    hit = sum(1 for w in names if w in q.words or any(len(a) >= 3 and w.startswith(a) for a in q.acronyms))
    return hit / len(names)


def period_match(q: Asked, meta: DocMeta) -> float:
    """1 when the latest year the question asks about is the document's fiscal year (later filings
    restate earlier years, not the other way round), 0.5 when it is another year asked about or the
    question asks none, 0 when the question asks only about other years."""
    year = meta.fiscal_year or (int(meta.period_end[:4]) if meta.period_end[:4].isdigit() else None)
    if not q.years or year is None:
        return 0.5
    if year == max(q.years):
        return 1.0
    return 0.5 if year in q.years else 0.0


def document_match(q: Asked, meta: DocMeta) -> float:
    """0 when the question does not name the document's company; else the name match, halved when
    the question asks about another period."""
    name = name_match(q, meta.company)
    return name * (0.5 + 0.5 * period_match(q, meta)) if name else 0.0
