import pytest

from app.access import add_user, authenticate, check_roles, hash_password, user_groups, verify_password
from app.db import Database

pytestmark = pytest.mark.integration  # real SQLite database, real argon2


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield database
    database.close()


def test_passwords_are_hashed_and_verified() -> None:
    h = hash_password("correct horse")
    assert h.startswith("$argon2") and "correct horse" not in h
    assert verify_password(h, "correct horse")
    assert not verify_password(h, "wrong horse")
    assert not verify_password("not-a-hash", "x")


def test_user_groups_and_roles(db: Database) -> None:
    add_user(db, "alice", "password-1", ["hr", "everyone"], ["employee", "admin"])
    assert user_groups(db, "alice") == ["everyone", "hr"]
    assert db.get_user("alice").role_list == ["admin", "employee"]
    assert authenticate(db, "alice", "password-1") is not None
    assert authenticate(db, "alice", "password-2") is None
    assert user_groups(db, "mallory") == []
    add_user(db, "alice", "password-3", ["finance"], ["employee"])  # update replaces groups
    assert user_groups(db, "alice") == ["finance"]


@pytest.mark.parametrize(("groups", "roles", "password"), [([], ["wizard"], "password-1"), ([], [], "short")])
def test_bad_user_input_is_rejected(db: Database, groups: list, roles: list, password: str) -> None:
    with pytest.raises(ValueError):
        add_user(db, "bob", password, groups, roles)


def test_default_role_is_employee() -> None:
    assert check_roles([]) == ["employee"]
