"""Ingestion jobs of the engine: one background thread runs the Ingestor, one job at a time.

Jobs wait in a FIFO queue and live in memory (the last ``keep``); the pipeline itself also writes an
IngestRun row with one result per file, whose id a finished job carries as ``run_id``.
Progress comes from the pipeline's callbacks: ``total`` once the files are discovered, then one
per-file report (status, reason, pages, chunks, seconds) as each file is done.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

# the upload names are re-exported: app.jobs is where callers have always imported them from
from app.uploads import (
    MultipartUpload,
    UploadError,
    UploadLimits,
    UploadTooLarge,
    save_upload,
    staging_dir,
    sweep_staging,
    upload_dir,
)
from ingest.progress import InFlight

if TYPE_CHECKING:
    from app.services import Services
    from ingest.pipeline import FileReport

__all__ = [
    "CANCELLED",
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "Job",
    "JobCancelled",
    "JobManager",
    "MultipartUpload",
    "UploadError",
    "UploadLimits",
    "UploadTooLarge",
    "save_upload",
    "staging_dir",
    "sweep_staging",
    "upload_dir",
]

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
    flight: InFlight = field(default_factory=InFlight)  # files in progress and their stage

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
            "stage": self.flight.summary(),
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

        def on_stage(path: str, stage: str) -> None:
            with self._lock:
                job.flight.update(path, stage)

        def on_file(report: FileReport) -> None:
            with self._lock:
                job.flight.done(report.path)
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
                on_stage=on_stage,
            )
        except JobCancelled:
            return CANCELLED, "stopped after the current file (the engine shut down)", None
        except ManifestError as exc:
            return FAILED, f"access manifest: {exc}", None
        except Exception as exc:
            return FAILED, f"{type(exc).__name__}: {exc}"[:500], None
        return DONE, "", report

    def _ingestor(self, workers: int | None):  # noqa: ANN202 - ingest.pipeline.Ingestor
        svc = self.services
        if workers is None or workers == svc.settings.ingest_workers:
            return svc.ingestor
        from ingest.pipeline import Ingestor

        settings = svc.settings.model_copy(update={"ingest_workers": workers})
        return Ingestor(settings, svc.db, svc.store, svc.embedder)
