"""Verified answers: published from an answered escalation, cited as "Verified by <reviewer>, <date>"
only to readers in the chosen groups; unpublished everywhere. Real store, real embedder, extractive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.answer import Citation
from app.client import EngineError, InProcessEngine
from app.ui.render import pages_label
from tests.conftest import service_headers, write_docs

CORPUS = {
    "public/canteen.txt": "The canteen opens at 11:30 and closes at 14:00. Lunch costs EUR 3.50.\n",
    "hr/handbook.md": "# Parental leave\n\nEmployees receive 20 weeks of fully paid parental leave.\n",
}
ACL = 'default: [everyone]\nrules:\n  - match: "hr/**"\n    groups: [hr]\n'
REPLY = "Yes: parental leave can be split into at most two blocks of 10 weeks each."
SECRET = "two blocks of 10 weeks each"
QUESTION = "Can parental leave be split into blocks?"
ASK = "Can I split my parental leave into two blocks?"


@pytest.mark.unit
def test_a_verified_citation_is_labelled_by_reviewer_and_date_instead_of_a_page() -> None:
    plain = Citation(1, "Handbook", "hr/handbook.md", "d1", 1, 2, 3, "text")
    assert plain.label == "pp. 2–3" and plain.to_dict()["verified_by"] == ""
    verified = Citation(
        1, "Verified answer: Q", "verified/1", "verified-1", 1, 1, 1, "Q: A:", "rita", "2026-11-22"
    )
    assert verified.label == "Verified by rita, 2026-11-22"
    assert pages_label(verified.to_dict()) == "Verified by rita, 2026-11-22"
    assert pages_label(plain.to_dict()) == "pp. 2–3"


@pytest.fixture
def engine(svc, tmp_path: Path) -> Iterator[InProcessEngine]:
    """A public and an hr document; alice (everyone, hr), bob (everyone), rita reviews hr, ivan
    reviews it, ada is an admin. No password hashing (unused here)."""
    docs = tmp_path / "docs"
    write_docs(docs, CORPUS, ACL)
    report = svc.ingestor.ingest([docs], set_name="t")
    assert all(f.status == "indexed" for f in report.files), report.files
    db = svc.db
    db.upsert_user("alice", "!", ["everyone", "hr"], ["employee"])
    db.upsert_user("bob", "!", ["everyone"], ["employee"])
    db.upsert_user("rita", "!", ["hr"], ["reviewer"])
    db.upsert_user("ivan", "!", ["it"], ["reviewer"])
    db.upsert_user("ada", "!", [], ["admin"])
    yield InProcessEngine(svc)


def answered_escalation(engine: InProcessEngine) -> int:
    """Alice escalates an answer citing the hr handbook; rita replies."""
    db = engine.services.db
    (hr,) = [d for d in db.list_documents() if d.path == "hr/handbook.md"]
    log_id = db.add_query_log(
        user="alice",
        groups=["everyone", "hr"],
        question=QUESTION,
        answer="Employees receive 20 weeks of fully paid parental leave [1].",
        cited=[{"n": 1, "doc_id": hr.doc_id, "version": 1, "page": 1}],
        confidence=0.4,
        band="low",
    )
    esc = engine.escalate(log_id, "alice", comment="Can I split it?")
    assert esc["groups"] == ["hr"]
    engine.reply(esc["id"], "rita", REPLY)
    return esc["id"]


def verified_citations(answer: dict) -> list[dict]:
    return [c for c in answer["citations"] if c["doc_id"].startswith("verified-")]


def leaks(answer: dict) -> bool:
    texts = [answer["answer"], *(c["snippet"] for c in answer["citations"])]
    return any(SECRET in t for t in texts)


@pytest.mark.integration
def test_published_answer_is_cited_to_the_allowed_groups_only_and_unpublishing_removes_it(
    engine: InProcessEngine,
) -> None:
    store = engine.services.store
    before = store.count()
    eid = answered_escalation(engine)

    published = engine.publish_verified(eid, "rita", question=QUESTION)  # answer: the reply; groups: hr
    assert (published["groups"], published["reviewer"], published["answer"]) == (["hr"], "rita", REPLY)
    assert (published["doc_id"], published["escalation_id"]) == (f"verified-{published['id']}", eid)
    assert store.count() == before + 1 and store.count(doc_id=published["doc_id"]) == 1

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    answer = engine.ask(ASK, "alice", backend="extractive")
    (cited,) = verified_citations(answer)
    assert (cited["verified_by"], cited["verified_at"], cited["doc_id"]) == (
        "rita",
        today,
        published["doc_id"],
    )
    assert cited["document"] == f"Verified answer: {QUESTION}"
    assert Citation(**cited).label == f"Verified by rita, {today}"
    assert SECRET in cited["snippet"] and not answer["refused"]

    # bob is not in hr: neither the answer nor its sources carry the verified text
    other = engine.ask(ASK, "bob", backend="extractive")
    assert verified_citations(other) == [] and not leaks(other)
    assert [v["id"] for v in engine.verified_answers("alice")] == [published["id"]]
    assert engine.verified_answers("bob") == [] and engine.verified_answers("ivan") == []
    assert engine.verified_answers("ada")[0]["can_unpublish"] is True

    # only the reviewer who published it, or an admin, may unpublish it
    for who in ("bob", "ivan", "alice"):
        with pytest.raises(EngineError) as denied:
            engine.unpublish_verified(published["id"], who)
        assert denied.value.status == 403
    engine.unpublish_verified(published["id"], "rita")
    assert store.count() == before and store.count(doc_id=published["doc_id"]) == 0
    assert engine.verified_answers("rita") == []
    again = engine.ask(ASK, "alice", backend="extractive")
    assert verified_citations(again) == [] and not leaks(again)
    with pytest.raises(EngineError) as gone:
        engine.unpublish_verified(published["id"], "rita")
    assert gone.value.status == 404


@pytest.mark.integration
def test_who_may_publish_and_to_which_groups(engine: InProcessEngine) -> None:
    store = engine.services.store
    before = store.count()
    db = engine.services.db
    unanswered = db.add_escalation(asker="alice", question="q", groups=["hr"], status="open")

    def refused(user: str, escalation_id: int, **kw: object) -> int:
        with pytest.raises(EngineError) as exc:
            engine.publish_verified(escalation_id, user, **kw)
        return exc.value.status

    eid = answered_escalation(engine)
    assert refused("ivan", eid) == 403  # a reviewer the ticket is not routed to
    assert refused("alice", eid) == 403  # not a reviewer (even the asker)
    assert refused("rita", eid, groups=[]) == 400  # nobody could read it
    assert refused("rita", eid, groups=["  "]) == 400
    assert refused("rita", eid, groups=["everyone"]) == 403  # outside the ticket's routing groups
    assert refused("rita", eid, answer="   ") == 400
    assert refused("rita", unanswered.id) == 409  # nothing answered yet
    assert refused("rita", 9999) == 404
    assert refused("mallory", eid) == 404
    assert store.count() == before and db.list_verified_answers() == []

    assert refused("ada", eid, groups=["everyone"]) == 400  # no chosen group may read the hr source
    wide = engine.publish_verified(eid, "ada", groups=["everyone", "hr"])  # an admin picks any groups...
    assert (wide["groups"], wide["reviewer"], wide["question"]) == (["hr"], "ada", QUESTION)
    assert not verified_citations(engine.ask(ASK, "bob", backend="extractive"))  # ...but only hr reads it
    with pytest.raises(EngineError) as other:
        engine.unpublish_verified(wide["id"], "rita")  # rita did not publish this one
    assert other.value.status == 403
    engine.unpublish_verified(wide["id"], "ada")
    assert store.count() == before


@pytest.mark.integration
def test_a_verified_answer_follows_its_sources_groups_and_is_withdrawn_with_them(
    engine: InProcessEngine,
) -> None:
    svc = engine.services
    (hr,) = [d for d in svc.db.list_documents() if d.path == "hr/handbook.md"]
    published = engine.publish_verified(answered_escalation(engine), "rita", question=QUESTION)
    assert published["groups"] == ["hr"] and verified_citations(
        engine.ask(ASK, "alice", backend="extractive")
    )

    svc.ingestor.set_groups(hr.doc_id, ["legal"])  # the handbook moves to legal: hr may no longer read it
    assert svc.db.get_verified_answer(published["id"]).groups == []
    answer = engine.ask(ASK, "alice", backend="extractive")
    assert verified_citations(answer) == [] and not leaks(answer)
    assert [(v["id"], v["withheld"], v["answer"]) for v in engine.verified_answers("rita")] == [
        (published["id"], True, "")
    ]
    assert engine.verified_answers("alice") == []

    svc.ingestor.set_groups(hr.doc_id, ["hr", "legal"])  # back: readable by hr again
    assert svc.db.get_verified_answer(published["id"]).groups == ["hr"]
    assert verified_citations(engine.ask(ASK, "alice", backend="extractive"))

    svc.ingestor.remove_document(hr.doc_id)  # the source is deleted: the answer is withdrawn
    row = svc.db.get_verified_answer(published["id"])
    assert (row.status, row.groups) == ("withdrawn", []) and "deleted" in row.withdrawn_reason
    assert svc.store.count(doc_id=published["doc_id"]) == 0
    answer = engine.ask(ASK, "alice", backend="extractive")
    assert verified_citations(answer) == [] and not leaks(answer)
    (told,) = engine.verified_answers("rita")  # its reviewer sees it withdrawn, and why
    assert (told["status"], told["answer"]) == ("withdrawn", "") and "deleted" in told["withdrawn_reason"]
    assert [a.action for a in svc.db.list_audit(action="verified.withdraw")] == ["verified.withdraw"]


@pytest.mark.integration
def test_http_endpoints(engine: InProcessEngine) -> None:
    from app.server import create_app

    eid = answered_escalation(engine)
    app = create_app(engine.services)
    with TestClient(app, headers=service_headers(app)) as client:
        r = client.post("/verified", json={"user": "ivan", "escalation_id": eid, "groups": ["hr"]})
        assert r.status_code == 403, r.text
        r = client.post("/verified", json={"user": "rita", "escalation_id": eid, "groups": []})
        assert r.status_code == 400, r.text
        body = {"user": "rita", "escalation_id": eid, "question": QUESTION, "answer": REPLY, "groups": ["hr"]}
        r = client.post("/verified", json=body)
        assert r.status_code == 201, r.text
        vid = r.json()["id"]
        assert [v["id"] for v in client.get("/verified", params={"user": "alice"}).json()] == [vid]
        assert client.get("/verified", params={"user": "bob"}).json() == []
        r = client.post("/ask", json={"question": ASK, "user": "alice", "backend": "extractive"})
        (cited,) = verified_citations(r.json())
        assert cited["verified_by"] == "rita"
        r = client.post("/ask", json={"question": ASK, "user": "bob", "backend": "extractive"})
        assert verified_citations(r.json()) == [] and not leaks(r.json())
        assert client.delete(f"/verified/{vid}", params={"user": "bob"}).status_code == 403
        assert client.delete(f"/verified/{vid}", params={"user": "rita"}).status_code == 200
        assert client.get("/verified", params={"user": "alice"}).json() == []


# -- the web UI: publish from the Review page, the source card shows who verified it ----------------
from tests.app.ui.conftest import app_test, login, ui_env  # noqa: E402, F401 - the UI's fixtures

UI_Q = "Are salary bands negotiable?"
UI_A = "Salary bands are fixed; an exception needs the approval of the HR director."


@pytest.mark.integration
def test_review_page_publishes_and_the_ask_page_shows_verified_by(app_test, ui_env) -> None:  # noqa: F811
    from tests.app.ui.test_pages import texts

    db = ui_env.db()
    esc = db.add_escalation(
        asker="alice",
        question=UI_Q,
        groups=["hr"],
        status="answered",
        assignee="rita",
        reply=UI_A,
        replied_by="rita",
    )
    r = login(app_test(), "rita")
    r.switch_page("pages/review.py").run()
    r.selectbox(key="review_status").select("answered").run()
    assert not r.exception, r.exception
    assert r.text_area(key=f"pub_a_{esc.id}").value == UI_A  # defaults to the reply
    assert r.multiselect(key=f"pub_g_{esc.id}").value == ["hr"]  # defaults to the routing groups
    r.button(key=f"pub_{esc.id}").click().run()
    assert not r.exception, r.exception
    (row,) = db.list_verified_answers()
    assert (row.question, row.answer, row.groups, row.reviewer) == (UI_Q, UI_A, ["hr"], "rita")
    assert r.button(key=f"unpublish_{row.id}")  # listed, with Unpublish for its publisher

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    a = login(app_test(), "alice")
    a.chat_input(key="question").set_value(UI_Q).run()
    assert not a.exception, a.exception
    assert f"Verified by rita, {today}" in texts(a) and "HR director" in texts(a)
    d = login(app_test(), "dave")  # everyone only
    d.chat_input(key="question").set_value(UI_Q).run()
    assert not d.exception, d.exception
    assert "Verified by" not in texts(d) and "HR director" not in texts(d)

    r.button(key=f"unpublish_{row.id}").click().run()
    assert not r.exception, r.exception
    assert db.list_verified_answers() == []
    db.close()
