"""Production defaults checked when the engine starts (`docqa serve`, app.access.check_start): no
user with a published demo password outside demo mode, the first admin created from its secret,
demo seeding only in demo mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from app.access import (
    DEMO_PASSWORDS,
    StartRefused,
    add_user,
    authenticate,
    check_start,
    hash_password,
    seed_users,
)

ROOT = Path(__file__).resolve().parents[2]
USERS_YAML = ROOT / "data" / "users.yaml"


@pytest.fixture
def db(settings):
    from app.db import Database

    settings.ensure_dirs()
    database = Database(settings.db_url)
    yield database
    database.close()


def demo(settings):
    return settings.model_copy(update={"demo_mode": True})


def secret_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "admin_password"
    path.write_text(text)
    return path


@pytest.mark.unit
def test_the_demo_passwords_are_those_published_in_data_users_yaml() -> None:
    published = yaml.safe_load(USERS_YAML.read_text())["users"]
    assert {u["name"]: u["password"] for u in published} == DEMO_PASSWORDS
    assert len(DEMO_PASSWORDS) == 8


@pytest.mark.unit
def test_demo_passwords_refuse_to_start_outside_demo_mode_and_start_in_demo_mode(db, settings) -> None:
    seed_users(db, USERS_YAML)
    with pytest.raises(StartRefused) as refused:
        check_start(db, settings)
    message = str(refused.value)
    assert "8 user(s) have a published demo password" in message and "erin" in message
    assert "DOCQA_DEMO_MODE=true" in message and "docqa users rm" in message
    check_start(db, demo(settings))  # the demo: starts (erin is its admin)
    assert [u.name for u in db.list_users() if "admin" in u.role_list] == ["erin"]


@pytest.mark.unit
def test_any_user_with_any_demo_password_is_found(db, settings, tmp_path: Path) -> None:
    add_user(db, "ops", "a-real-secret-1", [], ["employee", "admin"])
    db.upsert_user("zoe", hash_password(DEMO_PASSWORDS["erin"]), ["hr"], ["employee"])  # not her own name
    with pytest.raises(StartRefused, match=r"1 user\(s\) have a published demo password \(zoe;"):
        check_start(db, settings)
    add_user(db, "zoe", "zoe-new-secret", ["hr"], ["employee"])
    check_start(db, settings)


@pytest.mark.unit
def test_a_restart_checks_only_passwords_set_since(db, settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashes found clean are remembered in the data dir, so a restart costs no argon2 work for
    them; a new password (a new hash) is checked again, and a demo one is found."""
    import app.access as access

    add_user(db, "ops", "a-real-secret-1", [], ["employee", "admin"])
    add_user(db, "zoe", "zoe-secret-1", [], ["employee"])
    calls: list[str] = []
    real = access.has_demo_password
    monkeypatch.setattr(access, "has_demo_password", lambda user: calls.append(user.name) or real(user))
    check_start(db, settings)
    assert sorted(calls) == ["ops", "zoe"] and (settings.data_dir / access.CHECKED_FILE).is_file()
    calls.clear()
    check_start(db, settings)
    assert calls == []
    db.upsert_user("zoe", hash_password(DEMO_PASSWORDS["bob"]), [], ["employee"])
    with pytest.raises(StartRefused, match=r"\(zoe;"):
        check_start(db, settings)
    assert calls == ["zoe"]


@pytest.mark.unit
def test_the_first_admin_is_created_from_the_secret_file(db, settings, tmp_path: Path) -> None:
    add_user(db, "dave", "dave-secret-1", ["everyone"], ["employee"])  # users, but no admin
    path = secret_file(tmp_path, "first-admin-pw-1\n")  # as `openssl rand -hex 16 > file` leaves it
    check_start(db, settings.model_copy(update={"admin_password_file": path}))
    admin = authenticate(db, "admin", "first-admin-pw-1")
    assert admin is not None and admin.role_list == ["admin", "employee"] and admin.group_names == []
    (entry,) = db.list_audit(action="user.create")
    assert (entry.actor, entry.target, entry.details["first_admin"]) == ("engine", "admin", True)
    assert "first-admin-pw" not in str(entry.details)
    # later starts leave the admin alone, whatever the secret says now (the password is changed in the app)
    path.write_text("another-password-2\n")
    check_start(db, settings.model_copy(update={"admin_password_file": path}))
    assert authenticate(db, "admin", "first-admin-pw-1") is not None
    assert len(db.list_audit(action="user.create")) == 1


@pytest.mark.unit
def test_the_first_admin_from_the_environment(
    db,
    settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.settings import Settings

    monkeypatch.setenv("DOCQA_ADMIN_PASSWORD", "env-admin-pw-1")
    monkeypatch.setenv("DOCQA_ADMIN_NAME", "root-admin")
    check_start(db, Settings(data_dir=settings.data_dir))
    assert authenticate(db, "root-admin", "env-admin-pw-1") is not None


@pytest.mark.unit
def test_without_an_admin_or_a_secret_the_engine_refuses_to_start(db, settings) -> None:
    with pytest.raises(StartRefused) as refused:
        check_start(db, settings)
    message = str(refused.value)
    assert "no user has the role admin" in message and "DOCQA_ADMIN_PASSWORD_FILE" in message
    assert "'admin' (DOCQA_ADMIN_NAME)" in message and "docqa users add" in message
    check_start(db, demo(settings))  # the demo starts before `docqa users seed`
    assert db.list_users() == []


@pytest.mark.unit
@pytest.mark.parametrize(
    ("update", "problem"),
    [
        ({"admin_password_file": "missing"}, "cannot read DOCQA_ADMIN_PASSWORD_FILE"),
        ({"admin_password_file": "file", "admin_password": "x-password-1"}, "not both"),
        ({"admin_password": "short"}, "at least 8 characters"),
        ({"admin_password": DEMO_PASSWORDS["erin"]}, "published demo password"),
        ({"admin_password": "fine-password-1", "admin_name": "dave"}, "'dave' (DOCQA_ADMIN_NAME) exists"),
    ],
)
def test_an_unusable_first_admin_secret_refuses_to_start(
    db,
    settings,
    tmp_path: Path,
    update: dict,
    problem: str,
) -> None:
    add_user(db, "dave", "dave-secret-1", ["everyone"], ["employee"])
    paths = {"missing": tmp_path / "nope", "file": secret_file(tmp_path, "file-password-1")}
    update = {k: paths.get(v, v) if k == "admin_password_file" else v for k, v in update.items()}
    with pytest.raises(StartRefused, match=re.escape(problem)):
        check_start(db, revalidated(settings, update))
    assert [u.name for u in db.list_users()] == ["dave"]


def revalidated(settings, update: dict):
    return type(settings).model_validate(settings.model_dump() | update)


@pytest.mark.unit
def test_demo_passwords_are_refused_when_users_are_made_outside_demo_mode(db) -> None:
    with pytest.raises(ValueError, match="published demo password"):
        add_user(db, "zoe", DEMO_PASSWORDS["alice"], [], ["employee"])
    assert add_user(db, "zoe", DEMO_PASSWORDS["alice"], [], ["employee"], demo_passwords=True)


@pytest.mark.unit
def test_docqa_serve_exits_3_with_a_demo_password_outside_demo_mode(
    settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`docqa serve` stops before it listens (nothing bound, no engine.json), exit code 3; with
    DOCQA_DEMO_MODE=true the same data dir serves."""
    from typer.testing import CliRunner

    import app.server
    from app.cli import app as cli
    from app.db import Database

    settings.ensure_dirs()
    database = Database(settings.db_url)
    seed_users(database, USERS_YAML)
    database.close()
    served: list[object] = []

    class FakeServer:  # stands in for uvicorn once the checks passed
        def run(self, sockets: list) -> None:
            served.append(sockets)
            for sock in sockets:
                sock.close()

    monkeypatch.setattr(app.server, "make_server", lambda services, sock: FakeServer())
    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    res = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert res.exit_code == 3, res.output
    assert "published demo password" in " ".join(res.output.split()) and served == []
    assert not (settings.data_dir / "engine.json").exists()
    monkeypatch.setenv("DOCQA_DEMO_MODE", "true")
    res = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert res.exit_code == 0, res.output
    assert len(served) == 1


@pytest.mark.unit
def test_users_seed_is_refused_outside_demo_mode(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from app.cli import app as cli
    from app.db import Database

    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    res = CliRunner().invoke(cli, ["users", "seed", "--file", str(USERS_YAML)])
    assert res.exit_code == 2
    assert "refusing to seed the demo users outside demo mode" in " ".join(res.output.split())
    monkeypatch.setenv("DOCQA_DEMO_MODE", "true")
    res = CliRunner().invoke(cli, ["users", "seed", "--file", str(USERS_YAML)])
    assert res.exit_code == 0, res.output
    database = Database(settings.db_url)
    assert len(database.list_users()) == 8
    database.close()
