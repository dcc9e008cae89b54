"""The web UI's pages in Streamlit's AppTest: login, role gating, ask with sources, feedback,
escalation to a reviewer and back, and private conversations."""

from __future__ import annotations

import re

import pytest

from tests.app.ui.conftest import LEAVE_Q, MAIN, SALARY_Q, USERS, login

pytestmark = pytest.mark.integration


def texts(at) -> str:
    """Every markdown, caption, html, alert and badge text of the page, joined."""
    parts = []
    for kind in ("markdown", "caption", "error", "success", "info", "warning", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [str(getattr(e, "body", "") or getattr(e, "proto", "")) for e in at.get("html")]
    return re.sub(r"\\(.)", r"\1", "\n".join(parts))  # markdown escapes undone


def test_login_fails_with_a_wrong_password(app_test) -> None:
    at = login(app_test(), "alice", "not-her-password")
    assert not at.exception
    assert any("Wrong user name or password" in e.value for e in at.error)
    assert "docqa_user" not in at.session_state


def test_ask_shows_a_cited_source_and_stores_a_thumb_down(app_test, ui_env) -> None:
    at = login(app_test(), "alice")
    assert not at.exception, at.exception
    at.chat_input(key="question").set_value(SALARY_Q).run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "80,000" in page and "salary-bands.pdf" in page
    assert "<mark>" in page  # the cited words are highlighted in the snippet
    assert "Quoted from the sources" in page  # extractive answers are labelled
    db = ui_env.db()
    (conv,) = db.list_conversations("alice")
    (turn,) = db.list_turns(conv.id, "alice")
    tid, qid = turn.id, turn.query_log_id
    assert qid is not None
    # open the source: the PDF page is drawn and the original can be downloaded
    card = turn.answer["citations"][0]
    at.button(key=f"btn_open_{tid}_{card['n']}").click().run()
    assert not at.exception, at.exception
    assert at.get("download_button"), "the original must be downloadable"
    assert at.get("imgs") or at.get("image"), "the cited PDF page must be shown"
    # thumb down with a reason and a comment
    at.button(key=f"down_btn_{tid}").click().run()
    at.selectbox(key=f"reason_{tid}").select("outdated")
    at.text_input(key=f"comment_{tid}").input("the bands changed in 2026")
    at.button(key=f"send_down_{tid}").click().run()
    assert not at.exception, at.exception
    fb = db.get_feedback(qid, "alice")
    assert fb is not None and (fb.thumb, fb.reason, fb.comment) == (
        "down",
        "outdated",
        "the bands changed in 2026",
    )
    db.close()


def test_an_employee_cannot_reach_the_review_page(app_test, ui_env) -> None:
    from streamlit.testing.v1 import AppTest

    from app.ui.backend import SessionUser

    at = login(app_test(), "dave")
    assert not at.exception, at.exception
    with pytest.raises(ValueError, match="navigation page"):  # not even registered for him
        at.switch_page("pages/review.py")
    # and the page itself refuses him when run anyway (as a hand-typed URL would)
    page = AppTest.from_file(str(MAIN.parent / "pages" / "review.py"), default_timeout=90)
    page.session_state["docqa_user"] = SessionUser("dave", ["employee"], ["everyone"])
    page.run()
    assert any("Not allowed" in e.value for e in page.error)
    assert not page.button, "no review action may be offered"


def test_expert_question_reaches_a_reviewer_of_the_group_and_the_reply_comes_back(app_test, ui_env) -> None:
    db = ui_env.db()
    at = login(app_test(), "alice")
    at.chat_input(key="question").set_value(SALARY_Q).run()
    conv = db.list_conversations("alice")[0]
    turn = db.list_turns(conv.id, "alice")[-1]
    tid = turn.id
    at.button(key=f"expert_btn_{tid}").click().run()
    at.text_area(key=f"expert_comment_{tid}").input("Is this still the 2026 band?")
    at.button(key=f"send_expert_{tid}").click().run()
    assert not at.exception, at.exception
    (esc,) = [e for e in db.list_escalations(asker="alice") if e.query_log_id == turn.query_log_id]
    assert esc.comment == "Is this still the 2026 band?" and esc.groups == ["hr"]
    assert "Sent to an expert" in texts(at)

    # victor reviews engineering, not hr: the ticket is not routed to him
    v = login(app_test(), "victor")
    v.switch_page("pages/review.py").run()
    assert not v.exception, v.exception
    assert not v.get("text_area") or all(t.key != f"reply_text_{esc.id}" for t in v.text_area)

    # rita reviews hr: she sees it, claims it and replies
    r = login(app_test(), "rita")
    r.switch_page("pages/review.py").run()
    assert not r.exception, r.exception
    assert "Is this still the 2026 band?" in texts(r)
    r.button(key=f"claim_{esc.id}").click().run()
    assert db.get_escalation(esc.id).status == "claimed"
    r.text_area(key=f"reply_text_{esc.id}").input("Yes, confirmed by the HR board in January.")
    r.button(key=f"reply_{esc.id}").click().run()
    assert not r.exception, r.exception
    assert db.get_escalation(esc.id).status == "answered"

    # alice sees the reply under "My questions to experts"
    at.switch_page("pages/experts.py").run()
    assert not at.exception, at.exception
    assert "Yes, confirmed by the HR board in January." in texts(at)
    assert "answered" in str([b.proto for b in at.get("badge")]) or "answered" in texts(at)
    db.close()


def test_another_users_conversation_is_not_listed(app_test, ui_env) -> None:
    db = ui_env.db()
    at = login(app_test(), "alice")
    at.chat_input(key="question").set_value(LEAVE_Q).run()
    alice_convs = [c.id for c in db.list_conversations("alice")]
    assert alice_convs
    d = login(app_test(), "dave")
    assert not d.exception, d.exception
    keys = {b.key for b in d.sidebar.button}
    assert not any(k == f"conv_{cid}" for k in keys for cid in alice_convs)
    # nor can dave open it by id
    d.session_state["conversation_id"] = alice_convs[0]
    d.run()
    assert LEAVE_Q not in texts(d)
    assert db.list_turns(alice_convs[0], "dave") == [] and db.get_conversation(alice_convs[0], "dave") is None
    db.close()


def test_a_follow_up_continues_the_conversation_with_its_history(app_test, ui_env) -> None:
    db = ui_env.db()
    at = login(app_test(), "dave")
    at.button(key="new_chat").click().run()
    at.chat_input(key="question").set_value(LEAVE_Q).run()
    at.chat_input(key="question").set_value("And when do they expire?").run()
    assert not at.exception, at.exception
    conv = db.list_conversations("dave")[0]
    first, second = db.list_turns(conv.id, "dave")
    assert first.question == LEAVE_Q
    assert "vacation" in second.answer["rewritten_query"].lower()  # the earlier question was passed on
    # reopening: a new chat, then the conversation from the list
    at.button(key="new_chat").click().run()
    assert "And when do they expire?" not in texts(at)
    at.button(key=f"conv_{conv.id}").click().run()
    assert "And when do they expire?" in texts(at)
    db.close()


def test_actions_recheck_the_role_and_sessions_expire(ui_env) -> None:
    from app.ui import backend as be

    class Engine:  # must never be reached
        def __getattr__(self, name: str):  # noqa: ANN204
            raise AssertionError(f"engine.{name} called for a refused action")

    backend = be.Backend(Engine(), ui_env.db(), ui_env.settings, in_process=True)
    dave = be.log_in(backend, "dave", USERS["dave"][0])
    assert dave is not None and dave.roles == ["employee"]
    assert be.log_in(backend, "dave", "wrong-password") is None
    for action in (
        lambda: be.claim(backend, dave, 1),
        lambda: be.reply(backend, dave, 1, "text"),
        lambda: be.review_queue(backend, dave),
    ):
        with pytest.raises(be.Refused):
            action()
    with pytest.raises(be.Refused):
        be.ask(backend, None, "anything")  # no session at all
    rita = be.log_in(backend, "rita", USERS["rita"][0])
    assert be.require_role(backend, rita, be.REVIEWER).name == "rita"
    idle = ui_env.settings.ui_idle_minutes * 60
    with pytest.raises(be.Expired):
        be.refresh(backend, rita, now=rita.last_active + idle + 1)
    backend.db.close()


def test_the_answer_streams_and_a_refusal_shows_no_sources(app_test, ui_env, monkeypatch) -> None:
    from app.ui import backend as be

    real_ask = be.Backend.ask
    streamed: list[str] = []

    def streaming_ask(self, question, user, **kwargs):
        for piece in ("The answer ", "is being ", "written…"):
            kwargs["on_token"](piece)
            streamed.append(piece)
        return real_ask(self, question, user, **kwargs)

    monkeypatch.setattr(be.Backend, "ask", streaming_ask)
    at = login(app_test(), "dave")
    at.button(key="new_chat").click().run()
    at.chat_input(key="question").set_value(SALARY_Q).run()  # hr only: dave is refused
    assert not at.exception, at.exception
    assert streamed == ["The answer ", "is being ", "written…"]
    page = texts(at)
    assert "80,000" not in page and "salary-bands.pdf" not in page
    assert not any(b.key and b.key.startswith("btn_open_") for b in at.button)
    db = ui_env.db()
    turn = db.list_turns(db.list_conversations("dave")[0].id, "dave")[-1]
    assert turn.answer["refused"] and turn.answer["citations"] == []
    db.close()


def test_search_in_one_picked_document_cites_only_that_document(app_test, ui_env) -> None:
    """The "Search in" selector lists only what the user may read; the picked doc_id goes through
    be.ask and Backend.ask to the engine, so the answer cites that document only."""
    db = ui_env.db()
    ids = {d.path: d.doc_id for d in db.list_documents()}
    dave = login(app_test(), "dave")
    assert not dave.exception, dave.exception
    assert dave.selectbox(key="search_in").options == ["All my documents", "public/leave.txt (t)"]

    at = login(app_test(), "rita")  # everyone and hr: both documents
    picker = at.selectbox(key="search_in")
    assert picker.value is None and picker.options == [
        "All my documents",
        "hr/salary-bands.pdf (t)",
        "public/leave.txt (t)",
    ]
    assert "only that document" in picker.help
    at.chat_input(key="question").set_value(LEAVE_Q).run()  # all documents: both are cited
    at.selectbox(key="search_in").select(ids["public/leave.txt"]).run()
    assert not at.exception, at.exception
    assert "Searching only in public/leave.txt (t)" in texts(at)
    at.chat_input(key="question").set_value(LEAVE_Q).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="search_in").value == ids["public/leave.txt"]  # the pick stays
    whole, picked = db.list_turns(db.list_conversations("rita")[0].id, "rita")
    assert {c["path"] for c in whole.answer["citations"]} == {"public/leave.txt", "hr/salary-bands.pdf"}
    assert not picked.answer["refused"] and "30 vacation days" in picked.answer["answer"]
    assert {c["path"] for c in picked.answer["citations"]} == {"public/leave.txt"}
    db.close()


def test_the_ui_backend_passes_the_picked_document_and_lists_only_for_employees(ui_env) -> None:
    from app.ui import backend as be

    class Engine:  # records what the UI backend asks of the engine
        def __init__(self) -> None:
            self.calls: list[tuple[str, tuple, dict]] = []

        def ask(self, question: str, user: str, **kwargs: object) -> dict:
            self.calls.append(("ask", (question, user), kwargs))
            return {"answer": "", "citations": []}

        def readable_documents(self, user: str) -> list[dict]:
            self.calls.append(("readable_documents", (user,), {}))
            return [{"doc_id": "d1", "set": "t", "path": "public/leave.txt", "title": "leave.txt"}]

    engine = Engine()
    backend = be.Backend(engine, ui_env.db(), ui_env.settings, in_process=True)
    dave = be.log_in(backend, "dave", USERS["dave"][0])
    assert be.readable_documents(backend, dave)[0]["doc_id"] == "d1"
    be.ask(backend, dave, LEAVE_Q, doc="d1")
    be.ask(backend, dave, LEAVE_Q)
    assert [(name, args, kw.get("doc")) for name, args, kw in engine.calls] == [
        ("readable_documents", ("dave",), None),
        ("ask", (LEAVE_Q, "dave"), "d1"),
        ("ask", (LEAVE_Q, "dave"), None),
    ]
    with pytest.raises(be.Refused):
        be.readable_documents(backend, None)  # no session
    backend.db.upsert_user("nora", "!", ["everyone"], ["reviewer"])  # a reviewer only: no ask page
    with pytest.raises(be.Refused):
        be.readable_documents(backend, be.SessionUser("nora", ["reviewer"], ["everyone"]))
    assert len(engine.calls) == 3
    backend.db.close()
