"""The Admin and Insights pages in Streamlit's AppTest: role gating, upload -> indexed, a zip-slip
refused, change-groups taking effect for an asker, users, and insights after a few asks."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from tests.app.ui.conftest import LEAVE_Q, MAIN, SALARY_Q, login
from tests.app.ui.test_pages import texts

pytestmark = pytest.mark.integration
ADMIN = ("ada", "ada-admin-secret")


@pytest.fixture(scope="module", autouse=True)
def admin_user(ui_env) -> None:
    from app.access import add_user

    db = ui_env.db()
    add_user(db, ADMIN[0], ADMIN[1], ["everyone"], ["admin"])
    db.close()


def as_admin(app_test):
    at = login(app_test(), *ADMIN)
    at.switch_page("pages/admin.py").run()  # an admin lands on Review (admins review too)
    assert not at.exception, at.exception
    return at


def wait_until_done(at, timeout: float = 60.0) -> None:
    """Rerun the page (as the job fragment's timer would) until the job has finished."""
    deadline = time.monotonic() + timeout
    while not any(
        "Ingestion finished" in e.value or "Ingestion failed" in e.value for e in [*at.success, *at.error]
    ):
        assert time.monotonic() < deadline, texts(at)
        time.sleep(0.3)
        at.run()
        assert not at.exception, at.exception


def test_an_employee_cannot_open_admin_or_insights(app_test) -> None:
    from streamlit.testing.v1 import AppTest

    from app.ui.backend import SessionUser

    at = login(app_test(), "dave")
    assert not at.exception, at.exception
    for page in ("pages/admin.py", "pages/insights.py"):
        with pytest.raises(ValueError, match="navigation page"):  # not registered for him
            at.switch_page(page)
        direct = AppTest.from_file(str(MAIN.parent / page), default_timeout=90)
        direct.session_state["docqa_user"] = SessionUser("dave", ["employee"], ["everyone"])
        direct.run()  # as a hand-typed URL would: the page itself refuses
        assert any("Not allowed" in e.value for e in direct.error), page
        assert not direct.button and not direct.metric, page


def test_admin_uploads_two_files_and_they_get_indexed(app_test, ui_env) -> None:
    at = as_admin(app_test)
    at.text_input(key="up_set").input("handbook")
    at.multiselect(key="up_groups").select("everyone")
    at.file_uploader(key="up_files").set_value(
        [
            ("canteen.txt", b"The canteen opens at 11:30 and closes at 14:00.\n", "text/plain"),
            ("parking.txt", b"Parking permits are issued by the facilities desk.\n", "text/plain"),
        ]
    )
    at.button(key="up_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    wait_until_done(at)
    assert any("2 indexed" in e.value for e in at.success), texts(at)
    table = at.dataframe[0].value
    assert sorted(table["file"]) == ["canteen.txt", "parking.txt"] and set(table["status"]) == {"indexed"}
    db = ui_env.db()
    docs = {d.path: d for d in db.list_documents("handbook")}
    assert sorted(docs) == ["canteen.txt", "parking.txt"] and docs["canteen.txt"].group_names == ["everyone"]
    db.close()

    # a zip with a ../ member is refused as a whole, with a readable message
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ok.txt", "fine\n")
        z.writestr("../evil.txt", "pwned\n")
    at.file_uploader(key="up_files").set_value(("evil.zip", buf.getvalue(), "application/zip"))
    at.button(key="up_go").click().run()
    assert not at.exception, at.exception
    assert any("../evil.txt" in e.value and "'..' are not allowed" in e.value for e in at.error), texts(at)
    assert not (ui_env.data_dir / "uploads" / "evil.txt").exists()


def test_admin_adds_a_user(app_test, ui_env) -> None:
    from app.access import authenticate

    at = as_admin(app_test)
    at.text_input(key="user_name").input("nina")
    at.multiselect(key="user_groups_(new user)").set_value(["everyone"])
    at.text_input(key="user_groups_(new user)_extra").input("finance")
    at.multiselect(key="user_roles_(new user)").set_value(["employee", "reviewer"])
    at.text_input(key="user_password_(new user)").input("nina-secret")
    at.button(key="user_save").click().run()
    assert not at.exception, at.exception
    db = ui_env.db()
    nina = authenticate(db, "nina", "nina-secret")
    assert nina and nina.group_names == ["everyone", "finance"] and nina.role_list == ["employee", "reviewer"]
    db.close()


def test_insights_show_numbers_after_asks_and_a_feedback(app_test, ui_env) -> None:
    at = login(app_test(), "dave")
    at.chat_input(key="question").set_value(LEAVE_Q).run()
    at.chat_input(key="question").set_value("What is the airspeed of an unladen swallow?").run()
    assert not at.exception, at.exception
    db = ui_env.db()
    (conv,) = db.list_conversations("dave")
    tid = db.list_turns(conv.id, "dave")[0].id
    db.close()
    at.button(key=f"down_btn_{tid}").click().run()
    at.selectbox(key=f"reason_{tid}").select("incomplete")
    at.button(key=f"send_down_{tid}").click().run()
    assert not at.exception, at.exception

    at = as_admin(app_test)
    at.switch_page("pages/insights.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Questions"]) >= 2 and int(metrics["Refused"]) >= 1
    assert metrics["Thumbs up"] == "0%" and metrics["Latency p50"].endswith("ms")
    assert "swallow" in str(at.dataframe[0].value["question"].tolist())


def test_change_groups_takes_effect_for_an_asker(app_test, ui_env) -> None:
    at = login(app_test(), "alice")
    at.chat_input(key="question").set_value(SALARY_Q).run()
    assert "salary-bands.pdf" in texts(at)

    db = ui_env.db()
    doc = next(d for d in db.list_documents("t") if d.path.endswith("salary-bands.pdf"))
    db.close()
    admin = as_admin(app_test)
    admin.selectbox(key="doc_pick").select(doc.doc_id).run()
    admin.multiselect(key=f"doc_groups_{doc.doc_id}").set_value([])
    admin.text_input(key=f"doc_groups_{doc.doc_id}_extra").input("management")
    admin.button(key="doc_groups_save").click().run()
    assert not admin.exception, admin.exception
    db = ui_env.db()
    assert db.get_document(doc.doc_id).group_names == ["management"]
    db.close()

    at = login(app_test(), "alice")
    at.chat_input(key="question").set_value(SALARY_Q).run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "80,000" not in page and "salary-bands.pdf" not in page
