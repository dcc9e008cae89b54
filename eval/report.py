"""A readable report of one evaluation run: Markdown (or HTML converted from it) with the metric
table, per-tag accuracy, the reliability table and diagram, and the failing questions.

An answer that leaked (cited a document its asker may not read) is withheld from the report: the
report only repeats text the asker was allowed to see.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from eval.metrics import leaked

METRIC_ROWS = (
    ("questions", "questions", "n"),
    ("answerable", "answerable", "n"),
    ("unanswerable", "unanswerable", "n"),
    ("answered", "answered (not refused)", "n"),
    ("accuracy", "answer accuracy (answerable)", "pct"),
    ("overall_accuracy", "overall accuracy (refusing the unanswerable counts)", "pct"),
    ("citation_validity", "citation validity", "pct"),
    ("invalid_citations", "invalid citations (must be 0)", "n"),
    ("citation_page_accuracy", "citation page accuracy (answered answerable)", "pct"),
    ("refusal_precision", "refusal precision", "pct"),
    ("refusal_recall", "refusal recall (unanswerable)", "pct"),
    ("leaks", "permission leaks (must be 0)", "n"),
    ("auroc", "confidence AUROC (answered)", "f3"),
    ("ece", "confidence ECE (answered)", "f3"),
    ("latency_p50_s", "latency p50 (s)", "f2"),
    ("latency_p95_s", "latency p95 (s)", "f2"),
    ("tokens_per_answer", "tokens per answer", "f1"),
)


RAGAS_LABELS = {
    "context_precision_nonllm": "context precision (non-LLM, vs reference pages)",
    "context_recall_nonllm": "context recall (non-LLM, vs reference pages)",
    "string_similarity": "answer vs reference: string similarity",
    "semantic_similarity": "answer vs reference: semantic similarity (MiniLM)",
    "faithfulness": "faithfulness (LLM judge)",
    "answer_relevancy": "answer relevancy (LLM judge)",
    "context_precision": "context precision (LLM judge)",
    "context_recall": "context recall (LLM judge)",
}


RAGAS_SHORT = {  # column-width names of the same metrics
    "context_precision_nonllm": "context precision (non-LLM)",
    "context_recall_nonllm": "context recall (non-LLM)",
    "string_similarity": "string similarity",
    "semantic_similarity": "semantic similarity",
    "faithfulness": "faithfulness",
    "answer_relevancy": "answer relevancy",
    "context_precision": "context precision",
    "context_recall": "context recall",
}


def ragas_rows(ragas: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(label, value) rows of a run's RAGAS entry (``metrics["ragas"]``, eval/ragas_eval.py); empty
    when the run has none."""
    if not ragas or ragas.get("mode") in (None, "none"):
        return []
    failed = ragas.get("failed") or {}
    rows = [
        (RAGAS_LABELS.get(k, k), fmt(v, "f3") + (f" (failed to score: {failed[k]})" if failed.get(k) else ""))
        for k, v in (ragas.get("metrics") or {}).items()
    ]
    if "failed" in ragas:
        rows.append(("failed to score (all metrics)", str(sum(failed.values()))))
    if ragas.get("cited_context_fallback"):
        rows.append(
            ("contexts = cited passages (run kept no retrieved ones)", str(ragas["cited_context_fallback"]))
        )
    for error in ragas.get("errors") or []:
        rows.append(("error", error))
    rows.append(("questions scored (answered, answerable)", fmt(ragas.get("scored"), "n")))
    rows.append(("questions skipped (refused, unanswerable, uncited)", fmt(ragas.get("skipped"), "n")))
    if ragas.get("context_scored") != ragas.get("scored"):
        rows.append(("questions with reference contexts", fmt(ragas.get("context_scored"), "n")))
    rows.append(("scoring time (s)", fmt(ragas.get("seconds"), "f1")))
    return rows


def headline_cell(c: Mapping[str, Any] | None, kind: str) -> str:
    """ "62.5% (20/32)" for a ratio cell, "0.712 (n=40)" for AUROC; "– (n=0)" without cases."""
    if not c:
        return "–"
    if c.get("value") is None:
        return f"– (n={c.get('n', 0)})"
    if kind == "f3":
        return f"{c['value']:.3f} (n={c['n']})"
    return f"{c['value']:.1%} ({c['k']}/{c['n']})"


def headline_rows(halves: Mapping[str, Mapping[str, Any]] | None) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the headline table (eval.metrics.HEADLINE) with one column per half present:
    test and tune (and all, when both are there)."""
    from eval.metrics import HEADLINE

    halves = halves or {}
    cols = [h for h in ("test", "tune") if h in halves]
    if len(cols) != 1 and "all" in halves:
        cols.append("all")
    header = ["metric"] + [f"{c} half" if c != "all" else "all" for c in cols]
    rows = []
    for key, label in HEADLINE:
        kind = "f3" if key == "confidence_auroc" else "pct"
        rows.append([label] + [headline_cell(halves[c].get(key), kind) for c in cols])
    return header, rows


def fmt(value: Any, kind: str = "f3") -> str:
    if value is None:
        return "–"
    if kind == "n":
        return str(value)
    if kind == "pct":
        return f"{value:.1%}"
    digits = int(kind[1:]) if kind.startswith("f") else 3
    return f"{value:.{digits}f}"


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def reliability_plot(bins: Sequence[Mapping[str, Any]], path: Path) -> str | None:
    """Write a reliability diagram PNG (needs matplotlib); returns a note instead when it cannot."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no reliability diagram (the table above has the same data)."
    if not bins:
        return "no answered questions: no reliability diagram."
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    xs = [b["mean_confidence"] for b in bins]
    ys = [b["accuracy"] for b in bins]
    sizes = [20 + 10 * b["count"] for b in bins]
    ax.plot(xs, ys, color="tab:blue")
    ax.scatter(xs, ys, s=sizes, color="tab:blue", label="answers (size = count)", zorder=3)
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.05), xlabel="mean confidence", ylabel="share correct")
    ax.set_title("reliability diagram")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return None


def _answer_text(row: Mapping[str, Any]) -> str:
    if leaked(row):
        return "[withheld: this answer cited a document its asker may not read]"
    text = (row.get("answer") or {}).get("answer", "")
    return text if len(text) <= 300 else text[:297] + "…"


def _why(row: Mapping[str, Any]) -> str:
    if not row["answerable"]:
        return "answered an unanswerable question" + (" (LEAK)" if leaked(row) else "")
    if row["refused"]:
        return "refused"
    reasons = []
    if not row.get("mentions"):
        reasons.append("missing a must-include fact")
    if not row.get("citation_hit"):
        reasons.append("no reference document cited")
    return ", ".join(reasons) or "wrong"


def render_markdown(run: Any, results: Sequence[Mapping[str, Any]], *, plot: str | None = None,
                    plot_note: str | None = None) -> str:  # fmt: skip
    """The report of ``run`` (an EvalRun) over its ``results`` (EvalResult dicts). ``plot`` is the
    diagram's path relative to the report; ``plot_note`` says why there is none."""
    m = run.metrics or {}
    s = run.settings or {}
    lines = [
        f"# Evaluation run {run.id}: {run.set_name}",
        "",
        f"- status: **{run.status}** ({len(results)} of {run.total} questions stored)",
        f"- backend: {run.backend}; model: {run.model or '–'}; prompt: {run.prompt_version}",
        f"- asked as: {s.get('as_user') or 'each item’s own user'}; limit: {s.get('limit') or '–'}",
        f"- started: {run.started_at:%Y-%m-%d %H:%M:%S}; finished: "
        + (f"{run.finished_at:%Y-%m-%d %H:%M:%S}" if run.finished_at else "–"),
        "",
        f"- half: {s.get('half') or 'all'} (eval.golden.half_of: sha256 of the question id, even = tune)",
        "",
    ]
    if m.get("headline"):
        header, rows = headline_rows(m["headline"])
        lines += ["## Headline", ""] + _table(header, rows)
    lines += ["## Metrics", ""]
    lines += _table(["metric", "value"], [(label, fmt(m.get(key), kind)) for key, label, kind in METRIC_ROWS])
    ragas = ragas_rows(m.get("ragas"))
    if ragas:
        lines += [f"## RAGAS ({m['ragas']['mode']})", ""]
        lines += _table(["metric", "value"], ragas)
        from eval.ragas_eval import by_half

        halves = by_half(m["ragas"])
        if halves:
            cols = list(halves)
            names = sorted({n for v in halves.values() for n in v})
            lines += _table(
                ["metric"] + [f"{c} half (n, failed to score)" for c in cols],
                [
                    [RAGAS_LABELS.get(n, n)]
                    + [
                        f"{fmt(halves[c][n]['value'], 'f3')} ({halves[c][n]['n']}, {halves[c][n]['failed']})"
                        if n in halves[c]
                        else "–"
                        for c in cols
                    ]
                    for n in names
                ],
            )
    lines += ["## Accuracy per tag", ""]
    tags = m.get("tags") or {}
    lines += _table(
        ["tag", "questions", "correct", "accuracy"],
        [(t, v["questions"], v["correct"], fmt(v["accuracy"], "pct")) for t, v in tags.items()],
    )
    lines += ["## Reliability (answered questions)", ""]
    bins = m.get("reliability") or []
    lines += _table(
        ["confidence", "answers", "mean confidence", "share correct"],
        [(b["range"], b["count"], f"{b['mean_confidence']:.2f}", f"{b['accuracy']:.2f}") for b in bins],
    )
    if plot:
        lines += [f"![reliability diagram]({plot})", ""]
    elif plot_note:
        lines += [f"_{plot_note}_", ""]
    failing = [r for r in results if not r["correct"]]
    lines += [f"## Failing questions ({len(failing)})", ""]
    if failing:
        lines += _table(
            ["id", "user", "tags", "why", "confidence", "question", "answer"],
            [
                (r["item_id"], r["user"], ", ".join(r.get("tags") or []), _why(r),
                 f"{r['confidence']:.2f} {r.get('band', '')}", r["question"], _answer_text(r))
                for r in failing
            ],
        )  # fmt: skip
    else:
        lines += ["None.", ""]
    return "\n".join(lines).rstrip() + "\n"


def markdown_to_html(markdown: str, title: str = "DocQA evaluation") -> str:
    """``render_markdown``'s report (CommonMark with pipe tables, via markdown-it-py) as a standalone
    HTML page. Raw HTML in the text (a question, an answer) is escaped, never rendered."""
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    style = (
        "body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:0.25em 0.5em;"
        "text-align:left;vertical-align:top}th{background:#f4f4f4}"
    )
    return (
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body>\n" + body + "</body></html>\n"
    )


def write_report(run: Any, results: Sequence[Mapping[str, Any]], out: Path) -> list[Path]:
    """Write the report to ``out`` (.md, or .html/.htm for HTML) and its reliability diagram beside it
    (``<stem>-reliability.png``). Returns the files written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    png = out.with_name(f"{out.stem}-reliability.png")
    note = reliability_plot((run.metrics or {}).get("reliability") or [], png)
    text = render_markdown(run, results, plot=None if note else png.name, plot_note=note)
    if out.suffix.lower() in (".html", ".htm"):
        out.write_text(markdown_to_html(text, f"DocQA evaluation run {run.id}"), encoding="utf-8")
    else:
        out.write_text(text, encoding="utf-8")
    return [out] if note else [out, png]
