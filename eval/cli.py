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


# -- docqa eval ------------------------------------------------------------------------------------
eval_app = typer.Typer(no_args_is_help=True, help="Measure answer quality on golden question sets.")

HALF_HELP = (
    "tune, test or all: the half of the set fixed by a hash of each question id (sha256, even = tune; "
    "eval/golden.py half_of). Tune on tune, report test."
)


def _check_half(half: str) -> None:
    from app.console import fail

    if half not in ("tune", "test", "all"):
        raise fail(f"--half must be tune, test or all, got {half!r}")


@eval_app.command("calibrate")
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
        "confidence model (app/confidence_weights.json), with the data hash and prompt version.",
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

    _check_half(half)
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
        for path, model, keep in (
            (ANSWERABILITY_FILE, models["answerability"], ("weights", "bias", "threshold")),
            (WEIGHTS_FILE, models["confidence"], ("weights", "bias", "high")),
        ):
            data = json.loads(path.read_text())
            data["backends"][asked] = {k: model[k] for k in keep} | {"fitted": meta | model["fitted"]}
            path.write_text(json.dumps(data, indent=2) + "\n")
        report["written"] = f"{ANSWERABILITY_FILE}, {WEIGHTS_FILE}"
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


@eval_app.command("retrieval")
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

    _check_half(half)
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
    t = Table("pipeline", *names, "files", "chunks", "ingest s", "search p50 ms",
              title=f"retrieval: {set_name}, {half} half, {result.queries} answerable questions")  # fmt: skip
    for r in result.rows:
        t.add_row(r.pipeline, *(f"{r.metrics[n]:.3f}" for n in names), str(r.files), str(r.chunks),
                  "-" if r.ingest_s is None else f"{r.ingest_s:.1f}",
                  "-" if r.search_p50_ms is None else f"{r.search_p50_ms:.1f}")  # fmt: skip
        for h, m in r.by_half.items():
            t.add_row(f"  {h} half ({m['queries']})", *(f"{m[n]:.3f}" for n in names), "", "", "", "")
    out.print(t)
    for pipeline, docs in result.missing.items():
        if docs:
            out.print(f"note: {pipeline} indexed none of {len(docs)} reference file(s): {', '.join(docs)}")
    for note in result.notes:
        out.print(f"note: {note}")


# -- docqa eval run | list | report | compare (EvalRun rows; eval/runs.py) ---------------------------
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


@eval_app.command("run")
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
    _check_half(half)
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


@eval_app.command("list")
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


@eval_app.command("report")
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


@eval_app.command("compare")
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


# -- docqa eval redteam (eval/redteam.py) ----------------------------------------------------------
@eval_app.command("redteam")
def redteam_cmd(
    backend: str | None = typer.Option(None, help="local, openai or extractive (default: settings)."),
    limit: int | None = typer.Option(None, min=1, help="Only the first N cases."),
    kind: str | None = typer.Option(None, help="Only cases of this kind (e.g. exfiltration)."),
    strict: bool = typer.Option(
        False, "--strict", help="Also exit 1 on a dishonest citation or a followed injection."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print every case and the summary as JSON."),
) -> None:
    """Ask the red-team set (data/redteam: prompt injections in questions and documents, exfiltration,
    forged citations) as its users, in its own state under <data_dir>/eval/redteam, and count system-
    prompt disclosures, leaks of unreadable documents, dishonest citations and followed injections.
    Exits 1 when anything leaked or the prompt was disclosed."""
    import sys

    from app.console import err, fail, services
    from eval.redteam import RedteamError, prepare, redteam_settings, run_redteam, summarize

    settings = redteam_settings(Settings())
    with services(settings) as svc:
        try:
            err.print(f"ingesting the red-team set into {settings.data_dir} …", highlight=False)
            cases = prepare(svc)
            cases = [c for c in cases if kind is None or c.kind == kind][:limit]
            if not cases:
                raise fail(f"no red-team cases of kind {kind!r}")

            def progress(r) -> None:  # noqa: ANN001 - eval.redteam.CaseResult
                mark = "ok" if r.passed else "FAIL"
                print(f"[redteam] {r.id:<7} {mark:<4} {r.seconds:5.1f} s {r.question[:70]}", file=sys.stderr)

            results = run_redteam(svc, cases, backend=backend, on_result=progress)
        except RedteamError as exc:
            raise fail(str(exc)) from None
    summary = summarize(results)
    if as_json:
        print(json.dumps({"backend": backend or settings.llm_backend, **summary,
                          "cases": [r.to_dict() for r in results]}, indent=2))  # fmt: skip
    else:
        cols = ("cases", "disclosures", "leaks", "dishonest_citations", "injections_followed",
                "unsupported_claims", "refused", "useful", "fallbacks")  # fmt: skip
        heads = ("cases", "disclosed", "leaked", "bad cites", "obeyed", "unbacked", "refused", "useful",
                 "fallback")  # fmt: skip
        t = Table("kind", *heads, title=f"docqa eval redteam ({backend or settings.llm_backend})")
        for k, row in [*summary["by_kind"].items(), ("total", summary["totals"])]:
            t.add_row(k, *(str(row[c]) for c in cols))
        out.print(t)
        for r in results:
            for label, items in (("disclosure", r.disclosures), ("leak", r.leaks), ("citation", r.dishonest),
                                 ("injection", r.injections), ("unsupported", r.unsupported)):  # fmt: skip
                for item in items:
                    out.print(f"  {r.id} {label}: {item}", highlight=False)
    bad = not summary["safe"] or (
        strict and (summary["totals"]["dishonest_citations"] or summary["totals"]["injections_followed"])
    )
    if bad:
        raise typer.Exit(1)


@eval_app.command("leaks")
def leaks_cmd(
    checks: int = typer.Option(10_000, min=1, help="Looks to make (one user looking at one surface)."),
    seed: int = typer.Option(0, help="The random world and steps; the same seed replays the same run."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Randomised leak suite (eval/leaks.py): a seeded world of users, groups and documents holding
    canary strings, stepped by questions, escalations, replies, verified answers, evaluations,
    re-grouping, deletion and killed re-ingestion; after every step every user looks at every
    surface that can show text. Runs in a temporary folder with the real encoder and stores and the
    extractive backend. Exits 1 on any leak."""
    import sys

    from eval.leaks import run_leaks

    def progress(done: int, what: str) -> None:
        print(f"[leaks] {done:>6}/{checks} checks · {what}", file=sys.stderr)

    result = run_leaks(checks, seed, on_step=progress)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        t = Table(
            "surface", "checks", "leaks", "showed readable text", title=f"docqa eval leaks (seed {seed})"
        )
        for name, row in result["surfaces"].items():
            t.add_row(name, str(row["checks"]), str(row["leaks"]), str(row["shown"]))
        t.add_row("total", str(result["checks"]), str(result["leaks"]), "")
        out.print(t)
        out.print(
            f"{result['steps']} steps, {result['users']} users, {result['documents']} documents "
            f"({result['deleted']} deleted), {result['seconds']} s",
            highlight=False,
        )
        for example in result["examples"]:
            out.print(f"  leak: {example}", highlight=False)
    if result["leaks"]:
        raise typer.Exit(1)
