"""Evaluation runs and their per-question results (eval/runs.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db.base import Repository
from app.models import EvalResult, EvalRun


class EvalRunRepository(Repository):
    def create_eval_run(self, **fields: Any) -> EvalRun:
        with self.session() as s:
            row = EvalRun(**fields)
            s.add(row)
            s.flush()
            return row

    def get_eval_run(self, run_id: int) -> EvalRun | None:
        with self.session() as s:
            return s.get(EvalRun, run_id)

    def list_eval_runs(self, limit: int = 100) -> list[EvalRun]:
        """The newest runs first."""
        with self.session() as s:
            return list(s.scalars(select(EvalRun).order_by(EvalRun.id.desc()).limit(limit)))

    def update_eval_run(self, run_id: int, **fields: Any) -> None:
        with self.session() as s:
            row = s.get(EvalRun, run_id)
            if row is None:
                raise KeyError(run_id)
            for key, value in fields.items():
                setattr(row, key, value)

    def add_eval_result(self, run_id: int, **fields: Any) -> EvalResult:
        with self.session() as s:
            row = EvalResult(run_id=run_id, **fields)
            s.add(row)
            s.flush()
            return row

    def list_eval_results(self, run_id: int) -> list[EvalResult]:
        """A run's results in the order they were asked."""
        with self.session() as s:
            q = select(EvalResult).where(EvalResult.run_id == run_id).order_by(EvalResult.id)
            return list(s.scalars(q))
