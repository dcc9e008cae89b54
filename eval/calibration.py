"""Does the confidence mean anything? AUROC, expected calibration error, a reliability table, and
fitting the confidence model's weights. Pure functions over (confidence, correct) pairs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Probability that a random correct answer scores above a random wrong one (ties count half).
    None when one class is missing: AUROC is undefined then."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    # rank-sum (Mann-Whitney U) with average ranks for ties: O(n log n)
    ranked = sorted((s, i) for i, s in enumerate(scores))
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[ranked[k][1]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    u = rank_sum - len(pos) * (len(pos) + 1) / 2
    return u / (len(pos) * len(neg))


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
