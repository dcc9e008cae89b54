"""A real engine (uvicorn on a free port, in a thread) over a temporary data dir: discovery through
engine.json, and the `docqa` commands going through it while it holds the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.client import (
    EngineClient,
    EngineError,
    InProcessEngine,
    engine_file,
    find_engine,
    write_engine_file,
)
from app.server import bind
from tests.conftest import serving

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(svc) -> Iterator[EngineClient]:
    """`docqa serve` in a background thread of this process, extractive answers."""
    svc.settings.llm_backend = "extractive"
    svc.db.upsert_user("hanna", "!", ["hr"], ["employee"])
    with serving(svc):
        client = find_engine(svc.settings)
        assert client is not None, "a running engine must be found through engine.json"
        yield client
        client.close()
    assert not engine_file(svc.settings).exists(), "engine.json must go when the engine stops"


def test_cli_goes_through_the_engine_while_it_holds_the_store(
    engine: EngineClient,
    svc,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from app.cli import app
    from app.store import StoreBusyError, open_store

    info = json.loads(engine_file(svc.settings).read_text())
    assert info["pid"] == os.getpid() and info["url"] == engine.url and info["started"]
    assert engine.health()["status"] == "ok"
    with pytest.raises(StoreBusyError):  # so a command could only have answered through the engine
        open_store(svc.settings)

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "leave.txt").write_text("Staff get 28 days of annual leave, plus public holidays.\n")
    monkeypatch.setenv("DOCQA_DATA_DIR", str(svc.settings.data_dir))
    monkeypatch.chdir(tmp_path)  # relative paths are sent to the engine as absolute ones
    runner = CliRunner()

    res = runner.invoke(app, ["ingest", "corpus", "missing.txt", "--set", "s1", "--groups", "hr", "--json"])
    assert res.exit_code == 1, res.output  # like a local run: the missing path is a failed row
    rows = {r["path"]: r for r in json.loads(res.stdout)}
    assert rows["missing.txt"]["reason"] == "path not found"
    assert rows["leave.txt"]["status"] == "indexed" and rows["leave.txt"]["groups"] == ["hr"]
    assert engine.jobs()[0]["status"] == "done"

    docs = json.loads(runner.invoke(app, ["docs", "list", "--json"]).stdout)
    assert [(d["path"], d["groups"]) for d in docs] == [("leave.txt", ["hr"])]

    res = runner.invoke(app, ["ask", "How many days of annual leave?", "--user", "hanna", "--json"])
    assert res.exit_code == 0, res.output
    answer = json.loads(res.stdout)
    assert "28 days" in answer["answer"] and answer["citations"][0]["path"] == "leave.txt"
    assert answer["citations"][0]["location"] == "line 1"
    assert answer["query_log_id"] and answer["backend"] == "extractive"

    res = runner.invoke(
        app, ["ask", "And public holidays?", "--history", "How many days of annual leave?", "--user", "hanna"]
    )
    assert res.exit_code == 0 and "quoted from the sources" in res.stdout
    assert "leave.txt, line 1" in res.stdout  # where to look in a text file: its line

    res = runner.invoke(app, ["ask", "Anything?", "--user", "nobody"])
    assert res.exit_code == 2 and "no user 'nobody'" in res.output

    assert runner.invoke(app, ["docs", "set-groups", "leave.txt", "--groups", "sales"]).exit_code == 0
    assert json.loads(
        runner.invoke(app, ["ask", "How many days of annual leave?", "--user", "hanna", "--json"]).stdout
    )["refused"]
    assert runner.invoke(app, ["docs", "rm", "leave.txt"]).exit_code == 0
    assert engine.documents() == []


def test_ask_about_one_document_the_reader_picked(
    engine: EngineClient,
    svc,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`docqa ask --doc`: retrieval is restricted to that document inside the permission filter; a
    document the reader may not read is answered like one that does not exist."""
    from typer.testing import CliRunner

    from app.cli import app

    for folder, name, text in [
        ("hr", "leave-uk.txt", "UK staff get 28 days of annual leave, plus public holidays.\n"),
        ("hr", "leave-de.txt", "German staff get 30 days of annual leave, plus public holidays.\n"),
        ("exec", "leave-board.txt", "Board members get 40 days of annual leave.\n"),
    ]:
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text(text)
    engine.wait_job(engine.ingest([tmp_path / "hr"], set_name="hr", groups=["hr"]))
    engine.wait_job(engine.ingest([tmp_path / "exec"], set_name="exec", groups=["exec"]))
    monkeypatch.setenv("DOCQA_DATA_DIR", str(svc.settings.data_dir))
    runner = CliRunner()
    for doc, days in [("leave-uk.txt", "28 days"), ("leave-de.txt", "30 days")]:
        res = runner.invoke(
            app, ["ask", "How many days of annual leave?", "--user", "hanna", "--doc", doc, "--json"]
        )
        assert res.exit_code == 0, res.output
        answer = json.loads(res.stdout)
        assert days in answer["answer"] and {c["path"] for c in answer["citations"]} == {doc}
    doc_id = next(d["doc_id"] for d in engine.documents() if d["path"] == "leave-de.txt")
    answer = InProcessEngine(svc).ask(
        "How many days of annual leave?", "hanna", backend="extractive", doc=doc_id
    )
    assert {c["path"] for c in answer["citations"]} == {"leave-de.txt"}
    for doc in ["leave-board.txt", "nothing.txt"]:  # not readable, or not there: the same answer
        res = runner.invoke(app, ["ask", "How many days of annual leave?", "--user", "hanna", "--doc", doc])
        assert res.exit_code != 0 and f"no document '{doc}' among the documents you may read" in res.output
        with pytest.raises(EngineError) as err:
            engine.ask("How many days?", "hanna", backend="extractive", doc=doc)
        assert err.value.status == 404


def test_feedback_and_escalation_through_the_engine(
    engine: EngineClient,
    svc,
    tmp_path: Path,
) -> None:
    (tmp_path / "hr").mkdir()
    (tmp_path / "hr" / "notice.txt").write_text("The notice period is three months for everyone.\n")
    job = engine.wait_job(engine.ingest([tmp_path / "hr"], set_name="hr", groups=["hr"]))
    assert job["counts"] == {"indexed": 1}
    svc.db.upsert_user("rita", "!", ["hr"], ["reviewer"])
    svc.db.upsert_user("ada", "!", [], ["admin"])
    answer = engine.ask("How long is the notice period?", "hanna", backend="extractive")
    log_id = answer["query_log_id"]

    given = engine.feedback(log_id, "hanna", "down", reason="incomplete", comment="and for managers?")
    assert (given["thumb"], given["reason"], given["comment"]) == ("down", "incomplete", "and for managers?")
    assert engine.get_feedback(log_id, "hanna") == given
    with pytest.raises(EngineError) as err:
        engine.feedback(log_id, "rita", "up")
    assert err.value.status == 403 and "only the person who asked" in err.value.detail

    esc = engine.escalate(log_id, "hanna", comment="please check")
    assert (esc["status"], esc["groups"]) == ("open", ["hr"]) and "three months" in esc["sources"][0][
        "snippet"
    ]
    assert esc["sources"][0]["location"] == "line 1"  # the reviewer sees where the source was
    assert [e["id"] for e in engine.escalations("rita")] == [esc["id"]]
    assert engine.claim(esc["id"], "rita")["assignee"] == "rita"
    assert engine.reply(esc["id"], "rita", "Three months; managers six.")["status"] == "answered"
    seen = engine.escalation(esc["id"], "hanna")
    assert (seen["status"], seen["reply"]) == ("answered", "Three months; managers six.")
    assert seen == InProcessEngine(svc).escalation(esc["id"], "hanna")  # one interface, same answer
    assert engine.close_escalation(esc["id"], "hanna")["status"] == "closed"
    with pytest.raises(EngineError) as err:
        engine.claim(esc["id"], "rita")
    assert err.value.status == 409

    summary = engine.feedback_summary("ada")
    assert (summary["down"], summary["down_reasons"]["incomplete"], summary["escalations"]["closed"]) == (
        1,
        1,
        1,
    )
    with pytest.raises(EngineError) as err:
        engine.feedback_summary("hanna")
    assert err.value.status == 403


def test_find_engine_ignores_stale_files(settings, tmp_path: Path) -> None:
    settings.ensure_dirs()
    assert find_engine(settings) is None  # no engine.json

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    engine_file(settings).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": dead.pid}))
    assert find_engine(settings) is None  # a killed engine's file

    sock = bind("127.0.0.1", 0)  # a port nobody listens on
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    write_engine_file(settings, url)  # a live pid (ours), but no engine answers
    t0 = time.monotonic()
    assert find_engine(settings) is None
    assert time.monotonic() - t0 < 3
    sock.close()

    explicit = find_engine(settings.model_copy(update={"engine_url": "http://engine.example:8765/"}))
    assert explicit is not None and explicit.url == "http://engine.example:8765"
    explicit.close()


# -- authentication: the service token in engine.json, session tokens, audit, rate limits -----------
def test_engine_json_holds_the_service_token_for_this_os_user_only(
    engine: EngineClient,
    svc,
) -> None:
    import stat

    path = engine_file(svc.settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # other OS users cannot read the token
    token = json.loads(path.read_text())["token"]
    assert len(token) >= 40
    with EngineClient(engine.url) as anonymous, pytest.raises(EngineError) as refused:
        anonymous.documents()
    assert refused.value.status == 401
    assert anonymous_health(engine.url)["status"] == "ok"  # /health needs no token
    with EngineClient(engine.url, token="not-the-token") as wrong, pytest.raises(EngineError) as refused:
        wrong.jobs()
    assert refused.value.status == 401
    # DOCQA_ENGINE_URL (as `docqa ui` sets it for Streamlit): the token comes from engine.json
    named = find_engine(svc.settings.model_copy(update={"engine_url": engine.url + "/"}))
    assert named is not None and named.documents() == []
    named.close()


def anonymous_health(url: str) -> dict:
    with EngineClient(url) as client:
        return client.health()


def test_a_user_logged_in_through_the_client_acts_only_as_themselves(
    engine: EngineClient,
    svc,
) -> None:
    from app.access import add_user

    add_user(svc.db, "eve", "eve-secret-1", ["everyone"], ["employee"])
    with EngineClient(engine.url) as eve:
        with pytest.raises(EngineError) as wrong:
            eve.login("eve", "not-her-password")
        assert wrong.value.status == 401 and wrong.value.detail == "Wrong user name or password."
        session = eve.login("eve", "eve-secret-1")
        assert session["user"] == "eve" and session["groups"] == ["everyone"]
        assert eve.ask("Anything about leave?", "eve", backend="extractive")["refused"]
        with pytest.raises(EngineError) as refused:
            eve.ask("Anything about leave?", "hanna", backend="extractive")
        assert refused.value.status == 403 and "cannot act as hanna" in refused.value.detail
        eve.logout()
        with pytest.raises(EngineError) as ended:
            eve.escalations("eve")
        assert ended.value.status == 401


def test_cli_admin_actions_are_audited_as_the_engine_principal(
    engine: EngineClient,
    svc,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from app.access import cli_actor
    from app.cli import app

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "memo.txt").write_text("The office closes at 18:00 on Fridays.\n")
    monkeypatch.setenv("DOCQA_DATA_DIR", str(svc.settings.data_dir))
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(tmp_path / "c"), "--set", "m", "--groups", "hr"]).exit_code == 0
    assert runner.invoke(app, ["docs", "set-groups", "memo.txt", "--groups", "it"]).exit_code == 0
    assert runner.invoke(app, ["docs", "rm", "memo.txt"]).exit_code == 0
    res = runner.invoke(
        app, ["users", "add", "zoe", "--groups", "hr", "--password-stdin"], input="zoe-secret-1\n"
    )
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["users", "rm", "zoe"]).exit_code == 0
    assert runner.invoke(app, ["users", "rm", "zoe"]).exit_code == 2  # no such user any more
    me = cli_actor()
    assert me.startswith("cli:")
    got = [(a.actor, a.action, a.target, a.details.get("claimed_by")) for a in reversed(svc.db.list_audit())]
    assert got == [  # through the engine: its principal (the service token), the OS user only as a claim
        ("service", "ingest.start", "m", me),
        ("service", "document.groups", "memo.txt", me),
        ("service", "document.delete", "memo.txt", me),
        (me, "user.create", "zoe", None),  # `docqa users` writes the database itself
        (me, "user.delete", "zoe", None),
    ]


def test_docqa_ask_says_when_the_question_rate_is_exceeded(
    svc,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    svc.settings.llm_backend = "extractive"
    svc.settings.questions_per_minute, svc.settings.questions_burst = 1, 1
    svc.db.upsert_user("hanna", "!", ["hr"], ["employee"])
    monkeypatch.setenv("DOCQA_DATA_DIR", str(svc.settings.data_dir))
    runner = CliRunner()
    with serving(svc):
        first = runner.invoke(app, ["ask", "Anything?", "--user", "hanna", "--json"])
        assert first.exit_code == 0, first.output
        second = runner.invoke(app, ["ask", "Anything else?", "--user", "hanna"])
    assert second.exit_code == 2
    assert "Too many questions: hanna may ask 1 per minute; try again in" in second.output
    assert "Traceback" not in second.output


class FlakyProxy:
    """A fake HTTP server for tests, standing in for a proxy before the engine: answers 502 to the
    first ``fail`` requests, then 200 with a JSON body; counts requests."""

    def __init__(self, fail: int) -> None:
        import http.server
        import threading

        outer = self
        self.fail, self.seen = fail, []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                outer.seen.append(self.command)
                bad = len(outer.seen) <= outer.fail
                body = b'{"detail": "bad gateway"}' if bad else b'{"status": "ok"}'
                self.send_response(502 if bad else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_client_retries_what_never_reached_the_engine_and_reads_behind_a_failing_proxy() -> None:
    from app.client import EngineUnavailableError

    proxy = FlakyProxy(fail=2)
    try:
        with EngineClient(proxy.url) as client:
            assert client._request("GET", "/documents") == {"status": "ok"}  # 502, 502, then 200
            assert proxy.seen == ["GET"] * 3
            proxy.seen.clear()
            with pytest.raises(EngineError) as bad:  # a write is never repeated: it may have happened
                client._request("POST", "/feedback", json={})
            assert bad.value.status == 502 and proxy.seen == ["POST"]
    finally:
        proxy.close()
    port = bind("127.0.0.1", 0)  # a port nobody listens on: connection refused, three attempts
    url = f"http://127.0.0.1:{port.getsockname()[1]}"
    port.close()
    with EngineClient(url) as client, pytest.raises(EngineUnavailableError, match="cannot reach the engine"):
        client.documents()
