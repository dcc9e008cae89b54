"""Question -> cited answer.

retrieve (permission-filtered) -> pick the supporting sentences of the best passages within a token
budget -> numbered sources -> LLM (or the extractive backend, also the fallback when the LLM fails)
-> [n] markers parsed and validated -> support checked -> confidence.

The pure parts (evidence selection scores, prompt building, citation parsing, refusal and conflict
detection, extractive answers) are plain functions tested without models.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from app.answerability import Decision, EvidenceView, decide, missing_terms_of
from app.answerability import features as answerability_features
from app.confidence import Confidence, Signals, agreement, score
from app.evidence import (
    asks_about_header,
    email_roles,
    has_type,
    holds_answer,
    missing_terms,
    question_type,
    specific_terms,
    table_view,
    term_share,
)
from app.figures import (
    compute_answer,
    is_primary_statement,
    line_item_queries,
    names_match,
    parse_formula,
    statement_rows,
)
from app.grounding import only_markers, ungrounded
from app.retrieve import Passage, search, standalone_query, words
from app.subquestions import names_document, split_question

if TYPE_CHECKING:  # the answerer is handed these; importing them here would load their stacks
    from app.cache import AnswerCache
    from app.embeddings import Embedder
    from app.llm import Generator
    from app.store import VectorStore

__all__ = ["missing_terms", "specific_terms"]  # re-exported: the refusal's named terms (app.evidence)

PROMPT_VERSION = "answer_v2"  # v2: no example answer the model can copy; no rule repeating (redteam)
REFUSAL = "I couldn't find this in the documents you can access."
PROMPT_SHINGLE_WORDS = 8  # an answer repeating this many words of the instructions in a row is withheld
PROMPT_LEAK_NOTE = "The generated answer repeated the assistant's instructions, so it was withheld."
UNIT_MIN_SIMILARITY = 0.25
SUPPORT_THRESHOLD = 0.5
LEXICAL_WEIGHT = 0.25  # evidence score = cosine + LEXICAL_WEIGHT * share of the question's words in the unit
TYPE_WEIGHT = 0.1  # + this when the unit holds what the question asks for (a number for "how many")
TERM_WEIGHT = 0.15  # + this times the share of the question's names and codes in a table row
ASIDE_WEIGHT = 0.25  # - this for an e-mail's header lines, signature and quoted reply (unless asked)
FOLLOW_ON = 4  # a unit ending in ":" ("The following commands can be used:") brings this many next ones
FOLLOW_ON_SLACK = 60  # tokens they may go beyond the evidence budget

_MARKER = re.compile(r"\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]")
_ABBREVIATIONS = "".join(  # "Dr. Eva Lindner" is one sentence
    rf"(?<!\b{re.escape(a)})"
    for a in ("Dr.", "Mr.", "Ms.", "Mrs.", "Prof.", "St.", "No.", "e.g.", "i.e.", "vs.", "ca.", "approx.",
              "Inc.", "Ltd.", "Co.", "Nr.")
)  # fmt: skip
_LIST_MARKER = re.compile(r"^(?:\(?\d{1,2}[.)]|\(?[a-z][.)]|[ivx]{1,4}\.)$")
_SENTENCE = re.compile(r"(?<=[.!?])" + _ABBREVIATIONS + r"\s+(?=[A-Z0-9\"'(])")
_REFUSAL_RE = re.compile(
    r"couldn'?t find|could not find|can(?:no|')t find|not (?:mentioned|stated|specified|provided|found)|"
    r"(?:no|not enough) information|do(?:es)? not (?:contain|say|mention|specify)",
    re.IGNORECASE,
)
_INJECTION_RE = re.compile(
    r"ignore (?:all |any )?(?:previous|prior|above|earlier) (?:instructions|rules|prompts?)|"
    r"disregard (?:the|all|your) (?:instructions|rules)|system prompt|you are now|act as|"
    r"reveal (?:your|the) (?:instructions|prompt|rules)|developer mode|jailbreak|"
    # instructions aimed at the assistant inside documents (found by `docqa eval redteam`)
    r"\bignore (?:all |any |your |the |these )?(?:rules|instructions|guidelines)\b|"
    r"\b(?:dear|note (?:to|for)|message (?:to|for)|instructions? for) (?:the |all |any )?(?:ai )?"
    r"(?:assistants?|chatbots?|language models?|llms?)\b|"
    r"\b(?:reply|respond|answer)(?: (?:every|each|all|any) (?:questions?|messages?))? (?:only )?with "
    r"(?:only )?the (?:words?|phrase)\b|"
    r"\bwhen summari[sz]ing (?:this|the) (?:page|document|file|text)\b|"
    r"\btell the reader\b|\bcite (?:source )?\[\d+\]|\bsystem (?:notice|override)\b|"
    r"\brepeat (?:the (?:words|text) |everything )?above\b|\brole ?play for the assistant\b",
    re.IGNORECASE,
)
_STOP_WORDS = (
    "a an the of to in on for and or is are was were be by with as at from that this these those it its "
    "what which who whom how when where why do does did can could may might shall should will would i you "
    "we our your my me us they them their there here than then so if not no yes any all per"
)
_STOP = frozenset(_STOP_WORDS.split())


# -- data ------------------------------------------------------------------------------------------
@dataclass
class Source:
    n: int
    passage: Passage
    # the sentences / table rows sent to the model, in document order, as quoted: a table row with its
    # column headers and row label, a slide's text with the slide's title
    units: list[str]
    unit_scores: list[float] = field(default_factory=list)
    best_cosine: float = 0.0  # the best unit's cosine to the question (a table row with its column names)
    positions: list[int] = field(default_factory=list)  # each unit's place among the passage's units

    def view(self) -> EvidenceView:
        p = self.passage.payload
        return EvidenceView(
            self.passage.text, str(p.get("title") or ""), str(p.get("path") or ""),
            str(p.get("section") or ""), self.units, self.unit_scores,
        )  # fmt: skip

    @property
    def snippet(self) -> str:
        return "\n".join(self.units)


@dataclass
class Citation:
    n: int
    document: str
    path: str
    doc_id: str
    version: int
    page: int
    page_end: int
    snippet: str
    verified_by: str = ""  # a verified answer (app/verified.py): cited as "Verified by <reviewer>, <date>"
    verified_at: str = ""  # YYYY-MM-DD
    # where a reader finds it: "p. 12 (printed 10)", "slide 3", "sheet Revenue, rows 4–9",
    # "e-mail 'Family day' › attachment notes.txt, lines 1–3", "section Methods › Results"
    location: str = ""
    chunk_id: str = ""  # the vector-store point quoted: escalations and caches keep only this reference

    @property
    def label(self) -> str:
        """Where in the source: "Verified by <reviewer>, <date>" for a verified answer, else its
        location, else (a passage indexed before locations existed) its pages."""
        if self.verified_by:
            return f"Verified by {self.verified_by}" + (f", {self.verified_at}" if self.verified_at else "")
        return self.location or pages_label(self.page, self.page_end)

    def to_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    backend: str
    model: str
    citations: list[Citation]
    confidence: Confidence
    sources: list[Source] = field(default_factory=list)
    fallback_reason: str = ""
    notes: list[str] = field(default_factory=list)
    injection_suspected: bool = False
    prompt_version: str = PROMPT_VERSION
    rewritten_query: str = ""
    retrieved: list[Passage] = field(default_factory=list)  # every passage the search returned
    cache_hit: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    # the answer-or-refuse decision (app.answerability.Decision.to_dict()); {} when none was taken
    answerability: dict = field(default_factory=dict)
    # the language model wrote an answer that gave way to the quoted sources (empty, only markers,
    # citing nothing, or stating a figure or name its sources do not hold); counted by `docqa eval`
    quote_replaced: bool = False

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "backend": self.backend,
            "model": self.model,
            "fallback_reason": self.fallback_reason,
            "confidence": self.confidence.to_dict(),
            "citations": [c.to_dict() for c in self.citations],
            "notes": self.notes,
            "injection_suspected": self.injection_suspected,
            "prompt_version": self.prompt_version,
            "rewritten_query": self.rewritten_query,
            "tokens": {"prompt": self.prompt_tokens, "completion": self.completion_tokens},
            "timings_ms": {k: round(v * 1000, 1) for k, v in self.timings.items()},
            "answerability": self.answerability,
            "quote_replaced": self.quote_replaced,
        }


# -- pure helpers ----------------------------------------------------------------------------------
def pages_label(page: int, page_end: int) -> str:
    return f"p. {page}" if page == page_end else f"pp. {page}–{page_end}"


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stop words, cut to 6 letters ('engineer' ~ 'engineering')."""
    return {w[:6] for w in words(text) if w not in _STOP and len(w) > 1}


def overlap(sentence: str, evidence: str) -> float:
    """Share of the sentence's content words found in the evidence."""
    s = content_words(sentence)
    return len(s & content_words(evidence)) / len(s) if s else 0.0


def split_units(passage: Passage) -> tuple[str, list[str]]:
    """(header, units): a table's header line(s) and rows, or a text passage's sentences/lines."""
    text = passage.text
    section = passage.payload.get("section", "")
    if section and text.startswith(section + "\n"):
        text = text[len(section) + 1 :]
    if passage.payload.get("kind") == "table":
        lines = text.splitlines()
        head = [ln for ln in lines[:2] if ln.startswith("|")]
        return "\n".join(head), [ln for ln in lines[len(head) :] if ln.strip()]
    units: list[str] = []
    for line in text.splitlines():
        parts = [s.strip() for s in _SENTENCE.split(line) if s.strip()]
        for part in parts:  # "3. Set the rate to 3 mph/s." is one unit, not "3." and the rest
            if units and _LIST_MARKER.match(units[-1]):
                units[-1] = f"{units[-1]} {part}"
            else:
                units.append(part)
    return "", units


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def keyed_row(header: str, row: str) -> str:
    """A table row as "column: value; ..." so that an embedding sees which value is which
    ("| SEV1 | … | 5 minutes |" under "Acknowledge within" reads as "Acknowledge within: 5 minutes")."""
    if not header or not row.lstrip().startswith("|"):
        return row
    names = _cells(header.splitlines()[0])
    values = _cells(row)
    if len(names) != len(values):
        return row
    return "; ".join(f"{k}: {v}" for k, v in zip(names, values, strict=True) if v)


def is_email(passage: Passage) -> bool:
    """A passage of an e-mail's own text (an attachment is a document of its own)."""
    return bool(passage.payload.get("message")) and not passage.payload.get("attachments")


def quoted_unit(passage: Passage, header: str, unit: str, question: str = "") -> str:
    """A unit as the reader (and the model) sees it: a table row with its column headers and row
    label, the columns the question names first (app.evidence.table_view); a sheet's row or a slide's
    text with the sheet's or slide's title."""
    p = passage.payload
    title = str(p.get("section") or "") if p.get("unit") in ("sheet", "slide") else ""
    if unit.lstrip().startswith("|"):
        return table_view(header, unit, question, title)
    return f"{title}: {unit}" if title and title != unit else unit


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION_RE.search(text))


def hostile_lines(text: str) -> list[str]:
    """Paragraphs under a heading that addresses the assistant ("Message to the assistant"): all their
    sentences are instructions, even those that don't look like one on their own."""
    lines = text.splitlines()
    return [
        line
        for prev, line in zip(["", *lines], lines, strict=False)
        if line.strip() and looks_like_injection(prev) and len(prev.split()) <= 12
    ]


def parse_citations(text: str, valid: Sequence[int]) -> tuple[str, list[int]]:
    """Normalise [n] markers; drop markers naming no given source. Returns (text, cited numbers)."""
    allowed = set(valid)
    cited: list[int] = []

    def repl(m: re.Match[str]) -> str:
        ns = [int(x) for x in re.split(r"[,;]", m.group(1)) if x.strip()]
        keep = [n for n in ns if n in allowed]
        cited.extend(n for n in keep if n not in cited)
        return "".join(f"[{n}]" for n in keep)

    out = _MARKER.sub(repl, text)
    out = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", out)).strip()
    return out, cited


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def sentence_markers(sentence: str) -> list[int]:
    return [int(n) for m in _MARKER.finditer(sentence) for n in re.split(r"[,;]", m.group(1)) if n.strip()]


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL_RE.search(text)) and len(text) < 400


def _stem(title: str) -> str:
    base = re.sub(r"\.[a-z0-9]+$", "", title.lower())
    base = re.sub(r"\b(?:19|20)\d\d\b|\bv(?:ersion)?[\s._-]*\d+(?:\.\d+)*\b|\d+", " ", base)
    return " ".join(re.findall(r"[a-z]+", base))


def _year(title: str) -> int:
    years = [int(y) for y in re.findall(r"(?:19|20)\d\d", title)]
    return max(years) if years else 0


def version_conflicts(sources: Sequence[Source]) -> list[tuple[Source, Source]]:
    """Pairs (older, newer) of sources from different documents that are versions of one document
    (same title once years and version numbers are removed)."""
    first: dict[str, Source] = {}  # one source per document: its best-ranked one
    for s in sources:
        first.setdefault(s.passage.doc_id, s)
    docs = list(first.values())
    pairs = []
    for i, a in enumerate(docs):
        for b in docs[i + 1 :]:
            ta, tb = a.passage.payload.get("title", ""), b.passage.payload.get("title", "")
            if _stem(ta) and _stem(ta) == _stem(tb):
                pairs.append((a, b) if _year(ta) <= _year(tb) else (b, a))
    return pairs


def conflict_note(pairs: Sequence[tuple[Source, Source]]) -> str:
    def title(s: Source) -> str:
        return s.passage.payload.get("title", "")

    parts = [
        f"[{old.n}] ({title(old)}) and [{new.n}] ({title(new)}) are versions of the same document; "
        f"the newer one, [{new.n}] ({title(new)}), applies"
        for old, new in pairs
    ]
    return "Note: " + "; ".join(parts) + "." if parts else ""


@lru_cache(maxsize=4)
def load_prompt(version: str = PROMPT_VERSION) -> tuple[str, str]:
    text = resources.files("app.prompts").joinpath(f"{version}.txt").read_text(encoding="utf-8")
    _, system, user = re.split(r"^### (?:system|user)\n", text, flags=re.MULTILINE)
    return system.strip(), user.strip()


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    toks = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


@lru_cache(maxsize=4)
def prompt_shingles(n: int = PROMPT_SHINGLE_WORDS) -> frozenset[tuple[str, ...]]:
    """Every ``n``-word run of every prompt file's instructions; placeholders and the refusal sentence
    the prompt tells the model to use split them (so answering with that sentence is no disclosure)."""
    found: set[tuple[str, ...]] = set()
    for entry in resources.files("app.prompts").iterdir():
        if entry.name.endswith(".txt"):
            system, user = load_prompt(entry.name[:-4])
            for part in [*system.split(REFUSAL), *re.split(r"\{\w+\}", user)]:
                found |= _shingles(part, n)
    return frozenset(found)


def reproduces_prompt(text: str, evidence: str = "", n: int = PROMPT_SHINGLE_WORDS) -> bool:
    """Output filter: ``text`` repeats ``n`` consecutive words of the instruction prompts that the
    ``evidence`` (the retrieved passages) does not also contain."""
    hits = _shingles(text, n) & prompt_shingles(n)
    return bool(hits - _shingles(evidence, n)) if hits else False


def guard_stream(on_token: Callable[[str], None] | None, evidence: str) -> Callable[[str], None] | None:
    """``on_token`` that stops forwarding tokens once the text so far reproduces the prompt
    (so a leak shows at most a few words before the final answer replaces it)."""
    if on_token is None:
        return None
    streamed: list[str] = []
    stopped = False

    def guarded(token: str) -> None:
        nonlocal stopped
        streamed.append(token)
        stopped = stopped or reproduces_prompt("".join(streamed), evidence)
        if not stopped:
            on_token(token)

    return guarded


def build_messages(
    question: str, sources: Sequence[Source], version: str = PROMPT_VERSION
) -> list[tuple[str, str]]:
    system, user = load_prompt(version)
    blocks = [f"[{s.n}] {s.passage.citation}\n{s.snippet}" for s in sources]
    return [("system", system), ("user", user.format(sources="\n\n".join(blocks), question=question.strip()))]


def extractive_answer(sources: Sequence[Source], max_units: int = 3) -> str:
    """The best supporting sentences or table rows (each quoted with its headers), each with its
    citation; a sentence introducing what follows ("Important points:") brings the lines after it."""
    ranked = sorted(
        ((sc, s.n, i) for s in sources for i, sc in enumerate(s.unit_scores)), key=lambda t: -t[0]
    )
    by_n = {s.n: s for s in sources}
    picked: list[tuple[int, int]] = []
    seen: set[str] = set()  # a page scanned twice, or repeated across documents, is quoted once
    for sc, n, i in ranked:
        if len(picked) >= max_units or (picked and sc < UNIT_MIN_SIMILARITY):
            break
        key = " ".join(sorted(words(by_n[n].units[i])))
        if key in seen:
            continue
        seen.add(key)
        if (n, i) not in picked:
            picked.append((n, i))
        for j in follow_on(next(s for s in sources if s.n == n), i):
            if (n, j) not in picked:
                picked.append((n, j))
    return "\n".join(f"{by_n[n].units[i]} [{n}]" for n, i in picked)


def follow_on(source: Source, i: int) -> list[int]:
    """The units right after unit ``i`` of ``source`` when it ends in ":" (it introduces them)."""
    if not source.units[i].rstrip().endswith(":") or len(source.positions) != len(source.units):
        return []
    out = []
    for j in range(i + 1, min(len(source.units), i + 1 + FOLLOW_ON)):
        if source.positions[j] != source.positions[i] + (j - i):
            break
        out.append(j)
    return out


def _name(passage: Passage) -> str:
    return f"{passage.payload.get('title', '')} {passage.payload.get('path', '')}"


def _merge_source(old: Source | None, new: Source) -> Source:
    """One source for a chunk two sub-questions both drew on: the units of both, in document order,
    each with its better score."""
    if old is None or len(old.positions) != len(old.units) or len(new.positions) != len(new.units):
        return old or new
    units = {pos: (u, sc) for pos, u, sc in zip(old.positions, old.units, old.unit_scores, strict=False)}
    for pos, u, sc in zip(new.positions, new.units, new.unit_scores, strict=False):
        units[pos] = (u, max(sc, units[pos][1])) if pos in units else (u, sc)
    order = sorted(units)
    return replace(
        old,
        units=[units[p][0] for p in order],
        unit_scores=[units[p][1] for p in order],
        positions=order,
        best_cosine=max(old.best_cosine, new.best_cosine),
    )


def coverage(question: str, sources: Sequence[Source]) -> float:
    """Share of the question's content words that the best single source contains."""
    return max((overlap(question, s.snippet + " " + s.passage.text) for s in sources), default=0.0)


# -- the engine ------------------------------------------------------------------------------------
@dataclass
class Evidence:
    """What retrieval found for a question and the evidence selected from it, before answering."""

    question: str
    query: str  # the standalone query retrieval used
    qvec: np.ndarray
    passages: list[Passage]
    signals: dict[str, float]
    injection: bool
    backend: str  # the backend that will answer ("extractive" when no model is used)
    model: str
    sources: list[Source] = field(default_factory=list)
    decision: Decision | None = None  # answer or refuse (app.answerability), once evidence was selected
    # a question across documents or periods (app.subquestions): each sub-question's sources,
    # numbered as in ``sources``, each scored against its own sub-question
    parts: list[list[Source]] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)  # the sub-questions no document answers

    def quote(self) -> str:
        """The quick answer's text: the best units of the sources, per sub-question when split."""
        if not self.parts:
            return extractive_answer(self.sources)
        lines = [line for part in self.parts for line in extractive_answer(part, max_units=2).splitlines()]
        return "\n".join(dict.fromkeys(lines))

    @property
    def chunk_ids(self) -> set[str]:
        """The ids of the chunks the evidence was selected from."""
        return {s.passage.id for s in self.sources}

    def refusal(self, t0: float, timings: dict[str, float], reason: str = "") -> Answer:
        """The refusal: what was searched and, when the question names something the closest
        passages don't, what; and that an expert can help. It never cites or quotes a passage."""
        conf = score(Signals(**self.signals, refused=True), self.question, self.backend)
        timings["total"] = time.perf_counter() - t0
        reason = reason or searched_note([], self.sources)
        text = f"{REFUSAL} {reason}".strip()
        return Answer(
            self.question,
            text,
            True,
            self.backend,
            self.model,
            [],
            conf,
            notes=[reason] if reason else [],
            injection_suspected=self.injection,
            timings=timings,
            retrieved=list(self.passages),
            rewritten_query=self.query if self.query != self.question else "",
            answerability=self.decision.to_dict() if self.decision else {},
        )


ESCALATE = "An expert can look into it: use “Ask an expert”."


def searched_note(missing: Sequence[str], sources: Sequence[Source], limit: int = 3) -> str:
    """What a refusal says was searched: the closest passages among the documents the asker may read
    (or that none matched), what of the question they don't mention, and where to go next."""
    places = list(dict.fromkeys(s.passage.citation for s in sources))[:limit]
    if not places:
        return f"No passage of the documents you can access matches the question. {ESCALATE}"
    what = "don't mention " + ", ".join(f"“{m}”" for m in missing) if missing else "don't answer it"
    closest = "; ".join(places)
    return f"I searched the documents you can access; the closest passages ({closest}) {what}. {ESCALATE}"


class Answerer:
    """Answers as a given reader. ``generator`` is app.llm's Generator or None (extractive)."""

    def __init__(
        self,
        store: VectorStore | None,
        embedder: Embedder | None,
        generator: Generator | None = None,
        *,
        context_tokens: int = 250,
        unavailable_reason: str = "",
        cache: AnswerCache | None = None,
        keep: Callable[[list[Passage], Sequence[str]], list[Passage]] | None = None,
    ) -> None:
        self.cache = cache  # app.cache.AnswerCache or None
        self.keep = keep  # narrows retrieved passages to current versions (app.visibility)
        self.store = store
        self.embedder = embedder
        self.generator = generator
        self.context_tokens = context_tokens
        self.unavailable_reason = unavailable_reason  # why the configured LLM could not even start
        # refuse when the answerability model says so; False (`docqa eval calibrate`) records its
        # decision on the answer and answers anyway, so that every question gets a labelled answer
        self.decide = True

    def select_evidence(
        self,
        qvec: np.ndarray,
        passages: Sequence[Passage],
        top: int = 3,
        question: str = "",
        max_embed: int = 24,
    ) -> list[Source]:
        """Per passage, the units most similar to the question, in document order, within the budget.
        Only the ``max_embed`` units sharing most words with the question are embedded (latency).

        A unit scores its cosine to the question (a table row with its column names), plus the share
        of the question's words it holds, plus a little when it holds what the question asks for (a
        number for "how many", a date for "when", a name for "who"), minus a little for an e-mail's
        header lines, signature and quoted reply unless the question asks who sent it, when or to
        whom. A chosen unit ending in ":" brings the lines it introduces."""
        split = [split_units(p) for p in passages[:top]]
        hostile = [hostile_lines(p.text) for p in passages[:top]]
        qtype = question_type(question) if question else "other"
        header_asked = asks_about_header(question)
        roles = [
            email_roles(units) if is_email(p) else ["body"] * len(units)
            for p, (_, units) in zip(passages[:top], split, strict=True)
        ]
        safe = {
            (pi, ui)
            for pi, (_, units) in enumerate(split)
            for ui, u in enumerate(units)
            if not looks_like_injection(u) and not any(u in line for line in hostile[pi])
        }
        flat = [(pi, ui, split[pi][1][ui]) for pi, ui in sorted(safe)]
        if not flat:
            return []
        if question and len(flat) > max_embed:
            flat = sorted(flat, key=lambda t: (-overlap(question, f"{split[t[0]][0]} {t[2]}"), t[0], t[1]))
            flat = flat[:max_embed]
        # a table row is scored with its column names: alone, "| SEV1 | … | 5 minutes |" says little
        scored = [keyed_row(split[pi][0], u) for pi, _, u in flat]
        cosines = self.embedder.embed_documents(scored) @ qvec
        sims = cosines.copy()
        if question:  # rows of one table embed alike: the question's own words break the tie
            sims = sims + LEXICAL_WEIGHT * np.array([overlap(question, u) for u in scored], dtype=np.float32)
            aside = np.array(
                [
                    roles[pi][ui] != "body" and not (header_asked and roles[pi][ui] == "header")
                    for pi, ui, _ in flat
                ],
                dtype=bool,
            )
            if qtype != "other":  # holds what is asked for, beyond what the question says itself
                held = np.array([holds_answer(u, question) for u in scored], dtype=np.float32)
                sims = sims + TYPE_WEIGHT * held * ~aside
            # a row is found by its label: "Kerala" picks Kerala's row among the rows of one table
            rows = np.array([u.lstrip().startswith("|") for _, _, u in flat], dtype=np.float32)
            named = np.array([term_share(question, u, numbers=False) for u in scored], dtype=np.float32)
            sims = sims + TERM_WEIGHT * named * rows - ASIDE_WEIGHT * aside
        counter = self.embedder.counter
        budget = self.context_tokens
        chosen: dict[int, dict[int, tuple[str, float, float]]] = {}
        for k in np.argsort(-sims):
            pi, ui, unit = flat[k]
            cost = counter(unit)
            if chosen and budget - cost < 0:
                continue
            if chosen.get(pi) and sims[k] < UNIT_MIN_SIMILARITY:
                continue
            chosen.setdefault(pi, {})[ui] = (unit, float(sims[k]), float(cosines[k]))
            budget -= cost
        for pi, units in chosen.items():  # "Important points:" brings the lines it introduces
            for ui, (unit, sim, _) in list(units.items()):
                if not unit.rstrip().endswith(":"):
                    continue
                for step, uj in enumerate(range(ui + 1, min(len(split[pi][1]), ui + 1 + FOLLOW_ON)), 1):
                    nxt = split[pi][1][uj]
                    if uj in units or (pi, uj) not in safe or counter(nxt) > budget + FOLLOW_ON_SLACK:
                        break
                    units[uj] = (nxt, sim - 0.001 * step, 0.0)
                    budget -= counter(nxt)
        sources = []
        for pi in sorted(chosen):
            units = sorted(chosen[pi].items())
            passage = passages[pi]
            sources.append(
                Source(
                    len(sources) + 1,
                    passage,
                    [quoted_unit(passage, split[pi][0], u[0], question) for _, u in units],
                    [u[1] for _, u in units],
                    best_cosine=max(u[2] for _, u in units),
                    positions=[ui for ui, _ in units],
                )
            )
        return sources

    def ask(
        self,
        question: str,
        groups: Sequence[str],
        *,
        on_token: Callable[[str], None] | None = None,
        use_llm: bool = True,
        history: Sequence[str] = (),
        on_quick: Callable[[dict], None] | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> Answer:
        """Answer ``question`` from what ``groups`` may read; ``history`` holds the conversation's
        earlier questions, used to make a follow-up standalone for retrieval. ``on_quick`` receives
        the quick answer (:meth:`quick_answer`) before a language model starts writing. ``doc_ids``:
        only from these documents (a reader who picked one; the answer cache is not used then).

        A cached answer is only served after the question passed the same retrieval and refusal
        checks as a fresh one, and when the evidence found now contains every chunk it cites
        (app.cache.AnswerCache.lookup)."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        query = standalone_query(question, history)
        qvec = self.embedder.embed_query(query)
        backend = self.generator.backend if (self.generator and use_llm) else "extractive"
        cached = self.cache is not None and not history and doc_ids is None
        ticket = self.cache.ticket(groups, backend) if cached else None
        computed = None if history else self._computed(question, groups, qvec, t0, timings, doc_ids)
        if computed is not None:
            return computed
        found = None if history else self._across(question, qvec, groups, t0, timings, use_llm, doc_ids)
        if found is None:
            found = self._evidence(question, query, qvec, groups, t0, timings, use_llm, doc_ids)
        if isinstance(found, Answer):
            return found
        if ticket is not None:
            hit = self.cache.lookup(ticket, question, qvec, groups, found.chunk_ids)
            if hit is not None:
                hit.timings = {"cache": time.perf_counter() - t0, "total": time.perf_counter() - t0}
                hit.retrieved = list(found.passages)
                return hit
        result = self._compose(found, t0, timings, on_token, use_llm, on_quick)
        if ticket is not None:
            self.cache.store(ticket, result, qvec)
        return result

    def _evidence(
        self,
        question: str,
        query: str,
        qvec: np.ndarray,
        groups: Sequence[str],
        t0: float,
        timings: dict[str, float],
        use_llm: bool,
        doc_ids: Sequence[str] | None = None,
    ) -> Evidence | Answer:
        """Retrieve, select the evidence and decide whether to answer: the Evidence to answer
        from, or the refusal."""
        passages = search(
            self.store,
            self.embedder,
            query,
            groups,
            limit=6,
            query_vector=qvec,
            keep=self.keep,
            doc_ids=doc_ids,
        )
        timings["retrieve"] = time.perf_counter() - t0
        dense = [p.dense_score or 0.0 for p in passages]
        top = sorted(dense, reverse=True) + [0.0, 0.0]
        dense_ids = [p.id for p in sorted(passages, key=lambda p: p.dense_rank or 99)]
        sparse_ids = [p.id for p in sorted(passages, key=lambda p: p.sparse_rank or 99)]
        ev = Evidence(
            question=question,
            query=query,
            qvec=qvec,
            passages=list(passages),
            signals=dict(
                top_similarity=top[0], second_similarity=top[1], agreement=agreement(dense_ids, sparse_ids)
            ),
            injection=looks_like_injection(question),
            backend=self.generator.backend if (self.generator and use_llm) else "extractive",
            model=self.generator.model if (self.generator and use_llm) else "",
        )
        if not passages:
            return ev.refusal(t0, timings)
        t = time.perf_counter()
        ev.sources = self.select_evidence(qvec, passages, question=question)
        timings["evidence"] = time.perf_counter() - t
        if not ev.sources:
            return ev.refusal(t0, timings)
        # a whole table chunk embeds far from a question its one row answers: judge by the best unit too
        ev.signals["evidence_similarity"] = best = max([top[0]] + [s.best_cosine for s in ev.sources])
        ev.signals["coverage"] = coverage(question, ev.sources)
        views = [s.view() for s in ev.sources]
        feats = answerability_features(
            question, views, top_similarity=top[0], second_similarity=top[1], evidence_similarity=best,
            agreement=ev.signals["agreement"], coverage=ev.signals["coverage"],
        )  # fmt: skip
        ev.decision = decide(feats, ev.backend, missing=missing_terms_of(question, views))
        if not ev.decision.answer and self.decide:
            return ev.refusal(t0, timings, searched_note(ev.decision.missing, ev.sources))
        return ev

    def _across(
        self,
        question: str,
        qvec: np.ndarray,
        groups: Sequence[str],
        t0: float,
        timings: dict[str, float],
        use_llm: bool,
        doc_ids: Sequence[str] | None,
    ) -> Evidence | None:
        """A question naming two documents or periods (app.subquestions): each sub-question is
        searched and decided on its own, and the evidence of those that can be answered is merged,
        each keeping its own best units. None (ask the question whole) when it names at most one of
        each, or no sub-question can be answered. A sub-question that cannot is said so in a note."""
        found = []
        for sub in split_question(question):
            ev = self._evidence(
                sub.text, sub.text, self.embedder.embed_query(sub.text), groups, t0, timings, use_llm, doc_ids
            )
            if isinstance(ev, Evidence) and sub.document:  # the part about a document quotes that document
                named = [names_document(sub.document, _name(s.passage)) for s in ev.sources]
                if max(named, default=0.0) >= 0.5:
                    ev.sources = [
                        s for s, score in zip(ev.sources, named, strict=True) if score == max(named)
                    ]
            found.append((sub.text, ev))
        answered = [(sub, ev) for sub, ev in found if isinstance(ev, Evidence)]
        if not answered:
            return None
        numbers: dict[str, int] = {}
        merged: dict[str, Source] = {}
        parts = []
        for _, ev in answered:
            part = []
            for src in ev.sources:
                n = numbers.setdefault(src.passage.id, len(numbers) + 1)
                part.append(replace(src, n=n))
                merged[src.passage.id] = _merge_source(merged.get(src.passage.id), replace(src, n=n))
            parts.append(part)
        weakest = min(
            (ev for _, ev in answered), key=lambda ev: ev.decision.probability if ev.decision else 1.0
        )
        passages = list({p.id: p for _, ev in answered for p in ev.passages}.values())
        return Evidence(
            question=question,
            query=question,
            qvec=qvec,
            passages=passages,
            signals=dict(weakest.signals),
            injection=looks_like_injection(question),
            backend=weakest.backend,
            model=weakest.model,
            sources=sorted(merged.values(), key=lambda s: s.n),
            decision=weakest.decision,
            parts=parts,
            unanswered=[sub for sub, ev in found if not isinstance(ev, Evidence)],
        )

    def _compose(
        self,
        ev: Evidence,
        t0: float,
        timings: dict[str, float],
        on_token: Callable[[str], None] | None,
        use_llm: bool,
        on_quick: Callable[[dict], None] | None = None,
    ) -> Answer:
        question, sources, backend = ev.question, ev.sources, ev.backend
        text, fallback_reason, gen, replaced = "", self.unavailable_reason, None, False
        if on_quick is not None and self.generator and use_llm:
            on_quick(self.quick_answer(ev) | {"seconds": round(time.perf_counter() - t0, 3)})
        if self.generator and use_llm:
            from app.llm import LLMUnavailableError

            t = time.perf_counter()
            evidence = "\n".join(f"{s.snippet}\n{s.passage.text}" for s in sources)
            try:
                gen = self.generator.generate(
                    build_messages(question, sources), on_token=guard_stream(on_token, evidence)
                )
                text = gen.text.strip()
            except LLMUnavailableError as exc:
                fallback_reason = str(exc)
            timings["generate"] = time.perf_counter() - t
            if text and reproduces_prompt(text, evidence):
                return ev.refusal(t0, timings, PROMPT_LEAK_NOTE)
        if not text:
            if gen is not None and not fallback_reason:
                fallback_reason = "its answer was empty, so the sources are quoted instead"
                replaced = True
            backend = "extractive"
            text = ev.quote()
        if is_refusal(text) and not _MARKER.search(text):
            return ev.refusal(t0, timings)

        text, cited = parse_citations(text, [s.n for s in sources])
        support, text, cited = self._check_support(text, sources, cited)
        if backend != "extractive" and (
            why := self._not_better_than_quote(text, sources, cited, support, ev)
        ):
            fallback_reason, backend, replaced = why, "extractive", True
            text, cited = parse_citations(ev.quote(), [s.n for s in sources])
            support, text, cited = self._check_support(text, sources, cited)
        pairs = [p for p in version_conflicts(sources) if {p[0].n, p[1].n} & set(cited)]
        notes = []
        if ev.unanswered:
            missing = "; ".join(f"“{q}”" for q in ev.unanswered)
            notes.append(f"The documents you can access do not answer {missing}. {ESCALATE}")
        if pairs:
            notes.append(conflict_note(pairs))
            for old, new in pairs:
                cited += [n for n in (old.n, new.n) if n not in cited]
        by_n = {s.n: s for s in sources}
        citations = [self._citation(by_n[n]) for n in cited]
        logprobs = gen.token_logprobs if gen and backend != "extractive" else []
        decided = ev.decision.features if ev.decision else {}
        conf = score(
            Signals(
                **ev.signals,
                support=support,
                mean_logprob=(sum(logprobs) / len(logprobs)) if logprobs else None,
                fallback=bool(fallback_reason),
                answerable=ev.decision.probability if ev.decision else None,
                terms=decided.get("terms"),
                unit_coverage=decided.get("unit_coverage"),
                type_match=float(has_type(_MARKER.sub("", text), question_type(question))),
            ),
            question,
            backend,
        )
        timings["total"] = time.perf_counter() - t0
        return Answer(
            question,
            text + "".join("\n\n" + note for note in notes),
            False,
            backend,
            ev.model if backend != "extractive" else "",
            citations,
            conf,
            sources=sources,
            fallback_reason=fallback_reason,
            notes=notes,
            injection_suspected=ev.injection,
            rewritten_query=ev.query if ev.query != question else "",
            retrieved=list(ev.passages),
            prompt_tokens=gen.prompt_tokens if gen else 0,
            completion_tokens=gen.completion_tokens if gen else 0,
            timings=timings,
            answerability=ev.decision.to_dict() if ev.decision else {},
            quote_replaced=replaced,
        )

    @staticmethod
    def _not_better_than_quote(
        text: str, sources: Sequence[Source], cited: Sequence[int], support: float, ev: Evidence
    ) -> str:
        """Why a generated answer must give way to the quoted sources ("" when it may stand): it
        cites nothing, is only markers, states a figure or name its cited sources do not hold, or
        obeyed instructions in the question rather than the sources."""
        if not cited:  # no valid [n] and no sentence backed by a source
            return "its answer cited none of the sources, so they are quoted instead"
        if only_markers(text):
            return "its answer was only citation markers, so the sources are quoted instead"
        by_n = {s.n: s for s in sources}
        cited_text = [f"{by_n[n].snippet}\n{by_n[n].passage.text}" for n in cited if n in by_n]
        if facts := ungrounded(text, cited_text):
            shown = ", ".join(f"“{f}”" for f in facts[:3])
            return f"its answer stated {shown}, which its sources do not hold, so they are quoted instead"
        if ev.injection and support == 0.0:  # obeyed the question, not the sources
            return "the question carried instructions and the answer was not backed by the sources"
        return ""

    def _check_support(
        self, text: str, sources: Sequence[Source], cited: list[int]
    ) -> tuple[float, str, list[int]]:
        """Share of sentences backed by a cited source; an unmarked sentence gets the source that
        backs it best, when one does."""
        by_n = {s.n: s for s in sources}
        out, supported, total = [], 0, 0
        for line in text.splitlines():
            if line.lstrip().startswith("|") and not _MARKER.search(line):  # a table's header or rule
                out.append(line)
                continue
            sentences = split_sentences(line) if not line.lstrip().startswith("|") else [line]
            fixed = []
            for sent in sentences:
                body = _MARKER.sub("", sent).strip()
                if not content_words(body):
                    fixed.append(sent)
                    continue
                total += 1
                marks = [n for n in sentence_markers(sent) if n in by_n]
                best_n, best = max(((s.n, overlap(body, s.snippet)) for s in sources), key=lambda t: t[1])
                if not marks and best >= SUPPORT_THRESHOLD:
                    sent = f"{sent.rstrip()} [{best_n}]"
                    marks = [best_n]
                    cited.append(best_n) if best_n not in cited else None
                if marks and max(overlap(body, by_n[n].snippet) for n in marks) >= SUPPORT_THRESHOLD:
                    supported += 1
                fixed.append(sent)
            out.append(" ".join(fixed))
        return (supported / total if total else 0.0), "\n".join(out).strip(), cited

    def _computed(
        self,
        question: str,
        groups: Sequence[str],
        qvec: np.ndarray,
        t0: float,
        timings: dict[str, float],
        doc_ids: Sequence[str] | None = None,
    ) -> Answer | None:
        """A question asking for arithmetic over a filing's line items (ratios, growth, margins;
        app.figures): the statements of the document retrieval ranks first are searched for each
        line item, the computation is done by code and every figure is cited. None (answer as
        usual) when it asks for no arithmetic, names a company that document does not, or a figure
        is missing. Both backends answer so: a language model's mental arithmetic is not trusted."""
        formula = parse_formula(question)
        if formula is None:
            return None
        found = search(
            self.store, self.embedder, question, groups, limit=6, query_vector=qvec, keep=self.keep,
            doc_ids=doc_ids,
        )  # fmt: skip
        if not found:
            return None
        doc = found[0].doc_id
        first = found[0].payload
        if not names_match(question, " ".join(str(first.get(k, "")) for k in ("title", "path", "company"))):
            return None  # the filing ranked first is not the company the question names
        passages = {p.id: p for p in found if p.doc_id == doc}
        queries = [
            f"{metric} {' '.join(str(y) for y in years)}" for metric, years in line_item_queries(formula)
        ]
        for query in [
            *queries,
            *(f"consolidated statements {q}" for q in queries),
        ]:  # the statement pages too
            item_hits = search(
                self.store,
                self.embedder,
                query,
                groups,
                limit=8,
                candidates=60,
                keep=self.keep,
                doc_ids=[doc],
            )
            for p in item_hits:
                passages.setdefault(p.id, p)
        ordered = list(passages.values())
        fiscal_year = first.get("fiscal_year")
        primary = [
            i
            for i, p in enumerate(ordered, 1)
            if p.payload.get("form") == "10-K"
            and is_primary_statement(f"{p.payload.get('section', '')}\n{p.text[:200]}")
        ]
        done = compute_answer(
            question,
            [(i, p.text) for i, p in enumerate(ordered, 1)],
            fiscal_year if isinstance(fiscal_year, int) else None,  # ingest/docmeta.py stores an int
            primary,
        )
        timings["retrieve"] = time.perf_counter() - t0
        if done is None:
            return None
        renumber = {old: new for new, old in enumerate(done.sources, 1)}
        text = re.sub(r"\[(\d+)\]", lambda m: f"[{renumber[int(m.group(1))]}]", done.text)
        sources = [
            Source(renumber[old], ordered[old - 1], statement_rows(ordered[old - 1].text, text))
            for old in done.sources
        ]
        top = found[0].dense_score or 0.0
        signals = Signals(top_similarity=top, evidence_similarity=top, coverage=1.0, support=1.0)
        timings["total"] = time.perf_counter() - t0
        return Answer(
            question,
            text,
            False,
            "extractive",
            "",
            [self._citation(s) for s in sources],
            score(signals, question, "extractive"),
            sources=sources,
            notes=["Computed by code from the figures cited; check them against the statements."],
            retrieved=list(ordered),
            timings=timings,
        )

    def quick_answer(self, ev: Evidence) -> dict:
        """The extractive answer from the evidence with its citations, shown while the model writes:
        {"answer": text with [n] markers, "citations": [Citation.to_dict()]}."""
        sources = ev.sources
        text, cited = parse_citations(ev.quote(), [s.n for s in sources])
        _, text, cited = self._check_support(text, sources, cited)
        by_n = {s.n: s for s in sources}
        return {"answer": text, "citations": [self._citation(by_n[n]).to_dict() for n in cited]}

    @staticmethod
    def _citation(source: Source) -> Citation:
        p = source.passage.payload
        page = int(p.get("page_start", 1))
        page_end = int(p.get("page_end", p.get("page_start", 1)))
        verified = p.get("kind") == "verified"
        return Citation(
            n=source.n,
            document=p.get("title") or p.get("path", ""),
            path=p.get("path", ""),
            doc_id=p.get("doc_id", ""),
            version=int(p.get("version", 0)),
            page=page,
            page_end=page_end,
            snippet=source.snippet,
            verified_by=str(p.get("verified_by", "")) if verified else "",
            verified_at=str(p.get("verified_at", "")) if verified else "",
            location="" if verified else source.passage.location,
            chunk_id=source.passage.id,
        )
