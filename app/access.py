"""Users, passwords and groups: who may read what."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from app.db import Database
from app.models import User

if TYPE_CHECKING:
    from app.auth import LoginThrottle

log = logging.getLogger("docqa.access")

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


class LoginRefused(Exception):
    """A login that failed or is throttled; the message may be shown as is (it never says whether
    the user exists). ``retry_after``: seconds, when throttled."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


WRONG_LOGIN = "Wrong user name or password."


def log_in(
    db: Database,
    throttle: LoginThrottle,
    name: str,
    password: str,
    *,
    address: str | None = None,
    via: str = "engine",
) -> User:
    """The user if the password matches (argon2) and neither the name nor the address is cooling
    down after too many failures (app.auth.LoginThrottle); else LoginRefused. Failed and throttled
    logins are written to the audit log."""
    from app.auth import LoginThrottled

    name = name.strip()
    where = {"address": address or "", "via": via}
    try:
        throttle.check(name, address)
    except LoginThrottled as exc:
        record_audit(db, name or "anonymous", "login.throttled", name, where)
        raise LoginRefused(str(exc), exc.retry_after) from None
    user = authenticate(db, name, password) if name and password else None
    if user is None:
        throttle.failed(name, address)
        record_audit(db, name or "anonymous", "login.failed", name, where)
        raise LoginRefused(WRONG_LOGIN)
    throttle.succeeded(name, address)
    return user


def cli_actor() -> str:
    """The audit actor of a CLI command: "cli:<os user>"."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name for this uid (containers)
        import os

        return f"cli:uid-{os.getuid()}"


def record_audit(
    db: Database, actor: str, action: str, target: str = "", details: Mapping[str, Any] | None = None
) -> None:
    """Append to the audit log; a failure to write it is logged, never raised (the action happened)."""
    try:
        db.add_audit(actor, action, target, details)
    except Exception as exc:  # noqa: BLE001
        log.warning("audit log not written (%s %s %s): %s", actor, action, target, exc)


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
