"""The `docqa` command as a user runs it: a real subprocess, real stores under a temporary data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

DOCQA = [sys.executable, "-m", "app.cli"]


def run(args: list[str], data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQA_")}
    env |= {"DOCQA_DATA_DIR": str(data_dir), "DOCQA_INGEST_WORKERS": "0", "COLUMNS": "200"}
    return subprocess.run(
        [*DOCQA, *args], input=stdin, capture_output=True, text=True, env=env, timeout=300, check=False
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "leave.md").write_text("# Leave\n\nStaff get 28 days of annual leave, plus public holidays.\n")
    (d / "bonus.txt").write_text("The 2026 bonus pool is 4.5 percent of payroll, paid in March.\n")
    return d


def test_ingest_json_report_and_exit_codes(tmp_path: Path, corpus: Path) -> None:
    state = tmp_path / "state"
    res = run(["ingest", str(corpus), "--set", "s1", "--groups", "hr,finance", "--json"], state)
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert {r["path"] for r in rows} == {"leave.md", "bonus.txt"}
    for r in rows:
        assert {"path", "status", "reason", "pages", "chunks", "seconds"} <= set(r)
        assert r["status"] == "indexed" and r["chunks"] >= 1 and r["groups"] == ["finance", "hr"]

    again = json.loads(
        run(["ingest", str(corpus), "--set", "s1", "--groups", "hr,finance", "--json"], state).stdout
    )
    assert [r["status"] for r in again] == ["unchanged", "unchanged"]

    res = run(["ingest", str(tmp_path / "nope.pdf"), "--set", "s1"], state)
    assert res.returncode == 1
    assert "path not found" in res.stdout and "Traceback" not in res.stderr


def test_docs_users_and_ask(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same commands in-process (typer's runner) to keep the suite fast; the stores and model are real."""
    from typer.testing import CliRunner

    from app.cli import app

    state = tmp_path / "state"
    monkeypatch.setenv("DOCQA_DATA_DIR", str(state))
    monkeypatch.setenv("DOCQA_INGEST_WORKERS", "0")
    runner = CliRunner()

    def run(args: list[str], _state: Path, stdin: str | None = None):
        return runner.invoke(app, args, input=stdin)

    assert run(["ingest", str(corpus), "--set", "s1", "--groups", "hr"], state).exit_code == 0
    docs = json.loads(run(["docs", "list", "--json"], state).stdout)
    assert {d["path"] for d in docs} == {"leave.md", "bonus.txt"}
    assert all(d["version"] == 1 and d["groups"] == ["hr"] and d["chunks"] >= 1 for d in docs)

    assert (
        run(
            ["users", "add", "hannah", "--groups", "hr", "--password-stdin"], state, "secret-pass\n"
        ).exit_code
        == 0
    )
    assert (
        run(
            ["users", "add", "eve", "--groups", "sales", "--password-stdin"], state, "secret-pass\n"
        ).exit_code
        == 0
    )
    users = json.loads(run(["users", "list", "--json"], state).stdout)
    assert {u["name"]: u["groups"] for u in users} == {"hannah": ["hr"], "eve": ["sales"]}

    def ask(user: str, question: str = "How many days of annual leave?") -> dict:
        res = run(["ask", question, "--user", user, "--backend", "extractive", "--json"], state)
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    ans = ask("hannah")
    assert not ans["refused"] and "28 days" in ans["answer"] and ans["backend"] == "extractive"
    assert ans["citations"][0]["path"] == "leave.md" and ans["citations"][0]["page"] == 1
    assert ans["citations"][0]["location"] == "section Leave"  # the heading, not a made-up page
    assert {"score", "band", "reasons"} <= set(ans["confidence"])
    denied = ask("eve")
    assert denied["refused"] and denied["citations"] == [] and "28" not in denied["answer"]

    assert run(["docs", "set-groups", "leave.md", "--groups", "sales"], state).exit_code == 0
    assert [c["path"] for c in ask("eve")["citations"]] == ["leave.md"]

    assert run(["docs", "rm", "leave.md"], state).exit_code == 0
    assert {d["path"] for d in json.loads(run(["docs", "list", "--json"], state).stdout)} == {"bonus.txt"}
    assert ask("eve")["refused"]
    res = run(["docs", "rm", "leave.md"], state)
    assert res.exit_code == 2 and "no document" in res.output

    from app.db import Database
    from app.settings import Settings

    db = Database(Settings().db_url)  # without an engine, admin actions are audited all the same
    audit = {(a.action, a.target): a for a in db.list_audit(limit=50)}
    assert audit[("ingest", "s1")].actor.startswith("cli:")
    assert audit[("ingest", "s1")].details["counts"] == {"indexed": 2}
    assert ("document.delete", "leave.md") in audit and ("user.create", "hannah") in audit
    db.close()


def test_busy_embedded_store_is_explained(tmp_path: Path, corpus: Path) -> None:
    from app.settings import Settings
    from app.store import open_store

    state = tmp_path / "state"
    holder = open_store(Settings(data_dir=state))  # as a running `docqa serve` would
    try:
        res = run(["ingest", str(corpus), "--set", "s1"], state)
    finally:
        holder.close()
    assert res.returncode == 3
    assert "in use by another process" in res.stderr and "Traceback" not in res.stderr
