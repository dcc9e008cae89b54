"""Is every figure and name of a generated answer in the sources it cites? (pure functions)

A language model may write a number, a date or a name its sources do not hold: a figure misread
from a table, a year shifted, a person invented. :func:`ungrounded` lists each such *fact* of an
answer: numbers (``1,234`` = ``1234``; ``$1.2 million`` = ``1,200,000``; ``12%``), years, and
names (runs of capitalised words not at the start of a sentence). A number is grounded when a
number of the sources equals it within rounding (0.5%), a bare source number scaled only by what the
sources say ("in millions"); a year or a name when the sources contain it as a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SCALE_WORDS = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
}
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:[,\u2009\u202f']\d{3})+|\d+)(?:\.(\d+))?"
    r"(?:\s*(%|percent\b|thousand\b|millions?\b|billions?\b|trillion\b|mn\b|bn\b|[kmb]\b))?",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_MARKER = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*[-*•]?\s*)([A-Z][a-z]+)")
_NOT_NAMES = frozenset(
    [
        "The",
        "A",
        "An",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "Its",
        "They",
        "We",
        "You",
        "I",
        "He",
        "She",
        "Yes",
        "No",
        "Note",
        "However",
        "Also",
        "And",
        "But",
        "Or",
        "If",
        "In",
        "On",
        "At",
        "For",
        "From",
        "To",
        "Of",
        "By",
        "With",
        "As",
        "Per",
        "Each",
        "Every",
        "All",
        "Any",
        "Some",
        "Both",
        "Total",
        "Source",
        "Sources",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "FY",
    ]
)
TOLERANCE = 0.005


def numbers(text: str) -> list[tuple[str, float]]:
    """(as written, value) for each number in ``text``; percentages keep their value (12% -> 12)."""
    out = []
    for m in _NUMBER.finditer(_MARKER.sub(" ", text)):
        whole = re.sub(r"[,\u2009\u202f']", "", m.group(1))
        value = float(f"{whole}.{m.group(2)}" if m.group(2) else whole)
        unit = (m.group(3) or "").lower()
        value *= _SCALE_WORDS.get(unit, 1.0)
        out.append((m.group(0).strip(), value))
    return out


def _close(a: float, b: float) -> bool:
    return a == b or (b != 0 and abs(a - b) / abs(b) <= TOLERANCE)


def scales(text: str) -> list[float]:
    """The multipliers a source's bare numbers may carry: 1, and those its words name ("in
    millions", "thousands of dollars")."""
    said = {w.lower() for w in re.findall(r"\b(thousands?|millions?|billions?)\b", text, re.IGNORECASE)}
    return [1.0] + [_SCALE_WORDS[w.rstrip("s") if w.endswith("s") else w] for w in sorted(said)]


def number_grounded(
    value: float, written: str, source_values: Iterable[float], source_scales: Iterable[float] = (1.0,)
) -> bool:
    digits = re.sub(r"\D", "", written.split(".")[0])
    if _YEAR.match(digits) and value == float(digits):
        return any(v == value for v in source_values)  # a year is matched exactly
    return any(_close(value, v * scale) for v in source_values for scale in source_scales)


def names(text: str) -> list[str]:
    """Capitalised word runs that are not a sentence's first word nor common capitalised words."""
    clean = _MARKER.sub(" ", text)
    starts = {m.start(1) for m in _SENTENCE_START.finditer(clean)}
    found = []
    for m in re.finditer(r"\b[A-Z][a-zA-Z]+(?:[ -][A-Z][a-zA-Z]+)*", clean):
        words = m.group(0).split()
        if m.start() in starts:  # "Employees receive …": drop the sentence's first word
            words = words[1:]
        words = [w for w in words if w not in _NOT_NAMES and not w.isupper()]
        if words:
            found.append(" ".join(words))
    return found


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text)}


def ungrounded(answer: str, sources: Iterable[str]) -> list[str]:
    """The numbers, years and names of ``answer`` that none of ``sources`` holds."""
    text = "\n".join(sources)
    source_values, source_scales = [v for _, v in numbers(text)], scales(text)
    vocab = _words(text)
    missing = [w for w, v in numbers(answer) if not number_grounded(v, w, source_values, source_scales)]
    for name in names(answer):
        if not all(part.lower() in vocab for part in re.split(r"[ -]", name)):
            missing.append(name)
    return list(dict.fromkeys(missing))


def only_markers(answer: str) -> bool:
    """Nothing but citation markers, punctuation and space ("[1] [2]")."""
    return not re.sub(r"[\W_]+", "", _MARKER.sub("", answer))
