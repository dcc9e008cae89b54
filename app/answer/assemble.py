"""The Answer from the checked text: its notes (sub-questions no document answers, versions of one
document), its citations and its confidence."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from app.answer.conflicts import conflict_note, version_conflicts
from app.answer.fallback import Checked
from app.answer.found import Evidence
from app.answer.refusal import unanswered_note
from app.answer.results import Answer, citation_of
from app.answer.text import MARKER
from app.confidence import Confidence, Signals, score
from app.evidence import has_type, question_type

if TYPE_CHECKING:  # importing app.llm would load llama-index; only the Generation's fields are read
    from app.llm import Generation


def notes_and_cited(ev: Evidence, cited: list[int]) -> tuple[list[str], list[int]]:
    """The notes under the answer, and the sources it cites: those of ``cited``, plus both sources
    of two versions of one document when it cites either."""
    pairs = [p for p in version_conflicts(ev.sources) if {p[0].n, p[1].n} & set(cited)]
    notes = []
    if ev.unanswered:
        notes.append(unanswered_note(ev.unanswered))
    if pairs:
        notes.append(conflict_note(pairs))
        for old, new in pairs:
            cited += [n for n in (old.n, new.n) if n not in cited]
    return notes, cited


def confidence(ev: Evidence, checked: Checked, gen: Generation | None) -> Confidence:
    """The answer's confidence from the retrieval signals, the answerability decision, the support
    of its sentences and, for a language model's answer, its token log-probabilities."""
    logprobs = gen.token_logprobs if gen and checked.backend != "extractive" else []
    decided = ev.decision.features if ev.decision else {}
    return score(
        Signals(
            **ev.signals,
            support=checked.support,
            mean_logprob=(sum(logprobs) / len(logprobs)) if logprobs else None,
            fallback=bool(checked.fallback_reason),
            answerable=ev.decision.probability if ev.decision else None,
            terms=decided.get("terms"),
            unit_coverage=decided.get("unit_coverage"),
            type_match=float(has_type(MARKER.sub("", checked.text), question_type(ev.question))),
        ),
        ev.question,
        checked.backend,
    )


def assemble(
    ev: Evidence, checked: Checked, gen: Generation | None, t0: float, timings: dict[str, float]
) -> Answer:
    """The answer to ``ev.question``: ``checked``'s text and notes, citations and confidence;
    ``gen`` is the language model's generation when one was made (its token counts)."""
    question, backend = ev.question, checked.backend
    notes, cited = notes_and_cited(ev, list(checked.cited))
    by_n = {s.n: s for s in ev.sources}
    citations = [citation_of(by_n[n]) for n in cited]
    conf = confidence(ev, checked, gen)
    timings["total"] = time.perf_counter() - t0
    return Answer(
        question,
        checked.text + "".join("\n\n" + note for note in notes),
        False,
        backend,
        ev.model if backend != "extractive" else "",
        citations,
        conf,
        sources=ev.sources,
        fallback_reason=checked.fallback_reason,
        notes=notes,
        injection_suspected=ev.injection,
        rewritten_query=ev.query if ev.query != question else "",
        retrieved=list(ev.passages),
        prompt_tokens=gen.prompt_tokens if gen else 0,
        completion_tokens=gen.completion_tokens if gen else 0,
        timings=timings,
        answerability=ev.decision.to_dict() if ev.decision else {},
        quote_replaced=checked.replaced,
    )
