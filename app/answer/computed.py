"""Arithmetic over a filing's statements (ratios, growth, margins): the line items are searched for,
the computation is done by code (app.figures) and every figure is cited."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from app.answer.results import Answer, Source, citation_of
from app.confidence import Signals, score
from app.figures import (
    compute_answer,
    is_primary_statement,
    line_item_queries,
    names_match,
    parse_formula,
    statement_rows,
)
from app.retrieve import Passage, search

if TYPE_CHECKING:  # handed in; importing them here would load their stacks
    from app.embeddings import Embedder
    from app.store import VectorStore

Keep = Callable[[list[Passage], Sequence[str]], list[Passage]]  # narrows passages to current versions


def computed_answer(
    store: VectorStore | None,
    embedder: Embedder | None,
    keep: Keep | None,
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
        store, embedder, question, groups, limit=6, query_vector=qvec, keep=keep,
        doc_ids=doc_ids,
    )  # fmt: skip
    if not found:
        return None
    doc = found[0].doc_id
    first = found[0].payload
    if not names_match(question, " ".join(str(first.get(k, "")) for k in ("title", "path", "company"))):
        return None  # the filing ranked first is not the company the question names
    passages = {p.id: p for p in found if p.doc_id == doc}
    queries = [f"{metric} {' '.join(str(y) for y in years)}" for metric, years in line_item_queries(formula)]
    for query in [
        *queries,
        *(f"consolidated statements {q}" for q in queries),
    ]:  # the statement pages too
        item_hits = search(
            store,
            embedder,
            query,
            groups,
            limit=8,
            candidates=60,
            keep=keep,
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
        [citation_of(s) for s in sources],
        score(signals, question, "extractive"),
        sources=sources,
        notes=["Computed by code from the figures cited; check them against the statements."],
        retrieved=list(ordered),
        timings=timings,
    )
