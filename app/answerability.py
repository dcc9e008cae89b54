"""Answer or refuse? A small fitted model, not a hand threshold (pure functions).

Signals computed offline from what retrieval and evidence selection found — the best passage's and
best sentence's similarity to the question, how far the best passage stands out, whether keyword and
meaning search agree, how many of the question's words, names, codes and numbers the evidence holds,
and whether the best sentence holds the kind of thing asked for (a number for "how many", a date for
"when") — are scaled to [0, 1] and fed to a logistic model per answer backend, whose weights, bias and
refusal threshold live in ``answerability_weights.json`` next to this module. ``docqa eval calibrate
--write`` refits them from the tuning halves and records the data hash and prompt version they came
from. Every weight is non-negative: more evidence never makes a refusal more likely.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.confidence import FEATURES as SIGNAL_FEATURES
from app.evidence import found_terms, haystack, holds_answer, is_period, specific_terms, stems

WEIGHTS_FILE = Path(__file__).with_name("answerability_weights.json")
SHARED = ("top_similarity", "evidence", "margin", "agreement", "coverage", "unit_coverage")
FEATURES = {k: SIGNAL_FEATURES[k] for k in SHARED} | {  # retrieval signals described as confidence does
    "terms": "share of the question's names, codes and numbers the sources hold (title, file name too)",
    "all_terms": "the sources hold every one of the question's names, codes and numbers",
    "periods": "share of the months, years and quarters the question names that the sources hold",
    "type_match": "the best sentence or row holds what the question asks for (a number, a date, a name) "
    "beyond what the question itself says",
}
DEFAULT_BACKEND = "local"


def _scale(x: float, lo: float, hi: float) -> float:
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


# below a cosine of 0.30 (MiniLM: unrelated text) no passage is on the question's topic, and no model
# answers: the tuning sets are written about their corpora and hold too few off-topic questions for a
# fitted model to learn this ("What is the salary band?" asked of a vacation policy)
MIN_EVIDENCE = _scale(0.30, 0.2, 0.7)


@dataclass(frozen=True)
class EvidenceView:
    """What the answerability features look at of one selected source (app.answer.Source)."""

    text: str  # the passage
    title: str = ""
    path: str = ""
    section: str = ""
    units: Sequence[str] = ()  # the selected sentences / rows, as quoted
    unit_scores: Sequence[float] = ()


def features(
    question: str,
    sources: Sequence[EvidenceView],
    *,
    top_similarity: float,
    second_similarity: float,
    evidence_similarity: float,
    agreement: float,
    coverage: float,
) -> dict[str, float]:
    """The model's inputs, each in [0, 1] and oriented so that higher means "more answerable"."""
    terms = specific_terms(question)
    hay = "\n".join(haystack(s.text + "\n" + "\n".join(s.units), s.title, s.path, s.section) for s in sources)
    found = set(found_terms(terms, hay))
    periods = [t for t in terms if is_period(t)]
    ranked = sorted(
        ((sc, u) for s in sources for sc, u in zip(s.unit_scores, s.units, strict=False)), key=lambda t: -t[0]
    )
    best_unit = ranked[0][1] if ranked else ""
    asked = stems(question)
    return {
        # MiniLM cosines: ~0.2 unrelated, ~0.5 on-topic, ~0.7 near-verbatim
        "top_similarity": _scale(top_similarity, 0.2, 0.7),
        "evidence": _scale(max(evidence_similarity, top_similarity), 0.2, 0.7),
        "margin": _scale(top_similarity - second_similarity, 0.0, 0.15),
        "agreement": agreement,
        "coverage": coverage,
        "unit_coverage": len(asked & stems(best_unit)) / len(asked) if asked else 1.0,
        "terms": len(found) / len(terms) if terms else 1.0,
        "all_terms": float(len(found) == len(terms)),
        "periods": sum(t in found for t in periods) / len(periods) if periods else 1.0,
        "type_match": float(holds_answer(best_unit, question)) if best_unit else 0.0,
    }


@dataclass(frozen=True)
class Model:
    weights: dict[str, float]
    bias: float
    threshold: float  # answer when the probability is at least this

    def probability(self, feats: Mapping[str, float]) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * float(v) for k, v in feats.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def load_models(path: Path = WEIGHTS_FILE) -> dict[str, Model]:
    """One fitted model per answer backend ("local", "extractive"); other backends use the "local" one."""
    data = json.loads(path.read_text())
    return {
        backend: Model(
            {k: float(m["weights"].get(k, 0.0)) for k in FEATURES}, float(m["bias"]), float(m["threshold"])
        )
        for backend, m in data["backends"].items()
    }


MODELS = load_models()


@dataclass(frozen=True)
class Decision:
    answer: bool
    probability: float
    threshold: float
    features: dict[str, float] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # the question's terms no source holds

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "probability": round(self.probability, 4),
            "threshold": round(self.threshold, 4),
            "features": {k: round(v, 4) for k, v in self.features.items()},
            "missing": self.missing,
        }


def decide(
    feats: Mapping[str, float],
    backend: str = DEFAULT_BACKEND,
    *,
    missing: Sequence[str] = (),
    models: Mapping[str, Model] | None = None,
) -> Decision:
    """Answer when the backend's model puts the probability that the documents answer the question
    at or above its threshold, and the best passage or sentence is on the question's topic at all
    (``MIN_EVIDENCE``)."""
    models = MODELS if models is None else models
    model = models.get(backend) or models[DEFAULT_BACKEND]
    p = model.probability(feats)
    on_topic = feats.get("evidence", 0.0) >= MIN_EVIDENCE
    return Decision(p >= model.threshold and on_topic, p, model.threshold, dict(feats), list(missing))


def missing_terms_of(question: str, sources: Sequence[EvidenceView]) -> list[str]:
    """The question's names, codes and numbers that no source (text, title, file name, section) holds."""
    terms = specific_terms(question)
    hay = "\n".join(haystack(s.text + "\n" + "\n".join(s.units), s.title, s.path, s.section) for s in sources)
    found = set(found_terms(terms, hay))
    return [t for t in terms if t not in found]
