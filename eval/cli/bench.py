"""`docqa bench …`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from app.console import out
from app.settings import Settings

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print numbers.")
RECORD_HELP = "Also save the result to docs/perf/ for `docqa bench doc` (docs/performance.md)."


def _record(wanted: bool, name: str, result: dict) -> None:
    if wanted:
        from app.console import err
        from eval.perfdoc import record

        err.print(f"recorded {record(name, result)}; regenerate docs/performance.md with `docqa bench doc`")


@bench_app.command("ingest")
def bench_ingest_cmd(
    path: Path = typer.Argument(Path("data"), help="File or folder to ingest (into a temporary data dir)."),
    workers: int | None = typer.Option(None, help="Partitioning processes (default DOCQA_INGEST_WORKERS)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    record: bool = typer.Option(False, "--record", help=RECORD_HELP),
) -> None:
    """Files/s, pages/s, chunks/s, time share per stage, and raw encode throughput on the same chunks."""
    from eval.bench import bench_ingest

    settings = Settings()
    if workers is not None:
        settings.ingest_workers = workers
    result = bench_ingest(path, settings).to_dict()
    _record(record, f"ingest-{path.resolve().name}", result)
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


@bench_app.command("crash")
def bench_crash_cmd(
    trials: int = typer.Option(20, min=1, help="Kill/rerun rounds."),
    seed: int = typer.Option(0, help="Random seed (corpus changes and kill moments)."),
    keep: Path | None = typer.Option(None, help="Work in this folder and keep it (default: a temp dir)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Kill -9 `docqa ingest` at random moments; after each kill the doctor reports what it left, a
    rerun must leave the stores consistent and every document answerable at exactly one version.
    Exits 1 if any trial failed."""
    import sys
    import tempfile

    from app.embeddings import Embedder
    from eval.crash import run_trials

    def progress(msg: str) -> None:
        print(f"[bench crash] {msg}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="docqa-crash-") as tmp:
        work = keep or Path(tmp)
        result = run_trials(trials, work, embedder=Embedder(), seed=seed, progress=progress).to_dict()
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        t = Table("measure", "value", title=f"docqa bench crash --trials {trials}")
        for key in ("trials", "killed", "finished_before_kill", "left_inconsistent", "promise_broken",
                    "consistent_after_rerun", "answerable_after_rerun", "files", "seconds"):  # fmt: skip
            t.add_row(key, str(result[key]))
        for kind, n in sorted(result["findings_after_kills"].items()):
            t.add_row(f"after kills: {kind}", str(n))
        out.print(t)
    raise typer.Exit(0 if result["ok"] else 1)


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
    sizes: str = typer.Option(
        "10000,100000",
        help='Synthetic corpus sizes in chunks, comma-separated; "" for answer latency alone (recorded '
        'as "answers", beside the retrieval record).',
    ),
    llm: bool | None = typer.Option(
        None, "--llm/--no-llm", help="Time the local LLM (default: if it is installed)."
    ),
    llm_questions: int = typer.Option(
        5, min=1, help="Golden questions answered by the local LLM (18 are readable by everyone)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    record: bool = typer.Option(False, "--record", help=RECORD_HELP),
) -> None:
    """Filtered retrieval p50/p95 and recall@10 at the data/ size and on synthetic corpora; answer latency."""
    import sys

    from eval.bench import bench_query

    def progress(msg: str) -> None:
        print(f"[bench query] {msg}", file=sys.stderr, flush=True)

    synthetic = _sizes(sizes)
    result = bench_query(Settings(), data_path=path, sizes=synthetic, llm=llm, llm_questions=llm_questions,
                         progress=progress)  # fmt: skip
    _record(record, "query" if synthetic else "answers", result)
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
    a = Table("backend", "questions", "p50 ms", "p95 ms", "ttft p50 / p95 ms", "quick answer p50 / p95 ms",
              title="answer latency")  # fmt: skip

    def pair(v: dict, key: str) -> str:
        lo, hi = v.get(f"{key}_p50_ms"), v.get(f"{key}_p95_ms")
        return "-" if lo is None else f"{lo:.0f} / {hi:.0f}" if hi is not None else f"{lo:.0f}"

    for backend, v in result["answer"].items():
        a.add_row(backend, str(v.get("questions", "")), "-" if v["p50_ms"] is None else f"{v['p50_ms']:.0f}",
                  "-" if v["p95_ms"] is None else f"{v['p95_ms']:.0f}", pair(v, "ttft"),
                  pair(v, "quick_answer"))  # fmt: skip
    out.print(a)
    for note in result["notes"]:
        out.print(f"note: {note}")


@bench_app.command("scale")
def bench_scale_cmd(
    sizes: str = typer.Option("250,500,1000,2000", help="Numbers of SciFact abstracts, comma-separated."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    record: bool = typer.Option(False, "--record", help=RECORD_HELP),
) -> None:
    """Ingestion time vs corpus size: the first N SciFact abstracts, each N into a fresh data dir."""
    from app.console import err
    from eval.bench import bench_scale

    result = bench_scale(Settings(), _sizes(sizes), progress=lambda m: err.print(f"[bench scale] {m}"))
    _record(record, "scale", result)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    t = Table("documents", "chunks", "tokens", "seconds", "docs/s", "tokens/s", "vs raw encode",
              title="docqa bench scale")  # fmt: skip
    for r in result["rows"]:
        t.add_row(str(r["documents"]), str(r["chunks"]), str(r["tokens"]), f"{r['seconds']:.1f}",
                  f"{r['docs_per_s']:.1f}", f"{r['tokens_per_s']:.0f}",
                  f"{r['pipeline_vs_raw_encode']:.2f}")  # fmt: skip
    out.print(t)


@bench_app.command("doc")
def bench_doc_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the written paths as JSON."),
) -> None:
    """Regenerate docs/performance.md (tables and SVG plots) from the results `--record` saved."""
    from app.console import fail
    from eval.perfdoc import write_doc

    try:
        doc, plots = write_doc()
    except ValueError as exc:
        raise fail(str(exc)) from None
    if as_json:
        print(json.dumps({"doc": str(doc), "plots": [str(p) for p in plots]}, indent=2))
        return
    out.print(f"wrote {doc}" + "".join(f"\n  plot {p}" for p in plots))


@bench_app.command("load")
def bench_load_cmd(
    users: int | None = typer.Option(None, min=1, help="Simulated users at once (default 20; through ui 5)."),
    duration: float = typer.Option(300.0, min=1, help="Seconds of load."),
    through: str = typer.Option(
        "engine", help="engine: HTTP clients of `docqa serve`; ui: headless chromium pages on `docqa ui`."
    ),
    backend: str | None = typer.Option(
        None, help="local, openai or extractive (default: the engine's; --through engine only)."
    ),
    golden: str = typer.Option("demo", "--set", help="Golden set whose (question, user) pairs are asked."),
    think: str = typer.Option("2,8", help="Each user's pause between questions: MIN,MAX seconds."),
    ui_url: str | None = typer.Option(
        None, help="--through ui: a running `docqa ui` of this data dir (default: start one for the run)."
    ),
    users_file: Path = typer.Option(
        Path("data/users.yaml"), help="--through ui: the golden set's users' passwords, to log in with."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (with every request)."),
    record: bool = typer.Option(False, "--record", help=RECORD_HELP),
) -> None:
    """Many users asking at once: errors (target 0), shed (503, queue full) and rate-limited (429)
    requests, latency and time to first token p50/p95, engine memory. Uses the running engine of this
    data dir, else starts one for the run (the data dir must be ingested). --through ui: each user is a
    headless chromium page (/usr/bin/chromium) logged in to the web UI (started for the run unless
    --ui-url), asking in a new chat and waiting for the complete answer; its TTFT is the time to the
    quick answer or first words; the Streamlit process's memory is sampled too."""
    import urllib.parse

    import yaml

    from app.client import find_engine, read_engine_file
    from app.console import err, fail
    from eval.golden import golden_path, load_golden
    from eval.load import EngineProcess, UiProcess, listening_pid, run_load, run_ui_load

    settings = Settings()
    if through not in ("engine", "ui"):
        raise fail(f"--through {through}: choose engine or ui")
    if through == "ui" and backend:
        raise fail("--backend is for --through engine: the web UI asks with the engine's backend")
    users = users or (20 if through == "engine" else 5)
    try:
        items = load_golden(golden if golden.endswith(".jsonl") else golden_path(golden))
        lo, hi = (float(x) for x in think.split(","))
        passwords: dict[str, str] = {}
        if through == "ui":
            listed = (yaml.safe_load(users_file.read_text(encoding="utf-8")) or {}).get("users", [])
            passwords = {str(u["name"]): str(u["password"]) for u in listed if u.get("password")}
    except (ValueError, OSError, yaml.YAMLError) as exc:
        raise fail(str(exc)) from None
    questions = [(i.question, i.user) for i in items]
    engine, child, ui = find_engine(settings), None, None

    def progress(message: str) -> None:
        err.print(f"[bench load] {message}")

    try:
        if engine is None:
            err.print("no engine runs for this data dir: starting `docqa serve` for the benchmark …")
            child = EngineProcess(settings.data_dir)
            try:
                token = child.wait_ready(settings)
            except RuntimeError as exc:
                raise fail(str(exc)) from None
            url, pid = child.url, child.pid
        else:
            info = read_engine_file(settings) or {}
            url, pid = engine.url, info.get("pid")
            token = settings.engine_token.get_secret_value() if settings.engine_token else info.get("token")
            engine.close()
        if through == "engine":
            err.print(f"{users} users for {duration:.0f} s against {url} ({len(questions)} questions) …")
            result = run_load(url, token, questions, users=users, duration_s=duration, backend=backend,
                              think_s=(lo, hi), engine_pid=pid, progress=progress)  # fmt: skip
        else:
            if ui_url is None:
                err.print("starting `docqa ui` for the benchmark …")
                ui = UiProcess(settings.data_dir)
                try:
                    ui.wait_ready()
                except RuntimeError as exc:
                    raise fail(str(exc)) from None
                ui_url, ui_pid = ui.url, ui.pid
            else:
                ui_pid = listening_pid(urllib.parse.urlsplit(ui_url).port or 80)
            err.print(f"{users} browser users for {duration:.0f} s on {ui_url} (engine {url}) …")
            try:
                result = run_ui_load(ui_url, questions, passwords, users=users, duration_s=duration,
                                     backend=settings.llm_backend, think_s=(lo, hi), engine_pid=pid,
                                     ui_pid=ui_pid, progress=progress)  # fmt: skip
            except ValueError as exc:
                raise fail(f"{exc} (passwords from {users_file})") from None
    finally:
        if ui is not None:
            ui.stop()
        if child is not None:
            child.stop()
    summary = {k: v for k, v in result.items() if k != "requests_log"}
    name = f"load-{backend or settings.llm_backend}"
    _record(record, name if through == "engine" else f"load-ui-{settings.llm_backend}", summary)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    title = f"docqa bench load: {users} users, {duration:.0f} s, {result['backend']}, through {through}"
    t = Table("measure", "value", title=title)
    for key, value in summary.items():
        if key != "errors_by_detail":
            t.add_row(key, "-" if value is None else str(value))
    out.print(t)
    for detail, n in summary["errors_by_detail"].items():
        out.print(f"error ×{n}: {detail}")


@bench_app.command("compare")
def bench_compare_cmd(
    sets: str = typer.Option("demo,scifact,messy", help="Comma-separated: demo, scifact, messy."),
    limit: int | None = typer.Option(
        None, min=1, help="Only the first N questions per set (SciFact: and only their abstracts + 10*N)."
    ),
    backends: str = typer.Option("fp32,int8", help="Our encoder backends, one row each."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Our pipeline vs LlamaIndex's default pipeline in one process, same files, groups, questions and
    model: ingestion time, chunks, pages with text, filtered query p50/p95, hit@5, nDCG@10, ratios."""
    from app.console import err, fail
    from eval.bench_compare import SETS, compare, corpora_for

    names = [s.strip() for s in sets.split(",") if s.strip()]
    chosen = [b.strip() for b in backends.split(",") if b.strip()]
    if bad := [n for n in names if n not in SETS]:
        raise fail(f"unknown set(s) {', '.join(bad)}: choose from {', '.join(SETS)}")
    if bad := [b for b in chosen if b not in ("fp32", "int8")]:
        raise fail(f"unknown backend(s) {', '.join(bad)}: fp32, int8")
    result = compare(corpora_for(names, limit), Settings(), backends=chosen,
                     progress=lambda m: err.print(f"[bench compare] {m}", highlight=False))  # fmt: skip
    if as_json:
        print(json.dumps(result, indent=2))
        return

    def fmt(v: float | None, spec: str = ".3f") -> str:
        return "-" if v is None else format(v, spec)

    t = Table("set", "pipeline", "ingest s", "chunks", "files w/ text", "pages w/ text", "p50 ms", "p95 ms",
              "hit@5", "nDCG@10", title="docqa bench compare (one process, same model)")  # fmt: skip
    for r in result["rows"]:
        t.add_row(r["set"], r["pipeline"], fmt(r["ingest_s"], ".1f"), str(r["chunks"]),
                  str(r["files_with_text"]), str(r["pages_with_text"]), fmt(r["p50_ms"], ".1f"),
                  fmt(r["p95_ms"], ".1f"), fmt(r["hit5"]), fmt(r["ndcg10"]))  # fmt: skip
    out.print(t)
    ratios = Table("set", "pipeline", "ingest speed-up", "p50 ours/base", "hit@5 ours/base",
                   "nDCG@10 ours/base", "pages w/ text ours/base",
                   title="ratios vs llamaindex-default")  # fmt: skip
    for r in result["rows"]:
        if r["ratios"]:
            x = r["ratios"]
            ratios.add_row(r["set"], r["pipeline"], fmt(x["ingest_speedup"], ".2f") + "×", fmt(x["p50"]),
                           fmt(x["hit5"]), fmt(x["ndcg10"]), fmt(x["pages_with_text"]))  # fmt: skip
    out.print(ratios)
    for note in result["notes"]:
        out.print(f"note: {note}")
    out.print(f"{result['seconds']:.0f} s in total")
