"""`docqa ingest` and `docqa docs …`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from app.client import InProcessEngine
from app.console import engine, err, fail, out, split_csv
from app.settings import Settings
from ingest.manifest import ManifestError
from ingest.progress import InFlight

if TYPE_CHECKING:
    from rich.progress import TaskID

    from app.client import EngineClient
    from ingest.pipeline import FileReport, RunReport

docs_app = typer.Typer(no_args_is_help=True, help="List, remove and re-permission indexed documents.")

STATUS_STYLE = {
    "indexed": "green",
    "unchanged": "cyan",
    "failed": "bold red",
    "empty": "yellow",
    "unsupported": "yellow",
    "too-large": "yellow",
    "removed": "magenta",
}


def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders (a folder may hold an acl.yaml)."),
    set_name: str = typer.Option("default", "--set", help="Document set the files belong to."),
    groups: str = typer.Option(
        "",
        help="Comma-separated groups allowed to read ALL these files (overrides acl.yaml), e.g. hr,finance.",
    ),
    prune: bool = typer.Option(False, help="Remove documents of the set that are not among PATHS."),
    workers: int | None = typer.Option(
        None, help="Partitioning processes (default DOCQA_INGEST_WORKERS; 0 = inline)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as a JSON list."),
) -> None:
    """Index files into a document set.

    New and changed files get a new version, unchanged ones are skipped, and every file gets a
    status (indexed, unchanged, failed, empty, unsupported, too-large) with a reason.
    When an engine (`docqa serve`) runs, it does the work as a job and this shows its progress.
    Exits 1 only if a file failed; 3 if the stores can't be opened.
    """
    settings = Settings()
    if workers is not None:
        settings.ingest_workers = workers
    with engine(settings) as eng:
        local = isinstance(eng, InProcessEngine)
        if local:  # open the store first: if another process holds it, say so before any work
            _ = eng.services.store
        progress = Progress(
            TextColumn("[bold]ingest[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        )
        task = progress.add_task("", total=None)
        group_list = split_csv(groups) or None

        flight = InFlight()  # the files in progress and their stage (parse, ocr page N, chunk, embed, write)

        def on_stage(key: str, stage: str) -> None:
            flight.update(key, stage)
            progress.update(task, description=flight.summary())

        def on_file(r: FileReport) -> None:
            flight.done(r.path)
            progress.update(task, advance=1, description=flight.summary() or f"{r.status}: {r.path}"[:60])

        try:
            with progress:
                if local:
                    report = eng.services.ingestor.ingest(
                        paths,
                        set_name=set_name,
                        groups=group_list,
                        prune=prune,
                        on_start=lambda n: progress.update(task, total=n),
                        on_file=on_file,
                        on_stage=on_stage,
                    )
                    details = {"paths": [str(p) for p in paths][:100], "groups": group_list, "prune": prune,
                               "run_id": report.run_id, "counts": report.counts}  # fmt: skip
                    eng.audit_event("ingest", set_name, details)  # as the engine audits its jobs
                else:
                    report = _ingest_through(eng, paths, set_name, group_list, prune, workers, progress, task)
        except ManifestError as exc:
            raise fail(f"access manifest: {exc}") from None
    if as_json:
        print(json.dumps([f.to_dict() for f in report.files], indent=2, ensure_ascii=False))
    else:
        print_report(report)
    if report.failed:
        raise typer.Exit(1)


def _ingest_through(
    client: EngineClient,
    paths: list[Path],
    set_name: str,
    groups: list[str] | None,
    prune: bool,
    workers: int | None,
    progress: Progress,
    task: TaskID,
) -> RunReport:
    """Run the ingestion as an engine job, showing its progress; the same report as a local run
    (paths that don't exist get the same 'failed' rows, which the engine would refuse)."""
    from ingest.pipeline import FileReport, RunReport, discover

    missing = [p for p in paths if not p.exists()]
    _, files = discover(missing, None, ())
    if len(missing) == len(paths):
        return RunReport(0, set_name, files, 0.0, {})
    present = [p.resolve() for p in paths if p.exists()]
    job_id = client.ingest(present, set_name=set_name, groups=groups, prune=prune, workers=workers)

    def show(job: dict) -> None:
        total = None if job["total"] is None else job["total"] + len(files)
        last = job["files"][-1] if job["files"] else None
        done = f"{last['status']}: {last['path']}"[:60] if last else job["status"]
        description = job.get("stage") or done
        progress.update(task, total=total, completed=len(files) + job["done"], description=description)

    job = client.wait_job(job_id, on_progress=show)
    if job["status"] != "done":
        raise fail(f"{job['error'] or job['status']}", 2 if job["status"] == "failed" else 3)
    files += [FileReport(**f) for f in job["files"]]
    return RunReport(job["run_id"] or 0, set_name, files, job["seconds"], {})


def print_report(report: RunReport) -> None:
    table = Table("file", "status", "pages", "chunks", "s", "reason", title=f"set {report.set_name}")
    for f in report.files:
        style = STATUS_STYLE.get(f.status, "")
        table.add_row(
            f.path, f"[{style}]{f.status}[/]", str(f.pages), str(f.chunks), f"{f.seconds:.1f}", f.reason
        )
    out.print(table)
    counts = ", ".join(f"{n} {s}" for s, n in report.counts.items())
    out.print(f"{len(report.files)} files in {report.seconds:.1f} s: {counts}")


def _resolve(eng, ref: str, set_name: str | None) -> str:  # noqa: ANN001 - EngineClient | InProcessEngine
    """A document reference: its doc_id, or its path within the set."""
    rows = eng.documents()
    if any(r["doc_id"] == ref for r in rows):
        return ref
    matches = [r for r in rows if r["path"] == ref and (not set_name or r["set"] == set_name)]
    if len(matches) == 1:
        return matches[0]["doc_id"]
    if len(matches) > 1:
        raise fail(f"{ref!r} is in several sets ({', '.join(r['set'] for r in matches)}): pass --set")
    raise fail(f"no document {ref!r}; see `docqa docs list`")


@docs_app.command("list")
def docs_list(
    set_name: str | None = typer.Option(None, "--set", help="Only this document set."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Indexed documents with their set, groups, version, pages and chunks."""
    with engine() as eng:
        rows = eng.documents(set_name)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table("set", "path", "groups", "v", "pages", "chunks", "doc_id")
    for r in rows:
        table.add_row(
            r["set"],
            r["path"],
            ", ".join(r["groups"]),
            str(r["version"]),
            str(r["pages"]),
            str(r["chunks"]),
            r["doc_id"][:8],
        )
    out.print(table)
    out.print(f"{len(rows)} documents")


@docs_app.command("rm")
def docs_rm(
    refs: list[str] = typer.Argument(..., help="doc_id or path within the set."),
    set_name: str | None = typer.Option(None, "--set"),
) -> None:
    """Delete documents everywhere: vector points, database rows and the kept original."""
    with engine() as eng:
        for ref in refs:
            eng.delete_document(_resolve(eng, ref, set_name))
            out.print(f"removed {ref}")


@docs_app.command("set-groups")
def docs_set_groups(
    ref: str = typer.Argument(..., help="doc_id or path within the set."),
    groups: str = typer.Option(..., help="Comma-separated groups that may read the document."),
    set_name: str | None = typer.Option(None, "--set"),
) -> None:
    """Change who may read a document (payloads updated in place, no re-embedding)."""
    with engine() as eng:
        eng.set_groups(_resolve(eng, ref, set_name), split_csv(groups))
        out.print(f"{ref}: groups {', '.join(split_csv(groups)) or 'none (readable by nobody)'}")
    if not split_csv(groups):
        err.print("note: with no groups the document is readable by nobody")
