"""The answerer: question -> retrieve -> select evidence -> decide answerability -> generate ->
verify -> confidence, with the answer cache around it. The steps are the modules of app.answer; this
one holds what needs the stores and the model."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from app.answer import fallback
from app.answer.assemble import assemble
from app.answer.computed import computed_answer
from app.answer.fallback import check_or_quote
from app.answer.found import Evidence
from app.answer.guard import PROMPT_LEAK_NOTE, guard_stream, looks_like_injection, reproduces_prompt
from app.answer.merge import merge_evidence, only_named
from app.answer.prompt import build_messages
from app.answer.refusal import is_refusal, searched_note
from app.answer.results import Answer, Source, citation_of
from app.answer.select import coverage, select_evidence
from app.answer.text import MARKER
from app.answer.verify import check_support
from app.answerability import decide, missing_terms_of
from app.answerability import features as answerability_features
from app.confidence import agreement
from app.retrieve import Passage, search, standalone_query
from app.subquestions import split_question

if TYPE_CHECKING:  # the answerer is handed these; importing them here would load their stacks
    from app.cache import AnswerCache
    from app.embeddings import Embedder
    from app.llm import Generator
    from app.store import VectorStore


class Answerer:
    """Answers as a given reader. ``generator`` is app.llm's Generator or None (extractive)."""

    def __init__(
        self,
        store: VectorStore | None,
        embedder: Embedder | None,
        generator: Generator | None = None,
        *,
        context_tokens: int = 250,
        unavailable_reason: str = "",
        cache: AnswerCache | None = None,
        keep: Callable[[list[Passage], Sequence[str]], list[Passage]] | None = None,
    ) -> None:
        self.cache = cache  # app.cache.AnswerCache or None
        self.keep = keep  # narrows retrieved passages to current versions (app.visibility)
        self.store = store
        self.embedder = embedder
        self.generator = generator
        self.context_tokens = context_tokens
        self.unavailable_reason = unavailable_reason  # why the configured LLM could not even start
        # refuse when the answerability model says so; False (`docqa eval calibrate`) records its
        # decision on the answer and answers anyway, so that every question gets a labelled answer
        self.decide = True

    def select_evidence(
        self,
        qvec: np.ndarray,
        passages: Sequence[Passage],
        top: int = 3,
        question: str = "",
        max_embed: int = 24,
    ) -> list[Source]:
        """The sources to answer from (app.answer.select.select_evidence, within ``context_tokens``)."""
        return select_evidence(self.embedder, self.context_tokens, qvec, passages, top, question, max_embed)

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
        computed = None if history else self._computed(question, groups, qvec, t0, timings, doc_ids)
        if computed is not None:
            return computed
        found = None if history else self._across(question, qvec, groups, t0, timings, use_llm, doc_ids)
        if found is None:
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
        views = [s.view() for s in ev.sources]
        feats = answerability_features(
            question, views, top_similarity=top[0], second_similarity=top[1], evidence_similarity=best,
            agreement=ev.signals["agreement"], coverage=ev.signals["coverage"],
        )  # fmt: skip
        ev.decision = decide(feats, ev.backend, missing=missing_terms_of(question, views))
        if not ev.decision.answer and self.decide:
            return ev.refusal(t0, timings, searched_note(ev.decision.missing, ev.sources))
        return ev

    def _across(
        self,
        question: str,
        qvec: np.ndarray,
        groups: Sequence[str],
        t0: float,
        timings: dict[str, float],
        use_llm: bool,
        doc_ids: Sequence[str] | None,
    ) -> Evidence | None:
        """A question naming two documents or periods (app.subquestions): each sub-question is
        searched and decided on its own, and the evidence of those that can be answered is merged,
        each keeping its own best units (app.answer.merge). None (ask the question whole) when it
        names at most one of each, or no sub-question can be answered. A sub-question that cannot
        is said so in a note."""
        found: list[tuple[str, Evidence | Answer]] = []
        for sub in split_question(question):
            ev = self._evidence(
                sub.text, sub.text, self.embedder.embed_query(sub.text), groups, t0, timings, use_llm, doc_ids
            )
            if isinstance(ev, Evidence) and sub.document:  # the part about a document quotes that document
                ev.sources = only_named(ev.sources, sub.document)
            found.append((sub.text, ev))
        return merge_evidence(question, qvec, found)

    def _compose(
        self,
        ev: Evidence,
        t0: float,
        timings: dict[str, float],
        on_token: Callable[[str], None] | None,
        use_llm: bool,
        on_quick: Callable[[dict], None] | None = None,
    ) -> Answer:
        """Answer from the evidence: the language model writes (the quick answer goes to
        ``on_quick`` first), its answer is checked and, when there is none or it is not better than
        the quote, the quoted sources stand in (app.answer.fallback)."""
        text, fallback_reason, gen = "", self.unavailable_reason, None
        if on_quick is not None and self.generator and use_llm:
            on_quick(self.quick_answer(ev) | {"seconds": round(time.perf_counter() - t0, 3)})
        if self.generator and use_llm:
            from app.llm import LLMUnavailableError  # deferred: app.llm loads llama-index (slow to import)

            t = time.perf_counter()
            evidence = "\n".join(f"{s.snippet}\n{s.passage.text}" for s in ev.sources)
            try:
                gen = self.generator.generate(
                    build_messages(ev.question, ev.sources), on_token=guard_stream(on_token, evidence)
                )
                text = gen.text.strip()
            except LLMUnavailableError as exc:
                fallback_reason = str(exc)
            timings["generate"] = time.perf_counter() - t
            if text and reproduces_prompt(text, evidence):
                return ev.refusal(t0, timings, PROMPT_LEAK_NOTE)
        if is_refusal(text) and not MARKER.search(text):  # the model declined (a quote carries markers)
            return ev.refusal(t0, timings)
        checked = check_or_quote(ev, text, ev.backend, fallback_reason, generated=gen is not None)
        return assemble(ev, checked, gen, t0, timings)

    def _computed(
        self,
        question: str,
        groups: Sequence[str],
        qvec: np.ndarray,
        t0: float,
        timings: dict[str, float],
        doc_ids: Sequence[str] | None = None,
    ) -> Answer | None:
        """Arithmetic over a filing's line items, done by code (app.answer.computed); None (answer
        as usual) when the question asks for none or a figure is missing."""
        return computed_answer(
            self.store, self.embedder, self.keep, question, groups, qvec, t0, timings, doc_ids
        )

    def quick_answer(self, ev: Evidence) -> dict:
        """The extractive answer from the evidence with its citations, shown while the model writes:
        {"answer": text with [n] markers, "citations": [Citation.to_dict()]}."""
        return fallback.quick_answer(ev)

    # the pure steps, also reachable from the class as before
    _check_support = staticmethod(check_support)
    _citation = staticmethod(citation_of)
