"""Semantic answer cache, scoped by permission and invalidated by any change to what can be read.

Key: the asker's groups, the backend that answers and the prompt version (``fingerprint``), at one
*index version* (app.models.IndexState: it goes up on every re-ingest, delete, group change and
verified-answer change, so any of them retires every entry). Entries expire after ``ttl_hours``,
and a thumb down on an answer drops the entries for its question. Question and answer are stored
PII-redacted, as query logs are (app.querylog.redact).

A hit is exact (same normalised question) or similar (question embeddings with cosine >=
``threshold``), and is only served after the question went through the same retrieval, evidence and
refusal checks as a fresh answer (app.answer.Answerer.ask) and when

- the evidence selected now contains every chunk the cached answer cites (so a near-duplicate
  question about something else never gets it), and
- every cited document still exists at the cited version and is readable with the asker's groups.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from app.answer import PROMPT_VERSION, Answer, Citation
from app.confidence import Confidence
from app.db import Database
from app.models import utcnow
from app.querylog import redact, redact_answer
from app.visibility import doc_access, is_current, may_read

SIMILAR = 0.95
TTL_HOURS = 24.0


def fingerprint(groups: Sequence[str], backend: str, prompt_version: str = PROMPT_VERSION) -> str:
    """The readers' groups, the answering backend and the prompt version."""
    key = "\x00".join([prompt_version, backend, "", *sorted(set(groups))])
    return hashlib.sha256(key.encode()).hexdigest()


def normalise(question: str) -> str:
    """The cache's form of a question: PII redacted, lower case, punctuation and spacing folded."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", redact(question).lower())).strip()


def still_valid(db: Database, cited: Sequence[Mapping[str, Any]], groups: Sequence[str]) -> bool:
    """Every cited document exists, is at the cited version and is readable with ``groups``."""
    access = doc_access(db, (str(c.get("doc_id", "")) for c in cited))
    return all(is_current(access, c) and may_read(access, str(c.get("doc_id")), groups) for c in cited)


def answer_from_dict(d: Mapping[str, Any]) -> Answer:
    conf = d["confidence"]
    return Answer(
        question=d["question"],
        answer=d["answer"],
        refused=d["refused"],
        backend=d["backend"],
        model=d["model"],
        citations=[Citation(**c) for c in d["citations"]],
        confidence=Confidence(
            conf["score"],
            conf["band"],
            conf["reasons"],
            conf["suggest_expert"],
            conf["high_stakes"],
            dict(conf.get("features") or {}),
        ),
        notes=d.get("notes", []),
        answerability=dict(d.get("answerability") or {}),
        prompt_version=d.get("prompt_version", ""),
        cache_hit=True,
    )


@dataclass(frozen=True)
class Ticket:
    """One question's view of the cache: its key and the index version and time it was asked at
    (an answer computed while the index changed is stored under the version it started from, so
    it is never served after the change)."""

    fingerprint: str
    backend: str
    index_version: int
    now: datetime


class AnswerCache:
    def __init__(
        self,
        db: Database,
        threshold: float = SIMILAR,
        *,
        ttl_hours: float = TTL_HOURS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.threshold = threshold
        self.ttl = timedelta(hours=ttl_hours)
        self.clock = clock

    def ticket(self, groups: Sequence[str], backend: str) -> Ticket:
        return Ticket(fingerprint(groups, backend), backend, self.db.index_version(), self.clock())

    def lookup(
        self,
        ticket: Ticket,
        question: str,
        vector: np.ndarray,
        groups: Sequence[str],
        evidence: Collection[str],
    ) -> Answer | None:
        """A cached answer for ``question`` whose cited chunks are all among ``evidence`` (the
        chunk ids the evidence was selected from now) and still current and readable."""
        entries = self.db.cache_entries(ticket.fingerprint, ticket.index_version, ticket.now)
        if not entries:
            return None
        norm = normalise(question)
        exact = [e for e in entries if e.question == norm]
        if exact:
            candidates = exact
        else:
            sims = np.asarray([e.vector for e in entries], dtype=np.float32) @ vector
            candidates = [entries[i] for i in np.argsort(-sims) if sims[i] >= self.threshold][:3]
        for entry in candidates:
            cited = list(entry.cited or [])
            chunks = {str(c.get("chunk_id", "")) for c in cited}
            if chunks <= set(evidence) and still_valid(self.db, cited, groups):
                self.db.touch_cache_entry(entry.id)
                hit = answer_from_dict(entry.answer)
                hit.question = question
                return hit
        return None

    def store(self, ticket: Ticket, answer: Answer, vector: np.ndarray) -> bool:
        """Keep a good answer (redacted); refusals and fallback answers are not cached."""
        if answer.refused or answer.fallback_reason or not answer.citations or answer.cache_hit:
            return False
        self.db.purge_cache(ticket.index_version, ticket.now)
        self.db.add_cache_entry(
            fingerprint=ticket.fingerprint,
            question=normalise(answer.question),
            vector=[float(x) for x in vector],
            answer=redact_answer(answer.to_dict()),
            cited=[
                {"doc_id": c.doc_id, "version": c.version, "chunk_id": c.chunk_id} for c in answer.citations
            ],
            backend=ticket.backend,
            prompt_version=answer.prompt_version,
            index_version=ticket.index_version,
            expires_at=ticket.now + self.ttl,
        )
        return True

    def forget(self, question: str) -> int:
        """Drop every entry for ``question`` (a thumb down on one of its answers)."""
        return self.db.drop_cached_question(normalise(question))
