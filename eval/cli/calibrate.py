"""`docqa eval calibrate`: how well the confidence ranks and calibrates, and the refit answerability
and confidence models (eval/calibration.py)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from app.console import out
from app.settings import Settings
from eval.cli.options import HALF_HELP, check_half


def calibrate_cmd(
    set_names: list[str] = typer.Option(
        ["demo"],
        "--set",
        help="demo, messy, financebench, clapnq (public sets: in <data_dir>/eval/<set>), or a .jsonl path; "
        "repeat to pool several sets' rows (more data, less overfitting).",
    ),
    backend: str | None = typer.Option(None, help="local, openai or extractive (default: settings)."),
    half: str = typer.Option("tune", "--half", help=HALF_HELP + " Weights are fitted on tune."),
    limit: int | None = typer.Option(None, help="Only the first N questions of each set."),
    rows_files: list[Path] = typer.Option(
        [], "--rows", help="Refit from rows earlier runs saved (repeatable) instead of asking again."
    ),
    max_over_refusal: float = typer.Option(
        0.08, help="The refusal threshold refuses at most this share of the answerable tuning questions."
    ),
    write: bool = typer.Option(
        False,
        "--write",
        help="Store the backend's refit answerability model (app/answerability_weights.json) and "
        "confidence model (app/confidence_weights.json; only when it ranks answers better out of fold than "
        "the current weights), with the data hash and prompt version.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Ask golden sets as their users with the answer-or-refuse decision recorded but not applied, label
    each answer, and report how well today's confidence ranks (AUROC) and calibrates (ECE, reliability
    table) the answers; refit the backend's answerability model (answer or refuse: fitted on whether
    each question is answerable, threshold chosen out of fold) and its confidence model (fitted on the
    answers the new threshold gives). The rows are saved, so --rows refits the same weights."""
    import datetime as dt
    import sys

    from app.answer import PROMPT_VERSION
    from app.answerability import WEIGHTS_FILE as ANSWERABILITY_FILE
    from app.confidence import WEIGHTS_FILE
    from app.console import err, fail, services
    from eval.calibration import fit_answer_models, summarise
    from eval.runner import run_golden
    from eval.runs import PUBLIC_SETS, SetError, load_set, set_path, set_settings

    check_half(half)
    asked = backend or Settings().llm_backend
    if rows_files:
        rows = [json.loads(ln) for f in rows_files for ln in f.read_text().splitlines() if ln.strip()]
        backends = sorted({r.get("backend") or "" for r in rows} - {""})
        if len(backends) > 1 or (backend and backends and backends != [backend]):
            raise fail(f"the rows were asked with {', '.join(backends)}: refit one backend at a time")
        asked = backend or (backends[0] if backends else asked)
        source = " + ".join(str(f) for f in rows_files)
    else:
        base = Settings()
        saved = base.data_dir / "eval" / f"calibrate-{asked}-{dt.datetime.now():%Y%m%d-%H%M%S}.jsonl"
        saved.parent.mkdir(parents=True, exist_ok=True)
        rows, described = [], []
        with saved.open("w") as fh:
            for set_name in set_names:
                settings = set_settings(set_name, base)  # public sets: their own state under <data_dir>/eval
                settings.answer_cache = False
                try:
                    path = set_name if set_name in PUBLIC_SETS else set_path(set_name)
                except SetError as exc:
                    raise fail(str(exc)) from None
                with services(settings) as svc:
                    try:
                        items = load_set(set_name, svc, progress=err.print, half=half)
                    except SetError as exc:
                        raise fail(str(exc)) from None
                    items = items[:limit] if limit else items
                    start, n = len(rows), len(items)

                    def on_row(row, n=n, start=start, set_name=set_name) -> None:  # noqa: ANN001
                        d = row.to_dict() | {"set": set_name, "backend": asked}
                        rows.append(d)
                        fh.write(json.dumps(d, ensure_ascii=False) + "\n")
                        fh.flush()
                        mark = "refused" if row.refused else ("correct" if row.correct else "wrong")
                        p = (row.answer.get("answerability") or {}).get("probability")
                        err.print(f"[{len(rows) - start}/{n}] {row.id} {mark} answerable "
                                  f"{'-' if p is None else f'{p:.2f}'} conf {row.confidence:.2f} "
                                  f"{row.seconds:.1f}s", highlight=False)  # fmt: skip

                    try:
                        run_golden(svc, items, backend=backend, on_row=on_row, decide=False)
                    except ValueError as exc:
                        raise fail(str(exc)) from None
                described.append(f"{path} ({len(rows) - start} questions)")
        source = f"{' + '.join(described)}, {half} half; rows saved to {saved}"
    # today's models: the questions today's answerability decision answers
    decided = [r for r in rows if (r["answer"].get("answerability") or {}).get("answer", True)]
    answered = [r for r in decided if not r["answer"]["refused"]]
    from eval.calibration import row_correct

    report = summarise(
        [r["answer"]["confidence"]["features"] for r in answered],
        [row_correct(r) for r in answered],
        [r["answer"]["confidence"]["score"] for r in answered],
        [r["answer"]["confidence"]["band"] for r in answered],
    )
    report["source"] = source
    report["backend"] = asked
    unanswerable = [r for r in decided if not r["answerable"]]
    report["refusals"] = {
        "unanswerable": sum(not r["answerable"] for r in rows),
        "refused_unanswerable": sum(not r["answerable"] for r in rows) - len(unanswerable)
        + sum(r["answer"]["refused"] for r in unanswerable),
        "refused_answerable": sum(
            r["answerable"] and (r not in decided or r["answer"]["refused"]) for r in rows
        ),
    }  # fmt: skip
    try:
        models = fit_answer_models(rows, max_over_refusal=max_over_refusal, backend=asked)
    except ValueError as exc:
        models = None
        report["refit_error"] = str(exc)
    if models:
        report["refit"] = models
    if write and models:
        if "weights" not in models["confidence"]:
            raise fail("the answered rows are all right or all wrong: no confidence model to fit")
        sets = sorted({r.get("set") or "" for r in rows} - {""})
        meta = {
            "on": source,
            "sets": sets,
            "half": half,
            "backend": asked,
            "prompt_version": PROMPT_VERSION,
            "date": f"{dt.date.today()}",
            "how": "docqa eval calibrate " + " ".join(sys.argv[sys.argv.index("calibrate") + 1 :])
            if "calibrate" in sys.argv
            else "docqa eval calibrate",
        }
        writes = [(ANSWERABILITY_FILE, models["answerability"], ("weights", "bias", "threshold"))]
        current_auroc = report["current"]["auroc"]
        refit_auroc = models["confidence"]["fitted"].get("cv_auroc")
        if current_auroc is None or (refit_auroc is not None and refit_auroc > current_auroc):
            writes.append((WEIGHTS_FILE, models["confidence"], ("weights", "bias", "high")))
        else:  # a refit that ranks answers worse out of fold than today's weights is not kept
            report["confidence_kept"] = (
                f"confidence model not written: out-of-fold AUROC {refit_auroc} <= current {current_auroc}"
            )
        for path, model, keep in writes:
            data = json.loads(path.read_text())
            data["backends"][asked] = {k: model[k] for k in keep} | {"fitted": meta | model["fitted"]}
            path.write_text(json.dumps(data, indent=2) + "\n")
        report["written"] = ", ".join(str(path) for path, _, _ in writes)
    if as_json:
        print(json.dumps(report, indent=2))
        return
    _print_calibration(report)


def _print_calibration(report: dict) -> None:
    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    out.print(f"{report['answers']} answered questions, {report['correct']} correct (fact + location) "
              f"— {report['backend']} — {report['source']}")  # fmt: skip
    ref = report["refusals"]
    out.print(f"today's decision refuses {ref['refused_unanswerable']} of {ref['unanswerable']} unanswerable "
              f"questions, and {ref['refused_answerable']} answerable ones")  # fmt: skip
    cur = report["current"]
    refit = report.get("refit") or {}
    a, c = refit.get("answerability"), refit.get("confidence") or {}
    t = Table("confidence model", "AUROC", "ECE", title="does the confidence mean anything?")
    t.add_row("current weights", fmt(cur["auroc"]), fmt(cur["ece"]))
    if c.get("weights"):
        t.add_row("refit (out-of-fold)", fmt(c["fitted"]["cv_auroc"]), fmt(c["fitted"]["cv_ece"]))
    out.print(t)
    refit_bins = c.get("fitted", {}).get("cv_reliability")
    for title, bins in (("current", cur["reliability"]), ("refit, out-of-fold", refit_bins)):
        if not bins:
            continue
        r = Table("confidence", "answers", "mean confidence", "share correct", title=f"reliability: {title}")
        for b in bins:
            r.add_row(b["range"], str(b["count"]), f"{b['mean_confidence']:.2f}", f"{b['accuracy']:.2f}")
        out.print(r)
    bands = Table("band", "answers", "share correct", title="bands (current weights)")
    for band, v in cur["bands"].items():
        bands.add_row(band, str(v["count"]), f"{v['accuracy']:.2f}")
    out.print(bands)
    if a:
        f = a["fitted"]
        out.print(
            f"refit answerability ({f['questions']} questions, {f['answerable']} answerable; "
            f"out-of-fold AUROC {fmt(f['cv_auroc'])}, over-refusal {pct(f['cv_rates']['over_refusal'])}, "
            f"unanswerable refused {pct(f['cv_rates']['unanswerable_refused'])} "
            f"at threshold {a['threshold']}): "
            + ", ".join(f"{k} {v}" for k, v in a["weights"].items())
            + f"; bias {a['bias']}"
        )
    if c.get("weights"):
        out.print(
            f"refit confidence ({c['fitted']['answers']} answers, {c['fitted']['correct']} correct; "
            f"high from {c['high']}): "
            + ", ".join(f"{k} {v}" for k, v in c["weights"].items())
            + f"; bias {c['bias']}"
        )
    if report.get("refit_error"):
        out.print(f"no refit: {report['refit_error']}")
    if report.get("written"):
        out.print(f"wrote {report['written']}")
    if report.get("confidence_kept"):
        out.print(report["confidence_kept"])
