"""`docqa eval run | list | report | compare` (EvalRun rows; eval/runs.py)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from app.console import out
from app.settings import Settings
from eval.cli.options import HALF_HELP, check_half


def _print_headline(metrics: dict, title: str) -> None:
    """The one table of a run: answerable correct, over-refusal, unanswerable refused, citation
    precision and confidence AUROC, each with the n it is measured on, per half."""
    from eval.report import headline_rows

    header, rows = headline_rows(metrics.get("headline"))
    t = Table(*header, title=title)
    for row in rows:
        t.add_row(*row)
    out.print(t)


def _print_metrics(metrics: dict, title: str) -> None:
    from eval.report import METRIC_ROWS, fmt

    t = Table("metric", "value", title=title)
    for key, label, kind in METRIC_ROWS:
        t.add_row(label, fmt(metrics.get(key), kind))
    out.print(t)
    tags = metrics.get("tags") or {}
    if tags:
        tt = Table("tag", "questions", "correct", "accuracy", title="accuracy per tag")
        for tag, v in tags.items():
            tt.add_row(tag, str(v["questions"]), str(v["correct"]), fmt(v["accuracy"], "pct"))
        out.print(tt)
    _print_ragas(metrics.get("ragas"))


def _print_ragas(ragas: dict | None) -> None:
    from eval.report import ragas_rows

    rows = ragas_rows(ragas)
    if not rows:
        return
    t = Table("RAGAS metric", "value", title=f"RAGAS ({ragas['mode']})")
    for label, value in rows:
        t.add_row(label, value)
    out.print(t)
    from eval.ragas_eval import by_half
    from eval.report import RAGAS_LABELS

    halves = by_half(ragas)
    if halves:
        cols = list(halves)
        h = Table("RAGAS metric", *(f"{c} half" for c in cols), title="RAGAS per half (n scored, failed)")
        for name in sorted({n for v in halves.values() for n in v}):
            cells = []
            for c in cols:
                v = halves[c].get(name)
                cells.append("–" if v is None else ("–" if v["value"] is None else f"{v['value']:.3f}")
                             + f" (n={v['n']}, failed {v['failed']})")  # fmt: skip
            h.add_row(RAGAS_LABELS.get(name, name), *cells)
        out.print(h)


def run_cmd(
    set_name: str | None = typer.Option(
        None,
        "--set",
        help="demo, messy, financebench, clapnq (the public sets are ingested into <data_dir>/eval/<set>), "
        "or a .jsonl path.",
    ),
    half: str = typer.Option("test", "--half", help=HALF_HELP),
    corpus: Path | None = typer.Option(
        None,
        "--corpus",
        help="financebench: the folder of filings (default ../shared/data/financebench-dev/pdfs).",
    ),
    details: bool = typer.Option(
        False, "--details", help="Also print every metric and the accuracy per tag."
    ),
    as_user: str | None = typer.Option(None, "--as", help="Ask every question as this user."),
    limit: int | None = typer.Option(None, min=1, help="Only the first N questions (of the half)."),
    backend: str | None = typer.Option(None, help="local, openai or extractive (default: settings)."),
    resume: int | None = typer.Option(None, "--resume", help="Continue run RUN_ID: ask only what it lacks."),
    ragas: str = typer.Option(
        "nonllm",
        "--ragas",
        help="RAGAS scores of the answers: none; nonllm (no judge: context precision/recall against the "
        "reference pages, string and MiniLM similarity to the reference answer); llm (faithfulness, answer "
        "relevancy, context precision/recall judged by the configured LLM backend: slow on CPU).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the run's metrics as JSON."),
) -> None:
    """Ask a golden set through the real engine (each question as its set's user), store an EvalRun with
    one row per question, and print one table: answerable correct (fact present and a reference location
    cited), over-refusal, unanswerable refused, citation precision, confidence AUROC, with n per cell.
    Ctrl-C keeps what was answered (status "interrupted"); --resume continues."""
    from contextlib import ExitStack

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from app.console import err, fail, services
    from eval.runs import SetError, check_ready, execute_run, load_set, pending, set_settings, start_run

    if ragas not in ("none", "nonllm", "llm"):
        raise fail(f"--ragas must be none, nonllm or llm, got {ragas!r}")
    check_half(half)
    base = Settings()
    base.answer_cache = False
    with ExitStack() as stack:
        rec = stack.enter_context(services(base))  # the runs live in the configured data dir
        run = None
        if resume is not None:
            run = rec.db.get_eval_run(resume)
            if run is None:
                raise fail(f"no evaluation run {resume}")
            if set_name and set_name != run.set_name:
                raise fail(f"run {resume} is over set {run.set_name!r}, not {set_name!r}")
            if as_user or limit or backend or corpus:
                raise fail(
                    "--resume continues a run with its own --as, --limit, --half, --corpus and --backend"
                )
            set_name = run.set_name
            as_user, limit = run.settings.get("as_user"), run.settings.get("limit")
            half = run.settings.get("half") or "all"
            corpus = Path(run.settings["corpus"]) if run.settings.get("corpus") else None
        elif not set_name:
            raise fail(
                "give --set NAME (demo, messy, financebench, clapnq or a .jsonl path) or --resume RUN_ID"
            )
        settings = set_settings(set_name, base)
        eng = rec if settings.data_dir == base.data_dir else stack.enter_context(services(settings))
        try:
            items = load_set(set_name, eng, progress=err.print, half=half, corpus=corpus)
            items = items[:limit] if limit else items
            check_ready(eng, items, as_user)
        except (SetError, ValueError) as exc:
            raise fail(str(exc)) from None
        if run is None:
            run = start_run(
                rec.db, set_name, settings, total=len(items), backend=backend, as_user=as_user, limit=limit,
                half=half, corpus=corpus,
            )  # fmt: skip
        todo = pending(rec.db, run, items)
        err.print(f"evaluation run {run.id}: {set_name} ({half} half), {todo} of {len(items)} to ask",
                  highlight=False)  # fmt: skip
        bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=err, transient=True,
        )  # fmt: skip
        with bar:
            task = bar.add_task(f"run {run.id}", total=len(items), completed=len(items) - todo)
            try:
                status, metrics = execute_run(eng, rec.db, run, items, on_result=lambda _: bar.advance(task))
            except ValueError as exc:
                raise fail(str(exc)) from None
        if status == "done" and ragas != "none":
            from app.llm import LLMUnavailableError
            from eval.runs import score_ragas

            err.print(f"RAGAS ({ragas}) scoring of run {run.id} …", highlight=False)
            try:
                metrics["ragas"] = score_ragas(eng, rec.db, run, items, ragas, settings)
            except (ValueError, LLMUnavailableError) as exc:
                raise fail(f"RAGAS scoring failed: {exc}") from None
    if as_json:
        print(json.dumps({"run": run.id, "status": status, "metrics": metrics}, indent=2))
    else:
        backend_name = run.backend or backend or settings.llm_backend
        _print_headline(metrics, f"evaluation run {run.id}: {set_name} × {backend_name} ({status})")
        if details:
            _print_metrics(metrics, "every metric")
        else:
            _print_ragas(metrics.get("ragas"))
    if status == "interrupted":
        err.print(f"interrupted: continue with `docqa eval run --resume {run.id}`", highlight=False)
        raise typer.Exit(130)


def list_cmd(
    limit: int = typer.Option(50, min=1, help="The newest N runs."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The evaluation runs stored in this data dir, newest first."""
    from app.console import services
    from eval.report import fmt

    with services(Settings()) as svc:
        runs = svc.db.list_eval_runs(limit)
        counts = {r.id: len(svc.db.list_eval_results(r.id)) for r in runs}
    if as_json:
        print(json.dumps([{
            "id": r.id, "set": r.set_name, "status": r.status, "backend": r.backend, "model": r.model,
            "started_at": r.started_at.isoformat(), "questions": counts[r.id], "total": r.total,
            "accuracy": (r.metrics or {}).get("accuracy"), "leaks": (r.metrics or {}).get("leaks"),
        } for r in runs], indent=2))  # fmt: skip
        return
    t = Table("id", "set", "status", "backend", "started", "questions", "accuracy", "refusal recall", "leaks",
              title="evaluation runs")  # fmt: skip
    for r in runs:
        m = r.metrics or {}
        t.add_row(str(r.id), r.set_name, r.status, r.backend, f"{r.started_at:%Y-%m-%d %H:%M}",
                  f"{counts[r.id]}/{r.total}", fmt(m.get("accuracy"), "pct"),
                  fmt(m.get("refusal_recall"), "pct"), fmt(m.get("leaks"), "n"))  # fmt: skip
    out.print(t)


def report_cmd(
    run_id: int = typer.Argument(..., help="An evaluation run id (docqa eval list)."),
    out_file: Path | None = typer.Option(
        None, "--out", help="FILE.md or FILE.html (default <data_dir>/eval/run-ID.md)."
    ),
) -> None:
    """Write a run's report: metrics, accuracy per tag, reliability table and diagram, failing questions."""
    from app.console import fail, services
    from eval.report import write_report

    settings = Settings()
    with services(settings) as svc:
        run = svc.db.get_eval_run(run_id)
        if run is None:
            raise fail(f"no evaluation run {run_id}")
        results = [r.to_dict() for r in svc.db.list_eval_results(run_id)]
    target = out_file or settings.data_dir / "eval" / f"run-{run_id}.md"
    for path in write_report(run, results, target):
        out.print(f"wrote {path}")


def _ragas_deltas(a_metrics: dict | None, b_metrics: dict | None) -> dict:
    """Deltas (B - A) of the RAGAS scores either run has (ragas_<name>; higher is better)."""
    from eval.ragas_eval import flat_metrics

    a = flat_metrics((a_metrics or {}).get("ragas"))
    b = flat_metrics((b_metrics or {}).get("ragas"))
    return {
        name: {"a": a.get(name), "b": b.get(name),
               "delta": None if a.get(name) is None or b.get(name) is None else b[name] - a[name]}
        for name in sorted(a.keys() | b.keys())
    }  # fmt: skip


def compare_cmd(
    run_a: int = typer.Argument(..., help="The baseline run."),
    run_b: int = typer.Argument(..., help="The run to judge against it."),
    fail_on_regression: float | None = typer.Option(
        None,
        "--fail-on-regression",
        help="Exit 1 when accuracy, refusal recall or citation page "
        "accuracy drops by more than this (e.g. 0.02), or B has a permission leak.",
    ),  # fmt: skip
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Per-metric changes from run A to run B and the questions A got right and B got wrong."""
    from app.console import fail, services
    from eval.metrics import compare_runs
    from eval.report import fmt

    with services(Settings()) as svc:
        runs = {i: svc.db.get_eval_run(i) for i in (run_a, run_b)}
        for i, r in runs.items():
            if r is None:
                raise fail(f"no evaluation run {i}")
        rows = {i: [r.to_dict() for r in svc.db.list_eval_results(i)] for i in (run_a, run_b)}
    result = compare_runs(
        runs[run_a].metrics or {}, runs[run_b].metrics or {}, rows[run_a], rows[run_b],
        threshold=fail_on_regression,
    )  # fmt: skip
    result["deltas"] |= _ragas_deltas(runs[run_a].metrics, runs[run_b].metrics)
    result |= {"a": run_a, "b": run_b}
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        t = Table("metric", f"run {run_a}", f"run {run_b}", "change", title=f"compare {run_a} → {run_b}")
        for name, d in result["deltas"].items():
            delta = "–" if d["delta"] is None else f"{d['delta']:+.3f}"
            kind = "n" if isinstance(d["a"], int) and isinstance(d["b"], int) else "f3"
            t.add_row(name, fmt(d["a"], kind), fmt(d["b"], kind), delta)
        out.print(t)
        out.print(f"{result['common_questions']} questions in both runs; "
                  f"{len(result['regressions'])} regressed, {len(result['fixes'])} fixed")  # fmt: skip
        for r in result["regressions"]:
            out.print(f"  regressed {r['item_id']}: {r['question']}", highlight=False)
        for f in result["failures"]:
            out.print(f"[bold red]regression:[/] {f}", highlight=False)
    if fail_on_regression is not None and result["failures"]:
        raise typer.Exit(1)
