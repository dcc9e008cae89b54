"""Questions across documents or periods (issue 17 item 6). Pure.

A question that names two documents ("… according to the duck survey slide and the duck
observations spreadsheet?") or two periods ("total sales in January–June 2023 and in January–June
2022") is answered best as two sub-questions, each searched on its own: one search for both tends to
return the passages of whichever document or period matches the words best, and the other half of
the answer goes missing. :func:`split_question` gives the sub-questions, or none when the question
names one document and one period. A range ("between July 2015 and March 2016", "from FY2021 to
FY2022") is one period, not two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Nouns that name a document (the last word of "the Quarterly Duck Survey slide").
_DOC_NOUNS = (
    r"slides?|deck|presentation|spreadsheet|workbook|sheet|report|filing|10-?[KQ]|document|memo|"
    r"e-?mail|letter|message|survey|table|file|policy|handbook|contract|minutes|manual|notice|page|pdf"
)
_PHRASE = rf"(?:[\w'’.&-]+\s+){{0,5}}?(?:{_DOC_NOUNS})"
_TWO_DOCS = re.compile(
    rf"\bthe\s+(?P<a>{_PHRASE})\s+and\s+(?:the\s+|in\s+the\s+)?(?P<b>{_PHRASE})\b", re.IGNORECASE
)
_AGREE = re.compile(
    r"^(?:do|does|did)\s+(?P<docs>.+?)\s+(?:agree|match|differ|disagree)\s+(?:on|about|in)\s+(?P<what>.+?)\??$",
    re.IGNORECASE,
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:tember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_PERIOD = (
    rf"(?:{_MONTH}(?:\s*[–—-]\s*{_MONTH})?\s+|(?:q[1-4]|h[12])\s+(?:of\s+)?)?"
    r"(?:fy\s?|fiscal\s+(?:year\s+)?)?(?:19|20)\d\d(?:\s+q[1-4])?"
)
_TWO_PERIODS = re.compile(
    rf"(?P<before>\b(?:between|from|through|to|and|,)\s+)?(?P<a>\b{_PERIOD})\s+and\s+(?P<in>in\s+)?(?P<b>{_PERIOD})\b"
    r"(?!\s*,)",
    re.IGNORECASE,
)


_WORD = re.compile(r"[a-z0-9]+")
_NOT_NAMES = frozenset({"the", "a", "an", "of", "and", "in", "on", "for", "to", "test", "file"})


@dataclass(frozen=True)
class SubQuestion:
    text: str
    document: str = ""  # the document it is about ("duck survey slide"), when split by document


def split_question(question: str) -> list[SubQuestion]:
    """The sub-questions of a question naming two documents or two periods (each the question about
    one of them), or [] when it names at most one of each."""
    q = " ".join(question.split())
    docs = _TWO_DOCS.search(q)
    if docs and docs.group("a").lower() != docs.group("b").lower():
        agree = _AGREE.match(q)
        if agree and docs.start() >= agree.start("docs") and docs.end() <= agree.end("docs"):
            what = agree.group("what").rstrip("?")
            return [SubQuestion(f"What is {what} according to the {docs[n]}?", docs[n]) for n in ("a", "b")]
        return [
            SubQuestion(q[: docs.start()] + f"the {docs[n]}" + q[docs.end() :], docs[n]) for n in ("a", "b")
        ]
    periods = _TWO_PERIODS.search(q)
    if periods and not periods.group("before") and periods.group("a").lower() != periods.group("b").lower():
        return [SubQuestion(q[: periods.start("a")] + periods[n] + q[periods.end("b") :]) for n in ("a", "b")]
    return []


def names_document(document: str, name: str) -> float:
    """The share of the words of ``document`` (as a question names it: "the duck observations
    spreadsheet") that a document's ``name`` (its title and path) holds."""
    asked = [w for w in _WORD.findall(document.lower()) if w not in _NOT_NAMES]
    held = set(_WORD.findall(name.lower()))
    return sum(bool({w, w + "s", w.rstrip("s")} & held) for w in asked) / len(asked) if asked else 0.0
