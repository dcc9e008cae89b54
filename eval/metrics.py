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
from eval.golden import half_of
from eval.runner import _same_doc, cited_text, location_matches

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
        "headline": headline_by_half(rows),
    }


# -- the headline table (issue 17): one cell per metric, each with the n it is measured on --------------
HEADLINE = (
    ("answerable_correct", "answerable correct (fact + right location cited)"),
    ("over_refusal", "over-refusal (answerable refused)"),
    ("unanswerable_refused", "unanswerable refused"),
    ("citation_precision", "citation precision (cites a reference document)"),
    ("citation_precision_location", "citation precision (cites a reference location)"),
    ("confidence_auroc", "confidence AUROC (answered; correct = fact + location)"),
    ("quote_replaced", "generated answers replaced by the quote"),
)


def cell(num: int, den: int) -> dict[str, Any]:
    """One ratio cell of the table: num/den (None without cases) and the n behind it."""
    return {"value": ratio(num, den), "n": den, "k": num}


def headline_correct(row: Row) -> bool:
    """The headline's notion of a correct answer: an answerable question answered (not refused) with
    every must_include fact and a citation of a reference location; an unanswerable one refused."""
    if not row["answerable"]:
        return bool(row["refused"])
    return not row["refused"] and bool(row.get("mentions")) and bool(row.get("page_hit"))


def citation_precision(rows: Sequence[Row]) -> tuple[int, int, int]:
    """(citations of a reference document, citations of a reference location, citations) over the
    answered answerable questions."""
    docs = locs = total = 0
    for r in rows:
        if not r["answerable"] or r["refused"]:
            continue
        refs = r.get("reference_sources") or []
        for c in citations(r):
            total += 1
            docs += any(_same_doc(c.get("path", ""), ref["document"]) for ref in refs)
            text = cited_text(r.get("answer") or {}, c)
            locs += any(location_matches(ref, c, text) for ref in refs)
    return docs, locs, total


def headline(rows: Sequence[Row]) -> dict[str, dict[str, Any]]:
    """The headline metrics of ``rows``, each a cell {"value", "n", "k"} (value None when n is 0):

    answerable_correct      answerable answered with the facts and a reference location cited / answerable
    over_refusal            answerable refused / answerable
    unanswerable_refused    unanswerable refused / unanswerable
    citation_precision      citations of a reference document / citations (answered answerable)
    citation_precision_location   the same, citing a reference location
    confidence_auroc        confidence ranking headline-correct above wrong answers, over answered
                            questions (n = answered; None when all are right or all wrong)
    quote_replaced          generated answers that gave way to the quoted sources (app.grounding: a
                            figure or name the sources do not hold, only markers, no citation, empty)
                            / answers the language model wrote (n = 0 for the extractive backend)
    """
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    answered = [r for r in rows if not r["refused"]]
    docs, locs, total = citation_precision(rows)
    labels = [headline_correct(r) for r in answered]
    au = auroc([float(r["confidence"]) for r in answered], labels) if answered else None
    replaced = [bool((r.get("answer") or {}).get("quote_replaced")) for r in answered]
    backends = [(r.get("answer") or {}).get("backend") or "extractive" for r in answered]
    generated = [q or b != "extractive" for q, b in zip(replaced, backends, strict=True)]
    return {
        "answerable_correct": cell(sum(headline_correct(r) for r in answerable), len(answerable)),
        "over_refusal": cell(sum(bool(r["refused"]) for r in answerable), len(answerable)),
        "unanswerable_refused": cell(sum(bool(r["refused"]) for r in unanswerable), len(unanswerable)),
        "citation_precision": cell(docs, total),
        "citation_precision_location": cell(locs, total),
        # AUROC is undefined (None) unless the answered questions hold both right and wrong ones
        "confidence_auroc": {"value": au, "n": len(answered), "k": sum(labels)},
        "quote_replaced": cell(sum(replaced), sum(generated)),
    }


def headline_by_half(rows: Sequence[Row]) -> dict[str, dict[str, dict[str, Any]]]:
    """``headline`` of the test half, the tuning half (eval.golden.half_of) and all rows."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for half in ("test", "tune"):
        members = [r for r in rows if half_of(r["item_id"]) == half]
        if members:
            out[half] = headline(members)
    out["all"] = headline(rows)
    return out


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
