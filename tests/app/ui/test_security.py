"""Web UI security: login throttling (shown as such, audited), session expiry (idle and absolute
age), the engine's question rate limit as a message, and the Admin page's audit log."""

from __future__ import annotations

import re

import pytest

from tests.app.ui.conftest import USERS, login

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
def extra_users(ui_env) -> None:
    from app.access import add_user

    db = ui_env.db()
    add_user(db, "tom", "tom-secret-1", ["everyone"], ["employee"])
    add_user(db, "adele", "adele-admin-secret", ["everyone"], ["admin"])
    db.close()


def test_repeated_wrong_passwords_lock_the_name_for_a_while(app_test, ui_env) -> None:
    limit = ui_env.settings.login_max_failures
    for _ in range(limit):
        at = login(app_test(), "tom", "guessing")
        assert any("Wrong user name or password" in e.value for e in at.error)
    at = login(app_test(), "tom", "tom-secret-1")  # even the right password, during the cooldown
    assert not at.exception, at.exception
    (shown,) = [e.value for e in at.error]
    assert re.fullmatch(r"Too many failed logins; try again in \d+ s\.", shown), shown
    assert "docqa_user" not in at.session_state
    # an unknown name is refused with the same words: the page does not tell who exists
    for _ in range(limit):
        login(app_test(), "nobody-here", "guessing")
    at = login(app_test(), "nobody-here", "guessing")
    assert [re.sub(r"\d+", "N", e.value) for e in at.error] == [re.sub(r"\d+", "N", shown)]
    db = ui_env.db()
    tom = [a for a in db.list_audit(actor="tom")]
    assert [a.action for a in tom].count("login.failed") == limit
    assert tom[0].action == "login.throttled" and tom[0].details["via"] == "ui"
    db.close()


def test_a_session_ends_when_idle_and_at_its_maximum_age(ui_env) -> None:
    from app.ui import backend as be

    now = [1_800_000_000.0]
    backend = be.Backend(None, ui_env.db(), ui_env.settings, in_process=True, clock=lambda: now[0])
    try:
        dave = be.log_in(backend, "dave", USERS["dave"][0])
        assert dave is not None and dave.logged_in == now[0]
        idle_s = ui_env.settings.ui_idle_minutes * 60
        max_s = ui_env.settings.ui_session_max_hours * 3600
        assert 0 < idle_s < max_s
        while now[0] + idle_s - 60 < dave.logged_in + max_s:  # active just often enough
            now[0] += idle_s - 60
            assert be.refresh(backend, dave).name == "dave"
        now[0] = dave.logged_in + max_s + 1
        with pytest.raises(be.Expired, match="hours after you logged in"):
            be.refresh(backend, dave)

        again = be.log_in(backend, "dave", USERS["dave"][0])
        now[0] += idle_s + 1
        with pytest.raises(be.Expired, match="minutes without activity"):
            be.refresh(backend, again)
    finally:
        backend.db.close()


def test_the_question_rate_limit_is_shown_as_a_message() -> None:
    from app.client import EngineError
    from app.ui.state import _engine_message

    limited = EngineError(429, "Too many questions: dave may ask 20 per minute; try again in 3 s", "3")
    assert _engine_message(limited) == "Too many questions: dave may ask 20 per minute; try again in 3 s"


def test_admins_read_the_audit_log_on_the_admin_page(app_test, ui_env) -> None:
    at = login(app_test(), "adele", "adele-admin-secret")
    at.switch_page("pages/admin.py").run()
    assert not at.exception, at.exception
    at.text_input(key="user_name").input("ursula")
    at.multiselect(key="user_groups_(new user)").set_value(["everyone"])
    at.text_input(key="user_password_(new user)").input("ursula-secret")
    at.button(key="user_save").click().run()
    assert not at.exception, at.exception
    login(app_test(), "ursula", "wrong-password")

    at.switch_page("pages/admin.py").run()
    table = next(d.value for d in at.dataframe if "action" in d.value.columns)
    rows = list(zip(table["actor"], table["action"], table["target"], strict=True))
    assert ("adele", "user.create", "ursula") in rows and ("ursula", "login.failed", "ursula") in rows
    assert "ursula-secret" not in table.to_string()

    at.text_input(key="audit_action").input("user.").run()  # a prefix filter
    table = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert set(table["action"]) == {"user.create"}

    at.selectbox(key="user_pick").select("ursula").run()  # and remove her again
    at.checkbox(key="user_delete_confirm_ursula").check().run()
    at.button(key="user_delete").click().run()
    assert not at.exception, at.exception
    db = ui_env.db()
    assert db.get_user("ursula") is None
    assert db.list_audit(action="user.delete")[0].target == "ursula"
    db.close()
