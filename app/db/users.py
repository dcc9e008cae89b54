"""Users and groups (log-in, user management)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from app.db.base import Repository
from app.models import Group, User


class UserRepository(Repository):
    def upsert_user(self, name: str, password_hash: str, groups: Sequence[str], roles: Sequence[str]) -> User:
        with self.session() as s:
            user = s.scalar(select(User).where(User.name == name)) or User(name=name)
            user.password_hash = password_hash
            user.roles = ",".join(sorted(set(roles)))
            user.groups = self._groups(s, groups)
            s.add(user)
            s.flush()
            return user

    def get_user(self, name: str) -> User | None:
        with self.session() as s:
            return s.scalar(select(User).where(User.name == name))

    def list_users(self) -> list[User]:
        with self.session() as s:
            return list(s.scalars(select(User).order_by(User.name)))

    def delete_user(self, name: str) -> bool:
        """Remove a user (their group memberships go with them; logs keep their name)."""
        with self.session() as s:
            user = s.scalar(select(User).where(User.name == name))
            if user is None:
                return False
            s.delete(user)
            return True

    def list_group_names(self) -> list[str]:
        with self.session() as s:
            return list(s.scalars(select(Group.name).order_by(Group.name)))
