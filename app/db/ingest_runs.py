"""Ingest runs (the record of an ingestion job) and their per-file results."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db.base import Repository
from app.models import IngestFileResult, IngestRun, utcnow


class IngestRunRepository(Repository):
    def start_run(self, set_name: str, args: dict[str, Any]) -> int:
        with self.session() as s:
            run = IngestRun(set_name=set_name, args=args)
            s.add(run)
            s.flush()
            return run.id

    def add_file_result(self, run_id: int, **fields: Any) -> None:
        with self.session() as s:
            s.add(IngestFileResult(run_id=run_id, **fields))

    def finish_run(self, run_id: int, counts: dict[str, int], status: str = "done") -> None:
        with self.session() as s:
            run = s.get(IngestRun, run_id)
            if run is not None:
                run.status, run.counts, run.finished_at = status, counts, utcnow()

    def get_run(self, run_id: int) -> IngestRun | None:
        with self.session() as s:
            return s.get(IngestRun, run_id)

    def list_runs(self, status: str | None = None, limit: int = 1000) -> list[IngestRun]:
        """Ingest runs, newest first, optionally only those with ``status``."""
        with self.session() as s:
            q = select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)
            if status is not None:
                q = q.where(IngestRun.status == status)
            return list(s.scalars(q))
