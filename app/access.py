"""Users, passwords and groups: who may read what."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from app.db import Database
from app.models import User

ROLES = ("employee", "reviewer", "admin", "evaluator")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def check_roles(roles: Sequence[str]) -> list[str]:
    bad = sorted(set(roles) - set(ROLES))
    if bad:
        raise ValueError(f"unknown role(s) {', '.join(bad)}; known: {', '.join(ROLES)}")
    return sorted(set(roles)) or ["employee"]


def add_user(db: Database, name: str, password: str, groups: Sequence[str], roles: Sequence[str]) -> User:
    if not name.strip():
        raise ValueError("user name must not be empty")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    return db.upsert_user(name.strip(), hash_password(password), groups, check_roles(roles))


def authenticate(db: Database, name: str, password: str) -> User | None:
    user = db.get_user(name)
    return user if user and verify_password(user.password_hash, password) else None


def user_groups(db: Database, name: str) -> list[str]:
    """The groups a user reads with; an unknown user reads nothing."""
    user = db.get_user(name)
    return user.group_names if user else []


def seed_users(db: Database, path: Path) -> list[User]:
    """Create the demo users listed in a users.yaml (demo only: the passwords are public)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        add_user(
            db, str(u["name"]), str(u["password"]), u.get("groups") or [], u.get("roles") or ["employee"]
        )
        for u in data.get("users", [])
    ]
