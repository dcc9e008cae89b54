"""The quoted sources in place of a written answer: the quick answer shown while a language model
writes, and the fallback when there is no model, it failed, or its answer is no better than the
quote (empty, only markers, citing nothing, stating what its sources do not hold)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.answer.found import Evidence
from app.answer.results import Source, citation_of
from app.answer.text import parse_citations
from app.answer.verify import check_support
from app.grounding import only_markers, ungrounded

EMPTY_ANSWER = "its answer was empty, so the sources are quoted instead"


@dataclass
class Checked:
    """An answer's text with its [n] markers checked against the sources."""

    text: str
    cited: list[int]  # the source numbers it cites
    support: float  # share of its sentences backed by a cited source (app.answer.verify)
    backend: str  # "extractive" when the sources are quoted
    fallback_reason: str = ""  # why a language model's answer is not shown ("" when it is)
    replaced: bool = False  # a language model wrote an answer that gave way to the quote


def quoted(ev: Evidence) -> tuple[float, str, list[int]]:
    """The quote of the evidence (Evidence.quote) with its citations checked: (support, text, cited)."""
    text, cited = parse_citations(ev.quote(), [s.n for s in ev.sources])
    return check_support(text, ev.sources, cited)


def quick_answer(ev: Evidence) -> dict:
    """The extractive answer from the evidence with its citations, shown while the model writes:
    {"answer": text with [n] markers, "citations": [Citation.to_dict()]}."""
    _, text, cited = quoted(ev)
    by_n = {s.n: s for s in ev.sources}
    return {"answer": text, "citations": [citation_of(by_n[n]).to_dict() for n in cited]}


def not_better_than_quote(
    text: str, sources: Sequence[Source], cited: Sequence[int], support: float, injection: bool
) -> str:
    """Why a generated answer must give way to the quoted sources ("" when it may stand): it
    cites nothing, is only markers, states a figure or name its cited sources do not hold, or
    obeyed instructions in the question (``injection``) rather than the sources."""
    if not cited:  # no valid [n] and no sentence backed by a source
        return "its answer cited none of the sources, so they are quoted instead"
    if only_markers(text):
        return "its answer was only citation markers, so the sources are quoted instead"
    by_n = {s.n: s for s in sources}
    cited_text = [f"{by_n[n].snippet}\n{by_n[n].passage.text}" for n in cited if n in by_n]
    if facts := ungrounded(text, cited_text):
        shown = ", ".join(f"“{f}”" for f in facts[:3])
        return f"its answer stated {shown}, which its sources do not hold, so they are quoted instead"
    if injection and support == 0.0:  # obeyed the question, not the sources
        return "the question carried instructions and the answer was not backed by the sources"
    return ""


def check_or_quote(ev: Evidence, text: str, backend: str, fallback_reason: str, generated: bool) -> Checked:
    """``text`` (a language model's answer from ``backend``; "" when there is none) with its
    citations checked, or, when there is no text or it is not better than the quote, the quoted
    evidence in its place. ``generated``: the model returned an answer (so an empty one was
    replaced); ``fallback_reason``: why no model answered, when none did."""
    replaced = False
    if text:
        text, cited = parse_citations(text, [s.n for s in ev.sources])
        support, text, cited = check_support(text, ev.sources, cited)
        why = (
            ""
            if backend == "extractive"
            else not_better_than_quote(text, ev.sources, cited, support, ev.injection)
        )
        if not why:
            return Checked(text, cited, support, backend, fallback_reason)
        fallback_reason, replaced = why, True
    elif generated and not fallback_reason:
        fallback_reason, replaced = EMPTY_ANSWER, True
    support, text, cited = quoted(ev)
    return Checked(text, cited, support, "extractive", fallback_reason, replaced)
