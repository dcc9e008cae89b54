"""What the repositories share: the session of one transaction, and two helpers that run inside the
caller's transaction (groups looked up or created by name; the index version bumped)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.models import Group, IndexState


class Repository:
    """Base of the per-aggregate repositories, the mixins :class:`app.db.Database` is made of.
    Database opens the engine and sets ``engine`` and ``_sessions``; every method here and in the
    repositories opens its own transaction with ``session()`` and returns detached rows."""

    engine: Engine
    _sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as s, s.begin():
            yield s

    @staticmethod
    def _groups(s: Session, names: Sequence[str]) -> list[Group]:
        wanted = sorted({n.strip() for n in names if n.strip()})
        found = {g.name: g for g in s.scalars(select(Group).where(Group.name.in_(wanted)))}
        for name in wanted:
            if name not in found:
                found[name] = Group(name=name)
                s.add(found[name])
        return [found[n] for n in wanted]

    @staticmethod
    def _bump_index(s: Session) -> None:
        """What retrieval can see changed (see IndexState): in the caller's transaction."""
        done = s.execute(
            update(IndexState)
            .where(IndexState.id == 1)
            .values(version=IndexState.version + 1)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            s.add(IndexState(id=1, version=1))

    def index_version(self) -> int:
        with self.session() as s:
            row = s.get(IndexState, 1)
            return row.version if row is not None else 0
