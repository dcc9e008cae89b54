"""Golden question sets: load and validate ``data/golden/NAME.jsonl``, and check answers against them.

One JSON object per line::

    {"id": "demo-001", "question": "...", "reference_answer": "...", "must_include": ["30"],
     "reference_sources": [{"document": "docs/hr/staff-handbook.pdf", "page": 2}],
     "user": "dave", "answerable": true, "tags": ["pdf", "numeric"]}

``document`` is the path as ingested (relative to the ingested folder, the same form as a citation's
``path``). Each source names where in the document the answer is, with at least one of: ``page``
(1-based: PDF page, slide, or sheet index), ``sheet`` (the sheet's name, beside its index in ``page``),
``section`` (a heading the cited passage sits under: docx, html, markdown) or ``attachment`` (the file
name of an e-mail attachment). Unanswerable items (the corpus doesn't say, or only a document the asker
may not read says it) have ``answerable: false``, no sources and no ``must_include``; the restricted
ones name the hidden document in ``hidden_source``.

Every set is split into a tuning half and a test half by a hash of the question id (``half_of``):
prompts, thresholds and weights are tuned on "tune"; reports give "test".
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_DIR = ROOT / "data" / "golden"

TAGS = frozenset(
    {
        "table",
        "scanned",
        "spreadsheet",
        "slides",
        "email",
        "html",
        "pdf",
        "docx",
        "markdown",
        "multi-part",
        "versions",
        "restricted",
        "unanswerable",
        "follow-up-free",
        "numeric",
        "high-stakes",
        # kinds of file and question of the messy set (eval/sets/messy.jsonl) and the public sets
        "csv",
        "text",
        "attachment",
        "multi-column",
        "long",
        "encrypted",
        "encoding",
        "misnamed",
        "legacy",
        "non-english",
        "multi-doc",
        "conflict",
        "near-miss",
        "wrong-period",
    }
)
LOCATION_KEYS = ("page", "sheet", "section", "attachment")  # where in a reference document
HALVES = ("tune", "test")
REQUIRED = (
    "id",
    "question",
    "reference_answer",
    "must_include",
    "reference_sources",
    "user",
    "answerable",
    "tags",
)
OPTIONAL = ("hidden_source",)
MAX_MUST_INCLUDE = 4


@dataclass(frozen=True)
class GoldenItem:
    id: str
    question: str
    reference_answer: str
    must_include: list[str]
    reference_sources: list[dict[str, Any]]  # {"document": path as ingested, "page" | "section" | ...}
    user: str
    answerable: bool
    tags: list[str]
    hidden_source: str | None = None
    line: int = field(default=0, compare=False)  # where it came from, for messages


def golden_path(name: str) -> Path:
    """``data/golden/NAME.jsonl`` of this repository ("demo" -> data/golden/demo.jsonl)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"golden set name must be a plain name like 'demo', got {name!r}")
    return GOLDEN_DIR / f"{name.removesuffix('.jsonl')}.jsonl"


def _check(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise ValueError(f"{where}: {message}")


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def parse_item(data: Any, where: str) -> GoldenItem:
    """One validated item from a decoded JSON line; ``where`` ("file:line") prefixes every error."""
    _check(isinstance(data, dict), where, f"expected a JSON object, got {type(data).__name__}")
    missing = [k for k in REQUIRED if k not in data]
    _check(not missing, where, f"missing field(s) {', '.join(missing)}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    _check(not unknown, where, f"unknown field(s) {', '.join(unknown)}")
    for key in ("id", "question", "reference_answer", "user"):
        _check(_nonempty_str(data[key]), where, f"{key} must be a non-empty string")
    _check(isinstance(data["answerable"], bool), where, "answerable must be true or false")
    answerable: bool = data["answerable"]

    must = data["must_include"]
    _check(
        isinstance(must, list) and all(_nonempty_str(m) for m in must),
        where,
        "must_include must be a list of non-empty strings",
    )
    if answerable:
        _check(1 <= len(must) <= MAX_MUST_INCLUDE, where, f"must_include needs 1-{MAX_MUST_INCLUDE} strings")
    else:
        _check(not must, where, "must_include must be empty for an unanswerable item")

    sources = data["reference_sources"]
    _check(isinstance(sources, list), where, "reference_sources must be a list")
    for n, src in enumerate(sources, start=1):
        _check(
            isinstance(src, dict)
            and "document" in src
            and not set(src) - {"document", *LOCATION_KEYS}
            and bool(set(src) & {"page", "section", "attachment"}),
            where,
            f"reference_sources[{n}] must be an object with 'document' and a location: 'page', 'section' "
            f"or 'attachment' (and optionally 'sheet')",
        )
        _check(_nonempty_str(src["document"]), where, f"reference_sources[{n}].document must be a path")
        if "page" in src:
            page = src["page"]
            _check(
                isinstance(page, int) and not isinstance(page, bool) and page >= 1,
                where,
                f"reference_sources[{n}].page must be an integer >= 1",
            )
        for key in ("sheet", "section", "attachment"):
            if key in src:
                _check(_nonempty_str(src[key]), where, f"reference_sources[{n}].{key} must be a string")
        if "sheet" in src:
            _check("page" in src, where, f"reference_sources[{n}] gives the sheet's index in 'page' too")
    if answerable:
        _check(bool(sources), where, "an answerable item needs at least one reference source")
    else:
        _check(not sources, where, "an unanswerable item has no reference sources")

    tags = data["tags"]
    _check(isinstance(tags, list) and all(isinstance(t, str) for t in tags), where, "tags must be a list")
    bad = sorted(set(tags) - TAGS)
    _check(not bad, where, f"unknown tag(s) {', '.join(bad)} (allowed: {', '.join(sorted(TAGS))})")

    hidden = data.get("hidden_source")
    _check(hidden is None or _nonempty_str(hidden), where, "hidden_source must be a path")
    if "restricted" in tags:
        _check(not answerable, where, "a restricted item is not answerable for its asker")
        _check(hidden is not None, where, "a restricted item names its hidden_source")
    if "unanswerable" in tags:
        _check(not answerable, where, "an item tagged unanswerable must have answerable false")
    if not answerable:
        _check(
            "restricted" in tags or "unanswerable" in tags,
            where,
            "an unanswerable item is tagged 'restricted' or 'unanswerable'",
        )
    return GoldenItem(
        id=data["id"].strip(),
        question=data["question"].strip(),
        reference_answer=data["reference_answer"].strip(),
        must_include=list(must),
        reference_sources=[{k: s[k] for k in ("document", *LOCATION_KEYS) if k in s} for s in sources],
        user=data["user"].strip(),
        answerable=answerable,
        tags=list(tags),
        hidden_source=hidden,
    )


def load_golden(path: Path | str) -> list[GoldenItem]:
    """Every item of a golden JSONL file, validated; blank lines are skipped. Raises ValueError naming
    the file and line for bad JSON, missing or malformed fields, and duplicate ids."""
    path = Path(path)
    items: list[GoldenItem] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            item = parse_item(data, where)
            if item.id in seen:
                raise ValueError(f"{where}: duplicate id {item.id!r} (first used on line {seen[item.id]})")
            seen[item.id] = lineno
            items.append(replace(item, line=lineno))
    return items


# -- tuning / test halves ----------------------------------------------------------------------------


def half_of(item_id: str) -> str:
    """The half a question belongs to, fixed by its id: "tune" when sha256(id) is even, else "test".
    Adding or removing other questions never moves one between halves."""
    return "tune" if int(hashlib.sha256(item_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def select_half(items: Sequence[GoldenItem], half: str) -> list[GoldenItem]:
    """The items of ``half`` ("tune", "test" or "all"), in their order."""
    if half == "all":
        return list(items)
    if half not in HALVES:
        raise ValueError(f"half must be tune, test or all, got {half!r}")
    return [i for i in items if half_of(i.id) == half]


# -- answer checks ------------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"(?<=\d)[,\u2009\u202f'’](?=\d{3}(?!\d))")


def normalise(text: str) -> str:
    """Case-folded, Unicode-normalised text with whitespace runs collapsed to one space and digit
    group separators dropped ("EUR 1,200" -> "eur 1200", "10 821 700" stays apart: only , ' and thin
    spaces count as separators)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _THOUSANDS.sub("", text)
    return " ".join(text.split())


def mentions(answer: str, needle: str) -> bool:
    """``needle`` occurs in ``answer`` after normalising both; a needle that starts (ends) with a digit
    must not continue a longer number, so "30" does not match "300" or "130"."""
    hay, pin = normalise(answer), normalise(needle)
    if not pin:
        return True
    before = r"(?<![\d.])" if pin[0].isdigit() else ""
    after = r"(?!\d|[.,]\d)" if pin[-1].isdigit() else ""
    return re.search(before + re.escape(pin) + after, hay) is not None


def mentions_all(answer: str, must_include: list[str]) -> bool:
    """True when the answer contains every must_include string (see ``mentions``)."""
    return all(mentions(answer, needle) for needle in must_include)
