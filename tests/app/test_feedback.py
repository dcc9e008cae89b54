from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from app import feedback as fb
from app.access import add_user
from app.db import Database
from app.feedback import Conflict, FeedbackError, NotFound, PermissionDenied
from app.store import ClientStore, Point, SparseVec, VectorStore
from app.visibility import DocAccess

HR_SNIPPET = "Employees receive 20 weeks of fully paid parental leave."
LEGAL_SNIPPET = "The merger closes on 30 June."
SNIPPETS = {"d-hr": HR_SNIPPET, "d-legal": LEGAL_SNIPPET, "d-it": "VPN needs MFA."}
GROUPS = {"d-hr": ["hr"], "d-it": ["it"], "d-legal": ["legal"]}


def chunk_id(doc_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, doc_id))


# -- pure logic ------------------------------------------------------------------------------------
@pytest.mark.unit
def test_routing_goes_to_reviewers_who_may_read_every_cited_document_else_to_the_admins() -> None:
    access = {
        "d-hr": DocAccess(frozenset({"hr"}), 1),
        "d-it": DocAccess(frozenset({"it"}), 1),
        "d-legal": DocAccess(frozenset({"legal"}), 1),
    }
    reviewers = {"rita": ["hr"], "ivan": ["it"], "hanna": ["everyone", "hr", "it"]}
    assert fb.route(access, ["d-hr"], reviewers) == (["hanna", "rita"], "")
    assert fb.route(access, ["d-hr", "d-it"], reviewers) == (["hanna"], "")  # only who reads both
    assert fb.route(access, ["d-legal"], reviewers) == (
        [],
        "no reviewer may read every document the answer cites",
    )
    assert fb.route(access, [], reviewers) == (["hanna", "ivan", "rita"], "")  # cites nothing: all
    gone, why = fb.route(access, ["d-hr", "d-deleted"], reviewers)
    assert gone == [] and "no longer exist" in why
    assert fb.route(access, ["d-hr"], {}) == ([], "no reviewer may read every document the answer cites")


@pytest.mark.unit
def test_feedback_input_is_checked() -> None:
    assert fb.check_feedback("Down", "Outdated", "  old numbers ") == ("down", "outdated", "old numbers")
    assert fb.check_feedback("up", None, "") == ("up", None, "")
    assert fb.check_feedback("down", "", "") == ("down", None, "")
    with pytest.raises(FeedbackError, match="thumb must be one of up, down"):
        fb.check_feedback("meh", None, "")
    with pytest.raises(FeedbackError, match="reason must be one of"):
        fb.check_feedback("down", "boring", "")
    with pytest.raises(FeedbackError, match="only be given with a thumb down"):
        fb.check_feedback("up", "wrong", "")
    assert len(fb.check_feedback("down", None, "x" * 5000)[2]) == fb.MAX_COMMENT


@pytest.mark.unit
def test_sources_are_rendered_from_references_and_a_changed_chunk_shows_no_text() -> None:
    access = {"d-hr": DocAccess(frozenset({"hr"}), 2)}
    docs = {"d-hr": SimpleNamespace(title="Handbook", path="hr/handbook.md")}
    refs = [{"n": 1, "doc_id": "d-hr", "version": 2, "chunk_id": "c2", "page": 4}]
    chunks = {"c2": {"doc_id": "d-hr", "version": 2, "text": HR_SNIPPET}}
    (src,) = fb.render_sources(refs, access, docs, chunks)
    assert (src["document"], src["page"], src["snippet"], src["changed"]) == (
        "Handbook",
        4,
        HR_SNIPPET,
        False,
    )
    old = {"c2": {"doc_id": "d-hr", "version": 1, "text": "the version before"}}  # re-ingested since
    assert fb.render_sources(refs, access, docs, old)[0] | {} == src | {"snippet": "", "changed": True}
    assert fb.render_sources(refs, access, docs, {})[0]["changed"] is True  # chunk deleted


@pytest.mark.unit
def test_a_rendered_source_says_where_in_the_document_it_is() -> None:
    access = {"d-xls": DocAccess(frozenset({"finance"}), 1)}
    docs = {"d-xls": SimpleNamespace(title="budget.xlsx", path="budget.xlsx")}
    refs = [{"n": 1, "doc_id": "d-xls", "version": 1, "chunk_id": "c1", "page": 1}]
    chunks = {
        "c1": {
            "doc_id": "d-xls",
            "version": 1,
            "text": "| Travel | 12,000 |",
            "location": "sheet Budget, rows 4–9",
        }
    }
    assert fb.render_sources(refs, access, docs, chunks)[0]["location"] == "sheet Budget, rows 4–9"
    gone = {"c1": {"doc_id": "d-xls", "version": 0, "location": "sheet Old, rows 1–2"}}  # an older version
    assert fb.render_sources(refs, access, docs, gone)[0]["location"] == ""


@pytest.mark.unit
def test_summary_counts_thumbs_and_reasons() -> None:
    counts = [("up", None, 3), ("down", "wrong", 2), ("down", None, 1), ("down", "outdated", 1)]
    s = fb.summarize(counts, {"open": 2, "closed": 1}, None)
    assert (s["total"], s["up"], s["down"], s["up_share"]) == (7, 3, 4, round(3 / 7, 3))
    assert s["down_reasons"] == {
        "wrong": 2,
        "incomplete": 0,
        "wrong_source": 0,
        "outdated": 1,
        "unspecified": 1,
    }
    assert s["escalations"] == {"open": 2, "claimed": 0, "answered": 0, "closed": 1, "total": 3}
    assert fb.summarize([], {}, None)["up_share"] is None


# -- on a real database ----------------------------------------------------------------------------
@pytest.fixture
def db(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    add_user(database, "alice", "password-a", ["everyone", "hr"], ["employee"])
    add_user(database, "bob", "password-b", ["everyone"], ["employee"])
    add_user(database, "rita", "password-r", ["hr"], ["reviewer"])  # reviews HR documents
    add_user(database, "hanna", "password-h", ["hr"], ["reviewer", "employee"])
    add_user(database, "ivan", "password-i", ["it"], ["reviewer"])  # reviews IT documents only
    add_user(database, "ada", "password-x", [], ["admin"])
    for doc_id, path, groups in [
        ("d-hr", "hr/handbook.md", ["hr"]),
        ("d-it", "it/vpn.md", ["it"]),
        ("d-legal", "legal/merger.md", ["legal"]),  # no reviewer reads legal
    ]:
        version = database.begin_version(
            set_name="demo",
            path=path,
            doc_id=doc_id,
            title=path.split("/")[1].removesuffix(".md").title(),
            content_hash=doc_id,
            pipeline_sig="",
            size_bytes=1,
            file_type="md",
        )
        database.activate_version(
            doc_id, version, groups=groups, pages=3, ocr_pages=0, chunks=1, original_path=""
        )
    yield database
    database.close()


def ask(db: Database, user: str = "alice", cited: Sequence[str] = ("d-hr",)) -> int:
    return db.add_query_log(
        user=user,
        groups=["everyone", "hr"],
        question="How long is parental leave?",
        answer="20 weeks [1].",
        cited=[
            {"n": i, "doc_id": d, "version": 1, "page": 2, "chunk_id": chunk_id(d)}
            for i, d in enumerate(cited, 1)
        ],
        confidence=0.42,
        band="low",
    )


@pytest.fixture
def store() -> Iterator[VectorStore]:
    """qdrant-client's local mode holding one chunk per document (vectors do not matter here)."""
    with ClientStore(path=":memory:") as st:
        st.upsert(
            [
                Point(
                    chunk_id(d),
                    [1.0] + [0.0] * 383,
                    SparseVec([], []),
                    {"doc_id": d, "version": 1, "groups": GROUPS[d], "text": text, "page_start": 2},
                )
                for d, text in SNIPPETS.items()
            ]
        )
        yield st


@pytest.mark.integration
def test_feedback_is_stored_and_giving_it_again_updates_it(db: Database) -> None:
    log_id = ask(db)
    first = fb.record_feedback(db, "alice", log_id, "up")
    assert (first.thumb, first.reason, first.user, first.query_log_id) == ("up", None, "alice", log_id)
    again = fb.record_feedback(db, "alice", log_id, "down", reason="outdated", comment="x" * 3000)
    assert again.id == first.id
    stored = fb.get_feedback(db, "alice", log_id)
    assert stored is not None
    assert (stored.thumb, stored.reason, len(stored.comment)) == ("down", "outdated", 2000)
    assert stored.to_dict()["created_at"].endswith("+00:00")
    assert fb.get_feedback(db, "bob", log_id) is None
    summary = fb.feedback_summary(db)
    assert (summary["up"], summary["down"], summary["down_reasons"]["outdated"]) == (0, 1, 1)


@pytest.mark.integration
def test_nobody_else_can_rate_an_answer(db: Database) -> None:
    log_id = ask(db)
    with pytest.raises(PermissionDenied, match="only the person who asked"):
        fb.record_feedback(db, "bob", log_id, "down", reason="wrong")
    with pytest.raises(PermissionDenied):
        fb.record_feedback(db, "ada", log_id, "up")  # not even an admin
    with pytest.raises(NotFound):
        fb.record_feedback(db, "alice", 9999, "up")
    with pytest.raises(FeedbackError, match="thumb"):
        fb.record_feedback(db, "alice", log_id, "sideways")
    assert fb.feedback_summary(db)["total"] == 0


@pytest.mark.integration
def test_feedback_summary_since(db: Database) -> None:
    fb.record_feedback(db, "alice", ask(db), "down", reason="wrong")
    fb.record_feedback(db, "alice", ask(db), "down")
    fb.record_feedback(db, "alice", ask(db), "up")
    now = datetime.now(UTC)
    s = fb.feedback_summary(db, since=now - timedelta(hours=1))
    assert (s["total"], s["down_reasons"]["wrong"], s["down_reasons"]["unspecified"]) == (3, 1, 1)
    assert fb.feedback_summary(db, since=now + timedelta(hours=1))["total"] == 0
    naive_future = (now + timedelta(hours=1)).replace(tzinfo=None)
    assert fb.feedback_summary(db, since=naive_future)["total"] == 0


@pytest.mark.integration
def test_escalation_goes_to_the_reviewers_of_the_cited_documents(db: Database, store: VectorStore) -> None:
    esc = fb.escalate(db, "alice", ask(db), comment="Is this still true?", store=store)
    assert (esc.status, esc.asker, esc.groups, esc.queue) == ("open", "alice", ["hr"], "reviewers")
    assert (esc.question, esc.answer, esc.confidence, esc.band) == (
        "How long is parental leave?",
        "20 weeks [1].",
        pytest.approx(0.42),
        "low",
    )
    assert fb.reviewers_for(db, db.get_escalation(esc.id)) == ["hanna", "rita"]
    (seen,) = fb.list_escalations(db, "rita", store=store)
    assert seen.id == esc.id and seen.sources[0]["snippet"] == HR_SNIPPET  # rendered from the store
    assert seen.sources[0]["document"] == "Handbook"
    assert fb.get_escalation(db, "rita", esc.id).comment == "Is this still true?"
    # the escalation keeps references, never text
    stored = db.get_escalation(esc.id)
    assert stored.answer == "" and HR_SNIPPET not in str(stored.sources)
    # the IT reviewer neither sees nor can work on it
    assert fb.list_escalations(db, "ivan") == []
    with pytest.raises(PermissionDenied):
        fb.get_escalation(db, "ivan", esc.id)
    with pytest.raises(PermissionDenied, match="not routed to you"):
        fb.claim(db, "ivan", esc.id)
    with pytest.raises(PermissionDenied):
        fb.reply(db, "ivan", esc.id, "I think it is 30 weeks.")
    with pytest.raises(PermissionDenied):
        fb.close(db, "ivan", esc.id)


@pytest.mark.integration
def test_an_escalation_no_reviewer_may_fully_read_goes_to_the_admin_queue_as_a_question_only(
    db: Database, store: VectorStore
) -> None:
    nothing = fb.escalate(db, "alice", ask(db, cited=[]), store=store)
    assert nothing.groups == [] and nothing.sources == [] and nothing.queue == "reviewers"
    assert fb.reviewers_for(db, db.get_escalation(nothing.id)) == ["hanna", "ivan", "rita"]

    mixed = fb.escalate(db, "alice", ask(db, cited=["d-hr", "d-legal"]), store=store)
    assert mixed.groups == ["hr", "legal"]
    assert fb.reviewers_for(db, db.get_escalation(mixed.id)) == []
    for viewer, unreadable in (("ada", 2), ("alice", 1)):  # the admin queue; the asker may not read legal
        view = fb.get_escalation(db, viewer, mixed.id, store=store)
        assert (view.queue, view.answer, view.sources, view.withheld) == ("admins", "", [], unreadable)
        assert view.question == "How long is parental leave?"
        assert "may not read" in view.withheld_reason and "no reviewer" in view.queue_reason
        assert LEGAL_SNIPPET not in str(view.to_dict()) and HR_SNIPPET not in str(view.to_dict())
    for reviewer in ("ivan", "rita", "hanna"):
        assert mixed.id not in {e.id for e in fb.list_escalations(db, reviewer, store=store)}
        with pytest.raises(PermissionDenied):
            fb.claim(db, reviewer, mixed.id)
    assert mixed.id in {e.id for e in fb.list_escalations(db, "ada", store=store)}


@pytest.mark.integration
def test_what_an_escalation_shows_follows_the_documents_current_groups(
    db: Database, store: VectorStore
) -> None:
    esc = fb.escalate(db, "alice", ask(db), store=store)
    assert fb.get_escalation(db, "rita", esc.id, store=store).sources[0]["snippet"] == HR_SNIPPET
    fb.claim(db, "rita", esc.id)
    db.set_document_groups("d-hr", ["legal"])  # re-grouped: nobody reviewing may read it now
    view = fb.get_escalation(db, "rita", esc.id, store=store)  # still hers to see, as its assignee
    assert (view.answer, view.sources, view.queue) == ("", [], "admins")
    db.delete_document("d-hr")
    view = fb.get_escalation(db, "ada", esc.id, store=store)
    assert view.answer == "" and "deleted" in view.withheld_reason


@pytest.mark.integration
def test_claim_reply_close_and_the_asker_sees_each_step(db: Database) -> None:
    esc = fb.escalate(db, "alice", ask(db))

    claimed = fb.claim(db, "rita", esc.id)
    assert (claimed.status, claimed.assignee, claimed.claimed_at is not None) == ("claimed", "rita", True)
    assert fb.claim(db, "rita", esc.id).assignee == "rita"  # claiming again is harmless
    with pytest.raises(Conflict, match="already claimed by rita"):
        fb.claim(db, "hanna", esc.id)
    with pytest.raises(Conflict, match="claimed by rita"):
        fb.reply(db, "hanna", esc.id, "30 weeks")
    assert fb.get_escalation(db, "alice", esc.id).status == "claimed"

    with pytest.raises(FeedbackError, match="must not be empty"):
        fb.reply(db, "rita", esc.id, "   ")
    answered = fb.reply(db, "rita", esc.id, "Yes, 20 weeks since the 2024 policy.")
    assert (answered.status, answered.replied_by, answered.replied_at is not None) == (
        "answered",
        "rita",
        True,
    )
    (mine,) = fb.list_escalations(db, "alice")
    assert (mine.status, mine.reply, mine.assignee) == (
        "answered",
        "Yes, 20 weeks since the 2024 policy.",
        "rita",
    )
    with pytest.raises(Conflict, match="already answered by rita"):
        fb.claim(db, "hanna", esc.id)

    with pytest.raises(PermissionDenied):
        fb.get_escalation(db, "bob", esc.id)
    with pytest.raises(PermissionDenied):
        fb.close(db, "bob", esc.id)
    with pytest.raises(PermissionDenied, match="only reviewers"):
        fb.claim(db, "alice", esc.id)
    closed = fb.close(db, "alice", esc.id)
    assert (closed.status, closed.closed_at is not None) == ("closed", True)
    assert fb.close(db, "alice", esc.id).status == "closed"
    with pytest.raises(Conflict, match="closed"):
        fb.reply(db, "rita", esc.id, "one more thing")
    assert fb.feedback_summary(db)["escalations"]["closed"] == 1


@pytest.mark.integration
def test_when_two_reviewers_claim_at_once_one_wins(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    esc = fb.escalate(db, "alice", ask(db))
    stale = db.get_escalation(esc.id)  # what hanna's click read, before rita's claim landed
    fb.claim(db, "rita", esc.id)
    reads = iter([stale])
    real = db.get_escalation
    monkeypatch.setattr(db, "get_escalation", lambda i: next(reads, None) or real(i))
    with pytest.raises(Conflict, match="already claimed by rita"):
        fb.claim(db, "hanna", esc.id)
    assert real(esc.id).assignee == "rita"


@pytest.mark.integration
def test_reply_to_an_open_escalation_claims_it_and_admins_may_act_on_any(db: Database) -> None:
    esc = fb.escalate(db, "alice", ask(db))
    answered = fb.reply(db, "hanna", esc.id, "Ask HR directly.")
    assert (answered.status, answered.assignee, answered.claimed_at is not None) == (
        "answered",
        "hanna",
        True,
    )
    revised = fb.reply(db, "ada", esc.id, "HR confirmed: 20 weeks.")
    # ada (an admin in no group) may act on it, but the hr handbook it cites is not hers to read:
    # the reply, which may quote it, is shown to those who may read it
    assert (revised.replied_by, revised.assignee, revised.reply) == ("ada", "hanna", "")
    assert fb.get_escalation(db, "hanna", esc.id).reply == "HR confirmed: 20 weeks."
    assert fb.close(db, "rita", esc.id).status == "closed"  # a routed reviewer may close


@pytest.mark.integration
def test_escalating_needs_the_askers_own_answer_and_keeps_the_servers_references(
    db: Database, store: VectorStore
) -> None:
    log_id = ask(db)
    with pytest.raises(PermissionDenied):
        fb.escalate(db, "bob", log_id)
    with pytest.raises(NotFound):
        fb.escalate(db, "alice", 9999)
    first = fb.escalate(db, "alice", log_id, comment="please check", store=store)
    assert first.sources == [
        {
            "n": 1,
            "document": "Handbook",
            "path": "hr/handbook.md",
            "page": 2,
            "location": "",
            "snippet": HR_SNIPPET,
            "doc_id": "d-hr",
            "version": 1,
            "changed": False,
        }
    ]
    assert db.get_escalation(first.id).sources == [
        {"n": 1, "doc_id": "d-hr", "version": 1, "chunk_id": chunk_id("d-hr"), "page": 2}
    ]
    assert fb.escalate(db, "alice", log_id).id == first.id  # a double click makes no second ticket
    fb.close(db, "alice", first.id)
    assert fb.escalate(db, "alice", log_id).id != first.id  # after closing, a new one


@pytest.mark.integration
def test_who_lists_what(db: Database) -> None:
    hr = fb.escalate(db, "alice", ask(db))
    it = fb.escalate(db, "bob", ask(db, user="bob", cited=["d-it"]))
    assert [e.id for e in fb.list_escalations(db, "alice")] == [hr.id]
    assert [e.id for e in fb.list_escalations(db, "bob")] == [it.id]
    assert [e.id for e in fb.list_escalations(db, "ada")] == [it.id, hr.id]  # newest first
    assert [e.id for e in fb.list_escalations(db, "ivan")] == [it.id]
    fb.claim(db, "ivan", it.id)
    assert [e.id for e in fb.list_escalations(db, "ivan", status="claimed")] == [it.id]
    assert fb.list_escalations(db, "ivan", status="open") == []
    assert [e.id for e in fb.list_escalations(db, "ada", status="open")] == [hr.id]
    assert [e.id for e in fb.list_escalations(db, "ivan", mine=True)] == [it.id]
    assert fb.list_escalations(db, "rita", mine=True) == []
    assert fb.list_escalations(db, "mallory") == []
    with pytest.raises(FeedbackError, match="status must be one of"):
        fb.list_escalations(db, "ada", status="pending")
    d = fb.list_escalations(db, "ivan")[0].to_dict()
    assert d["status"] == "claimed" and isinstance(d["claimed_at"], str) and d["closed_at"] is None
