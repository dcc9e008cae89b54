"""Evaluate (evaluators, admins): the evaluation runs `docqa eval run` stored. Runs over time (a
table and charts of the main metrics), one run's questions (filter by correct/wrong and tag; the
question, answer, citations, confidence and scores), and two runs compared (metric deltas and the
questions A got right and B got wrong, computed by the engine with eval.metrics.compare_runs).

Permission rule: evaluation results contain answer text quoted from documents, asked as other
users, so only evaluators and admins may see this page; that role is the check. It is made on the
page (``state.guard``), again before every read (``read``: the roles re-read from the database) and
once more by the engine (GET /eval/runs, /eval/runs/{id}, /eval/compare answer 403 otherwise). An
answer that leaked (cited a document its asker may not read) is withheld by the engine, as in
`docqa eval report`. The page only reads runs: they are started from the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app.ui import backend as be
from app.ui import render, state
from eval.metrics import HIGHER_IS_BETTER, LOWER_IS_BETTER
from eval.ragas_eval import flat_metrics
from eval.report import METRIC_ROWS, RAGAS_SHORT, fmt, ragas_rows

ROLES = (be.EVALUATOR, be.ADMIN)
user = state.guard(*ROLES)
B = state.backend()
LABELS = {key: label for key, label, _ in METRIC_ROWS}
KINDS = {key: kind for key, _, kind in METRIC_ROWS}
QUALITY = {  # the main metrics (0..1) charted across runs
    "accuracy": "accuracy",
    "refusal_recall": "refusal recall",
    "citation_page_accuracy": "citation page accuracy",
    "auroc": "AUROC",
}
PCT = st.column_config.NumberColumn(format="percent")


def read(call: Callable[[Any, str], Any]) -> Any:
    """Re-check the role (re-read from the database), then call the engine as the session's user;
    refusals and engine errors become messages (None)."""

    def action() -> Any:
        who = be.require_role(B, state.session(), *ROLES)
        return call(B.engine, who.name)

    return state.run_action(action)


def set_label(name: str) -> str:
    return Path(name).name if name.endswith(".jsonl") else name


def when(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


def run_label(run: Mapping[str, Any]) -> str:
    parts = (f"#{run['id']}", set_label(run["set"]), run["backend"], when(run["started"]), run["status"])
    return " · ".join(parts)


def ragas_columns(metrics: Mapping[str, Any]) -> dict[str, float | None]:
    """The run's RAGAS means as table columns ("RAGAS <short name>"), empty when it has none."""
    return {
        f"RAGAS {RAGAS_SHORT.get(k[6:], k[6:])}": v for k, v in flat_metrics(metrics.get("ragas")).items()
    }


def change(name: str, delta: float | None) -> tuple[str, str]:
    """(the change as text, better | worse | same | –) of metric ``name`` from A to B."""
    if delta is None:
        return "–", "–"
    text = f"{100 * delta:+.1f} pp" if KINDS.get(name) == "pct" else f"{delta:+.3f}"
    if abs(delta) < 1e-9:
        return text, "same"
    better = delta > 0 if name in HIGHER_IS_BETTER else delta < 0 if name in LOWER_IS_BETTER else None
    return text, "–" if better is None else "better" if better else "worse"


st.title("Evaluate")
st.caption(
    "Runs are started from the command line (`docqa eval run`); this page only reads them. "
    "Each question is asked through the real engine as its golden-set user."
)
st.code(
    "docqa eval run --set demo --backend extractive   # or --set clapnq | FILE.jsonl, --limit N\n"
    "docqa eval compare A B --fail-on-regression 0.02",
    language="bash",
)

runs = read(lambda engine, name: engine.eval_runs(name))
if runs is None:
    st.stop()
if not runs:
    st.info("No evaluation runs yet: start one with the command above.")
    st.stop()

# -- runs over time --------------------------------------------------------------------------------
st.subheader("Runs")
table = []
for r in runs:
    m = r["metrics"]
    table.append(
        {
            "id": r["id"],
            "set": set_label(r["set"]),
            "backend": r["backend"],
            "date": when(r["started"]),
            "status": r["status"],
            "questions": m.get("questions"),
            "accuracy": m.get("accuracy"),
            "refusal recall": m.get("refusal_recall"),
            "citation page accuracy": m.get("citation_page_accuracy"),
            "leaks": m.get("leaks"),
            "AUROC": m.get("auroc"),
            "latency p50 (s)": m.get("latency_p50_s"),
        }
        | ragas_columns(m)
    )
ragas_names = sorted({k for row in table for k in row if k.startswith("RAGAS ")})
columns = [k for k in table[0] if not k.startswith("RAGAS ")] + ragas_names
st.dataframe(
    [{k: row.get(k) for k in columns} for row in table],
    hide_index=True,
    column_config={
        "accuracy": PCT,
        "refusal recall": PCT,
        "citation page accuracy": PCT,
        "AUROC": st.column_config.NumberColumn(format="%.3f"),
        "latency p50 (s)": st.column_config.NumberColumn(format="%.2f"),
    }
    | {k: st.column_config.NumberColumn(format="%.3f") for k in ragas_names},
)
if leaky := [r["id"] for r in runs if (r["metrics"].get("leaks") or 0) > 0]:
    st.error(f"Permission leaks (must be 0) in run(s) {', '.join(f'#{i}' for i in leaky)}.")

scored = sorted((r for r in runs if r["metrics"]), key=lambda r: r["id"])
if len(scored) > 1:
    left, right = st.columns(2)
    frame = pd.DataFrame(
        [{"run": r["id"]} | {label: r["metrics"].get(k) for k, label in QUALITY.items()} for r in scored]
    ).set_index("run")
    with left:
        st.markdown("**Quality across runs**")
        st.line_chart(frame.astype(float), x_label="run", y_label="share")
    with right:
        st.markdown("**Latency across runs**")
        latency = pd.DataFrame(
            [
                {
                    "run": r["id"],
                    "p50": r["metrics"].get("latency_p50_s"),
                    "p95": r["metrics"].get("latency_p95_s"),
                }
                for r in scored
            ]
        ).set_index("run")
        st.line_chart(latency.astype(float), x_label="run", y_label="seconds")
    with_ragas = [r for r in scored if ragas_columns(r["metrics"])]
    if len(with_ragas) > 1:
        st.markdown("**RAGAS scores across runs** (runs scored with RAGAS)")
        ragas_frame = pd.DataFrame([{"run": r["id"]} | ragas_columns(r["metrics"]) for r in with_ragas])
        st.line_chart(ragas_frame.set_index("run").astype(float), x_label="run", y_label="score")

by_id = {r["id"]: r for r in runs}
ids = list(by_id)
questions_tab, compare_tab = st.tabs(["Questions of a run", "Compare two runs"])

# -- one run's questions -----------------------------------------------------------------------------
with questions_tab:
    run_id = st.selectbox("Run", ids, format_func=lambda i: run_label(by_id[i]), key="eval_run")
    data = read(lambda engine, name: engine.eval_run(run_id, name))
    if data:
        m, results = data["metrics"], data["results"]
        cols = st.columns(5)
        shown_metrics = ("accuracy", "refusal_recall", "citation_page_accuracy", "leaks", "auroc")
        for col, key in zip(cols, shown_metrics, strict=True):
            col.metric(QUALITY.get(key, key), fmt(m.get(key), KINDS.get(key, "f3")))
        st.caption(
            f"{len(results)} of {data['total']} questions stored · backend {data['backend']}"
            f" · model {data['model'] or '–'} · prompt {data['prompt_version'] or '–'}"
            f" · asked as {data['settings'].get('as_user') or 'each question’s own user'}"
        )
        with st.expander("All metrics of this run"):
            rows = [{"metric": label, "value": fmt(m.get(key), kind)} for key, label, kind in METRIC_ROWS]
            rows += [{"metric": label, "value": value} for label, value in ragas_rows(m.get("ragas"))]
            st.dataframe(rows, hide_index=True)
            tags = m.get("tags") or {}
            if tags:
                st.dataframe(
                    [{"tag": t} | v for t, v in tags.items()],
                    hide_index=True,
                    column_config={"accuracy": PCT},
                )
        left, right = st.columns([1, 2])
        show = left.radio("Show", ["all", "correct", "wrong"], horizontal=True, key="eval_filter")
        all_tags = sorted({t for r in results for t in r.get("tags") or []})
        chosen = right.multiselect("Tags (any of)", all_tags, key="eval_tags")
        shown = [
            r
            for r in results
            if (show == "all" or r["correct"] == (show == "correct"))
            and (not chosen or set(chosen) & set(r.get("tags") or []))
        ]
        st.dataframe(
            [
                {
                    "item": r["item_id"],
                    "correct": r["correct"],
                    "refused": r["refused"],
                    "confidence": r["confidence"],
                    "band": r["band"],
                    "page hit": r["page_hit"],
                    "latency (s)": r["latency_s"],
                    "tags": ", ".join(r.get("tags") or []),
                    "question": r["question"],
                }
                for r in shown
            ],
            hide_index=True,
            column_config={
                "confidence": st.column_config.NumberColumn(format="%.2f"),
                "latency (s)": st.column_config.NumberColumn(format="%.2f"),
            },
        )
        items = {r["item_id"]: r for r in shown}
        pick = st.selectbox(
            f"Open a question ({len(shown)} shown)",
            list(items),
            index=None,
            format_func=lambda i: f"{i} — {items[i]['question'][:90]}",
            key="eval_item",
        )
        if pick is not None:
            r = items[pick]
            answer = r["answer"] or {}
            with st.container(border=True, key="eval_detail"):
                st.badge("correct" if r["correct"] else "wrong", color="green" if r["correct"] else "red")
                st.markdown(f"**{render.md_escape(r['question'])}**")
                st.caption(
                    f"asked as {r['user']} (reads {', '.join(r['groups']) or 'nothing'}) · "
                    f"{'answerable' if r['answerable'] else 'unanswerable'} · "
                    f"tags {', '.join(r['tags']) or '–'}"
                )
                if r["leaked"]:
                    st.error("Permission leak: this answer cited a document its asker may not read.")
                st.markdown(
                    ("_(refused)_ " if r["refused"] else "") + render.md_escape(answer.get("answer", ""))
                )
                for c in answer.get("citations") or []:
                    doc = render.md_escape(c.get("document") or c.get("path", ""))
                    head = f"\\[{c.get('n', '?')}\\] **{doc}**"
                    snippet = c.get("snippet") or ""
                    snippet = snippet if len(snippet) <= 400 else snippet[:397] + "…"
                    st.markdown(f"{head} {render.pages_label(c)}: {render.md_escape(snippet)}")
                conf = answer.get("confidence") or {}
                st.markdown(
                    f"**Confidence** {r['confidence']:.2f} ({r['band'] or '?'})"
                    + (
                        f": {render.md_escape('; '.join(conf.get('reasons') or []))}"
                        if conf.get("reasons")
                        else ""
                    )
                )
                st.dataframe(
                    [
                        {
                            "correct": r["correct"],
                            "reference cited": r["citation_hit"],
                            "reference page cited": r["page_hit"],
                            "facts mentioned": r["mentions"],
                            "refused": r["refused"],
                            "latency (s)": round(r["latency_s"], 2),
                            "tokens": r["prompt_tokens"] + r["completion_tokens"],
                        }
                    ],
                    hide_index=True,
                )
                per_item = ((m.get("ragas") or {}).get("per_item") or {}).get(r["item_id"])
                if per_item:
                    st.dataframe(
                        [
                            {"RAGAS metric": RAGAS_SHORT.get(k, k), "score": fmt(v)}
                            for k, v in per_item.items()
                        ],
                        hide_index=True,
                    )
                elif m.get("ragas"):
                    st.caption("RAGAS did not score this question (refused, unanswerable or uncited).")
                refs = [
                    f"{s.get('document') or s.get('path') or s}"
                    + (f" p. {s['page']}" if s.get("page") else "")
                    if isinstance(s, Mapping)
                    else str(s)
                    for s in r.get("reference_sources") or []
                ]
                st.caption(f"Reference sources: {'; '.join(refs) or '–'}")

# -- compare two runs -------------------------------------------------------------------------------
with compare_tab:
    if len(ids) < 2:
        st.info("Comparing needs two runs.")
    else:
        c1, c2, c3 = st.columns([2, 2, 1])
        a = c1.selectbox(
            "Baseline (A)", ids, index=1, format_func=lambda i: run_label(by_id[i]), key="eval_a"
        )
        b = c2.selectbox(
            "Run to judge (B)", ids, index=0, format_func=lambda i: run_label(by_id[i]), key="eval_b"
        )
        threshold = c3.number_input(
            "Flag drops over", min_value=0.0, max_value=1.0, value=0.02, step=0.01, key="eval_threshold"
        )
        if a == b:
            st.info("Pick two different runs.")
        elif cmp := read(lambda engine, name: engine.eval_compare(a, b, name, threshold=threshold)):
            rows = []
            for name, d in cmp["deltas"].items():
                text, verdict = change(name, d["delta"])
                kind = KINDS.get(name, "f3")
                rows.append(
                    {
                        "metric": LABELS.get(name, name),
                        f"run {a}": fmt(d["a"], kind),
                        f"run {b}": fmt(d["b"], kind),
                        "change": text,
                        "verdict": verdict,
                    }
                )
            st.dataframe(rows, hide_index=True)
            for failure in cmp["failures"]:
                st.warning(f"Regression: {failure}")
            if not cmp["failures"]:
                st.success(f"No gated metric dropped by more than {threshold:g}; no leaks in run {b}.")
            regs = cmp["regressions"]
            st.markdown(
                f"**{cmp['common_questions']} questions in both runs: {len(regs)} regressed "
                f"(right in #{a}, wrong in #{b}), {len(cmp['fixes'])} fixed.**"
            )
            if regs:
                st.dataframe(
                    [
                        {
                            "item": g["item_id"],
                            "tags": ", ".join(g.get("tags") or []),
                            "question": g["question"],
                            f"answer in #{a}": g.get("a_answer", ""),
                            f"answer in #{b}": g["answer"],
                        }
                        for g in regs
                    ],
                    hide_index=True,
                )
            if cmp["fixes"]:
                st.caption(f"Fixed: {', '.join(cmp['fixes'])}")
