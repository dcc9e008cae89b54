"""Evidence a reader can check (pure functions): what a question asks for, which sentence, table row
or cell of a passage holds it, and how to quote it so that the quote stands on its own.

- ``question_type``: a number ("how many", "what rate"), a date ("when", "by what date"), a name
  ("who", "which company"), a place ("where", "which city") or something else.
- ``has_type``: does a sentence or row hold that kind of thing (a digit, a date, a capitalised name)?
- ``email_roles``: which units of an e-mail are its header lines, its signature and the reply it
  quotes: a question about the e-mail is answered from its body.
- ``table_view``: a table row quoted with its column headers and row label
  (``Senior Engineer — Min 72,000 · Max 92,000``), the columns the question names first.
- ``specific_terms`` / ``found_terms``: the names, codes and numbers of a question, and which of them
  the evidence (text, title, file name, section) holds — a number only as a whole number (13 is not
  1309), a code as a whole code (2145_2 is not 2145_1).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

QTYPES = ("number", "date", "name", "place", "other")

_MEASURES = (
    "number|numbers|amount|total|totals|sum|count|price|prices|cost|costs|fee|fees|rate|rates|value|"
    "percent|percentage|share|ratio|size|speed|height|weight|length|distance|budget|salary|salaries|"
    "revenue|revenues|sales|income|profit|spending|expenditure|figure|population|score|capacity|"
    "temperature|duration|volume|quantity|balance|margin|growth|fare|wage|wages|bonus|allowance|limit"
)
_NUMBER_Q = re.compile(
    r"\bhow (?:many|much|long|far|old|often|big|large|high|low|tall|wide|heavy|fast)\b|"
    rf"\b(?:what|which)\b(?:\W+\w+){{0,4}}?\W+(?:{_MEASURES})\b|\bup to what\b",
    re.IGNORECASE,
)
_DATE_Q = re.compile(
    r"\bwhen\b|\b(?:what|which|by what|until what|on what|from what|at what)\s+(?:date|day|year|month|"
    r"time|hour|deadline|period)\b|\bin (?:what|which) year\b|\bdeadline\b|\bhow (?:early|late)\b",
    re.IGNORECASE,
)
_NAME_Q = re.compile(
    r"^\W*(?:who|whom|whose)\b|\b(?:who|whom|whose)\b|\b(?:which|what)\s+(?:person|people|company|"
    r"companies|firm|organi[sz]ation|team|author|manager|director|officer|customer|supplier|vendor|"
    r"employer|candidate|party|bank|agency|department)\b|\bwhat(?: is| was)? (?:the |his |her |its )?"
    r"names?\b|\bnamed?\b",
    re.IGNORECASE,
)
_PLACE_Q = re.compile(
    r"\bwhere\b|\b(?:which|what)\s+(?:city|cities|country|countries|town|state|place|region|address|"
    r"location|street|site|venue)\b|\baddress\b",
    re.IGNORECASE,
)

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    "oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|janvier|février|fevrier|mars|avril|mai|juin|juillet|août|"
    "aout|septembre|octobre|novembre|décembre|decembre|januar|februar|märz|maerz|juni|juli|oktober|"
    "dezember"
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DATE = re.compile(
    rf"\b(?:{_MONTHS})\b\.?|\b(?:{_WEEKDAYS})\b|\b(?:1[6-9]|20)\d\d\b|\b\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{1,4}}\b|"
    r"\b\d{1,2}\s*(?::|h)\s*\d{2}\b|\b\d{1,2}\s*(?:a\.?m\.?|p\.?m\.?)(?!\w)|\bnoon\b|\bmidnight\b",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_NUMBER_WORDS = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|once|twice)\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z'’-]+")


def question_type(question: str) -> str:
    """What ``question`` asks for: "date", "number", "name", "place" or "other" (checked in that
    order: "how many days" is a number, "in which year" a date)."""
    q = question.strip()
    if _DATE_Q.search(q):
        return "date"
    if _NUMBER_Q.search(q):
        return "number"
    if _NAME_Q.search(q):
        return "name"
    if _PLACE_Q.search(q):
        return "place"
    return "other"


def has_type(text: str, qtype: str) -> bool:
    """Does ``text`` hold the kind of thing a ``qtype`` question asks for?"""
    if qtype == "number":
        return bool(_DIGIT.search(text) or _NUMBER_WORDS.search(text))
    if qtype == "date":
        return bool(_DATE.search(text))
    if qtype in ("name", "place"):
        return bool(_CAPITALISED.search(text)) or (qtype == "place" and bool(_DIGIT.search(text)))
    return True


def holds_answer(text: str, question: str) -> bool:
    """Does ``text`` hold what ``question`` asks for beyond what the question itself says ("264,140"
    for "How many checks in November 2015?", not just "2015")?"""
    qtype = question_type(question)
    if qtype == "other":
        return True
    rest = _THOUSANDS.sub("", text)
    for term in specific_terms(question):
        rest = re.sub(_term_pattern(term), " ", rest, flags=re.IGNORECASE)
    return has_type(rest, qtype)


def term_share(question: str, text: str, *, numbers: bool = True) -> float:
    """Share of the question's names, codes and numbers (without plain numbers unless ``numbers``)
    found in ``text`` (0 when it names none)."""
    terms = [t for t in specific_terms(question) if numbers or not _PLAIN_NUMBER.match(t)]
    return len(found_terms(terms, haystack(text))) / len(terms) if terms else 0.0


# -- e-mails ----------------------------------------------------------------------------------------
_HEADER = re.compile(r"^(?:subject|from|to|cc|bcc|date|sent|reply-to|importance|attachments?)\s*:", re.I)
_QUOTE_START = re.compile(
    r"^(?:>|on\b.{3,120}\bwrote:?$|-{2,}\s*(?:original|forwarded) message|begin forwarded message|"
    r"from:.*\bsent:)",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(?:--\s*|_{3,}|(?:best|best regards|kind regards|warm regards|regards|many thanks|thanks|"
    r"thank you|cheers|sincerely|yours(?: sincerely| truly)?|all the best|br|mit freundlichen grüßen|"
    r"viele grüße|cordialement)\s*[,.!]?|sent from my \w+.*)$",
    re.IGNORECASE,
)
_ASKS_HEADER = re.compile(
    r"\b(?:sent|sender|send|wrote|written by|recipients?|addressed|subject|e-?mail address|cc'?d?|"
    r"forwarded|replied)\b",
    re.IGNORECASE,
)


def email_roles(units: Sequence[str]) -> list[str]:
    """For the units (lines, sentences) of an e-mail in reading order: "header" (Subject:, From:…),
    "body", "signature" (from a sign-off such as "Best," or "--" on) or "quoted" (a reply's quoted
    message, from "On … wrote:" or a ">" line on)."""
    roles: list[str] = []
    state = "body"
    for unit in units:
        text = unit.strip()
        if _QUOTE_START.match(text):
            state = "quoted"
        elif state == "body" and _SIGN_OFF.match(text):
            state = "signature"
        if state == "body" and _HEADER.match(text):
            roles.append("header")
        else:
            roles.append(state)
    return roles


def asks_about_header(question: str) -> bool:
    """The question is about who sent an e-mail, to whom, when or under which subject."""
    return bool(_ASKS_HEADER.search(question))


# -- tables -----------------------------------------------------------------------------------------
_NUMERIC = re.compile(r"^[\s$€£¥%()+\-–—.,'’/:0-9]*\d[\s$€£¥%()+\-–—.,'’/:0-9a-zA-Z]{0,3}$")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP_WORDS = (
    "a an the of to in on for and or is are was were be by with as at from that this these those it its "
    "what which who whom how when where why do does did can could may might shall should will would i "
    "you we our your my me us they them their there here than then so if not no yes any all per many "
    "much according give tell show list"
)
_STOP = frozenset(_STOP_WORDS.split())


def cells(line: str) -> list[str]:
    """The cells of a markdown table line ("| a | b |" -> ["a", "b"])."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


def stems(text: str) -> set[str]:
    """Content words, lower-cased, without a plural s and cut to 6 letters ("Totals" ~ "total")."""
    out = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOP or len(w) < 2:
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w[:6])
    return out


_PERIOD_HEADER = re.compile(
    r"(?:fiscal\s+)?(?:year|yr|date|day|month|quarter|period|week|fy|as\s+of)", re.IGNORECASE
)


def is_numeric(cell: str) -> bool:
    return bool(_NUMERIC.match(cell))


def table_view(header: str, row: str, question: str = "", title: str = "") -> str:
    """A table row as a reader can check it: its row label, then each value with its column header
    (a blank header continues the spanning header before it), the columns the question names only
    when they hold what it asks for; ``title`` (a sheet's or slide's title, a table caption) first.
    A row whose cells do not line up with the header is quoted as it is, after the column names.

    >>> table_view("| Role | Min | Max |", "| Senior Engineer | 72,000 | 92,000 |")
    'Senior Engineer — Min 72,000 · Max 92,000'
    """
    head = cells(header.splitlines()[0]) if header.strip() else []
    values = cells(row) if row.lstrip().startswith("|") else [row.strip()]
    prefix = f"{title}: " if title else ""
    filled: list[str] = []
    last = ""
    for name in head:
        last = name or last
        filled.append(last)
    present = [i for i, v in enumerate(values) if v]
    if not head or len(head) != len(values) or len(present) < 2:
        body = " · ".join(v for v in values if v)
        named = " · ".join(dict.fromkeys(n for n in head if n))
        return f"{prefix}{body}" + (f" ({named})" if named and len(present) < 2 and body else "")
    label_i = next((i for i in present if not is_numeric(values[i])), present[0])
    label = values[label_i]
    if is_numeric(label) and filled[label_i]:
        label = f"{filled[label_i]} {label}"
    # a year, date or period column names the row as much as its label does: always quoted with it
    keys = [i for i in present if i != label_i and head[i] and _PERIOD_HEADER.fullmatch(head[i].strip())]
    label = ", ".join([f"{head[i]} {values[i]}" for i in keys if i < label_i] + [label])
    label = ", ".join([label] + [f"{head[i]} {values[i]}" for i in keys if i > label_i])
    groups: list[tuple[str, list[str]]] = []
    for i in present:
        if i == label_i or i in keys:
            continue
        name = filled[i] if filled[i] != filled[label_i] or not filled[i] else ""
        if groups and groups[-1][0] == name and not head[i]:
            groups[-1][1].append(values[i])
        else:
            groups.append((name, [values[i]]))
    if question:
        asked = stems(question)
        qtype = question_type(question)
        focus = [g for g in groups if g[0] and stems(g[0]) & asked]
        if focus and len(focus) < len(groups) and any(has_type(" ".join(v), qtype) for _, v in focus):
            groups = focus
    shown = " · ".join(f"{name} {', '.join(vals)}".strip() for name, vals in groups)
    return f"{prefix}{label} — {shown}" if shown else f"{prefix}{label}"


# -- the question's specific terms ------------------------------------------------------------------
_THOUSANDS = re.compile(r"(?<=\d)[,'’\u2009\u202f](?=\d{3}(?!\d))")
_TERM = re.compile(r"[A-Za-z0-9][A-Za-z0-9&\-._]*[A-Za-z0-9]|[A-Za-z0-9]")
_PLAIN_NUMBER = re.compile(r"^[\d.,/-]+$")
_NOT_TERMS = frozenset(["please", "tell", "give", "list", "name", "explain", "describe", "according"])
# a question names a document's language to point at it ("the French scanned page"); documents rarely
# name their own language, so these words are not required of the evidence
_LANGUAGE_NAMES = (
    "english french spanish german italian dutch portuguese russian chinese japanese korean arabic latin "
    "polish swedish danish norwegian finnish greek turkish hindi"
)
_LANGUAGES = frozenset(_LANGUAGE_NAMES.split())
# the same month in the languages of the documents (and abbreviated): "June" is found in "juin"
_MONTH_NAMES = [
    ("january", "jan", "janvier", "januar", "enero"),
    ("february", "feb", "février", "fevrier", "februar", "febrero"),
    ("march", "mar", "mars", "märz", "maerz", "marzo"),
    ("april", "apr", "avril", "abril"),
    ("may", "mai", "mayo"),
    ("june", "jun", "juin", "juni", "junio"),
    ("july", "jul", "juillet", "juli", "julio"),
    ("august", "aug", "août", "aout", "agosto"),
    ("september", "sep", "sept", "septembre", "septiembre"),
    ("october", "oct", "octobre", "oktober", "octubre"),
    ("november", "nov", "novembre", "noviembre"),
    ("december", "dec", "décembre", "decembre", "dezember", "diciembre"),
]
_MONTH_OF = {name: names for names in _MONTH_NAMES for name in names}
_PERIOD = re.compile(r"^(?:(?:1[6-9]|20)\d\d(?:[-–/](?:\d\d){1,2})?|q[1-4]|h[12]|fy\d{2,4})$")


def specific_terms(question: str) -> list[str]:
    """The question's names, codes and numbers: capitalised words after the first, words with digits
    ("Japan", "NW-600", "2026", "100000", "2145_2"), lower-cased. An answer that never mentions one of
    them may answer a different question."""
    terms: list[str] = []
    for i, tok in enumerate(_TERM.findall(_THOUSANDS.sub("", question))):
        tok = tok.rstrip(".")
        low = tok.lower()
        if low in _STOP or low in _NOT_TERMS or low in _LANGUAGES or not tok:
            continue
        if (any(c.isdigit() for c in tok) or (i > 0 and tok[0].isupper())) and low not in terms:
            terms.append(low)
    return terms


def is_period(term: str) -> bool:
    """A month, year, fiscal year or quarter ("june", "2015", "2012-13", "q3")."""
    return term in _MONTH_OF or bool(_PERIOD.match(term))


def _term_pattern(term: str) -> str:
    if term in _MONTH_OF:  # a month in any of its names
        names = "|".join(re.escape(n) for n in sorted(_MONTH_OF[term], key=len, reverse=True))
        return rf"(?<![a-zà-ÿ])(?:{names})(?![a-zà-ÿ])"
    body = re.escape(term)
    if any(c.isdigit() for c in term):  # a number or code: the whole of it (13 is not 1309)
        return rf"(?<![a-z0-9]){body}(?![0-9]|[._,][0-9])"
    if len(term) > 4 and term.endswith("s") and not term.endswith("ss"):  # "electronics" ~ "electronic"
        body = re.escape(term[:-1])
    return rf"(?<![a-z0-9]){body}"  # a word: or the start of one ("engineer" ~ "engineering")


def haystack(text: str, title: str = "", path: str = "", section: str = "") -> str:
    """What a term may be found in: the text, the document's title and file name (with its separators
    as spaces, "ocr_test.pdf" -> "ocr test pdf") and its section."""
    name = re.sub(r"[_\-./\\]+", " ", path)
    return _THOUSANDS.sub("", "\n".join([text, title, path, name, section])).lower()


def found_terms(terms: Sequence[str], hay: str) -> list[str]:
    """The terms that occur in ``hay`` (a ``haystack``, lower-cased)."""
    return [t for t in terms if re.search(_term_pattern(t), hay)]


def missing_terms(terms: Sequence[str], evidence: str) -> list[str]:
    """The terms that occur nowhere in ``evidence``."""
    hay = haystack(evidence)
    found = set(found_terms(terms, hay))
    return [t for t in terms if t not in found]
