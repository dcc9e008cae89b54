"""Answer-quality metrics of one evaluation run, and the comparison of two runs. Pure functions over
result rows: dicts with the fields of ``app.models.EvalResult`` (``EvalResult.to_dict()``).

A citation is *valid* when its document exists and shares a group with the asker (``groups``), using
the groups recorded when the run asked (``citation_groups``: doc_id -> groups, null for a missing
document). A *leak* is a result citing a restricted item's ``hidden_source`` or any document outside
the asker's groups; it must never happen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.insights import percentile
from eval.calibration import auroc, expected_calibration_error, reliability_table
from eval.runner import _same_doc

Row = Mapping[str, Any]

# metrics where higher is better / lower is better (for deltas and regressions)
HIGHER_IS_BETTER = (
    "accuracy",
    "overall_accuracy",
    "citation_validity",
    "citation_page_accuracy",
    "refusal_precision",
    "refusal_recall",
    "auroc",
)
LOWER_IS_BETTER = ("invalid_citations", "leaks", "ece", "latency_p50_s", "latency_p95_s", "tokens_per_answer")
GATED = ("accuracy", "refusal_recall", "citation_page_accuracy")  # --fail-on-regression watches these


def ratio(num: int, den: int) -> float | None:
    """num/den, or None when there is nothing to divide (a metric with no cases is undefined, not 0)."""
    return num / den if den else None


def citations(row: Row) -> list[dict]:
    return list((row.get("answer") or {}).get("citations") or [])


def invalid_citations(row: Row) -> list[dict]:
    """The citations of ``row`` whose document is missing or not readable by the asker's groups."""
    groups = set(row.get("groups") or [])
    known = row.get("citation_groups") or {}
    bad = []
    for c in citations(row):
        owners = known.get(c.get("doc_id"))
        if owners is None or not groups & set(owners):
            bad.append(c)
    return bad


def leaked(row: Row) -> bool:
    """The answer cites the item's hidden source, or a document the asker may not read."""
    hidden = row.get("hidden_source")
    if hidden and any(_same_doc(c.get("path", ""), hidden) for c in citations(row)):
        return True
    return bool(invalid_citations(row))


def tag_accuracy(rows: Sequence[Row]) -> dict[str, dict[str, float | int]]:
    """Per tag: questions, correct ones and the share correct (answerable and unanswerable alike)."""
    out: dict[str, dict[str, float | int]] = {}
    for tag in sorted({t for r in rows for t in r.get("tags") or []}):
        members = [r for r in rows if tag in (r.get("tags") or [])]
        correct = sum(1 for r in members if r["correct"])
        out[tag] = {"questions": len(members), "correct": correct, "accuracy": correct / len(members)}
    return out


def run_metrics(rows: Sequence[Row], *, bins: int = 5) -> dict[str, Any]:
    """Every metric of a run (None where a metric has no cases):

    accuracy            correct / answerable questions
    overall_accuracy    correct / all questions (refusing an unanswerable one is correct)
    citation_validity   valid citations / citations (invalid_citations counts the others; must be 0)
    citation_page_accuracy  a reference page inside a cited span / answered answerable questions
    refusal_precision   refused unanswerable / refused;  refusal_recall: refused unanswerable / unanswerable
    leaks               results with a leak (must be 0)
    auroc, ece          confidence vs correctness over answered questions; reliability: the table
    latency_p50_s/p95_s, tokens_per_answer (prompt + completion, mean over answered questions)
    """
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    answered = [r for r in rows if not r["refused"]]
    refused = [r for r in rows if r["refused"]]
    answered_answerable = [r for r in answerable if not r["refused"]]
    n_citations = sum(len(citations(r)) for r in rows)
    n_invalid = sum(len(invalid_citations(r)) for r in rows)
    scores = [float(r["confidence"]) for r in answered]
    labels = [bool(r["correct"]) for r in answered]
    latencies = [float(r["latency_s"]) for r in rows]
    tokens = [int(r.get("prompt_tokens") or 0) + int(r.get("completion_tokens") or 0) for r in answered]
    au = auroc(scores, labels) if answered else None
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answered": len(answered),
        "refused": len(refused),
        "correct": sum(1 for r in rows if r["correct"]),
        "accuracy": ratio(sum(1 for r in answerable if r["correct"]), len(answerable)),
        "overall_accuracy": ratio(sum(1 for r in rows if r["correct"]), len(rows)),
        "citations": n_citations,
        "invalid_citations": n_invalid,
        "citation_validity": ratio(n_citations - n_invalid, n_citations),
        "citation_page_accuracy": ratio(
            sum(1 for r in answered_answerable if r.get("page_hit")), len(answered_answerable)
        ),
        "refusal_precision": ratio(sum(1 for r in refused if not r["answerable"]), len(refused)),
        "refusal_recall": ratio(sum(1 for r in unanswerable if r["refused"]), len(unanswerable)),
        "leaks": sum(1 for r in rows if leaked(r)),
        "auroc": au,
        "ece": expected_calibration_error(scores, labels) if answered else None,
        "reliability": [b.to_dict() for b in reliability_table(scores, labels, bins)],
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "tokens_per_answer": ratio(sum(tokens), len(tokens)),
        "tags": tag_accuracy(rows),
    }


SCALARS = HIGHER_IS_BETTER + LOWER_IS_BETTER


def compare_runs(
    a_metrics: Mapping[str, Any],
    b_metrics: Mapping[str, Any],
    a_rows: Sequence[Row],
    b_rows: Sequence[Row],
    *,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Per-metric deltas (B - A), per-question regressions (correct in A, wrong in B) and fixes, and
    the gate: failures name each gated metric that dropped by more than ``threshold`` and leaks in B."""
    deltas = {}
    for name in SCALARS:
        a, b = a_metrics.get(name), b_metrics.get(name)
        deltas[name] = {"a": a, "b": b, "delta": None if a is None or b is None else b - a}
    a_by_id = {r["item_id"]: r for r in a_rows}
    b_by_id = {r["item_id"]: r for r in b_rows}
    common = [i for i in a_by_id if i in b_by_id]
    regressions = [i for i in common if a_by_id[i]["correct"] and not b_by_id[i]["correct"]]
    fixes = [i for i in common if not a_by_id[i]["correct"] and b_by_id[i]["correct"]]
    failures = []
    if threshold is not None:
        for name in GATED:
            d = deltas[name]["delta"]
            if d is not None and -d > threshold:
                failures.append(f"{name} dropped by {-d:.3f} (> {threshold})")
    if (b_metrics.get("leaks") or 0) > 0:
        failures.append(f"{b_metrics['leaks']} permission leak(s) in B")
    return {
        "deltas": deltas,
        "common_questions": len(common),
        "regressions": [
            {"item_id": i, "question": b_by_id[i]["question"], "answer": b_by_id[i]["answer"].get("answer")}
            for i in regressions
        ],
        "fixes": fixes,
        "failures": failures,
    }
