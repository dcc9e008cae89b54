"""A question across documents or periods (app.subquestions): each sub-question's evidence kept to
the document it names, and the evidence of the sub-questions that can be answered merged into one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from app.answer.found import Evidence
from app.answer.guard import looks_like_injection
from app.answer.results import Answer, Source
from app.retrieve import Passage
from app.subquestions import names_document


def document_name(passage: Passage) -> str:
    return f"{passage.payload.get('title', '')} {passage.payload.get('path', '')}"


def only_named(sources: list[Source], document: str) -> list[Source]:
    """The part about a document quotes that document: the sources that name ``document`` best,
    when one names it well enough; else all of ``sources``."""
    named = [names_document(document, document_name(s.passage)) for s in sources]
    if max(named, default=0.0) >= 0.5:
        return [s for s, score in zip(sources, named, strict=True) if score == max(named)]
    return sources


def merge_source(old: Source | None, new: Source) -> Source:
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


def merge_evidence(
    question: str, qvec: np.ndarray, found: Sequence[tuple[str, Evidence | Answer]]
) -> Evidence | None:
    """The evidence for ``question`` from its sub-questions' (``found``: each sub-question with its
    Evidence, or its refusal): the sources of those that can be answered, numbered once per chunk,
    each sub-question's part keeping its own best units; the weakest part's decision and signals.
    None when no sub-question can be answered."""
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
            merged[src.passage.id] = merge_source(merged.get(src.passage.id), replace(src, n=n))
        parts.append(part)
    weakest = min((ev for _, ev in answered), key=lambda ev: ev.decision.probability if ev.decision else 1.0)
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
