"""What retrieval found for a question and the evidence selected from it (Evidence), and the
refusal when it does not answer the question."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from app.answer.refusal import REFUSAL, searched_note
from app.answer.results import Answer, Source
from app.answer.select import extractive_answer
from app.answerability import Decision
from app.confidence import Signals, score
from app.retrieve import Passage


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
