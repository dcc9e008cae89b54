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
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from app.confidence import Confidence, Signals, agreement, score
from app.grounding import only_markers, ungrounded
from app.retrieve import Passage, search, standalone_query, words

PROMPT_VERSION = "answer_v2"  # v2: no example answer the model can copy; no rule repeating (redteam)
REFUSAL = "I couldn't find this in the documents you can access."
PROMPT_SHINGLE_WORDS = 8  # an answer repeating this many words of the instructions in a row is withheld
PROMPT_LEAK_NOTE = "The generated answer repeated the assistant's instructions, so it was withheld."
MIN_SIMILARITY = 0.30  # best passage's cosine below this: the documents don't cover the question
CLEAR_SIMILARITY = 0.45  # between the two, the evidence must also contain most of the question's words
MIN_COVERAGE = 0.6
UNIT_MIN_SIMILARITY = 0.25
SUPPORT_THRESHOLD = 0.5
LEXICAL_WEIGHT = 0.25  # evidence score = cosine + LEXICAL_WEIGHT * share of the question's words in the unit

_MARKER = re.compile(r"\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]")
_ABBREVIATIONS = "".join(  # "Dr. Eva Lindner" is one sentence
    rf"(?<!\b{re.escape(a)})"
    for a in ("Dr.", "Mr.", "Ms.", "Mrs.", "Prof.", "St.", "No.", "e.g.", "i.e.", "vs.", "ca.", "approx.",
              "Inc.", "Ltd.", "Co.", "Nr.")
)  # fmt: skip
_SENTENCE = re.compile(r"(?<=[.!?])" + _ABBREVIATIONS + r"\s+(?=[A-Z0-9\"'(])")
_THOUSANDS = re.compile(r"(?<=\d)[,'’\u2009\u202f](?=\d{3}(?!\d))")
_TERM = re.compile(r"[A-Za-z0-9][A-Za-z0-9&\-.]*[A-Za-z0-9]|[A-Za-z0-9]")
_NOT_TERMS = frozenset(["please", "tell", "give", "list", "name", "explain", "describe"])
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
    units: list[str]  # the sentences / table rows sent to the model, in document order
    unit_scores: list[float] = field(default_factory=list)
    best_cosine: float = 0.0  # the best unit's cosine to the question (a table row with its column names)

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


def specific_terms(question: str) -> list[str]:
    """The question's names, codes and numbers: capitalised words after the first, words with digits
    ("Japan", "NW-600", "2026", "100000"), lower-cased. An answer that never mentions one of them
    answers a different question."""
    terms: list[str] = []
    for i, tok in enumerate(_TERM.findall(_THOUSANDS.sub("", question))):
        low = tok.lower()
        if low in _STOP or low in _NOT_TERMS:
            continue
        if (any(c.isdigit() for c in tok) or (i > 0 and tok[0].isupper())) and low not in terms:
            terms.append(low)
    return terms


def missing_terms(terms: Sequence[str], evidence: str) -> list[str]:
    """The terms that occur nowhere in ``evidence`` (as a word or the start of one)."""
    hay = _THOUSANDS.sub("", evidence).lower()
    return [t for t in terms if not re.search(r"(?<![a-z0-9])" + re.escape(t), hay)]


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
        units += [s.strip() for s in _SENTENCE.split(line) if s.strip()]
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
    """The best supporting sentences (or table rows with their header), each with its citation."""
    ranked = sorted(
        ((sc, s.n, i) for s in sources for i, sc in enumerate(s.unit_scores)), key=lambda t: -t[0]
    )
    picked: list[tuple[int, int]] = []
    for sc, n, i in ranked:
        if len(picked) >= max_units or (picked and sc < UNIT_MIN_SIMILARITY):
            break
        picked.append((n, i))
    by_n = {s.n: s for s in sources}
    lines: list[str] = []
    tables: dict[int, list[str]] = {}  # rows of one table go under one header
    for n, i in picked:
        unit = by_n[n].units[i]
        if not unit.startswith("|"):
            lines.append(f"{unit} [{n}]")
            continue
        if n not in tables:
            header, _ = split_units(by_n[n].passage)
            tables[n] = [header] if header else []
            lines.append(f"\0table{n}")
        tables[n].append(f"{unit} [{n}]")
    return "\n".join("\n".join(tables[int(ln[6:])]) if ln.startswith("\0table") else ln for ln in lines)


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

    @property
    def chunk_ids(self) -> set[str]:
        """The ids of the chunks the evidence was selected from."""
        return {s.passage.id for s in self.sources}

    def refusal(self, t0: float, timings: dict[str, float], reason: str = "") -> Answer:
        conf = score(Signals(**self.signals, refused=True), self.question, self.backend)
        timings["total"] = time.perf_counter() - t0
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
        )


class Answerer:
    """Answers as a given reader. ``generator`` is app.llm's Generator or None (extractive)."""

    def __init__(  # noqa: ANN001
        self,
        store,
        embedder,
        generator=None,
        *,
        context_tokens: int = 250,
        unavailable_reason: str = "",
        cache=None,
        keep: Callable[[list[Passage], Sequence[str]], list[Passage]] | None = None,
    ) -> None:
        self.cache = cache  # app.cache.AnswerCache or None
        self.keep = keep  # narrows retrieved passages to current versions (app.visibility)
        self.store = store
        self.embedder = embedder
        self.generator = generator
        self.context_tokens = context_tokens
        self.unavailable_reason = unavailable_reason  # why the configured LLM could not even start

    def select_evidence(
        self,
        qvec: np.ndarray,
        passages: Sequence[Passage],
        top: int = 3,
        question: str = "",
        max_embed: int = 24,
    ) -> list[Source]:
        """Per passage, the units most similar to the question, in document order, within the budget.
        Only the ``max_embed`` units sharing most words with the question are embedded (latency)."""
        split = [split_units(p) for p in passages[:top]]
        flat = [(pi, ui, u) for pi, (_, units) in enumerate(split) for ui, u in enumerate(units)]
        hostile = [hostile_lines(p.text) for p in passages[:top]]
        flat = [
            (pi, ui, u)
            for pi, ui, u in flat
            if not looks_like_injection(u) and not any(u in line for line in hostile[pi])
        ]
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
        counter = self.embedder.counter
        budget = self.context_tokens
        chosen: dict[int, list[tuple[int, str, float, float]]] = {}
        for k in np.argsort(-sims):
            pi, ui, unit = flat[k]
            cost = counter(unit)
            if chosen and budget - cost < 0:
                continue
            if chosen.get(pi) and sims[k] < UNIT_MIN_SIMILARITY:
                continue
            chosen.setdefault(pi, []).append((ui, unit, float(sims[k]), float(cosines[k])))
            budget -= cost
        sources = []
        for pi in sorted(chosen):
            units = sorted(chosen[pi])
            sources.append(
                Source(
                    len(sources) + 1,
                    passages[pi],
                    [u[1] for u in units],
                    [u[2] for u in units],
                    best_cosine=max(u[3] for u in units),
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
        if best < MIN_SIMILARITY or (best < CLEAR_SIMILARITY and ev.signals["coverage"] < MIN_COVERAGE):
            return ev.refusal(t0, timings)
        missing = missing_terms(specific_terms(question), " ".join(s.passage.text for s in ev.sources))
        if missing:  # "parental leave in Japan" answered with the German policy would mislead
            names = ", ".join(f"“{m}”" for m in missing)
            return ev.refusal(t0, timings, f"The passages closest to your question don't mention {names}.")
        return ev

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
        text, fallback_reason, gen = "", self.unavailable_reason, None
        if on_quick is not None and self.generator and use_llm:
            on_quick(self.quick_answer(sources) | {"seconds": round(time.perf_counter() - t0, 3)})
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
            backend = "extractive"
            text = extractive_answer(sources)
        if is_refusal(text) and not _MARKER.search(text):
            return ev.refusal(t0, timings)

        text, cited = parse_citations(text, [s.n for s in sources])
        support, text, cited = self._check_support(text, sources, cited)
        if backend != "extractive" and (
            why := self._not_better_than_quote(text, sources, cited, support, ev)
        ):
            fallback_reason, backend = why, "extractive"
            text, cited = parse_citations(extractive_answer(sources), [s.n for s in sources])
            support, text, cited = self._check_support(text, sources, cited)
        pairs = [p for p in version_conflicts(sources) if {p[0].n, p[1].n} & set(cited)]
        notes = []
        if pairs:
            notes.append(conflict_note(pairs))
            for old, new in pairs:
                cited += [n for n in (old.n, new.n) if n not in cited]
        by_n = {s.n: s for s in sources}
        citations = [self._citation(by_n[n]) for n in cited]
        logprobs = gen.token_logprobs if gen and backend != "extractive" else []
        conf = score(
            Signals(
                **ev.signals,
                support=support,
                mean_logprob=(sum(logprobs) / len(logprobs)) if logprobs else None,
                fallback=bool(fallback_reason),
            ),
            question,
            backend,
        )
        timings["total"] = time.perf_counter() - t0
        return Answer(
            question,
            text + ("\n\n" + notes[0] if notes else ""),
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

    def quick_answer(self, sources: Sequence[Source]) -> dict:
        """The extractive answer from ``sources`` with its citations, shown while the model writes:
        {"answer": text with [n] markers, "citations": [Citation.to_dict()]}."""
        text, cited = parse_citations(extractive_answer(sources), [s.n for s in sources])
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
