"""Semantic answer cache.

Entries are keyed by the asker's permission fingerprint (their sorted groups), so a reader never
gets an answer computed for other groups. A hit is exact (same normalised question) or similar
(question embeddings with cosine >= ``threshold``). Before a hit is served, every document it
cites must still exist, still be readable by the asker and still be at the cited version:
re-ingesting, deleting or re-permissioning a document invalidates the answers citing it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from app.answer import PROMPT_VERSION, Answer, Citation
from app.confidence import Confidence
from app.db import Database

SIMILAR = 0.95


def fingerprint(groups: Sequence[str]) -> str:
    """The readers' groups and the prompt version: a new prompt starts a fresh cache."""
    key = "\x00".join([PROMPT_VERSION, *sorted(set(groups))])
    return hashlib.sha256(key.encode()).hexdigest()


def normalise(question: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", question.lower())).strip()


def still_valid(db: Database, cited: Sequence[dict], groups: Sequence[str]) -> bool:
    """Every cited document exists, is at the cited version and is readable with ``groups``."""
    for c in cited:
        doc = db.get_document(c["doc_id"])
        if doc is None or doc.current_version != c["version"] or not set(doc.group_names) & set(groups):
            return False
    return True


def answer_from_dict(d: dict) -> Answer:
    conf = d["confidence"]
    return Answer(
        question=d["question"],
        answer=d["answer"],
        refused=d["refused"],
        backend=d["backend"],
        model=d["model"],
        citations=[Citation(**c) for c in d["citations"]],
        confidence=Confidence(
            conf["score"], conf["band"], conf["reasons"], conf["suggest_expert"], conf["high_stakes"]
        ),
        notes=d.get("notes", []),
        prompt_version=d.get("prompt_version", ""),
        cache_hit=True,
    )


class AnswerCache:
    def __init__(self, db: Database, threshold: float = SIMILAR) -> None:
        self.db = db
        self.threshold = threshold

    def lookup(self, question: str, vector: np.ndarray, groups: Sequence[str]) -> Answer | None:
        fp, norm = fingerprint(groups), normalise(question)
        entries = self.db.cache_entries(fp)
        if not entries:
            return None
        exact = [e for e in entries if e.question == norm]
        if exact:
            candidates = exact
        else:
            sims = np.asarray([e.vector for e in entries], dtype=np.float32) @ vector
            candidates = [entries[i] for i in np.argsort(-sims) if sims[i] >= self.threshold][:3]
        for entry in candidates:
            if still_valid(self.db, entry.cited, groups):
                self.db.touch_cache_entry(entry.id)
                hit = answer_from_dict(entry.answer)
                hit.question = question
                return hit
            self.db.drop_cache_entry(entry.id)  # a cited document changed: never serve it again
        return None

    def store(self, answer: Answer, vector: np.ndarray, groups: Sequence[str]) -> bool:
        """Keep a good answer; refusals and fallback answers are not cached."""
        if answer.refused or answer.fallback_reason or not answer.citations or answer.cache_hit:
            return False
        self.db.add_cache_entry(
            fingerprint=fingerprint(groups),
            question=normalise(answer.question),
            vector=[float(x) for x in vector],
            answer=answer.to_dict(),
            cited=[{"doc_id": c.doc_id, "version": c.version} for c in answer.citations],
        )
        return True
