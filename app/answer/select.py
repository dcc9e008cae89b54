"""Evidence selection: the sentences and table rows of the retrieved passages that answer the
question, within a token budget; and the quick answer that quotes the best of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from app.answer.guard import hostile_lines, looks_like_injection
from app.answer.results import Source
from app.answer.text import is_email, keyed_row, overlap, quoted_unit, split_units
from app.evidence import asks_about_header, email_roles, holds_answer, question_type, term_share
from app.retrieve import Passage, words

if TYPE_CHECKING:  # handed in; importing it here would load the embedding model's stack
    from app.embeddings import Embedder

UNIT_MIN_SIMILARITY = 0.25
LEXICAL_WEIGHT = 0.25  # evidence score = cosine + LEXICAL_WEIGHT * share of the question's words in the unit
TYPE_WEIGHT = 0.1  # + this when the unit holds what the question asks for (a number for "how many")
TERM_WEIGHT = 0.15  # + this times the share of the question's names and codes in a table row
ASIDE_WEIGHT = 0.25  # - this for an e-mail's header lines, signature and quoted reply (unless asked)
FOLLOW_ON = 4  # a unit ending in ":" ("The following commands can be used:") brings this many next ones
FOLLOW_ON_SLACK = 60  # tokens they may go beyond the evidence budget


def select_evidence(
    embedder: Embedder,
    context_tokens: int,
    qvec: np.ndarray,
    passages: Sequence[Passage],
    top: int = 3,
    question: str = "",
    max_embed: int = 24,
) -> list[Source]:
    """Per passage, the units most similar to the question, in document order, within the budget
    (``context_tokens``, counted by ``embedder``). Only the ``max_embed`` units sharing most words
    with the question are embedded (latency).

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
    cosines = embedder.embed_documents(scored) @ qvec
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
    counter = embedder.counter
    budget = context_tokens
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


def coverage(question: str, sources: Sequence[Source]) -> float:
    """Share of the question's content words that the best single source contains."""
    return max((overlap(question, s.snippet + " " + s.passage.text) for s in sources), default=0.0)
