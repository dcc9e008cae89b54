"""The database layer on both backends it supports: the embedded SQLite default and PostgreSQL
(a throwaway server started by the ``postgres_server`` fixture in tests/conftest.py). Every test
taking ``database`` runs once per backend; the schema comes from the Alembic migrations."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from app import migrations
from app.db import Database
from app.models import Base

pytestmark = pytest.mark.integration  # real SQLite files and a real PostgreSQL server

BACKENDS = ["sqlite", "postgres"]


def _url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'docqa.db'}"
    return request.getfixturevalue("postgres_url")  # a fresh database on the session's server


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _url(request.param, request, tmp_path)


@pytest.fixture
def database(url: str) -> Iterator[Database]:
    db = Database(url)
    yield db
    db.close()


def schema_differences(db: Database) -> list:
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)


def revision(db: Database) -> tuple[str, ...]:
    with db.engine.connect() as conn:
        return migrations.current_revisions(conn)


# -- schema: migrations ---------------------------------------------------------------------------
def test_the_migrations_yield_exactly_the_models_schema(database: Database) -> None:
    """A model change without a migration fails here: add one with `docqa db revision "what changed"`."""
    assert len(migrations.head_revisions()) == 1, "two migration heads: merge them (alembic merge)"
    assert revision(database) == migrations.head_revisions()
    assert schema_differences(database) == []


def test_reopening_keeps_the_data_and_changes_nothing(url: str) -> None:
    db = Database(url)
    db.upsert_user("alice", "hash", ["hr"], ["employee"])
    db.close()
    again = Database(url)
    try:
        assert again.get_user("alice").group_names == ["hr"]
        assert migrations.upgrade(again.engine) is False  # already at head: nothing to do
    finally:
        again.close()


def test_a_database_made_by_the_old_create_all_is_adopted_with_its_rows(url: str) -> None:
    """Users of the demo before migrations existed keep their data; tables that their version did
    not have yet (here: the audit log) are added."""
    engine = sa.create_engine(url)
    # the schema create_all made then: 0001's frozen tables (the models have moved on since)
    initial = importlib.import_module("app.migrations.versions.0001_initial").metadata
    old_tables = [t for t in initial.sorted_tables if t.name != "audit_log"]
    initial.create_all(engine, tables=old_tables)
    with engine.begin() as conn:
        conn.execute(
            Base.metadata.tables["users"].insert().values(name="alice", password_hash="h", roles="admin")
        )
    engine.dispose()

    db = Database(url)
    try:
        assert db.get_user("alice").role_list == ["admin"]
        assert revision(db) == migrations.head_revisions()
        assert schema_differences(db) == []
        db.add_audit("alice", "user.create", "bob")
        assert [a.target for a in db.list_audit()] == ["bob"]
    finally:
        db.close()


def test_processes_opening_a_new_database_at_once_all_succeed(url: str) -> None:
    """The engine and the UI start together in docker-compose: both migrate the same database."""
    code = (
        "import sys; from app.db import Database; Database(sys.argv[1]).upsert_user(sys.argv[2], 'h', [], [])"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, url, f"user{i}"], stderr=subprocess.PIPE)
        for i in range(3)
    ]
    failures = [p.communicate()[1].decode()[-2000:] for p in procs if p.wait() != 0]
    assert failures == []
    db = Database(url)
    try:
        assert [u.name for u in db.list_users()] == ["user0", "user1", "user2"]
        assert schema_differences(db) == []
    finally:
        db.close()


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    from app.db import DatabaseUnavailableError

    with pytest.raises(DatabaseUnavailableError, match="cannot open the database"):
        Database(f"postgresql://nobody@/docqa?host={tmp_path}&port=1")  # no server on that socket


# -- users and groups ------------------------------------------------------------------------------
def test_users_groups_and_roles(database: Database) -> None:
    database.upsert_user("bob", "h1", ["sales", "everyone"], ["employee"])
    database.upsert_user("alice", "h2", ["hr", "everyone", " "], ["admin", "employee", "admin"])
    alice = database.get_user("alice")
    assert alice.group_names == ["everyone", "hr"]
    assert alice.role_list == ["admin", "employee"]
    assert [u.name for u in database.list_users()] == ["alice", "bob"]
    assert database.list_group_names() == ["everyone", "hr", "sales"]

    database.upsert_user("alice", "h3", ["finance"], ["employee"])  # update replaces groups and roles
    alice = database.get_user("alice")
    assert (alice.password_hash, alice.group_names, alice.role_list) == ("h3", ["finance"], ["employee"])
    assert database.get_user("nobody") is None


# -- documents and their versions ------------------------------------------------------------------
def begin(db: Database, doc_id: str = "d1", content_hash: str = "a", path: str = "hr/leave.pdf") -> int:
    return db.begin_version(
        set_name="demo",
        path=path,
        doc_id=doc_id,
        title=Path(path).name,
        content_hash=content_hash,
        pipeline_sig="p1",
        size_bytes=10,
        file_type="pdf",
    )


def activate(db: Database, version: int, groups: list[str], original: str, doc_id: str = "d1") -> list[str]:
    return db.activate_version(
        doc_id, version, groups=groups, pages=3, ocr_pages=1, chunks=7, original_path=original
    )


def test_a_new_version_replaces_the_old_one_only_when_switched(database: Database) -> None:
    v1 = begin(database)
    assert activate(database, v1, ["hr"], "originals/v1.pdf") == []
    v2 = begin(database, content_hash="b")
    assert v2 == v1 + 1

    doc = database.get_document("d1")  # while v2 is being written, v1 stays the answer
    assert doc.active.version == v1 and doc.active.content_hash == "a"
    assert [v.state for v in doc.versions] == ["active", "writing"]

    assert activate(database, v2, ["hr", "finance"], "originals/v2.pdf") == ["originals/v1.pdf"]
    doc = database.get_document("d1")
    assert doc.active.version == v2 and doc.active.pages == 3 and doc.active.chunks == 7
    assert [v.state for v in doc.versions] == ["superseded", "active"]
    assert doc.group_names == ["finance", "hr"]
    assert database.find_document("demo", "hr/leave.pdf").doc_id == "d1"
    assert [d.doc_id for d in database.list_documents("demo")] == ["d1"]
    assert database.list_documents("other") == []


def test_a_failed_write_is_forgotten_and_the_active_version_stays(database: Database) -> None:
    activate(database, begin(database), ["hr"], "o1")
    failed = begin(database, content_hash="b")
    database.abandon_version("d1", failed)
    doc = database.get_document("d1")
    assert [(v.version, v.state) for v in doc.versions] == [(1, "active")]

    new = begin(database, doc_id="d2", path="hr/new.pdf")  # a new document whose first write fails
    database.abandon_version("d2", new)
    assert database.get_document("d2") is None


def test_deleting_a_document_removes_its_versions_and_permissions_but_not_the_groups(
    database: Database,
) -> None:
    activate(database, begin(database), ["hr"], "o1")
    activate(database, begin(database, content_hash="b"), ["hr"], "o2")
    activate(database, begin(database, doc_id="d2", path="hr/other.pdf"), ["hr"], "o3", doc_id="d2")
    assert database.delete_document("d1") == ["o2"]  # the only original still kept
    assert database.get_document("d1") is None
    assert database.delete_document("d1") == []
    with database.engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT count(*) FROM document_versions")).scalar()
        links = conn.execute(sa.text("SELECT count(*) FROM document_groups")).scalar()
    assert (versions, links) == (1, 1)  # d2's
    assert database.list_group_names() == ["hr"]
    assert [d.doc_id for d in database.get_documents(["d1", "d2", "nope"])] == ["d2"]


def test_changing_a_documents_groups(database: Database) -> None:
    activate(database, begin(database), ["hr"], "o1")
    database.set_document_groups("d1", ["legal", "hr"])
    assert database.get_document("d1").group_names == ["hr", "legal"]
    with pytest.raises(KeyError):
        database.set_document_groups("missing", ["hr"])


# -- question logs, feedback, escalations ----------------------------------------------------------
def log(db: Database, user: str = "alice", question: str = "How many leave days?") -> int:
    return db.add_query_log(
        user=user,
        groups=["hr"],
        question=question,
        retrieved=[{"doc_id": "d1", "score": 0.8}],
        cited=[{"n": 1, "doc_id": "d1", "version": 1, "page": 2}],
        latency_ms={"retrieve": 12.5},
        confidence=0.7,
        band="high",
        answer="25 days [1]",
    )


def test_query_logs_keep_what_was_asked_newest_first(database: Database) -> None:
    first, second = log(database), log(database, question="And sick days?")
    log(database, user="bob")
    assert [row.id for row in database.list_query_logs(user="alice")] == [second, first]
    row = database.get_query_log(first)
    assert row.cited == [{"n": 1, "doc_id": "d1", "version": 1, "page": 2}]
    assert row.latency_ms == {"retrieve": 12.5} and row.refused is False
    assert len(database.list_query_logs()) == 3


def test_insights_see_todays_questions_given_a_naive_utc_day_start(database: Database) -> None:
    """app.client passes the start of the day as a naive UTC datetime (as SQLite stores them)."""
    log(database)
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    rows = database.insight_query_logs(start)
    assert [r["band"] for r in rows] == ["high"]
    assert database.insight_query_logs(start + timedelta(days=1)) == []


def test_feedback_given_again_updates_the_one_row(database: Database) -> None:
    q = log(database)
    database.upsert_feedback(q, "alice", thumb="down", reason="wrong", comment="outdated")
    database.upsert_feedback(q, "alice", thumb="up", reason=None, comment="")
    database.upsert_feedback(q, "bob", thumb="down", reason="incomplete")
    assert database.get_feedback(q, "alice").thumb == "up"
    assert sorted(database.feedback_counts()) == [("down", "incomplete", 1), ("up", None, 1)]
    assert database.feedback_counts(since=datetime.now(UTC) + timedelta(hours=1)) == []


def test_escalation_lifecycle_with_compare_and_set(database: Database) -> None:
    q = log(database)
    esc = database.add_escalation(
        query_log_id=q, asker="alice", question="How many leave days?", groups=["hr"], sources=[{"n": 1}]
    )
    assert esc.status == "open"
    claimed = database.update_escalation(
        esc.id,
        {"status": "open", "assignee": None},
        status="claimed",
        assignee="rita",
        claimed_at=datetime.now(UTC),
    )
    assert claimed is not None and claimed.assignee == "rita"
    late = database.update_escalation(
        esc.id, {"status": "open", "assignee": None}, status="claimed", assignee="hanna"
    )
    assert late is None  # the second reviewer's claim lost
    database.update_escalation(
        esc.id, {"status": "claimed"}, status="answered", reply="30 days", replied_by="rita"
    )
    database.update_escalation(esc.id, {"status": "answered"}, status="closed", closed_at=datetime.now(UTC))
    done = database.get_escalation(esc.id)
    assert (done.status, done.reply, done.assignee) == ("closed", "30 days", "rita")
    assert done.closed_at is not None
    assert [e.id for e in database.list_escalations(statuses=["closed"], asker="alice")] == [esc.id]
    assert database.list_escalations(statuses=["open"]) == []
    assert database.escalation_counts() == {"closed": 1}


def test_verified_answers_get_their_doc_id_and_can_be_unpublished(database: Database) -> None:
    q = log(database)
    esc = database.add_escalation(query_log_id=q, asker="alice", question="Leave?")
    va = database.add_verified_answer(
        question="Leave?", answer="30 days", groups=["hr"], reviewer="rita", escalation_id=esc.id
    )
    assert va.doc_id == f"verified-{va.id}"
    assert [v.answer for v in database.get_verified_answers([va.doc_id, "verified-999"])] == ["30 days"]
    assert [v.id for v in database.list_verified_answers()] == [va.id]
    assert database.delete_verified_answer(va.id) is True
    assert database.delete_verified_answer(va.id) is False
    assert database.get_verified_answer(va.id) is None


def test_conversations_belong_to_their_user_and_go_with_their_turns(database: Database) -> None:
    conv = database.create_conversation("alice")
    database.add_turn(conv.id, "alice", question="Leave days?", answer={"text": "25"}, query_log_id=None)
    with pytest.raises(KeyError):
        database.add_turn(conv.id, "bob", question="x", answer={}, query_log_id=None)
    assert database.get_conversation(conv.id, "alice").title == "Leave days?"
    assert database.get_conversation(conv.id, "bob") is None
    assert [t.answer for t in database.list_turns(conv.id, "alice")] == [{"text": "25"}]
    assert database.list_turns(conv.id, "bob") == []
    assert database.delete_conversation(conv.id, "bob") is False
    assert database.delete_conversation(conv.id, "alice") is True
    assert database.list_conversations("alice") == []


# -- ingest and evaluation runs --------------------------------------------------------------------
def test_ingest_runs_record_each_file(database: Database) -> None:
    run = database.start_run("demo", {"path": "data/demo"})
    database.add_file_result(run, path="a.pdf", status="indexed", doc_id="d1", version=1, seconds=0.5)
    database.add_file_result(run, path="b.exe", status="unsupported", reason="not a document")
    database.finish_run(run, {"indexed": 1, "unsupported": 1})
    got = database.get_run(run)
    assert (got.status, got.counts, got.args) == (
        "done",
        {"indexed": 1, "unsupported": 1},
        {"path": "data/demo"},
    )
    assert sorted(r.status for r in got.results) == ["indexed", "unsupported"]


def test_eval_runs_keep_results_in_order_and_once_per_item(database: Database) -> None:
    run = database.create_eval_run(
        set_name="demo", backend="extractive", total=2, settings={"as_user": "alice"}
    )
    common = {"question": "q", "user": "alice", "answerable": True, "refused": False}
    database.add_eval_result(run.id, item_id="q2", correct=True, answer={"text": "yes"}, **common)
    database.add_eval_result(run.id, item_id="q1", correct=False, citation_hit=None, **common)
    with pytest.raises(IntegrityError):
        database.add_eval_result(run.id, item_id="q1", correct=True, **common)
    database.update_eval_run(run.id, status="done", metrics={"accuracy": 0.5})
    assert [r.item_id for r in database.list_eval_results(run.id)] == ["q2", "q1"]
    assert database.list_eval_results(run.id)[0].answer == {"text": "yes"}
    got = database.get_eval_run(run.id)
    assert (got.status, got.metrics, got.settings) == ("done", {"accuracy": 0.5}, {"as_user": "alice"})
    assert [r.id for r in database.list_eval_runs()] == [run.id]
    with pytest.raises(KeyError):
        database.update_eval_run(999, status="done")


def test_answer_cache_entries_live_per_index_version_until_they_expire(database: Database) -> None:
    now = datetime.now(UTC)
    v = database.index_version()
    entry = database.add_cache_entry(
        fingerprint="f",
        question="leave days",
        vector=[0.1, 0.2],
        answer={"text": "25"},
        cited=[],
        index_version=v,
        expires_at=now + timedelta(hours=1),
    )
    database.touch_cache_entry(entry)
    (row,) = database.cache_entries("f", v, now)
    assert (row.hits, row.vector, row.answer) == (1, [0.1, 0.2], {"text": "25"})
    assert database.cache_entries("f", v, now + timedelta(hours=2)) == []  # expired
    assert database.cache_entries("f", v + 1, now) == []  # another index version
    assert database.drop_cached_question("leave days") == 1
    assert database.cache_entries("f", v, now) == []


def test_every_change_to_what_can_be_read_moves_the_index_version(database: Database) -> None:
    seen = [database.index_version()]

    def moved() -> bool:
        seen.append(database.index_version())
        return seen[-1] > seen[-2]

    version = database.begin_version(
        set_name="s", path="a.txt", doc_id="d1", title="a", content_hash="h", pipeline_sig="p",
        size_bytes=1, file_type="txt",
    )  # fmt: skip
    assert not moved()  # a version being written is not searchable yet
    database.activate_version("d1", version, groups=["hr"], pages=1, ocr_pages=0, chunks=1, original_path="")
    assert moved()
    database.set_document_groups("d1", ["all"])
    assert moved()
    row = database.add_verified_answer(question="q", answer="a", groups=["all"], reviewer="r")
    assert moved()
    database.update_verified_answer(row.id, groups=[])
    assert moved()
    database.delete_verified_answer(row.id)
    assert moved()
    database.delete_document("d1")
    assert moved()


def test_audit_log_filters_by_actor_action_prefix_and_time(database: Database) -> None:
    database.add_audit("admin", "user.create", "bob", {"groups": ["hr"]})
    database.add_audit("admin", "document.delete", "d1")
    database.add_audit("cli:root", "user.delete", "bob")
    assert [a.action for a in database.list_audit(action="user.")] == ["user.delete", "user.create"]
    assert [a.target for a in database.list_audit(actor="admin", action="document.delete")] == ["d1"]
    assert database.list_audit(since=datetime.now(UTC) + timedelta(hours=1)) == []
    assert len(database.list_audit(since=datetime.now(UTC) - timedelta(hours=1))) == 3


# -- `docqa db` and new migrations -----------------------------------------------------------------
def test_docqa_db_shows_and_upgrades_the_schema(
    url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    monkeypatch.setenv("DOCQA_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DOCQA_DATABASE_URL", url)
    runner = CliRunner()
    before = runner.invoke(app, ["db", "current"])
    assert before.exit_code == 0 and "database: empty" in before.output and "needs" in before.output
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    after = runner.invoke(app, ["db", "current"])
    assert after.exit_code == 0 and "up to date" in after.output


def test_a_new_revision_against_unchanged_models_has_nothing_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "migrations"
    shutil.copytree(migrations.SCRIPT_LOCATION, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrations, "SCRIPT_LOCATION", copy)
    migrations.head_revisions.cache_clear()
    try:
        (head,) = migrations.head_revisions()
        path = migrations.new_revision("nothing changed")
        assert path.parent == copy / "versions" and path.name == f"{int(head) + 1:04d}_nothing_changed.py"
        body = path.read_text()
        assert f"down_revision: str | None = '{head}'" in body
        assert "op." not in body.split("def upgrade")[1]
    finally:
        migrations.head_revisions.cache_clear()
