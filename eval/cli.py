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
