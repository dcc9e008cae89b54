"""Verified answers (app/verified.py): retrievable like documents, so changing one bumps the index
version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from app.db.base import Repository
from app.models import VerifiedAnswer


class VerifiedAnswerRepository(Repository):
    def add_verified_answer(self, **fields: Any) -> VerifiedAnswer:
        """A new verified answer; its ``doc_id`` is "verified-<id>"."""
        with self.session() as s:
            row = VerifiedAnswer(**fields)
            s.add(row)
            s.flush()
            row.doc_id = f"verified-{row.id}"
            s.flush()
            self._bump_index(s)
            return row

    def update_verified_answer(self, verified_id: int, **fields: Any) -> VerifiedAnswer | None:
        """Change its audience or status (what retrieval can see changes with it)."""
        with self.session() as s:
            row = s.get(VerifiedAnswer, verified_id)
            if row is None:
                return None
            for key, value in fields.items():
                setattr(row, key, value)
            self._bump_index(s)
            s.flush()
            return row

    def get_verified_answer(self, verified_id: int) -> VerifiedAnswer | None:
        with self.session() as s:
            return s.get(VerifiedAnswer, verified_id)

    def get_verified_answers(self, doc_ids: Sequence[str]) -> list[VerifiedAnswer]:
        """The verified answers among ``doc_ids`` ("verified-<id>") that exist."""
        if not doc_ids:
            return []
        with self.session() as s:
            q = select(VerifiedAnswer).where(VerifiedAnswer.doc_id.in_(sorted(set(doc_ids))))
            return list(s.scalars(q))

    def list_verified_answers(self) -> list[VerifiedAnswer]:
        """Newest first."""
        with self.session() as s:
            q = select(VerifiedAnswer).order_by(VerifiedAnswer.created_at.desc(), VerifiedAnswer.id.desc())
            return list(s.scalars(q))

    def delete_verified_answer(self, verified_id: int) -> bool:
        with self.session() as s:
            row = s.get(VerifiedAnswer, verified_id)
            if row is None:
                return False
            s.delete(row)
            self._bump_index(s)
            return True
