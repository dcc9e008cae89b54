"""`docqa bench …`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from app.console import out
from app.settings import Settings

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print numbers.")


@bench_app.command("ingest")
def bench_ingest_cmd(
    path: Path = typer.Argument(Path("data"), help="File or folder to ingest (into a temporary data dir)."),
    workers: int | None = typer.Option(None, help="Partitioning processes (default DOCQA_INGEST_WORKERS)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Files/s, pages/s, chunks/s, time share per stage, and raw encode throughput on the same chunks."""
    from eval.bench import bench_ingest

    settings = Settings()
    if workers is not None:
        settings.ingest_workers = workers
    result = bench_ingest(path, settings).to_dict()
    if as_json:
        print(json.dumps(result, indent=2))
        return
    t = Table("measure", "value", title=f"docqa bench ingest {path}")
    for key in ("files", "indexed", "pages", "ocr_pages", "chunks", "tokens", "seconds"):
        t.add_row(key, str(result[key]))
    for key in (
        "files_per_s",
        "pages_per_s",
        "chunks_per_s",
        "raw_encode_chunks_per_s",
        "raw_encode_tokens_per_s",
    ):
        t.add_row(key, f"{result[key]:.2f}")
    t.add_row("pipeline_vs_raw_encode", f"{result['pipeline_vs_raw_encode']:.2f} (1.0 = model speed)")
    for stage, share in result["stage_shares"].items():
        t.add_row(f"stage {stage}", f"{result['stage_seconds'][stage]:.1f} s ({share:.0%})")
    t.add_row("statuses", ", ".join(f"{n} {s}" for s, n in result["statuses"].items()))
    out.print(t)


def _sizes(value: str) -> list[int]:
    try:
        return [int(v.replace("_", "")) for v in value.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"--sizes wants comma-separated integers, got {value!r}") from None


@bench_app.command("query")
def bench_query_cmd(
    path: Path = typer.Argument(
        Path("data"), help="Folder ingested (into a temporary data dir) for the data/ row."
    ),
    sizes: str = typer.Option("10000,100000", help="Synthetic corpus sizes in chunks, comma-separated."),
    llm: bool | None = typer.Option(
        None, "--llm/--no-llm", help="Time the local LLM (default: if it is installed)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Filtered retrieval p50/p95 and recall@10 at the data/ size and on synthetic corpora; answer latency."""
    import sys

    from eval.bench import bench_query

    def progress(msg: str) -> None:
        print(f"[bench query] {msg}", file=sys.stderr, flush=True)

    result = bench_query(Settings(), data_path=path, sizes=_sizes(sizes), llm=llm, progress=progress)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    t = Table(
        "chunks", "filtered", "mode", "p50 ms", "p95 ms", "recall@10", "index", title="docqa bench query"
    )
    for r in result["retrieval"]:
        recall = "-" if r["recall_at_10"] is None else f"{r['recall_at_10']:.3f}"
        t.add_row(str(r["chunks"]), str(r["filtered"]), r["mode"], f"{r['p50_ms']:.2f}", f"{r['p95_ms']:.2f}",
                  recall, r["index"])  # fmt: skip
    out.print(t)
    a = Table("backend", "p50 ms", "p95 ms", "ttft p50 ms", title="answer latency")
    for backend, v in result["answer"].items():
        ttft = "-" if v["ttft_p50_ms"] is None else f"{v['ttft_p50_ms']:.0f}"
        a.add_row(backend, f"{v['p50_ms']:.0f}", f"{v['p95_ms']:.0f}", ttft)
    out.print(a)
    for note in result["notes"]:
        out.print(f"note: {note}")


# -- docqa eval ------------------------------------------------------------------------------------
eval_app = typer.Typer(no_args_is_help=True, help="Measure answer quality on golden question sets.")


@eval_app.command("calibrate")
def calibrate_cmd(
    set_name: str = typer.Option(
        "demo", "--set", help="demo, clapnq (ingested into <data_dir>/eval/clapnq), or a .jsonl path."
    ),
    backend: str | None = typer.Option(None, help="local, openai or extractive (default: settings)."),
    limit: int | None = typer.Option(None, help="Only the first N questions."),
    rows_files: list[Path] = typer.Option(
        [], "--rows", help="Refit from rows earlier runs saved (repeatable) instead of asking again."
    ),
    write: bool = typer.Option(
        False, "--write", help="Store the fitted weights in app/confidence_weights.json."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Ask a golden set as its users, label each answer correct or not, and report how well the
    confidence ranks (AUROC) and calibrates (ECE, reliability table) the answers; refit its weights."""
    import datetime as dt

    from app.confidence import WEIGHTS_FILE
    from app.console import err, fail, services
    from eval.calibration import summarise
    from eval.datasets import SHARED_DATA, prepare_clapnq
    from eval.golden import golden_path, load_golden
    from eval.runner import run_golden

    if rows_files:
        rows = [json.loads(ln) for f in rows_files for ln in f.read_text().splitlines() if ln.strip()]
        source = " + ".join(str(f) for f in rows_files)
    else:
        settings = Settings()
        settings.answer_cache = False
        if set_name == "clapnq":  # its own state: the ClapNQ corpus is not the company's documents
            settings.data_dir = settings.data_dir / "eval" / "clapnq"
            path = SHARED_DATA / "clapnq"
        else:
            path = Path(set_name) if set_name.endswith(".jsonl") else golden_path(set_name)
            if not path.is_file():
                raise fail(f"no golden set {set_name!r} ({path} not found)")
        saved = settings.data_dir / "eval" / f"calibrate-{dt.datetime.now():%Y%m%d-%H%M%S}.jsonl"
        saved.parent.mkdir(parents=True, exist_ok=True)
        rows = []
        with services(settings) as svc, saved.open("w") as fh:
            if set_name == "clapnq":
                err.print(f"ingesting the ClapNQ corpus into {settings.data_dir} (once) …")
                try:
                    items = prepare_clapnq(svc)
                except (OSError, RuntimeError) as exc:
                    raise fail(str(exc)) from None
            else:
                items = load_golden(path)
            items = items[:limit] if limit else items

            def on_row(row) -> None:  # noqa: ANN001 - eval.runner.Row
                rows.append(row.to_dict())
                fh.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
                fh.flush()
                mark = "refused" if row.refused else ("correct" if row.correct else "wrong")
                err.print(f"[{len(rows)}/{len(items)}] {row.id} {mark} "
                          f"conf {row.confidence:.2f} {row.seconds:.1f}s", highlight=False)  # fmt: skip

            try:
                run_golden(svc, items, backend=backend, on_row=on_row)
            except ValueError as exc:
                raise fail(str(exc)) from None
        source = f"{path} ({len(rows)} questions; rows saved to {saved})"
    answered = [r for r in rows if not r["answer"]["refused"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    report = summarise(
        [r["answer"]["confidence"]["features"] for r in answered],
        [r["correct"] for r in answered],
        [r["answer"]["confidence"]["score"] for r in answered],
        [r["answer"]["confidence"]["band"] for r in answered],
    )
    report["source"] = source
    report["refusals"] = {
        "unanswerable": len(unanswerable),
        "refused_unanswerable": sum(r["answer"]["refused"] for r in unanswerable),
        "refused_answerable": sum(r["answer"]["refused"] for r in rows if r["answerable"]),
    }
    if write and "fitted" in report:
        backends = sorted({r["answer"]["backend"] for r in rows})
        WEIGHTS_FILE.write_text(json.dumps({
            "weights": report["fitted"]["weights"],
            "bias": report["fitted"]["bias"],
            "fitted": {"on": source, "answers": report["answers"], "backends": backends,
                       "cv_auroc": report["fitted"]["cv_auroc"], "date": f"{dt.date.today()}"},
        }, indent=2) + "\n")  # fmt: skip
        report["written"] = str(WEIGHTS_FILE)
    if as_json:
        print(json.dumps(report, indent=2))
        return
    _print_calibration(report)


def _print_calibration(report: dict) -> None:
    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    out.print(f"{report['answers']} answered questions, {report['correct']} correct — {report['source']}")
    ref = report["refusals"]
    out.print(f"refused {ref['refused_unanswerable']} of {ref['unanswerable']} unanswerable questions, "
              f"and {ref['refused_answerable']} answerable ones")  # fmt: skip
    cur, fit = report["current"], report.get("fitted")
    t = Table("confidence model", "AUROC", "ECE", title="does the confidence mean anything?")
    t.add_row("current weights", fmt(cur["auroc"]), fmt(cur["ece"]))
    if fit:
        t.add_row("refit (out-of-fold)", fmt(fit["cv_auroc"]), fmt(fit["cv_ece"]))
    out.print(t)
    for title, bins in (
        ("current", cur["reliability"]),
        ("refit, out-of-fold", (fit or {}).get("cv_reliability")),
    ):
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
    if fit:
        out.print(
            "refit weights: "
            + ", ".join(f"{k} {v}" for k, v in fit["weights"].items())
            + f"; bias {fit['bias']}"
        )
    if report.get("written"):
        out.print(f"wrote {report['written']}")


@eval_app.command("retrieval")
def retrieval_cmd(
    set_name: str = typer.Option(
        ..., "--set", help="scifact (BEIR test split, indexed into <data_dir>/eval/scifact) or demo."
    ),
    mode: str | None = typer.Option(
        None, help="dense, sparse or hybrid (default: hybrid, the engine's mode; demo is always hybrid)."
    ),
    k: int = typer.Option(10, "--k", min=1, help="Cut-off for hit@k, recall@k and MRR."),
    limit: int | None = typer.Option(None, min=1, help="Only the first N queries."),
    per_query: bool = typer.Option(False, "--per-query", help="With --json: every query's scores."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Retrieval only (no LLM): hit@5, hit@k, recall@k, MRR@k and nDCG@10 over a golden set."""
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
                    Embedder(batch_size=settings.embed_batch_size),
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
