"""Does the confidence mean anything? AUROC, expected calibration error, a reliability table, and
fitting the confidence model's weights. Pure functions over (confidence, correct) pairs."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.metrics import roc_auc_score


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Probability that a random correct answer scores above a random wrong one (ties count half;
    scikit-learn's roc_auc_score). None when one class is missing: AUROC is undefined then."""
    if len(set(labels)) < 2:
        return None
    return float(roc_auc_score([bool(y) for y in labels], [float(s) for s in scores]))


@dataclass(frozen=True)
class Bin:
    lo: float
    hi: float
    count: int
    mean_confidence: float
    accuracy: float

    def to_dict(self) -> dict:
        return {
            "range": f"{self.lo:.1f}–{self.hi:.1f}",
            "count": self.count,
            "mean_confidence": round(self.mean_confidence, 3),
            "accuracy": round(self.accuracy, 3),
        }


def reliability_table(scores: Sequence[float], labels: Sequence[bool], bins: int = 5) -> list[Bin]:
    """Equal-width bins over [0, 1]; empty bins are left out."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [
            (s, y)
            for s, y in zip(scores, labels, strict=True)
            if lo <= s < hi or (b == bins - 1 and s == 1.0)
        ]
        if members:
            out.append(
                Bin(
                    lo,
                    hi,
                    len(members),
                    sum(s for s, _ in members) / len(members),
                    sum(1 for _, y in members if y) / len(members),
                )
            )
    return out


def expected_calibration_error(scores: Sequence[float], labels: Sequence[bool], bins: int = 10) -> float:
    """Count-weighted mean |accuracy - confidence| over equal-width bins (0 = perfectly calibrated)."""
    n = len(scores)
    if not n:
        return 0.0
    table = reliability_table(scores, labels, bins)
    return sum(b.count / n * abs(b.accuracy - b.mean_confidence) for b in table)


def band_table(bands: Sequence[str], labels: Sequence[bool]) -> dict[str, dict[str, float]]:
    """Per confidence band: how many answers and the share that were correct."""
    out: dict[str, dict[str, float]] = {}
    for band in ("high", "medium", "low"):
        ys = [y for b, y in zip(bands, labels, strict=True) if b == band]
        out[band] = {"count": len(ys), "accuracy": round(sum(ys) / len(ys), 3) if ys else 0.0}
    return out


@dataclass(frozen=True)
class Fit:
    weights: dict[str, float]
    bias: float
    cv_scores: list[float]  # out-of-fold predicted probability per example

    def to_dict(self) -> dict:
        return {"weights": {k: round(v, 4) for k, v in self.weights.items()}, "bias": round(self.bias, 4)}


def _train(xs: Sequence[Sequence[float]], ys: Sequence[bool], l2: float) -> tuple[list[float], float]:
    """Logistic regression with non-negative weights: every signal is 'more evidence', so none may
    lower the confidence (keeps the score monotone and explainable on a small development set)."""
    import numpy as np
    from scipy.optimize import minimize

    x = np.asarray(xs, dtype=float)
    y = np.asarray([float(v) for v in ys])

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        eps = 1e-12
        nll = -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)) + l2 / (2 * len(y)) * w @ w
        grad_z = (p - y) / len(y)
        return float(nll), np.append(x.T @ grad_z + l2 / len(y) * w, grad_z.sum())

    bounds = [(0.0, None)] * x.shape[1] + [(None, None)]
    res = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return [float(v) for v in res.x[:-1]], float(res.x[-1])


def _predict(x: Sequence[float], w: Sequence[float], b: float) -> float:
    z = b + sum(wi * xi for wi, xi in zip(w, x, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def fit_logistic(
    rows: Sequence[Mapping[str, float]], labels: Sequence[bool], *, folds: int = 5, l2: float = 1.0
) -> Fit:
    """L2-regularised, non-negative logistic regression of correctness on the feature rows, plus out-of-fold
    predictions (k-fold, interleaved) so the reported AUROC is not measured on the training data."""
    if len(set(labels)) < 2:
        raise ValueError("need both correct and wrong answers to fit the confidence model")
    names = sorted(rows[0])
    xs = [[float(r[k]) for k in names] for r in rows]
    w, b = _train(xs, labels, l2)
    cv = [0.0] * len(xs)
    folds = max(2, min(folds, len(xs)))
    for f in range(folds):
        test = [i for i in range(len(xs)) if i % folds == f]
        train = [i for i in range(len(xs)) if i % folds != f]
        ys_train = [labels[i] for i in train]
        if len(set(ys_train)) < 2:  # a fold without both classes: use the constant rate
            rate = sum(ys_train) / len(ys_train)
            for i in test:
                cv[i] = rate
            continue
        fw, fb = _train([xs[i] for i in train], ys_train, l2)
        for i in test:
            cv[i] = _predict(xs[i], fw, fb)
    return Fit(dict(zip(names, w, strict=True)), b, cv)


def summarise(
    features: Sequence[Mapping[str, float]],
    labels: Sequence[bool],
    current: Sequence[float],
    bands: Sequence[str],
    *,
    bins: int = 5,
) -> dict:
    """How well today's confidence ranks and calibrates the answers, and what a refit would give
    (its figures out-of-fold). One entry per answered (not refused) question."""
    report: dict = {
        "answers": len(labels),
        "correct": int(sum(labels)),
        "current": {
            "auroc": auroc(current, labels),
            "ece": round(expected_calibration_error(current, labels), 4),
            "reliability": [b.to_dict() for b in reliability_table(current, labels, bins)],
            "bands": band_table(bands, labels),
        },
    }
    if len(set(labels)) == 2 and len(labels) >= 4:
        fit = fit_logistic(features, labels)
        report["fitted"] = {
            **fit.to_dict(),
            "cv_auroc": auroc(fit.cv_scores, labels),
            "cv_ece": round(expected_calibration_error(fit.cv_scores, labels), 4),
            "cv_reliability": [b.to_dict() for b in reliability_table(fit.cv_scores, labels, bins)],
        }
    return report


# -- refitting the answerability and confidence models of one backend (docqa eval calibrate) ------------
def row_correct(row: Mapping[str, Any]) -> bool:
    """The headline's notion of a correct answer (eval.metrics.headline_correct) for a row of
    ``run_golden`` (``extra.page_hit``) or of a stored run (``page_hit``): an answerable question
    answered with every expected fact and a citation of a reference location; an unanswerable one
    refused."""
    if not row["answerable"]:
        return bool(row["answer"].get("refused"))
    page_hit = row.get("page_hit", (row.get("extra") or {}).get("page_hit"))
    return not row["answer"].get("refused") and bool(row.get("mentions")) and bool(page_hit)


def data_hash(examples: Sequence[tuple[str, bool, Mapping[str, float]]]) -> str:
    """sha256 of the training examples (id, label, features) in a canonical form: the same rows give
    the same hash, and the same hash the same weights."""
    canon = sorted(
        [i, bool(y), {k: round(float(v), 6) for k, v in sorted(f.items())}] for i, y, f in examples
    )
    return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()


def _id(row: Mapping[str, Any]) -> str:
    return str(row.get("id") or row.get("item_id"))


def _rate(hits: int, n: int) -> float | None:
    return hits / n if n else None


def refusal_rates(
    probabilities: Sequence[float],
    answerable: Sequence[bool],
    refused_anyway: Sequence[bool],
    threshold: float,
) -> dict[str, float | None]:
    """Over-refusal (answerable refused) and unanswerable refused at ``threshold``; a question refused
    whatever the model says (the language model declined, nothing was found) counts as refused."""
    refused = [p < threshold or f for p, f in zip(probabilities, refused_anyway, strict=True)]
    pos = [r for r, y in zip(refused, answerable, strict=True) if y]
    neg = [r for r, y in zip(refused, answerable, strict=True) if not y]
    return {"over_refusal": _rate(sum(pos), len(pos)), "unanswerable_refused": _rate(sum(neg), len(neg))}


def choose_threshold(
    probabilities: Sequence[float],
    answerable: Sequence[bool],
    refused_anyway: Sequence[bool] | None = None,
    *,
    max_over_refusal: float = 0.08,
) -> float:
    """The refusal threshold refusing the most unanswerable questions while refusing at most
    ``max_over_refusal`` of the answerable ones. Candidates lie midway between neighbouring
    probabilities (a margin on both sides); ties go to the lowest (refusing least)."""
    forced = list(refused_anyway or [False] * len(probabilities))
    points = sorted(set(probabilities))
    candidates = [0.0] + [(a + b) / 2 for a, b in zip(points, points[1:], strict=False)]
    best_t, best = 0.0, -1.0
    for t in candidates:
        rates = refusal_rates(probabilities, answerable, forced, t)
        if (rates["over_refusal"] or 0.0) > max_over_refusal:
            continue
        refused = rates["unanswerable_refused"] or 0.0
        if refused > best:
            best_t, best = t, refused
    return best_t


def choose_high(
    scores: Sequence[float],
    labels: Sequence[bool],
    *,
    precision: float = 0.9,
    floor: float = 0.7,
    min_count: int = 5,
) -> float:
    """The lowest confidence from which at least ``precision`` of the answers are correct (out-of-fold
    scores), never below ``floor``; 0.95 when no cut reaches it with ``min_count`` answers."""
    for t in sorted({floor, *(s for s in scores if s >= floor)}):
        members = [y for s, y in zip(scores, labels, strict=True) if s >= t]
        if len(members) >= min_count and sum(members) / len(members) >= precision:
            return round(t, 4)
    return 0.95


def _predict_row(weights: Mapping[str, float], bias: float, feats: Mapping[str, float]) -> float:
    return _predict([float(feats.get(k, 0.0)) for k in weights], list(weights.values()), bias)


def fit_answer_models(
    rows: Sequence[Mapping[str, Any]],
    *,
    max_over_refusal: float = 0.08,
    l2: float = 1.0,
    backend: str | None = None,
) -> dict[str, Any]:
    """Refit one backend's answerability model (do the documents answer the question? label: the
    item is answerable) and confidence model (is the answer right? label: ``row_correct``) from
    ``rows`` asked with the answerability decision recorded but not applied (``run_golden(...,
    decide=False)``). The refusal threshold is chosen on out-of-fold probabilities
    (``choose_threshold``); the confidence model is fitted on the questions the new threshold answers,
    with the new answerability probability as its ``answerable`` feature, and its "high" band starts
    where out-of-fold 90% of answers are right (``choose_high``); with ``backend``, only on the
    answers that backend wrote (a language model's answer that gave way to the quote is scored by the
    extractive backend's model, like a quote). Returns both models with their out-of-fold figures and
    the data hash of each training set."""
    usable = [r for r in rows if (r["answer"].get("answerability") or {}).get("features")]
    if not usable:
        raise ValueError("no row records the answerability features: ask again with `docqa eval calibrate`")
    a_feats = [dict(r["answer"]["answerability"]["features"]) for r in usable]
    a_labels = [bool(r["answerable"]) for r in usable]
    forced = [bool(r["answer"].get("refused")) for r in usable]  # refused whatever the model says
    a_fit = fit_logistic(a_feats, a_labels, l2=l2)
    threshold = choose_threshold(a_fit.cv_scores, a_labels, forced, max_over_refusal=max_over_refusal)
    p_all = [_predict_row(a_fit.weights, a_fit.bias, f) for f in a_feats]
    answerability = {
        **a_fit.to_dict(),
        "threshold": round(threshold, 4),
        "fitted": {
            "questions": len(usable),
            "answerable": sum(a_labels),
            "data_hash": data_hash(
                [(_id(r), y, f) for r, y, f in zip(usable, a_labels, a_feats, strict=True)]
            ),
            "cv_auroc": auroc(a_fit.cv_scores, a_labels),
            "cv_rates": refusal_rates(a_fit.cv_scores, a_labels, forced, threshold),
            "cv_rates_by_set": {
                name: refusal_rates(
                    *(
                        [v[i] for i, r in enumerate(usable) if r.get("set") == name]
                        for v in (a_fit.cv_scores, a_labels, forced)
                    ),
                    threshold,
                )
                for name in sorted({str(r.get("set")) for r in usable if r.get("set")})
            },
            "train_rates": refusal_rates(p_all, a_labels, forced, threshold),
        },
    }
    answered = [
        (r, p)
        for r, p, f in zip(usable, p_all, forced, strict=True)
        if not f and p >= threshold and (backend is None or r["answer"].get("backend") == backend)
    ]
    c_feats, c_labels = [], []
    for r, p in answered:
        c_feats.append(dict(r["answer"]["confidence"]["features"]) | {"answerable": p})
        c_labels.append(row_correct(r))
    confidence: dict[str, Any] = {"fitted": {"answers": len(c_labels), "correct": sum(c_labels)}}
    if len(set(c_labels)) == 2:
        c_fit = fit_logistic(c_feats, c_labels, l2=l2)
        confidence = {
            **c_fit.to_dict(),
            "high": choose_high(c_fit.cv_scores, c_labels),
            "fitted": {
                **confidence["fitted"],
                "data_hash": data_hash(
                    [(_id(r), y, f) for (r, _), y, f in zip(answered, c_labels, c_feats, strict=True)]
                ),
                "cv_auroc": auroc(c_fit.cv_scores, c_labels),
                "cv_ece": round(expected_calibration_error(c_fit.cv_scores, c_labels), 4),
                "cv_reliability": [b.to_dict() for b in reliability_table(c_fit.cv_scores, c_labels)],
            },
        }
    return {"answerability": answerability, "confidence": confidence}
