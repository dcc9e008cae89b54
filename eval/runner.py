"""Drive the real engine over a golden set, each question asked as its own user, and label the answers.

Questions go through the Engine interface (``app.client.InProcessEngine.ask``, the call the CLI and the
server make), so permissions, logging and the answer are the product's. The answerer behind it is
wrapped so the run also keeps what ``Answer.to_dict()`` leaves out: every passage the search retrieved
(``answer["retrieved"]``, for RAGAS' context metrics) and the section each citation's passage sits under
(``citation["section"]``, for the location check of docx/html/markdown and e-mail attachments).
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.golden import GoldenItem, mentions_all

PASSAGE_FIELDS = ("doc_id", "path", "version", "page_start", "page_end", "section", "chunk", "kind")


@dataclass
class Row:
    id: str
    question: str
    user: str
    answerable: bool
    tags: list[str]
    answer: dict[str, Any]  # app.answer.Answer.to_dict()
    correct: bool
    citation_hit: bool | None  # a reference (document, page) is among the citations; None if unanswerable
    mentions: bool | None  # the answer contains every must_include string; None if unanswerable
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return bool(self.answer.get("refused"))

    @property
    def confidence(self) -> float:
        return float(self.answer["confidence"]["score"])

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _same_doc(cited_path: str, reference: str) -> bool:
    a, b = cited_path.replace("\\", "/").lstrip("./"), reference.replace("\\", "/").lstrip("./")
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _label(text: str | None) -> str:
    """A heading or file name compared loosely: NFKC, case-folded, typographic quotes made plain,
    whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "").replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.casefold().split())


def location_matches(
    ref: Mapping[str, Any], citation: Mapping[str, Any], passage_text: str | None = None
) -> bool:
    """Does ``citation`` point at the location of the reference source ``ref`` (same document, and each
    location the reference gives)? ``page``: inside the cited page span (a sheet is its index);
    ``section``: the cited passage's section (heading path) contains that heading, or the cited
    passage (``passage_text``) holds that heading as a line of its own (a chunk spanning several
    headings carries only the first as its section); ``attachment``: the cited passage comes from that
    e-mail attachment (its section starts "Attachment: <name>"). A citation without a recorded section
    fails a section or attachment reference."""
    if not _same_doc(citation.get("path", ""), ref["document"]):
        return False
    page = ref.get("page")
    first = citation.get("page", 0)
    if page is not None and not first <= page <= citation.get("page_end", first):
        return False
    cited_section = _label(citation.get("section"))
    wanted = _label(ref.get("section"))
    if wanted and wanted not in cited_section:
        lines = {_label(line) for line in (passage_text or "").splitlines()}
        if wanted not in lines:
            return False
    attachment = ref.get("attachment")
    return not attachment or cited_section.startswith(_label(f"Attachment: {attachment}"))


def cited_text(answer: Mapping[str, Any], citation: Mapping[str, Any]) -> str | None:
    """The text of the retrieved passage a citation quotes (recorded by ``with_retrieval``), if kept."""
    chunk = citation.get("chunk_id")
    if chunk is None:
        return None
    for p in answer.get("retrieved") or []:
        if p.get("id") == chunk:
            return p.get("text")
    return None


def citation_hit(item: GoldenItem, answer: dict[str, Any], *, page: bool = True) -> bool:
    """A citation names a reference document and, with ``page`` (the default), its location too
    (``location_matches``: page, section, attachment, whichever the reference gives)."""
    for c in answer.get("citations", []):
        for ref in item.reference_sources:
            if not page:
                if _same_doc(c.get("path", ""), ref["document"]):
                    return True
            elif location_matches(ref, c, cited_text(answer, c)):
                return True
    return False


def judge(item: GoldenItem, answer: dict[str, Any]) -> tuple[bool, bool | None, bool | None]:
    """(correct, citation_hit, mentions). An answerable question is answered correctly when the answer
    is not a refusal, contains every must_include string and cites a reference document; an
    unanswerable one (absent from the documents or hidden from this asker) only by a refusal."""
    refused = bool(answer.get("refused"))
    if not item.answerable:
        return refused, None, None
    hit = citation_hit(item, answer, page=False)
    mentions = mentions_all(answer.get("answer", ""), item.must_include)
    return (not refused and hit and mentions), hit, mentions


class RecordingAnswerer:
    """An answerer that remembers the last Answer it gave (the engine returns only its dict)."""

    def __init__(self, answerer: Any) -> None:
        self.answerer = answerer
        self.last: Any = None

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        self.last = self.answerer.ask(*args, **kwargs)
        return self.last

    def __getattr__(self, name: str) -> Any:
        return getattr(self.answerer, name)


def passage_record(passage: Any) -> dict[str, Any]:
    """What a run keeps of a retrieved passage: where it is, its scores and its text."""
    p = passage.payload
    out = {"id": str(passage.id)} | {k: p.get(k) for k in PASSAGE_FIELDS if k in p}
    out |= {"score": passage.score, "dense_score": passage.dense_score, "text": passage.text}
    return out


def with_retrieval(result: dict[str, Any], answer: Any) -> dict[str, Any]:
    """``result`` (Answer.to_dict()) plus ``retrieved`` (every passage the search returned) and, on
    each citation, the ``section`` and ``chunk_id`` of the passage it cites (by its source number)."""
    if answer is None:
        return result
    by_n = {s.n: s for s in getattr(answer, "sources", [])}
    for c in result.get("citations", []):
        src = by_n.get(c.get("n"))
        if src is not None and "section" not in c:
            c["section"] = src.passage.payload.get("section", "")
            c["chunk_id"] = str(src.passage.id)
    result["retrieved"] = [passage_record(p) for p in getattr(answer, "retrieved", [])]
    return result


def run_golden(
    svc: Any,  # app.services.Services
    items: Sequence[GoldenItem],
    *,
    backend: str | None = None,
    on_row: Callable[[Row], None] | None = None,
    as_user: str | None = None,
    decide: bool = True,
) -> list[Row]:
    """Ask every item as its user (or all of them as ``as_user``) through the Engine interface
    (``InProcessEngine.ask``: the answer is logged like any other question) with the product's
    answerer, without the answer cache (every question is really answered), and label each answer
    with ``judge``. Each row's ``extra`` holds the asker's groups and whether a citation points at a
    reference location (``page_hit``: page, section or attachment; None if unanswerable).
    ``decide=False`` (``docqa eval calibrate``): the answerability model's decision is recorded on each
    answer (``answer["answerability"]``) but the question is answered anyway, so that the answer it
    would have given is labelled too."""
    from app.client import EngineError, InProcessEngine

    answerer = svc.answerer(backend)
    answerer.cache = None
    answerer.decide = decide
    recorder = RecordingAnswerer(answerer)
    engine = InProcessEngine(svc, answerer_for=lambda _backend: recorder, actor="eval")
    rows = []
    for item in items:
        user = as_user or item.user
        try:
            groups = engine.user_groups(user)
        except EngineError:
            raise ValueError(f"golden item {item.id}: no user {user!r} (seed the demo users first)") from None
        t = time.perf_counter()
        recorder.last = None
        result = engine.ask(item.question, user, backend=backend)
        result = with_retrieval(result, recorder.last)
        correct, hit, mentions = judge(item, result)
        row = Row(
            id=item.id,
            question=item.question,
            user=user,
            answerable=item.answerable,
            tags=list(item.tags),
            answer=result,
            correct=correct,
            citation_hit=hit,
            mentions=mentions,
            seconds=time.perf_counter() - t,
            extra={
                "groups": groups,
                "page_hit": citation_hit(item, result) if item.answerable else None,
            },
        )
        rows.append(row)
        if on_row:
            on_row(row)
    return rows
