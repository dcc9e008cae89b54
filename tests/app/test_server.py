"""The engine's HTTP API over real services (Qdrant Edge, SQLite, MiniLM) in a temporary data dir.

No language model: answers are extractive, or come from fake generators that stream tokens or block
until released (to fill the LLM queue).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from app.server import create_app
from tests.app.test_answer import FakeGeneration
from tests.conftest import service_headers, write_docs

pytestmark = pytest.mark.integration

CANARY = "ZEBRA-4711"
CORPUS = {
    "public/leave.txt": "Every employee gets 30 vacation days per year. Unused days expire on 31 March.\n",
    "hr/warnings.txt": f"A written warning is removed from the file after 24 months. Ref {CANARY}.\n",
}
ACL = 'default: [everyone]\nrules:\n  - match: "hr/**"\n    groups: [hr]\n'
WARNING_Q = "When is a written warning removed from the file?"
LEAVE_Q = "How many vacation days does an employee get?"


def add_users(db) -> None:
    """hanna (hr) and eve; no password hashing (argon2 is slow on purpose, and unused here)."""
    db.upsert_user("hanna", "!", ["everyone", "hr"], ["employee"])
    db.upsert_user("eve", "!", ["everyone"], ["employee"])


def write_corpus(root: Path, files: dict[str, str], acl: str | None = ACL) -> Path:
    return write_docs(root, files, acl)


@pytest.fixture
def client(svc, tmp_path: Path) -> Iterator[TestClient]:
    """The engine over a two-document set: one public, one for hr only; users hanna (hr), eve."""
    report = svc.ingestor.ingest([write_corpus(tmp_path / "docs", CORPUS)], set_name="t")
    assert all(f.status == "indexed" for f in report.files), report.files
    add_users(svc.db)
    app = create_app(svc)
    with TestClient(app, headers=service_headers(app)) as c:
        yield c


def ask(client: TestClient, question: str, user: str, **extra: object) -> dict:
    r = client.post("/ask", json={"question": question, "user": user, "backend": "extractive"} | extra)
    assert r.status_code == 200, r.text
    return r.json()


def sse_events(client: TestClient, body: dict) -> list[tuple[str, dict]]:
    from httpx_sse import connect_sse

    with connect_sse(client, "POST", "/ask", json=body | {"stream": True}) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [(e.event, json.loads(e.data)) for e in source.iter_sse()]


# -- fake language models --------------------------------------------------------------------------
class FakeStreamingGenerator:
    """Streams a fixed answer citing source [1] token by token."""

    backend = "local"
    model = "fake-stream"
    tokens = ("Every employee ", "gets 30 vacation days ", "per year [1].")

    def close(self) -> None:
        pass

    def generate(self, messages, on_token=None, **_: object) -> FakeGeneration:
        for token in self.tokens:
            if on_token:
                on_token(token)
        return FakeGeneration("".join(self.tokens), backend="local", model=self.model)


class FakeBlockingGenerator(FakeStreamingGenerator):
    """Holds the model until ``release`` is set, like a long generation."""

    model = "fake-blocking"

    def __init__(self) -> None:
        self.release = threading.Event()

    def generate(self, messages, on_token=None, **kw: object) -> FakeGeneration:
        assert self.release.wait(20), "the test never released the fake model"
        return super().generate(messages, on_token, **kw)


class FakeBrokenGenerator(FakeStreamingGenerator):
    def generate(self, messages, on_token=None, **_: object) -> FakeGeneration:
        if on_token:
            on_token("Every ")
        raise RuntimeError("segfault-ish internal detail /secret/path")


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- tests -----------------------------------------------------------------------------------------
def test_health_and_openapi(client: TestClient) -> None:
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["store"]["points"] >= 2 and h["store"]["kind"] == "qdrant-edge"
    assert h["queue"] == {"waiting": 0, "generating": 0, "max_waiting": 2}  # DOCQA_ENGINE_MAX_QUEUE default
    assert h["versions"]["prompt"] and h["uptime_s"] >= 0 and h["llm"]["backend"] == "local"

    schema = client.get("/openapi.json").json()
    expected = {
        "/health": {"get"},
        "/ask": {"post"},
        "/documents": {"get"},
        "/documents/readable": {"get"},
        "/documents/{doc_id}": {"delete"},
        "/documents/{doc_id}/groups": {"put"},
        "/ingest": {"post"},
        "/jobs": {"get"},
        "/jobs/{job_id}": {"get"},
        "/feedback": {"post"},
        "/feedback/{query_log_id}": {"get"},
        "/escalations": {"get", "post"},
        "/escalations/{escalation_id}": {"get"},
        "/escalations/{escalation_id}/claim": {"post"},
        "/escalations/{escalation_id}/reply": {"post"},
        "/escalations/{escalation_id}/close": {"post"},
        "/insights/feedback": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(schema["paths"][path]), path
        assert all(schema["paths"][path][m]["summary"] for m in methods)
    assert {
        "AskRequest",
        "AskResponse",
        "Health",
        "DocumentOut",
        "IngestRequest",
        "JobOut",
        "FeedbackRequest",
        "FeedbackOut",
        "EscalateRequest",
        "EscalationOut",
        "FeedbackSummary",
    } <= set(schema["components"]["schemas"])
    assert schema["paths"]["/escalations"]["post"]["responses"].keys() >= {"201", "400", "403", "404"}
    from app import feedback as fb
    from app.server import Reason, Status, Thumb

    assert (get_args(Thumb), get_args(Reason), get_args(Status)) == (fb.THUMBS, fb.REASONS, fb.STATUSES)


def test_ask_reads_only_what_the_users_groups_allow(client: TestClient, svc) -> None:
    allowed = ask(client, WARNING_Q, "hanna")
    assert not allowed["refused"] and "24 months" in allowed["answer"]
    assert allowed["citations"][0]["path"] == "hr/warnings.txt"
    assert allowed["backend"] == "extractive" and allowed["cache_hit"] is False

    denied = ask(client, WARNING_Q, "eve")
    assert CANARY not in json.dumps(denied) and "24 months" not in json.dumps(denied)
    assert all(c["path"] != "hr/warnings.txt" for c in denied["citations"])

    logs = {log.id: log for log in svc.db.list_query_logs()}
    assert {allowed["query_log_id"], denied["query_log_id"]} <= set(logs)
    assert logs[allowed["query_log_id"]].user == "hanna" and logs[denied["query_log_id"]].groups == [
        "everyone"
    ]

    follow = ask(client, "And when do unused ones expire?", "eve", history=[LEAVE_Q])
    assert follow["rewritten_query"] and "31 March" in follow["answer"]


def test_bad_requests_get_plain_errors(client: TestClient, svc) -> None:
    r = client.post("/ask", json={"question": LEAVE_Q, "user": "mallory"})
    assert r.status_code == 404 and r.json() == {"detail": "no user 'mallory'; see `docqa users list`"}
    assert client.post("/ask", json={"question": "", "user": "eve"}).status_code == 422
    assert client.post("/ask", json={"question": LEAVE_Q, "user": "eve", "backend": "gpt"}).status_code == 422

    from app.db import DatabaseUnavailableError
    from app.store import StoreUnavailableError

    def raiser(exc: Exception):
        def fail(*_: object, **__: object) -> None:
            raise exc

        return fail

    svc.db.list_documents = raiser(DatabaseUnavailableError("cannot open the database: disk I/O error"))
    r = client.get("/documents")
    assert r.status_code == 503 and r.json() == {"detail": "cannot open the database: disk I/O error"}

    svc.store._search_batch = raiser(StoreUnavailableError("Qdrant at http://q:6333 is unreachable"))
    r = client.post("/ask", json={"question": LEAVE_Q, "user": "eve", "backend": "extractive"})
    assert r.status_code == 503 and r.json() == {"detail": "Qdrant at http://q:6333 is unreachable"}
    svc.store.count = raiser(StoreUnavailableError("Qdrant at http://q:6333 is unreachable"))
    health = client.get("/health").json()
    assert (
        health["status"] == "degraded"
        and health["store"]["points"] is None
        and "unreachable" in health["error"]
    )

    svc.db.get_user = raiser(ValueError("internal detail /secret/path"))
    r = TestClient(client.app, raise_server_exceptions=False, headers=client.headers).post(
        "/ask", json={"question": LEAVE_Q, "user": "eve"}
    )
    assert r.status_code == 500 and r.json() == {
        "detail": "internal error (ValueError); see the engine's log"
    }


def test_documents_list_delete_and_set_groups(client: TestClient) -> None:
    docs = {d["path"]: d for d in client.get("/documents", params={"set": "t"}).json()}
    assert set(docs) == {"public/leave.txt", "hr/warnings.txt"}
    hr = docs["hr/warnings.txt"]
    assert hr["groups"] == ["hr"] and hr["version"] == 1 and hr["status"] == "active" and hr["chunks"] >= 1
    assert {"title", "pages", "updated", "set", "doc_id"} <= set(hr)
    assert client.get("/documents", params={"set": "other"}).json() == []

    r = client.put(f"/documents/{hr['doc_id']}/groups", json={"groups": ["everyone"]})
    assert r.status_code == 200 and r.json()["groups"] == ["everyone"]
    assert "24 months" in ask(client, WARNING_Q, "eve")["answer"]  # access changed in the index at once

    assert client.delete(f"/documents/{hr['doc_id']}").json() == {"removed": hr["doc_id"], "path": hr["path"]}
    assert client.delete(f"/documents/{hr['doc_id']}").status_code == 404
    assert client.put(f"/documents/{hr['doc_id']}/groups", json={"groups": []}).status_code == 404
    assert [d["path"] for d in client.get("/documents").json()] == ["public/leave.txt"]
    assert "24 months" not in ask(client, WARNING_Q, "hanna")["answer"]


def test_readable_documents_are_those_the_users_groups_may_read(client: TestClient, svc) -> None:
    """What a reader may pick to ask within: in the engine, over HTTP and through the HTTP client."""
    from app.client import EngineClient, EngineError, InProcessEngine

    ec = EngineClient("http://testserver")
    ec._http = client  # the TestClient is an httpx.Client: the real request, no socket
    local = InProcessEngine(svc)
    for user, paths in [("hanna", {"public/leave.txt", "hr/warnings.txt"}), ("eve", {"public/leave.txt"})]:
        r = client.get("/documents/readable", params={"user": user})
        assert r.status_code == 200, r.text
        for rows in (r.json(), ec.readable_documents(user), local.readable_documents(user)):
            assert {d["path"] for d in rows} == paths, user
            assert all(d["set"] == "t" and d["doc_id"] and d["version"] == 1 for d in rows)
            assert all("groups" not in d for d in rows)  # who else may read a document is not shown
    assert CANARY not in client.get("/documents/readable", params={"user": "eve"}).text
    warnings = next(d for d in local.readable_documents("hanna") if d["path"] == "hr/warnings.txt")
    assert warnings["title"] and warnings["pages"] >= 1 and warnings["file_type"] == "txt"
    r = client.get("/documents/readable", params={"user": "mallory"})
    assert r.status_code == 404 and "no user 'mallory'" in r.json()["detail"]
    with pytest.raises(EngineError) as unknown:
        local.readable_documents("mallory")
    assert unknown.value.status == 404
    # taking hr's access away removes the document from her list at once
    svc.ingestor.set_groups(warnings["doc_id"], ["exec"])
    assert {d["path"] for d in ec.readable_documents("hanna")} == {"public/leave.txt"}


def test_ingest_job_runs_in_the_background_with_per_file_progress(
    client: TestClient,
    svc,
    tmp_path: Path,
) -> None:
    folder = write_corpus(
        tmp_path / "more",
        {"canteen.txt": "The canteen opens at 11:30 and closes at 14:00.\n", "blank.txt": "   \n"},
        acl=None,
    )
    r = client.post("/ingest", json={"path": str(folder), "set": "extra", "acl": ["everyone"]})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    wait_for(lambda: client.get(f"/jobs/{job_id}").json()["status"] not in ("queued", "running"), 30)
    job = client.get(f"/jobs/{job_id}").json()
    assert job["status"] == "done" and job["total"] == job["done"] == 2 and job["error"] == ""
    statuses = {f["path"]: (f["status"], f["reason"]) for f in job["files"]}
    assert statuses["canteen.txt"][0] == "indexed" and statuses["blank.txt"] == (
        "empty",
        "no text (whitespace only)",
    )
    assert job["counts"] == {"indexed": 1, "empty": 1} and job["current"] in statuses
    assert job["stage"] == ""  # every file left the in-progress line once its report was out
    run = svc.db.get_run(job["run_id"])
    assert run.status == "done" and len(run.results) == 2
    assert client.get(f"/jobs/{job_id}", params={"since": 1}).json()["files"] == job["files"][1:]
    listed = client.get("/jobs").json()
    assert listed[0]["id"] == job_id and listed[0]["done"] == 2 and "files" not in listed[0]
    assert "11:30" in ask(client, "When does the canteen open?", "eve")["answer"]

    missing = client.post("/ingest", json={"path": str(tmp_path / "nope"), "set": "extra"})
    assert missing.status_code == 400 and "nope" in missing.json()["detail"]
    assert client.post("/ingest", json={"set": "extra"}).status_code == 422
    assert client.get("/jobs/unknown").status_code == 404


def test_streaming_sends_tokens_then_the_answer(client: TestClient, svc) -> None:
    svc._generators["local"] = FakeStreamingGenerator()
    events = sse_events(client, {"question": LEAVE_Q, "user": "eve", "backend": "local"})
    kinds = [k for k, _ in events]
    assert kinds == ["quick"] + ["token"] * 3 + ["answer"]  # the quoted quick answer comes first
    quick = events[0][1]
    assert "30 vacation days" in quick["answer"] and quick["seconds"] >= 0
    assert [c["path"] for c in quick["citations"]] == ["public/leave.txt"]
    assert "".join(d["text"] for k, d in events if k == "token") == "".join(FakeStreamingGenerator.tokens)
    answer = events[-1][1]
    assert answer["backend"] == "local" and answer["model"] == "fake-stream"
    assert "30 vacation days" in answer["answer"] and answer["citations"] and answer["query_log_id"]

    svc._generators["local"] = FakeBrokenGenerator()
    svc.settings.answer_cache = False
    events = sse_events(client, {"question": LEAVE_Q, "user": "eve", "backend": "local"})
    assert [k for k, _ in events] == ["quick", "token", "error"]
    assert events[-1][1] == {"status": 500, "detail": "internal error (RuntimeError); see the engine's log"}


def test_one_generation_at_a_time_and_a_bounded_queue(client: TestClient, svc) -> None:
    svc.settings.answer_cache = False
    queue = client.app.state.queue
    queue.max_waiting = 1
    model = svc._generators["local"] = FakeBlockingGenerator()
    results: dict[str, object] = {}

    def ask_in_thread(name: str) -> threading.Thread:
        def run() -> None:
            body = {"question": LEAVE_Q, "user": "eve", "backend": "local"}
            results[name] = client.post("/ask", json=body)

        t = threading.Thread(target=run)
        t.start()
        return t

    first = ask_in_thread("first")
    wait_for(lambda: queue.stats()["generating"] == 1)
    second = ask_in_thread("second")
    wait_for(lambda: queue.stats()["waiting"] == 1)

    t0 = time.monotonic()
    health = client.get("/health").json()  # answers while the model is busy
    assert time.monotonic() - t0 < 2 and health["queue"] == {"waiting": 1, "generating": 1, "max_waiting": 1}
    t0 = time.monotonic()
    full = client.post("/ask", json={"question": LEAVE_Q, "user": "eve", "backend": "local"})
    assert time.monotonic() - t0 < 5 and full.status_code == 200  # answered at once, not queued
    quoted = full.json()
    assert quoted["backend"] == "extractive" and quoted["citations"]
    assert "30 vacation days" in quoted["answer"]
    assert quoted["fallback_reason"] == "it was busy (1 question already waiting for it)."
    svc.settings.engine_busy_fallback = False
    full = client.post("/ask", json={"question": LEAVE_Q, "user": "eve", "backend": "local"})
    assert full.status_code == 503 and full.headers["retry-after"].isdigit()
    assert full.json() == {"detail": "the engine is busy, 1 question is waiting; try again shortly"}
    assert "30 vacation days" in ask(client, LEAVE_Q, "eve")["answer"]  # extractive: never queued

    model.release.set()
    first.join(20)
    second.join(20)
    assert results["first"].status_code == results["second"].status_code == 200
    assert results["second"].json()["model"] == "fake-blocking"
    assert queue.stats() == {"waiting": 0, "generating": 0, "max_waiting": 1}


# -- feedback and escalations ----------------------------------------------------------------------
def add_feedback_users(db) -> None:
    """alice (hr) and bob ask; rita and ron review hr documents, ivan it documents; ada is an admin."""
    db.upsert_user("alice", "!", ["everyone", "hr"], ["employee"])
    db.upsert_user("bob", "!", ["everyone"], ["employee"])
    db.upsert_user("rita", "!", ["everyone", "hr"], ["reviewer"])
    db.upsert_user("ron", "!", ["everyone", "hr"], ["reviewer"])
    db.upsert_user("ivan", "!", ["everyone", "it"], ["reviewer"])
    db.upsert_user("ada", "!", [], ["admin"])


def test_feedback_by_the_asker_only_and_insights_for_admins(client: TestClient, svc) -> None:
    add_feedback_users(svc.db)
    log_id = ask(client, WARNING_Q, "alice")["query_log_id"]
    mine = {"user": "alice"}
    assert client.get(f"/feedback/{log_id}", params=mine).status_code == 404  # none given yet

    body = {"user": "alice", "query_log_id": log_id, "thumb": "down"}
    r = client.post("/feedback", json=body | {"reason": "outdated", "comment": " the policy changed "})
    assert r.status_code == 200, r.text
    first = r.json()
    assert (first["user"], first["query_log_id"], first["thumb"], first["reason"], first["comment"]) == (
        "alice",
        log_id,
        "down",
        "outdated",
        "the policy changed",
    )
    again = client.post("/feedback", json=body | {"reason": "wrong"}).json()
    assert (again["id"], again["reason"], again["comment"]) == (first["id"], "wrong", "")
    assert client.get(f"/feedback/{log_id}", params=mine).json() == again

    def error(r) -> tuple[int, str]:
        return r.status_code, r.json()["detail"]

    denied = (403, "only the person who asked can rate this answer")
    assert error(client.post("/feedback", json=body | {"user": "bob"})) == denied
    assert error(client.post("/feedback", json=body | {"user": "ada", "thumb": "up"})) == denied
    assert error(client.get(f"/feedback/{log_id}", params={"user": "bob"}))[0] == 404
    assert error(client.post("/feedback", json=body | {"user": "mallory"})) == (
        404,
        "no user 'mallory'; see `docqa users list`",
    )
    assert error(client.post("/feedback", json=body | {"query_log_id": 9999})) == (
        404,
        "answer 9999 does not exist",
    )
    assert error(client.post("/feedback", json=body | {"thumb": "up", "reason": "wrong"})) == (
        400,
        "a reason can only be given with a thumb down",
    )
    assert client.post("/feedback", json=body | {"thumb": "sideways"}).status_code == 422

    r = client.get("/insights/feedback", params={"user": "alice"})
    assert error(r) == (403, "only admins can see feedback insights")
    assert client.get("/insights/feedback", params={"user": "mallory"}).status_code == 404
    summary = client.get("/insights/feedback", params={"user": "ada"}).json()
    assert (summary["total"], summary["up"], summary["down"], summary["up_share"]) == (1, 0, 1, 0.0)
    assert summary["down_reasons"]["wrong"] == 1 and summary["escalations"]["total"] == 0
    later = client.get("/insights/feedback", params={"user": "ada", "since": "2999-01-01T00:00:00"}).json()
    assert later["total"] == 0 and later["since"].startswith("2999-01-01T00:00:00")


def test_escalation_is_routed_to_the_documents_reviewers_and_the_asker_sees_the_reply(
    client: TestClient,
    svc,
) -> None:
    add_feedback_users(svc.db)
    answer = ask(client, WARNING_Q, "alice")
    log_id = answer["query_log_id"]
    assert answer["citations"][0]["path"] == "hr/warnings.txt"

    body = {"user": "alice", "query_log_id": log_id, "comment": "Still true?"}
    r = client.post("/escalations", json=body | {"user": "bob"})
    assert (r.status_code, r.json()["detail"]) == (403, "only the person who asked can escalate this answer")
    forged = "The CEO approved a 50% raise for everyone."  # a client cannot attach text of its own
    r = client.post("/escalations", json=body | {"sources": [{"doc_id": "elsewhere", "snippet": forged}]})
    assert r.status_code == 201, r.text
    esc = r.json()
    assert forged not in r.text and forged not in str(svc.db.get_escalation(esc["id"]).sources)
    assert (esc["status"], esc["asker"], esc["groups"], esc["comment"]) == (
        "open",
        "alice",
        ["everyone", "hr"],  # the groups of both cited documents
        "Still true?",
    )
    assert esc["question"] == WARNING_Q and "24 months" in esc["sources"][0]["snippet"]
    eid = esc["id"]

    def listed(user: str, **params: object) -> list[int]:
        r = client.get("/escalations", params={"user": user} | params)
        assert r.status_code == 200, r.text
        return [e["id"] for e in r.json()]

    assert listed("rita") == listed("ron") == listed("alice") == listed("ada") == [eid]
    assert listed("ivan") == [] and listed("bob") == []  # the it reviewer; someone else's question
    rita_view = client.get(f"/escalations/{eid}", params={"user": "rita"}).json()
    hr_source, public_source = rita_view["sources"]
    assert "24 months" in hr_source["snippet"] and public_source["path"] == "public/leave.txt"
    assert (rita_view["withheld"], rita_view["queue"]) == (0, "reviewers")
    # the admin ada is in no group: she sees the question only, and why
    ada_view = client.get(f"/escalations/{eid}", params={"user": "ada"}).json()
    assert (ada_view["answer"], ada_view["sources"], ada_view["withheld"]) == ("", [], 2)
    assert "may not read" in ada_view["withheld_reason"]
    for user in ("ivan", "bob"):
        assert client.get(f"/escalations/{eid}", params={"user": user}).status_code == 403
    assert client.post(f"/escalations/{eid}/claim", json={"user": "ivan"}).status_code == 403
    assert client.post(f"/escalations/{eid}/claim", json={"user": "alice"}).status_code == 403

    claimed = client.post(f"/escalations/{eid}/claim", json={"user": "rita"}).json()
    assert (claimed["status"], claimed["assignee"]) == ("claimed", "rita") and claimed["claimed_at"]
    r = client.post(f"/escalations/{eid}/claim", json={"user": "ron"})
    assert (r.status_code, r.json()["detail"]) == (409, f"escalation {eid} is already claimed by rita")
    assert client.post(f"/escalations/{eid}/reply", json={"user": "ron", "text": "no"}).status_code == 409
    assert client.post(f"/escalations/{eid}/reply", json={"user": "rita", "text": " "}).status_code == 400

    text = "Yes: after 24 months, unless renewed."
    answered = client.post(f"/escalations/{eid}/reply", json={"user": "rita", "text": text}).json()
    assert (answered["status"], answered["reply"], answered["replied_by"]) == ("answered", text, "rita")
    seen = client.get(f"/escalations/{eid}", params={"user": "alice"}).json()
    assert (seen["status"], seen["reply"], seen["assignee"]) == ("answered", text, "rita")
    assert listed("rita", status="answered", mine=True) == [eid] and listed("rita", status="open") == []
    assert listed("ron", mine=True) == []
    assert client.get("/escalations", params={"user": "rita", "status": "pending"}).status_code == 422

    closed = client.post(f"/escalations/{eid}/close", json={"user": "alice"}).json()
    assert closed["status"] == "closed" and closed["closed_at"]
    assert listed("alice", status="closed") == [eid]
    r = client.post(f"/escalations/{eid}/reply", json={"user": "rita", "text": "more"})
    assert (r.status_code, r.json()["detail"]) == (409, f"escalation {eid} is closed")
    assert client.get("/escalations/9999", params={"user": "alice"}).status_code == 404
    assert client.get("/escalations", params={"user": "mallory"}).status_code == 404
    assert client.get("/insights/feedback", params={"user": "ada"}).json()["escalations"]["closed"] == 1


# -- admin: uploads, re-ingest, users, insights ------------------------------------------------------
def zip_bytes(members: dict[str, str | bytes], *, deflate: bool = False) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


def upload(client: TestClient, user: str, set_name: str, groups: list[str], files: list[tuple[str, bytes]]):
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    return client.post("/uploads", data={"user": user, "set": set_name, "groups": groups}, files=parts)


def finished_job(client: TestClient, job_id: str) -> dict:
    wait_for(lambda: client.get(f"/jobs/{job_id}").json()["status"] not in ("queued", "running"), 30)
    return client.get(f"/jobs/{job_id}").json()


def test_upload_indexes_files_for_admins_only_and_refuses_zip_slip(client: TestClient, svc) -> None:
    add_feedback_users(svc.db)
    files = [
        ("canteen.txt", b"The canteen opens at 11:30 and closes at 14:00.\n"),
        ("parking.txt", b"Parking permits are issued by the facilities desk on floor 2.\n"),
    ]
    assert upload(client, "eve", "facilities", ["everyone"], files).status_code == 403
    r = upload(client, "ada", "facilities", ["everyone"], files)
    assert r.status_code == 202, r.text
    assert r.json()["files"] == ["canteen.txt", "parking.txt"]
    job = finished_job(client, r.json()["job_id"])
    assert job["status"] == "done" and job["total"] == job["done"] == 2
    assert {f["path"]: f["status"] for f in job["files"]} == {
        "canteen.txt": "indexed",
        "parking.txt": "indexed",
    }
    kept = svc.settings.data_dir / "uploads" / "facilities"
    assert sorted(p.name for p in kept.iterdir()) == ["canteen.txt", "parking.txt"]
    assert "11:30" in ask(client, "When does the canteen open?", "eve")["answer"]

    # a zip: members extracted flat; one with ../ refuses the whole upload, nothing written
    ok = upload(
        client, "ada", "zipped", ["hr"], [("set.zip", zip_bytes({"sub/gym.txt": "The gym is free.\n"}))]
    )
    assert ok.status_code == 202, ok.text
    assert ok.json()["files"] == ["sub__gym.txt"]
    assert finished_job(client, ok.json()["job_id"])["counts"] == {"indexed": 1}
    evil = zip_bytes({"fine.txt": "fine\n", "../evil.txt": "pwned\n"})
    bad = upload(client, "ada", "zipped", ["hr"], [("evil.zip", evil)])
    assert bad.status_code == 400 and "'..'" in bad.json()["detail"] and "../evil.txt" in bad.json()["detail"]
    assert not (svc.settings.data_dir / "uploads" / "evil.txt").exists()
    assert not (svc.settings.data_dir / "uploads" / "zipped" / "fine.txt").exists()
    for name in ("/etc/passwd", "..\\x.txt"):
        assert upload(client, "ada", "zipped", ["hr"], [(name, b"x")]).status_code == 400
    assert upload(client, "ada", "../up", ["hr"], files).status_code == 400
    assert upload(client, "ada", "zipped", [], files).status_code == 400  # readable by nobody: refused

    # re-ingest: an uploaded document from its kept file; a document ingested from a path: 409
    docs = {d["path"]: d for d in client.get("/documents").json()}
    again = client.post(f"/documents/{docs['canteen.txt']['doc_id']}/reingest", json={"user": "ada"})
    assert again.status_code == 202, again.text
    assert finished_job(client, again.json()["job_id"])["counts"] == {"unchanged": 1}
    assert (
        client.post(f"/documents/{docs['canteen.txt']['doc_id']}/reingest", json={"user": "eve"}).status_code
        == 403
    )
    assert (
        client.post(
            f"/documents/{docs['public/leave.txt']['doc_id']}/reingest", json={"user": "ada"}
        ).status_code
        == 409
    )
    # document actions with an acting user: admins only
    leave = docs["public/leave.txt"]["doc_id"]
    assert (
        client.put(f"/documents/{leave}/groups", params={"user": "eve"}, json={"groups": []}).status_code
        == 403
    )
    assert client.delete(f"/documents/{leave}", params={"user": "eve"}).status_code == 403


def left_on_disk(svc) -> list[str]:
    """Every file under <data_dir>/uploads: received, staged or saved."""
    root = svc.settings.data_dir / "uploads"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_the_engine_removes_upload_staging_a_killed_engine_left(svc) -> None:
    import os
    import time

    dead = svc.settings.data_dir / "uploads" / ".incoming" / "tmp-killed-mid-upload"
    dead.mkdir(parents=True)
    (dead / "0000-big.pdf").write_bytes(b"%PDF-1.7 half")
    os.utime(dead, (time.time() - 7200, time.time() - 7200))
    app = create_app(svc)
    with TestClient(app, headers=service_headers(app)) as c:
        assert c.get("/health").status_code == 200
        assert not dead.exists() and left_on_disk(svc) == []


BINARY = bytes(range(256)) * 8  # neither text nor any known type


def test_upload_sniffs_file_types_and_rejects_unsupported_files_one_by_one(client: TestClient, svc) -> None:
    add_feedback_users(svc.db)
    bundle = zip_bytes(
        {"sub/gym.txt": "The gym is free.\n", "inner.zip": zip_bytes({"deep.txt": "deep\n"}), "blob": BINARY}
    )
    files = [
        ("canteen.txt", b"The canteen opens at 11:30.\n"),
        ("notes.pdf", b"Plain text, whatever the name says.\n"),  # the content decides: read as text
        ("tool.exe", BINARY),
        ("readme.txt", BINARY),  # nor does .txt make it text
        ("bundle.zip", bundle),
    ]
    r = upload(client, "ada", "mixed", ["everyone"], files)
    assert r.status_code == 202, r.text
    assert r.json()["files"] == ["canteen.txt", "notes.pdf", "sub__gym.txt"]
    rejected = {f["path"]: f for f in r.json()["rejected"]}
    assert set(rejected) == {"tool.exe", "readme.txt", "bundle.zip/inner.zip", "bundle.zip/blob"}
    assert {f["status"] for f in rejected.values()} == {"unsupported"}
    assert all(f["reason"].startswith("unsupported file type: ") for f in rejected.values())
    assert "application/zip" in rejected["bundle.zip/inner.zip"]["reason"]  # zips in zips stay shut
    assert left_on_disk(svc) == ["mixed/canteen.txt", "mixed/notes.pdf", "mixed/sub__gym.txt"]
    assert finished_job(client, r.json()["job_id"])["counts"] == {"indexed": 3}

    # nothing acceptable: the whole upload is refused, naming each file and why
    bad = upload(client, "ada", "junk", ["everyone"], [("a.exe", BINARY), ("b.bin", BINARY)])
    assert bad.status_code == 400
    assert "a.exe: unsupported file type" in bad.json()["detail"] and "b.bin" in bad.json()["detail"]
    assert not (svc.settings.data_dir / "uploads" / "junk").exists()


def test_upload_limits_and_damaged_zips_leave_nothing_behind(
    client: TestClient,
    svc,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import httpx

    add_feedback_users(svc.db)
    fine = ("fine.txt", b"The canteen opens at 11:30.\n")

    # a zip member failing its CRC check: 400 naming the zip and the member; the other file not saved
    damaged = bytearray(zip_bytes({"a.txt": "hello world " * 20}))
    damaged[damaged.index(b"hello world") + 3] ^= 0xFF
    r = upload(client, "ada", "z", ["hr"], [fine, ("bad.zip", bytes(damaged))])
    assert r.status_code == 400, r.text
    assert "bad.zip: a.txt cannot be extracted" in r.json()["detail"] and "CRC" in r.json()["detail"]
    cut = zip_bytes({"a.txt": "hello world " * 20})[:60]  # truncated: no central directory
    r = upload(client, "ada", "z", ["hr"], [fine, ("cut.zip", cut)])
    assert r.status_code == 400 and "cut.zip: not a readable zip file" in r.json()["detail"], r.text
    assert left_on_disk(svc) == []

    # the limits are settings (DOCQA_UPLOAD_MAX_FILES, DOCQA_UPLOAD_MAX_MB, DOCQA_MAX_FILE_MB)
    monkeypatch.setattr(svc.settings, "upload_max_files", 3)
    monkeypatch.setattr(svc.settings, "upload_max_mb", 1.0)
    monkeypatch.setattr(svc.settings, "max_file_mb", 0.01)
    r = upload(client, "ada", "z", ["hr"], [(f"f{i}.txt", b"text\n") for i in range(4)])
    assert r.status_code == 400 and "4 files, more than the 3 allowed" in r.json()["detail"], r.text
    many = zip_bytes({f"f{i}.txt": "text\n" for i in range(3)})
    r = upload(client, "ada", "z", ["hr"], [fine, ("many.zip", many)])
    assert r.status_code == 400 and "more than the 3 allowed" in r.json()["detail"], r.text
    bomb = zip_bytes({"zeros.txt": "0" * (3 * 1024 * 1024)}, deflate=True)
    assert len(bomb) < 50_000
    r = upload(client, "ada", "z", ["hr"], [fine, ("bomb.zip", bomb)])
    assert r.status_code == 413, r.text
    assert r.json()["detail"] == (
        "bomb.zip (3 MB uncompressed) is larger than the 1 MB allowed per upload (DOCQA_UPLOAD_MAX_MB)"
    )
    assert left_on_disk(svc) == []
    # one file over DOCQA_MAX_FILE_MB is rejected alone; the rest is saved
    r = upload(client, "ada", "z", ["hr"], [fine, ("big.txt", b"word " * 4000)])
    assert r.status_code == 202, r.text
    assert r.json()["files"] == ["fine.txt"]
    assert [(f["path"], f["status"]) for f in r.json()["rejected"]] == [("big.txt", "too-large")]
    assert left_on_disk(svc) == ["z/fine.txt"]
    finished_job(client, r.json()["job_id"])

    # too large by Content-Length: refused on the header alone (the declared 10 GB are never read)
    request = client.build_request(
        "POST",
        "/uploads",
        params={"user": "ada"},
        data={"set": "z2", "groups": ["hr"]},
        files=[("files", fine)],
    )
    request.headers["content-length"] = str(10 * 1024**3)
    r = client.send(request)
    assert r.status_code == 413 and "the upload (10240 MB)" in r.json()["detail"], r.text
    # too large while streaming (chunked, no Content-Length): 413, the partial file removed
    huge = httpx.Request(
        "POST",
        "http://engine/uploads",
        data={"user": "ada", "set": "z2", "groups": ["hr"]},
        files=[("files", ("huge.txt", b"x" * (1536 * 1024)))],
    )
    body, content_type = huge.read(), huge.headers["content-type"]
    chunks = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
    r = client.post("/uploads", content=chunks, headers={"content-type": content_type})
    assert r.status_code == 413 and "larger than the 1 MB allowed" in r.json()["detail"], r.text
    assert left_on_disk(svc) == ["z/fine.txt"]

    # the acting user must be an admin (?user= is checked before the body is read), and be named
    r = client.post("/uploads", params={"user": "eve"}, content=body, headers={"content-type": content_type})
    assert r.status_code == 403, r.text
    r = client.post("/uploads", data={"set": "z3", "groups": ["hr"]}, files=[("files", fine)])
    assert r.status_code == 400 and "acting user" in r.json()["detail"]
    r = client.post(
        "/uploads",
        params={"user": "ada"},
        content=b"set=z3",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400 and "multipart/form-data" in r.json()["detail"]
    assert left_on_disk(svc) == ["z/fine.txt"]


def test_a_real_engine_refuses_an_upload_before_its_body_arrives(svc) -> None:
    """Over uvicorn: only the request head is sent, announcing 10 GB; the engine answers at once."""
    import socket
    from urllib.parse import urlsplit

    from tests.conftest import engine_token, serving

    add_feedback_users(svc.db)
    with serving(svc) as url:
        token, where = engine_token(svc.settings), urlsplit(url)

        def head_only(user: str) -> tuple[int, dict]:
            head = (
                f"POST /uploads?user={user} HTTP/1.1\r\nHost: engine\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {10 * 1024**3}\r\n\r\n"
            )
            with socket.create_connection((where.hostname, where.port), timeout=10) as s:
                s.sendall(head.encode())
                data = b""
                while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < length(data):
                    chunk = s.recv(65536)  # a timeout here: the engine waited for the body
                    assert chunk, data
                    data += chunk
            status = int(data.split(b" ", 2)[1])
            return status, json.loads(data.split(b"\r\n\r\n", 1)[1])

        def length(data: bytes) -> int:
            headers = data.split(b"\r\n\r\n", 1)[0].decode().lower().splitlines()
            return next(int(h.split(":", 1)[1]) for h in headers if h.startswith("content-length:"))

        status, body = head_only("bob")
        assert status == 403, body
        status, body = head_only("ada")
        assert status == 413 and "DOCQA_UPLOAD_MAX_MB" in body["detail"], body
    assert left_on_disk(svc) == []


def test_users_are_managed_by_admins_only(client: TestClient, svc) -> None:
    from app.access import authenticate

    add_feedback_users(svc.db)
    assert client.get("/users", params={"user": "eve"}).status_code == 403
    assert client.get("/users", params={"user": "nobody"}).status_code == 404
    names = {u["name"]: u for u in client.get("/users", params={"user": "ada"}).json()}
    assert names["hanna"]["groups"] == ["everyone", "hr"] and names["ada"]["roles"] == ["admin"]
    assert "hr" in client.get("/groups", params={"user": "ada"}).json()
    body = {"user": "ada", "name": "nina", "groups": ["everyone"], "roles": ["employee"]}
    assert client.post("/users", json=body).status_code == 400  # a new user needs a password
    r = client.post("/users", json=body | {"password": "nina-secret"})
    assert r.status_code == 200 and r.json()["groups"] == ["everyone"]
    assert authenticate(svc.db, "nina", "nina-secret")
    r = client.post(
        "/users", json=body | {"groups": ["everyone", "finance"], "roles": ["employee", "reviewer"]}
    )
    assert r.json()["groups"] == ["everyone", "finance"] and r.json()["roles"] == ["employee", "reviewer"]
    assert authenticate(svc.db, "nina", "nina-secret"), "no password given: it is kept"
    client.post("/users", json=body | {"password": "a-new-secret"})
    assert authenticate(svc.db, "nina", "a-new-secret") and not authenticate(svc.db, "nina", "nina-secret")
    assert client.post("/users", json=body | {"user": "eve", "password": "whatever1"}).status_code == 403
    mine = {"user": "ada", "name": "ada", "groups": [], "roles": ["employee"]}
    assert client.post("/users", json=mine).status_code == 400  # no admin takes admin from themself
    assert client.post("/users", json=body | {"roles": ["boss"]}).status_code == 422


def test_insights_count_questions_feedback_gaps_and_latency(client: TestClient, svc) -> None:
    add_feedback_users(svc.db)
    first = ask(client, LEAVE_Q, "alice")
    ask(client, LEAVE_Q, "alice")
    ask(client, "What is the airspeed of an unladen swallow?", "bob")
    r = client.post(
        "/feedback",
        json={"user": "alice", "query_log_id": first["query_log_id"], "thumb": "down", "reason": "outdated"},
    )
    assert r.status_code == 200, r.text
    assert client.get("/insights", params={"user": "bob"}).status_code == 403
    data = client.get("/insights", params={"user": "ada", "days": 7}).json()
    assert data["questions"] == 3 and len(data["per_day"]) == 7 and data["per_day"][-1]["questions"] == 3
    assert data["feedback"]["down"] == 1 and data["feedback"]["down_reasons"]["outdated"] == 1
    assert sum(data["bands"].values()) == 3
    assert data["refused"] >= 1 and any("swallow" in g["question"] for g in data["gaps"])
    assert data["latency_ms"]["p50"] > 0 and data["latency_ms"]["p95"] >= data["latency_ms"]["p50"]
    assert 0 <= data["cache_hit_rate"] <= 1


def test_engine_client_admin_methods_over_http(client: TestClient, svc) -> None:
    from app.client import EngineClient, EngineError

    add_feedback_users(svc.db)
    ec = EngineClient("http://testserver")
    ec._http = client  # the TestClient is an httpx.Client: the real multipart request, no socket
    started = ec.upload("ada", "notes", ["everyone"], [("a.txt", b"The library opens at 9.\n")])
    job = ec.wait_job(started["job_id"], interval_s=0.05)
    assert job["status"] == "done" and job["counts"] == {"indexed": 1}
    with pytest.raises(EngineError) as refused:
        ec.upload("eve", "notes", ["everyone"], [("b.txt", b"x")])
    assert refused.value.status == 403
    assert {"ada", "eve"} <= {u["name"] for u in ec.users("ada")}
    assert ec.save_user("ada", "eve", groups=["everyone", "it"], roles=["employee"])["groups"] == [
        "everyone",
        "it",
    ]
    assert ec.insights("ada", days=3)["days"] == 3
    doc = next(d for d in ec.documents("notes"))
    assert ec.set_groups(doc["doc_id"], ["it"], user="ada")["groups"] == ["it"]
    assert ec.delete_document(doc["doc_id"], user="ada")["removed"] == doc["doc_id"]


# -- authentication, throttling, rate limits, audit (app/auth.py) ----------------------------------
class FakeClock:
    """A clock the test moves by hand: login throttling, rate limits and sessions follow it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


PASSWORDS = {"hanna": "hanna-secret", "eve": "eve-secret-1", "ada": "ada-admin-secret"}


@pytest.fixture
def secured(svc, tmp_path: Path) -> Iterator[tuple[TestClient, FakeClock]]:
    """The engine with real (argon2) passwords and a fake clock; the TestClient sends NO token."""
    from app.access import add_user

    report = svc.ingestor.ingest([write_corpus(tmp_path / "docs", CORPUS)], set_name="t")
    assert all(f.status == "indexed" for f in report.files), report.files
    add_user(svc.db, "hanna", PASSWORDS["hanna"], ["everyone", "hr"], ["employee"])
    add_user(svc.db, "eve", PASSWORDS["eve"], ["everyone"], ["employee"])
    add_user(svc.db, "ada", PASSWORDS["ada"], ["everyone"], ["admin"])
    svc.settings.login_max_failures, svc.settings.login_cooldown_s = 3, 120
    svc.settings.session_hours, svc.settings.session_idle_minutes = 8, 30
    svc.settings.questions_per_minute, svc.settings.questions_burst = 2, 2
    clock = FakeClock()
    with TestClient(create_app(svc, service_token="the-service-token", clock=clock)) as c:
        yield c, clock


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def log_in(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/login", json={"name": name, "password": PASSWORDS[name]})
    assert r.status_code == 200, r.text
    assert r.json()["user"] == name and r.json()["expires_at"]
    return bearer(r.json()["token"])


def test_every_endpoint_but_health_and_login_needs_a_token(secured) -> None:
    client, _ = secured
    assert client.get("/health").status_code == 200
    assert client.get("/openapi.json").status_code == 200 and client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    checked = 0
    for route in iter_route_contexts(client.app.routes):  # the routes of the included routers too
        if not isinstance(route.original_route, APIRoute) or route.path in ("/health", "/login"):
            continue
        path = route.path.replace("{", "").replace("}", "")  # /documents/doc_id: any value
        for method in route.methods:
            for headers in ({}, bearer("a-wrong-token"), {"Authorization": "Basic YWRhOmFkYQ=="}):
                r = client.request(method, path, headers=headers)
                assert r.status_code == 401, (method, route.path, headers, r.text)
                assert r.headers["www-authenticate"] == "Bearer"
            checked += 1
    assert checked >= 30
    r = client.post("/ask", json={"question": LEAVE_Q, "user": "eve", "backend": "extractive"})
    assert r.status_code == 401 and "authentication required" in r.json()["detail"]
    ok = client.post(
        "/ask",
        json={"question": LEAVE_Q, "user": "eve", "backend": "extractive"},
        headers=bearer("the-service-token"),
    )
    assert ok.status_code == 200 and "30 vacation days" in ok.json()["answer"]


def test_a_session_token_acts_only_as_its_user(secured, svc) -> None:
    client, _ = secured
    eve = log_in(client, "eve")
    own = client.post("/ask", json={"question": LEAVE_Q, "user": "eve", "backend": "extractive"}, headers=eve)
    assert own.status_code == 200 and "30 vacation days" in own.json()["answer"]
    as_hanna = client.post(
        "/ask", json={"question": WARNING_Q, "user": "hanna", "backend": "extractive"}, headers=eve
    )
    assert as_hanna.status_code == 403 and CANARY not in as_hanna.text
    assert "belongs to eve; it cannot act as hanna" in as_hanna.json()["detail"]
    assert client.get("/escalations", params={"user": "hanna"}, headers=eve).status_code == 403
    assert client.get("/escalations", params={"user": "eve"}, headers=eve).status_code == 200
    # endpoints naming no user: admins only with a session token
    assert client.get("/documents", headers=eve).status_code == 403
    assert client.get("/jobs", headers=eve).status_code == 403
    doc = next(d for d in svc.db.list_documents() if d.path == "public/leave.txt")
    assert client.delete(f"/documents/{doc.doc_id}", headers=eve).status_code == 403
    assert svc.db.get_document(doc.doc_id) is not None
    ada = log_in(client, "ada")
    assert {d["path"] for d in client.get("/documents", headers=ada).json()} == {
        "public/leave.txt",
        "hr/warnings.txt",
    }
    # the documents one may pick to ask within: one's own only
    mine = client.get("/documents/readable", params={"user": "eve"}, headers=eve)
    assert mine.status_code == 200 and {d["path"] for d in mine.json()} == {"public/leave.txt"}
    assert client.get("/documents/readable", params={"user": "hanna"}, headers=eve).status_code == 403
    # logging out ends the token
    assert client.post("/logout", headers=eve).status_code == 204
    r = client.get("/escalations", params={"user": "eve"}, headers=eve)
    assert r.status_code == 401 and "log in again" in r.json()["detail"]
    assert client.post("/logout", headers=bearer("the-service-token")).status_code == 400


def test_session_tokens_expire_after_idling_and_a_new_password_ends_them(secured) -> None:
    client, clock = secured
    eve = log_in(client, "eve")
    clock.now += 29 * 60
    assert client.get("/verified", params={"user": "eve"}, headers=eve).status_code == 200
    clock.now += 31 * 60  # idle longer than session_idle_minutes
    r = client.get("/verified", params={"user": "eve"}, headers=eve)
    assert r.status_code == 401 and "expired" in r.json()["detail"]

    eve = log_in(client, "eve")
    ada = log_in(client, "ada")
    body = {"user": "ada", "name": "eve", "groups": ["everyone"], "roles": ["employee"]}
    assert client.post("/users", json=body | {"password": "a-new-password"}, headers=ada).status_code == 200
    assert client.get("/verified", params={"user": "eve"}, headers=eve).status_code == 401


def test_wrong_logins_are_refused_then_throttled_without_telling_who_exists(secured, svc) -> None:
    client, clock = secured
    wrong = client.post("/login", json={"name": "eve", "password": "guess"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "Wrong user name or password."
    nobody = client.post("/login", json={"name": "nobody", "password": "guess"})
    assert nobody.status_code == 401 and nobody.json() == wrong.json()
    for name in ("eve", "nobody"):
        client.post("/login", json={"name": name, "password": "guess"})
    refused = {}
    for name in ("eve", "nobody"):
        # three failures from this address (testclient): every name is refused alike
        r = client.post("/login", json={"name": name, "password": PASSWORDS.get(name, "x")})
        assert r.status_code == 429 and r.headers["retry-after"] == "120", r.text
        refused[name] = r.json()["detail"]
    assert refused["eve"] == refused["nobody"] == "Too many failed logins; try again in 120 s"
    clock.now += 121
    assert client.post("/login", json={"name": "eve", "password": PASSWORDS["eve"]}).status_code == 200

    actions = [(a.actor, a.action) for a in reversed(svc.db.list_audit(action="login."))]
    assert actions == [  # the third failure from the address started its cooldown
        ("eve", "login.failed"),
        ("nobody", "login.failed"),
        ("eve", "login.failed"),
        ("nobody", "login.throttled"),
        ("eve", "login.throttled"),
        ("nobody", "login.throttled"),
    ]
    assert all(a.details["address"] == "testclient" for a in svc.db.list_audit(action="login."))


def test_questions_are_rate_limited_per_user_with_retry_after(secured) -> None:
    client, clock = secured
    service = bearer("the-service-token")

    def ask_as(user: str):
        body = {"question": LEAVE_Q, "user": user, "backend": "extractive"}
        return client.post("/ask", json=body, headers=service)

    assert [ask_as("ada").status_code for _ in range(2)] == [200, 200]  # the burst; admins too
    limited = ask_as("ada")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "30"
    assert limited.json()["detail"] == "Too many questions: ada may ask 2 per minute; try again in 30 s"
    assert ask_as("eve").status_code == 200  # per user
    clock.now += 30
    assert ask_as("ada").status_code == 200


def test_the_actor_header_cannot_set_the_audit_actor(secured, svc, tmp_path: Path) -> None:
    """The audit actor comes from the authenticated principal: "service" for the service token,
    the session's user for a session token. X-DocQA-Actor is at most an unverified detail."""
    client, _ = secured
    doc = next(d for d in svc.db.list_documents() if d.path == "public/leave.txt")
    groups_url = f"/documents/{doc.doc_id}/groups"
    forged = {**bearer("the-service-token"), "X-DocQA-Actor": "ada"}  # claims to be the admin
    assert client.put(groups_url, json={"groups": ["it"]}, headers=forged).status_code == 200
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "memo.txt").write_text("The canteen opens at 11:30.\n")
    job = client.post("/ingest", json={"path": str(tmp_path / "more"), "set": "m"}, headers=forged)
    assert job.status_code == 202, job.text
    status = lambda: client.get(f"/jobs/{job.json()['job_id']}", headers=forged).json()["status"]  # noqa: E731
    wait_for(lambda: status() not in ("queued", "running"), 30)
    ada = {**log_in(client, "ada"), "X-DocQA-Actor": "mallory"}  # a session ignores the header
    assert client.put(groups_url, json={"groups": ["hr"]}, headers=ada).status_code == 200
    assert client.delete(f"/documents/{doc.doc_id}", headers=ada).status_code == 200

    got = [(a.actor, a.action, a.details.get("claimed_by")) for a in reversed(svc.db.list_audit())]
    assert got == [
        ("service", "document.groups", "ada"),
        ("service", "ingest.start", "ada"),
        ("ada", "document.groups", None),
        ("ada", "document.delete", None),
    ]
    assert svc.db.list_audit(actor="mallory") == []


def test_admin_actions_are_audited_and_only_admins_read_the_audit_log(secured, svc) -> None:
    client, _ = secured
    service = {**bearer("the-service-token"), "X-DocQA-Actor": "cli:ops"}
    ada = log_in(client, "ada")
    body = {"user": "ada", "name": "zoe", "groups": ["hr"], "roles": ["employee"], "password": "zoe-secret-1"}
    assert client.post("/users", json=body, headers=ada).status_code == 200
    body |= {"groups": ["hr", "it"], "password": None}
    assert client.post("/users", json=body, headers=ada).status_code == 200
    doc = next(d for d in svc.db.list_documents() if d.path == "public/leave.txt")
    r = client.put(f"/documents/{doc.doc_id}/groups", json={"groups": ["it"]}, headers=service)
    assert r.status_code == 200
    assert client.delete(f"/documents/{doc.doc_id}", headers=service).status_code == 200
    client.post("/login", json={"name": "zoe", "password": "wrong"})

    log = client.get("/audit", params={"user": "ada"}, headers=ada).json()
    got = [(e["actor"], e["action"], e["target"]) for e in log]
    assert got == [
        ("zoe", "login.failed", "zoe"),
        ("service", "document.delete", "public/leave.txt"),  # the token's principal, not the header
        ("service", "document.groups", "public/leave.txt"),
        ("ada", "user.change", "zoe"),
        ("ada", "user.create", "zoe"),
    ]
    assert log[1]["details"]["claimed_by"] == log[2]["details"]["claimed_by"] == "cli:ops"  # unverified
    assert log[2]["details"]["before"] == ["everyone"] and log[2]["details"]["after"] == ["it"]
    assert log[3]["details"]["before"]["groups"] == ["hr"] and log[3]["details"]["password_changed"] is False
    assert "zoe-secret" not in json.dumps(log)  # no password is ever logged
    only_users = client.get("/audit", params={"user": "ada", "action": "user."}, headers=ada).json()
    assert [e["action"] for e in only_users] == ["user.change", "user.create"]
    by_service = client.get("/audit", params={"user": "ada", "actor": "service"}, headers=ada).json()
    assert {e["action"] for e in by_service} == {"document.delete", "document.groups"}
    assert client.get("/audit", params={"user": "ada", "actor": "cli:ops"}, headers=ada).json() == []
    later = client.get("/audit", params={"user": "ada", "since": "2999-01-01T00:00:00"}, headers=ada)
    assert later.json() == []
    eve = log_in(client, "eve")
    refused = client.get("/audit", params={"user": "eve"}, headers=eve)
    assert refused.status_code == 403 and "cli:ops" not in refused.text

    # removing a user: admins only, not oneself, the user's sessions end, audited
    zoe = bearer(client.post("/login", json={"name": "zoe", "password": "zoe-secret-1"}).json()["token"])
    assert client.delete("/users/zoe", params={"user": "eve"}, headers=eve).status_code == 403
    assert client.delete("/users/ada", params={"user": "ada"}, headers=ada).status_code == 400
    assert client.delete("/users/zoe", params={"user": "ada"}, headers=ada).json() == {"removed": "zoe"}
    assert client.delete("/users/zoe", params={"user": "ada"}, headers=ada).status_code == 404
    assert svc.db.get_user("zoe") is None
    assert client.get("/verified", params={"user": "zoe"}, headers=zoe).status_code == 401
    latest = client.get("/audit", params={"user": "ada", "limit": 1}, headers=ada).json()
    assert [(e["actor"], e["action"], e["target"]) for e in latest] == [("ada", "user.delete", "zoe")]
