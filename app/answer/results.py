"""What an answer is made of: the numbered sources it quotes, their citations, and the Answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.answer.prompt import PROMPT_VERSION
from app.answerability import EvidenceView
from app.confidence import Confidence
from app.retrieve import Passage


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


def pages_label(page: int, page_end: int) -> str:
    return f"p. {page}" if page == page_end else f"pp. {page}–{page_end}"


def citation_of(source: Source) -> Citation:
    """How ``source`` is cited: its document, version, pages or location, the units quoted."""
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
