"""Drive the real engine over a golden set, each question asked as its own user, and label the answers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.golden import GoldenItem, mentions_all


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


def citation_hit(item: GoldenItem, answer: dict[str, Any], *, page: bool = True) -> bool:
    """A citation names a reference document (and, with ``page``, a page within its span)."""
    for c in answer.get("citations", []):
        for ref in item.reference_sources:
            if not _same_doc(c.get("path", ""), ref["document"]):
                continue
            ref_page = ref.get("page")
            if not page or ref_page is None or c["page"] <= ref_page <= c.get("page_end", c["page"]):
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


def run_golden(
    svc: Any,  # app.services.Services
    items: Sequence[GoldenItem],
    *,
    backend: str | None = None,
    on_row: Callable[[Row], None] | None = None,
    as_user: str | None = None,
) -> list[Row]:
    """Ask every item as its user (or all of them as ``as_user``) through the same answerer the
    product uses (no answer cache: every question is really answered) and label each answer with
    ``judge``. Each row's ``extra`` holds the asker's groups and whether a cited page holds a
    reference page (``page_hit``, None if unanswerable)."""
    from app.access import user_groups

    answerer = svc.answerer(backend)
    answerer.cache = None
    rows = []
    for item in items:
        user = as_user or item.user
        if svc.db.get_user(user) is None:
            raise ValueError(f"golden item {item.id}: no user {user!r} (seed the demo users first)")
        groups = user_groups(svc.db, user)
        t = time.perf_counter()
        result = answerer.ask(item.question, groups).to_dict()
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
