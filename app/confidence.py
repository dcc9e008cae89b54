"""Confidence: signals we can compute offline -> a score in [0, 1] -> high / medium / low + reasons.

Pure functions. The score is a logistic model over signals scaled to [0, 1]; its weights live in
``confidence_weights.json`` next to this module, one set per answer backend (a generated answer
and a quoted one carry different signals), fitted on a labelled development set by
``docqa eval calibrate --write`` (which records what they were fitted on and the out-of-fold AUROC).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HIGH, MEDIUM = 0.70, 0.40

WEIGHTS_FILE = Path(__file__).with_name("confidence_weights.json")
FEATURES = {
    "top_similarity": "cosine of the best passage to the question",
    "evidence": "cosine of the best sentence or table row to the question",
    "margin": "how much the best passage stands out from the second",
    "agreement": "dense and BM25 rankings agree on the best passages",
    "coverage": "share of the question's content words found in the best source",
    "support": "share of answer sentences supported by their cited source",
    "fluency": "mean token probability of the generated answer",
    "answerable": "the answerability model's probability that the documents answer the question",
    "terms": "share of the question's names, codes and numbers the sources hold",
    "type_match": "the answer holds what the question asks for (a number, a date, a name)",
    "unit_coverage": "share of the question's content words in the best sentence or row",
}


Model = tuple[dict[str, float], float]  # (weights, bias)


def load_weights(path: Path = WEIGHTS_FILE) -> dict[str, Model]:
    """One fitted model per answer backend ("local", "extractive"); others use the "local" one."""
    data = json.loads(path.read_text())
    return {
        backend: ({k: float(m["weights"].get(k, 0.0)) for k in FEATURES}, float(m["bias"]))
        for backend, m in data["backends"].items()
    }


def load_high(path: Path = WEIGHTS_FILE) -> dict[str, float]:
    """Per backend, the score from which an answer is in the "high" band (fitted so that at least 90%
    of the tuning answers above it were right; HIGH when not fitted)."""
    data = json.loads(path.read_text())
    return {backend: float(m.get("high", HIGH)) for backend, m in data["backends"].items()}


MODELS = load_weights()
HIGH_FROM = load_high()
DEFAULT_BACKEND = "local"

HIGH_STAKES = {
    "legal": r"\b(legal|lawsuit|contract|liabilit\w*|court|attorney|lawyer|gdpr|compliance|dismiss\w*)\b",
    "medical": r"\b(medical|medicine|doctor|illness|sick|injur\w*|health|pregnan\w*|disabilit\w*)\b",
    "safety": r"\b(safety|hazard\w*|emergency|fire|accident|danger\w*|incident)\b",
    "pay": r"\b(salary|salaries|pay|payroll|compensation|bonus|wage\w*|band|bands)\b",
}


@dataclass(frozen=True)
class Signals:
    top_similarity: float = 0.0
    second_similarity: float = 0.0
    evidence_similarity: float = 0.0  # the best sentence / table row's cosine (>= top_similarity)
    agreement: float = 0.0
    coverage: float = 0.0
    support: float | None = None  # None: no generated sentences to check (refusal)
    mean_logprob: float | None = None
    refused: bool = False
    fallback: bool = False
    # from the answerability model (app.answerability); None: not computed (neutral 0.5)
    answerable: float | None = None
    terms: float | None = None
    unit_coverage: float | None = None
    type_match: float | None = None  # the answer itself holds the kind of thing asked for


@dataclass(frozen=True)
class Confidence:
    score: float
    band: str  # high | medium | low
    reasons: list[str] = field(default_factory=list)
    suggest_expert: bool = False
    high_stakes: list[str] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)  # the scaled signals the score came from

    @property
    def message(self) -> str:
        return {
            "high": "Well supported by the cited documents.",
            "medium": "Partly supported: check the cited passages.",
            "low": "Weak support: verify with the sources or ask an expert.",
        }[self.band]

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 3),
            "band": self.band,
            "message": self.message,
            "reasons": self.reasons,
            "suggest_expert": self.suggest_expert,
            "high_stakes": self.high_stakes,
            "features": {k: round(v, 4) for k, v in self.features.items()},
        }


def high_stakes_topics(question: str) -> list[str]:
    q = question.lower()
    return [topic for topic, pattern in HIGH_STAKES.items() if re.search(pattern, q)]


def agreement(dense_ids: Sequence[str], sparse_ids: Sequence[str], k: int = 5) -> float:
    """Overlap of the two rankings' top-k (1.0 = same passages)."""
    a, b = set(dense_ids[:k]), set(sparse_ids[:k])
    return len(a & b) / k if a or b else 0.0


def _scale(x: float, lo: float, hi: float) -> float:
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


def features(s: Signals) -> dict[str, float]:
    return {
        # MiniLM cosines: ~0.2 unrelated, ~0.5 on-topic, ~0.7 near-verbatim
        "top_similarity": _scale(s.top_similarity, 0.2, 0.7),
        "evidence": _scale(max(s.evidence_similarity, s.top_similarity), 0.2, 0.7),
        "margin": _scale(s.top_similarity - s.second_similarity, 0.0, 0.15),
        "agreement": s.agreement,
        "coverage": s.coverage,
        "support": 0.5 if s.support is None else s.support,
        "fluency": 0.5 if s.mean_logprob is None else math.exp(max(-5.0, min(0.0, s.mean_logprob))),
        "answerable": 0.5 if s.answerable is None else s.answerable,
        "terms": 0.5 if s.terms is None else s.terms,
        "type_match": 0.5 if s.type_match is None else s.type_match,
        "unit_coverage": 0.5 if s.unit_coverage is None else s.unit_coverage,
    }


def score(s: Signals, question: str = "", backend: str = DEFAULT_BACKEND) -> Confidence:
    f = features(s)
    weights, bias = MODELS.get(backend) or MODELS[DEFAULT_BACKEND]
    z = bias + sum(weights.get(k, 0.0) * v for k, v in f.items())
    value = 1.0 / (1.0 + math.exp(-z))
    reasons: list[str] = []
    if s.refused:
        value = min(value, 0.35)
        reasons.append("no passage you can access answers this question")
    if s.fallback:
        value = min(value, 0.6)
        reasons.append(
            "the language model was unavailable or its answer was not backed by the sources: "
            "sentences quoted from the sources"
        )
    if f["top_similarity"] >= 0.6:
        reasons.append(f"a passage closely matches the question (similarity {s.top_similarity:.2f})")
    elif not s.refused:
        reasons.append(
            f"the best passage only loosely matches the question (similarity {s.top_similarity:.2f})"
        )
    if s.support is not None:
        reasons.append(f"{s.support:.0%} of the answer's sentences are backed by the passage they cite")
    if s.agreement >= 0.6:
        reasons.append("keyword and meaning search agree on the sources")
    elif s.agreement <= 0.2 and not s.refused:
        reasons.append("keyword and meaning search found different sources")
    high = HIGH_FROM.get(backend, HIGH_FROM.get(DEFAULT_BACKEND, HIGH))
    band = "high" if value >= high else "medium" if value >= MEDIUM else "low"
    stakes = high_stakes_topics(question)
    if stakes:
        reasons.append(f"high-stakes topic ({', '.join(stakes)}): an expert can confirm")
    return Confidence(
        value, band, reasons, suggest_expert=band == "low" or bool(stakes), high_stakes=stakes, features=f
    )
