"""`docqa bench load --through ui` for a few seconds: two headless chromium pages log in to a real
`docqa ui` (the e2e fixture's: tiny corpus, test users, extractive answers) and ask at once; every
question gets a complete, cited answer and the engine's and Streamlit's memory is sampled."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.app.ui.conftest import LEAVE_Q, SALARY_Q, USERS
from tests.e2e.test_browser import ui_url  # noqa: F401 - the fixture, shared with the e2e test

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # fails without /usr/bin/chromium (conftest.py)


def test_browser_users_ask_through_the_ui_at_once(ui_url: tuple[str, Path]) -> None:  # noqa: F811
    from app.client import read_engine_file
    from app.settings import Settings
    from eval.load import listening_pid, run_ui_load

    url, data_dir = ui_url
    engine = read_engine_file(Settings(data_dir=data_dir)) or {}
    questions = [(SALARY_Q, "alice"), (LEAVE_Q, "alice"), (LEAVE_Q, "dave")]  # each readable by its asker
    passwords = {name: password for name, (password, _, _) in USERS.items()}
    result = run_ui_load(url, questions, passwords, users=2, duration_s=20.0, backend="extractive",
                         think_s=(0.5, 1.5), engine_pid=engine.get("pid"),
                         ui_pid=listening_pid(urlsplit(url).port or 0), answer_timeout_s=60.0)  # fmt: skip
    assert result["through"] == "ui" and result["users"] == 2
    assert result["error"] == 0, result["errors_by_detail"]
    assert result["ok"] > 0 and result["requests"] == len(result["requests_log"])
    answered = [r for r in result["requests_log"] if r["outcome"] == "ok"]
    assert {r["user"] for r in answered} == {"alice", "dave"}  # one browser each
    assert all(r["citations"] > 0 and not r["refused"] for r in answered), answered
    assert all(r["backend"] == "extractive" and r["ttft_s"] <= r["total_s"] for r in answered)
    assert result["latency_p50_s"] > 0 and result["engine_rss_max_mib"] > 0 and result["ui_rss_max_mib"] > 0
