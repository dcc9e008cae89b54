"""`docqa eval retrieval`: retrieval only, no LLM (eval/retrieval.py, eval/page_retrieval.py)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from app.console import out
from app.settings import Settings
from eval.cli.options import HALF_HELP, check_half


def retrieval_cmd(
    set_name: str = typer.Option(
        ...,
        "--set",
        help="scifact (BEIR test split, indexed into <data_dir>/eval/scifact), demo, or financebench / "
        "clapnq (page-hit@k and doc-hit@k, ours beside the LlamaIndex default on the same files).",
    ),
    half: str = typer.Option("test", "--half", help="financebench, clapnq: " + HALF_HELP),
    corpus: Path | None = typer.Option(
        None,
        "--corpus",
        help="financebench: the folder of filings (default ../shared/data/financebench-dev/pdfs).",
    ),
    baseline: bool = typer.Option(
        True, "--baseline/--no-baseline", help="financebench, clapnq: also run the LlamaIndex default."
    ),
    mode: str | None = typer.Option(
        None, help="dense, sparse or hybrid (default: hybrid, the engine's mode; demo is always hybrid)."
    ),
    k: int = typer.Option(10, "--k", min=1, help="Cut-off for hit@k, recall@k and MRR."),
    limit: int | None = typer.Option(None, min=1, help="Only the first N queries."),
    per_query: bool = typer.Option(False, "--per-query", help="With --json: every query's scores."),
    per_document: bool = typer.Option(
        False,
        "--per-document",
        help="financebench, clapnq: also search each question only in its reference documents (the "
        "per-document mode, a reader who picked the filing), both pipelines.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Retrieval only (no LLM): hit@5, hit@k, recall@k, MRR@k and nDCG@10 over a golden set; for
    financebench and clapnq page-hit@1/5/10 and doc-hit@1/5/10, ours and the LlamaIndex default."""
    if set_name in ("financebench", "clapnq"):
        _page_retrieval(set_name, half, corpus, baseline, k, limit, per_query, as_json, per_document)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from app.console import err, fail, services
    from eval.datasets import SHARED_DATA
    from eval.retrieval import MODES, NotIngestedError, eval_beir, eval_demo, load_beir

    mode = mode or "hybrid"
    if mode not in MODES:
        raise fail(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    settings = Settings()
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True,
    )  # fmt: skip

    def tracker(description: str):  # noqa: ANN202 - a (done, total) callback driving one bar
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task(description, total=total)
            bar.update(task, completed=done, total=total)

        return update

    if set_name == "scifact":
        from app.embeddings import Embedder
        from app.store import EdgeStore, StoreBusyError

        try:
            data = load_beir(SHARED_DATA / "scifact")
        except (OSError, ValueError) as exc:
            raise fail(str(exc)) from None
        where = settings.data_dir / "eval" / "scifact"
        where.mkdir(parents=True, exist_ok=True)
        try:
            store = EdgeStore(where / "qdrant")
        except StoreBusyError as exc:
            raise fail(str(exc), 3) from None
        try:
            with bar:
                result = eval_beir(
                    store,
                    Embedder.from_settings(settings),
                    data,
                    mode=mode,
                    k=k,
                    limit=limit,
                    index_progress=tracker(f"embedding the SciFact corpus into {where}"),
                    search_progress=tracker(f"searching ({mode})"),
                )
        finally:
            store.close()
    elif set_name == "demo":
        from eval.golden import golden_path, load_golden

        if mode != "hybrid":
            raise fail("--set demo is judged through the engine's search (app.retrieve.search): hybrid only")
        items = load_golden(golden_path("demo"))
        with services(settings) as svc:
            try:
                with bar:
                    result = eval_demo(svc, items, k=k, limit=limit, progress=tracker("searching (hybrid)"))
            except NotIngestedError as exc:
                raise fail(str(exc)) from None
    else:
        raise fail(f"unknown retrieval set {set_name!r}: scifact or demo")
    if as_json:
        print(json.dumps(result.to_dict(per_query=per_query), indent=2))
        return
    t = Table("metric", "value", title=f"retrieval: {result.set}, {result.mode}")
    for name, value in result.metrics.items():
        ref = result.reference.get(name)
        t.add_row(name, f"{value:.4f}" + (f"  (published {ref:.3f})" if ref is not None else ""))
    t.add_row("queries", str(result.queries))
    t.add_row("search", f"{result.search_seconds:.1f} s")
    if result.index:
        ix = result.index
        t.add_row("index", f"{ix['docs']} docs, {ix['embedded']} embedded now, {ix['seconds']:.1f} s")
    out.print(t)
    for note in result.notes:
        out.print(f"note: {note}")


def _page_retrieval(
    set_name: str, half: str, corpus: Path | None, baseline: bool, k: int, limit: int | None, per_query: bool,
    as_json: bool, per_document: bool = False,
) -> None:  # fmt: skip
    from app.console import err, fail, services
    from eval.page_retrieval import compare_page_retrieval
    from eval.runs import set_settings

    check_half(half)
    settings = set_settings(set_name, Settings())  # the set's own state, shared with `docqa eval run`
    with services(settings) as svc:
        try:
            result = compare_page_retrieval(
                set_name, svc, half=half, k=k, limit=limit, corpus=corpus, baseline=baseline,
                progress=lambda m: err.print(f"[retrieval {set_name}] {m}", highlight=False),
                per_document=per_document,
            )  # fmt: skip
        except (OSError, ValueError) as exc:
            raise fail(str(exc)) from None
    if as_json:
        print(json.dumps(result.to_dict(per_query=per_query), indent=2))
        return
    names = list(result.rows[0].metrics) if result.rows else []
    t = Table("pipeline", *names, "files", "chunks", "ingest s", "peak MB", "search p50 ms",
              title=f"retrieval: {set_name}, {half} half, {result.queries} answerable questions")  # fmt: skip
    for r in result.rows:
        t.add_row(r.pipeline, *(f"{r.metrics[n]:.3f}" for n in names), str(r.files), str(r.chunks),
                  "-" if r.ingest_s is None else f"{r.ingest_s:.1f}",
                  "-" if r.peak_mb is None else f"{r.peak_mb:.0f}",
                  "-" if r.search_p50_ms is None else f"{r.search_p50_ms:.1f}")  # fmt: skip
        for h, m in r.by_half.items():
            t.add_row(f"  {h} half ({m['queries']})", *(f"{m[n]:.3f}" for n in names), "", "", "", "", "")
    out.print(t)
    for pipeline, docs in result.missing.items():
        if docs:
            out.print(f"note: {pipeline} indexed none of {len(docs)} reference file(s): {', '.join(docs)}")
    for note in result.notes:
        out.print(f"note: {note}")
