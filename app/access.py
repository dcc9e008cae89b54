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
    from app.settings import Settings

log = logging.getLogger("docqa.access")

ROLES = ("employee", "reviewer", "admin", "evaluator")
_hasher = PasswordHasher()

# The demo users' passwords, published in data/users.yaml (tests/app/test_start_checks.py keeps the
# two in step). Kept here so the check needs no data/ folder beside an installed engine.
DEMO_PASSWORDS = {
    "alice": "demo-alice",
    "bob": "demo-bob",
    "carol": "demo-carol",
    "dave": "demo-dave",
    "erin": "demo-erin",
    "frank": "demo-frank",
    "grace": "demo-grace",
    "heidi": "demo-heidi",
}


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


def add_user(
    db: Database,
    name: str,
    password: str,
    groups: Sequence[str],
    roles: Sequence[str],
    *,
    demo_passwords: bool = False,
) -> User:
    """Create or replace a user (argon2 hash). ValueError: empty name, a password under 8
    characters, or one of the published demo passwords unless ``demo_passwords`` (demo mode)."""
    if not name.strip():
        raise ValueError("user name must not be empty")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    if not demo_passwords and password in DEMO_PASSWORDS.values():
        raise ValueError("this password is a published demo password (data/users.yaml); choose another")
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
    except Exception as exc:
        log.warning("audit log not written (%s %s %s): %s", actor, action, target, exc)


def user_groups(db: Database, name: str) -> list[str]:
    """The groups a user reads with; an unknown user reads nothing."""
    user = db.get_user(name)
    return user.group_names if user else []


def seed_users(db: Database, path: Path) -> list[User]:
    """Create the demo users listed in a users.yaml (demo only: the passwords are public; `docqa
    users seed` refuses outside DOCQA_DEMO_MODE)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        add_user(
            db,
            str(u["name"]),
            str(u["password"]),
            u.get("groups") or [],
            u.get("roles") or ["employee"],
            demo_passwords=True,
        )
        for u in data.get("users", [])
    ]


# -- production start checks (`docqa serve`) --------------------------------------------------------
class StartRefused(Exception):
    """The engine must not start as configured; the message says why and what to do."""


def has_demo_password(user: User) -> bool:
    """Whether the user's password is one of the published demo passwords (argon2, one verify per
    candidate; the user's own demo password is tried first)."""
    own = DEMO_PASSWORDS.get(user.name)
    candidates = ([own] if own else []) + [p for p in DEMO_PASSWORDS.values() if p != own]
    return any(verify_password(user.password_hash, p) for p in candidates)


CHECKED_FILE = "checked-password-hashes.json"  # in the data dir: see demo_password_users


def demo_password_users(db: Database, checked_file: Path | None = None) -> list[str]:
    """Names of the users whose password is a demo password. Each check costs 8 argon2 verifies
    (~0.5 s per user on 2 cores), so with ``checked_file`` the fingerprints (sha256) of password
    hashes already found clean are remembered there and not checked again: a restart checks only
    users created or given a new password since (every new password gets a new salted hash)."""
    import hashlib
    import json
    import time

    started = time.monotonic()
    known: set[str] = set()
    if checked_file is not None and checked_file.is_file():
        try:
            known = set(json.loads(checked_file.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            known = set()
    found, clean, checked = [], set(), 0
    for user in db.list_users():
        fingerprint = hashlib.sha256(user.password_hash.encode()).hexdigest()
        if fingerprint in known:
            clean.add(fingerprint)
            continue
        checked += 1
        if has_demo_password(user):
            found.append(user.name)
        else:
            clean.add(fingerprint)
    if checked_file is not None and clean != known:
        try:
            tmp = checked_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(sorted(clean)), encoding="utf-8")
            tmp.replace(checked_file)
        except OSError as exc:
            log.warning("could not remember the checked password hashes in %s: %s", checked_file, exc)
    if checked:
        log.info("checked %d user(s) for demo passwords in %.1f s", checked, time.monotonic() - started)
    return found


def first_admin_password(settings: Settings) -> str | None:
    """The first admin's password from DOCQA_ADMIN_PASSWORD_FILE or DOCQA_ADMIN_PASSWORD (one of
    them); None when neither is set. StartRefused when both are, or the file cannot be read."""
    given, path = settings.admin_password, settings.admin_password_file
    if given is not None and path is not None:
        raise StartRefused("set DOCQA_ADMIN_PASSWORD_FILE or DOCQA_ADMIN_PASSWORD, not both")
    if path is None:
        return given.get_secret_value() if given is not None else None
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise StartRefused(f"cannot read DOCQA_ADMIN_PASSWORD_FILE {path}: {exc.strerror or exc}") from None


def ensure_first_admin(db: Database, settings: Settings) -> User | None:
    """While no user holds the role admin, create DOCQA_ADMIN_NAME (roles employee and admin, no
    groups) with the password from the secret; the created user, or None when an admin exists (the
    secret is then unused: change passwords in the app). StartRefused when no admin exists and no
    secret is given (outside demo mode), or the secret is unusable."""
    if any("admin" in u.role_list for u in db.list_users()):
        return None
    password = first_admin_password(settings)
    if password is None:
        if settings.demo_mode:
            log.warning("no admin user yet (demo mode): `docqa users seed` creates the demo admin erin")
            return None
        raise StartRefused(
            "no user has the role admin, and no first admin password is given: set "
            "DOCQA_ADMIN_PASSWORD_FILE (a file holding it, e.g. a Compose secret) or DOCQA_ADMIN_PASSWORD, "
            f"and the engine creates the admin {settings.admin_name!r} (DOCQA_ADMIN_NAME) at start; or "
            "create one with `docqa users add NAME --roles employee,admin`"
        )
    name = settings.admin_name.strip()
    existing = db.get_user(name)
    if existing is not None:
        raise StartRefused(
            f"no user has the role admin, and the user {name!r} (DOCQA_ADMIN_NAME) exists without it: "
            "choose another DOCQA_ADMIN_NAME, or grant the role with `docqa users add`"
        )
    try:
        user = add_user(db, name, password, [], ["employee", "admin"], demo_passwords=settings.demo_mode)
    except ValueError as exc:
        raise StartRefused(f"the first admin cannot be created: {exc}") from None
    record_audit(db, "engine", "user.create", user.name, {"roles": user.role_list, "first_admin": True})
    log.info("created the first admin %r from the admin password secret", user.name)
    return user


def check_start(db: Database, settings: Settings) -> None:
    """What `docqa serve` checks before it listens: outside demo mode no user may have a demo
    password (StartRefused naming them), and an admin must exist (ensure_first_admin)."""
    if not settings.demo_mode:
        found = demo_password_users(db, settings.data_dir / CHECKED_FILE)
        if found:
            raise StartRefused(
                f"refusing to start: {len(found)} user(s) have a published demo password "
                f"({', '.join(found)}; see data/users.yaml). Outside the demo, remove them "
                "(`docqa users rm NAME`) or set new passwords (`docqa users add NAME --groups G --roles R "
                "--password-stdin`, their groups and roles given again); for the demo, set "
                "DOCQA_DEMO_MODE=true"
            )
    ensure_first_admin(db, settings)
