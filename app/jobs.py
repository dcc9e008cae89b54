"""Ingestion jobs of the engine: one background thread runs the Ingestor, one job at a time.

Jobs wait in a FIFO queue and live in memory (the last ``keep``); the pipeline itself also writes an
IngestRun row with one result per file, whose id a finished job carries as ``run_id``.
Progress comes from the pipeline's callbacks: ``total`` once the files are discovered, then one
per-file report (status, reason, pages, chunks, seconds) as each file is done.
"""

from __future__ import annotations

import io
import queue
import re
import threading
import time
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.services import Services
    from ingest.pipeline import FileReport

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"


class JobCancelled(Exception):
    """Raised from the progress callback to stop a run between two files."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    id: str
    paths: list[str]
    set_name: str
    groups: list[str] | None = None
    prune: bool = False
    workers: int | None = None
    status: str = QUEUED
    created: str = field(default_factory=_now)
    started: str | None = None
    finished: str | None = None
    total: int | None = None  # files (and unreadable paths) discovered; None until known
    done: int = 0
    current: str = ""  # the file reported last (the pipeline reports a file when it is done with it)
    files: list[dict[str, Any]] = field(default_factory=list)  # FileReport.to_dict() per file
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    run_id: int | None = None
    error: str = ""
    cancel: bool = False

    def to_dict(self, *, files_from: int | None = 0) -> dict[str, Any]:
        """The job as JSON; ``files`` holds the per-file reports from index ``files_from`` on
        (pollers ask only for the new ones), or is left out when ``files_from`` is None."""
        d = {
            "id": self.id,
            "status": self.status,
            "set": self.set_name,
            "paths": list(self.paths),
            "groups": self.groups,
            "prune": self.prune,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "total": self.total,
            "done": self.done,
            "current": self.current,
            "counts": dict(self.counts),
            "seconds": round(self.seconds, 3),
            "run_id": self.run_id,
            "error": self.error,
        }
        if files_from is not None:
            d["files"] = [dict(f) for f in self.files[files_from:]]
        return d


class JobManager:
    """Queues ingestion jobs and runs them one after another in a single background thread."""

    def __init__(self, services: Services, *, keep: int = 200) -> None:
        self.services = services
        self.keep = keep
        self._jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- public ----------------------------------------------------------------------------------
    def submit(
        self,
        paths: Sequence[Path | str],
        *,
        set_name: str,
        groups: Sequence[str] | None = None,
        prune: bool = False,
        workers: int | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is shutting down")
            job = Job(
                id=uuid.uuid4().hex[:12],
                paths=[str(p) for p in paths],
                set_name=set_name,
                groups=sorted(set(groups)) if groups else None,
                prune=prune,
                workers=workers,
            )
            self._jobs[job.id] = job
            self._forget_old()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="docqa-ingest", daemon=True)
                self._thread.start()
            snapshot = job.to_dict()
        self._queue.put(job)
        return snapshot

    def get(self, job_id: str, *, files_from: int = 0) -> dict[str, Any] | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.to_dict(files_from=files_from) if job else None

    def list_jobs(self) -> list[dict[str, Any]]:
        """All kept jobs, newest first, without their per-file reports."""
        with self._lock:
            return [j.to_dict(files_from=None) for j in reversed(self._jobs.values())]

    def stats(self) -> dict[str, int]:
        with self._lock:
            states = [j.status for j in self._jobs.values()]
        return {"queued": states.count(QUEUED), "running": states.count(RUNNING)}

    def close(self, timeout: float | None = 30.0) -> None:
        """Cancel queued jobs, stop the running one after its current file, wait for the thread."""
        with self._lock:
            self._closed = True
            for job in self._jobs.values():
                if job.status == QUEUED:
                    job.status, job.finished, job.error = CANCELLED, _now(), "the engine shut down"
                job.cancel = True
            thread = self._thread
        self._queue.put(None)
        if thread is not None:
            thread.join(timeout)

    # -- the worker thread -----------------------------------------------------------------------
    def _forget_old(self) -> None:
        finished = [j.id for j in self._jobs.values() if j.status not in (QUEUED, RUNNING)]
        for job_id in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[job_id]

    def _loop(self) -> None:
        while (job := self._queue.get()) is not None:
            with self._lock:
                if job.status != QUEUED:  # cancelled while it waited
                    continue
                job.status, job.started = RUNNING, _now()
            t0 = time.perf_counter()
            status, error, report = self._run(job)
            with self._lock:
                job.status, job.error, job.finished = status, error, _now()
                job.seconds = report.seconds if report else time.perf_counter() - t0
                if report is not None:
                    job.run_id, job.counts = report.run_id, report.counts

    def _run(self, job: Job):  # noqa: ANN202 - (status, error, RunReport | None)
        from ingest.manifest import ManifestError

        def on_start(n: int) -> None:
            with self._lock:
                job.total = n

        def on_file(report: FileReport) -> None:
            with self._lock:
                job.files.append(report.to_dict())
                job.done += 1
                job.current = report.path
                job.counts[report.status] = job.counts.get(report.status, 0) + 1
                if job.cancel:
                    raise JobCancelled

        try:
            report = self._ingestor(job.workers).ingest(
                [Path(p) for p in job.paths],
                set_name=job.set_name,
                groups=job.groups,
                prune=job.prune,
                on_start=on_start,
                on_file=on_file,
            )
        except JobCancelled:
            return CANCELLED, "stopped after the current file (the engine shut down)", None
        except ManifestError as exc:
            return FAILED, f"access manifest: {exc}", None
        except Exception as exc:  # noqa: BLE001 - a job reports its failure, the engine carries on
            return FAILED, f"{type(exc).__name__}: {exc}"[:500], None
        return DONE, "", report

    def _ingestor(self, workers: int | None):  # noqa: ANN202 - ingest.pipeline.Ingestor
        svc = self.services
        if workers is None or workers == svc.settings.ingest_workers:
            return svc.ingestor
        from ingest.pipeline import Ingestor

        settings = svc.settings.model_copy(update={"ingest_workers": workers})
        return Ingestor(settings, svc.db, svc.store, svc.embedder)


# -- uploads (admin web UI: POST /uploads) ---------------------------------------------------------
UPLOAD_MAX_FILES = 200  # files per upload, zip members included
UPLOAD_MAX_TOTAL_MB = 500.0  # bytes per upload, zip members counted uncompressed
SET_NAME = re.compile(r"^[\w][\w .-]{0,99}$")


class UploadError(ValueError):
    """An upload refused as a whole (unsafe name, zip-slip, too big, too many files); says why."""


def upload_dir(data_dir: Path, set_name: str) -> Path:
    """<data_dir>/uploads/<set>: where an uploaded set is kept (and re-ingested from)."""
    if not SET_NAME.match(set_name) or ".." in set_name:
        raise UploadError(
            f"set name {set_name!r} is not allowed: letters, digits, space, '.', '-', '_' (at most 100)"
        )
    return data_dir / "uploads" / set_name


def safe_name(name: str) -> str:
    """A flat, safe file name for an uploaded file or zip member ("a/b.txt" -> "a__b.txt").
    Absolute paths, drive letters and ".." components are refused (zip-slip)."""
    raw = name.replace("\\", "/")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw) or ".." in parts or not parts:
        raise UploadError(f"unsafe file name {name!r}: absolute paths and '..' are not allowed")
    flat = "__".join(parts)
    if any(ord(c) < 32 for c in flat) or len(flat) > 200:
        raise UploadError(f"unsafe file name {name!r}")
    return flat


def _unzip(
    name: str, content: bytes, max_file: float, max_files: int, max_total: float
) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise UploadError(f"{name}: not a readable zip file") from None
    members = [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    for info in members:  # check every member before extracting any
        try:
            safe_name(info.filename)
        except UploadError as exc:
            raise UploadError(f"{name}: refused, {exc}") from None
    if len(members) > max_files:
        raise UploadError(f"{name}: {len(members)} files, more than the {max_files} allowed per upload")
    total = sum(i.file_size for i in members)
    if total > max_total:
        raise UploadError(
            f"{name}: {total / 1e6:.1f} MB uncompressed, more than the {max_total / 1e6:.0f} MB allowed"
        )
    big = [i.filename for i in members if i.file_size > max_file]
    if big:
        raise UploadError(f"{name}: {big[0]} is larger than the {max_file / 1e6:.0f} MB file limit")
    out = []
    for info in members:
        with archive.open(info) as f:  # reads at most the declared size (and checks the CRC)
            out.append((info.filename, f.read(int(max_file) + 1)))
    return out


def save_upload(
    data_dir: Path,
    set_name: str,
    files: Sequence[tuple[str, bytes]],
    *,
    max_file_mb: float,
    max_files: int = UPLOAD_MAX_FILES,
    max_total_mb: float = UPLOAD_MAX_TOTAL_MB,
) -> list[Path]:
    """Save uploaded (name, bytes) files under <data_dir>/uploads/<set>/ (zips extracted, with
    zip-slip and zip-bomb guards); returns the saved paths. Nothing is written when any check fails."""
    target = upload_dir(data_dir, set_name)
    max_file, max_total = max_file_mb * 1024 * 1024, max_total_mb * 1024 * 1024
    if not files:
        raise UploadError("no files uploaded")
    expanded: list[tuple[str, bytes]] = []
    for name, content in files:
        safe_name(name)
        if name.lower().endswith(".zip"):
            expanded += _unzip(name, content, max_file, max_files, max_total)
        else:
            if len(content) > max_file:
                raise UploadError(f"{name} is larger than the {max_file_mb:g} MB file limit")
            expanded.append((name, content))
    if len(expanded) > max_files:
        raise UploadError(f"{len(expanded)} files, more than the {max_files} allowed per upload")
    if sum(len(c) for _, c in expanded) > max_total:
        raise UploadError(f"the upload is larger than {max_total_mb:g} MB")
    named = [(safe_name(n), c) for n, c in expanded]
    dupes = sorted({n for n, _ in named if [m for m, _ in named].count(n) > 1})
    if dupes:
        raise UploadError(f"the same file name twice in one upload: {', '.join(dupes)}")
    target.mkdir(parents=True, exist_ok=True)
    saved = []
    for n, content in named:
        path = target / n
        if path.resolve().parent != target.resolve():  # belt and braces
            raise UploadError(f"unsafe file name {n!r}")
        path.write_bytes(content)
        saved.append(path)
    return saved
