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
