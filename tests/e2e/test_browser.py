"""End to end in a real browser: `docqa ui` (which starts `docqa serve`) over a tmp data dir, driven
by headless Debian chromium over the DevTools protocol: log in, ask, see a citation, open its source,
click a thumb. Screenshots go to tests/e2e/artifacts/ (look at them)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.cdp import CHROMIUM, Browser
from tests.app.ui.conftest import SALARY_Q, USERS, write_corpus

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)"),
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).parent / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout_s: float = 240.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"`docqa ui` exited with code {proc.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer")


@pytest.fixture
def ui_url(tmp_path: Path, embedder) -> Iterator[tuple[str, Path]]:  # noqa: ANN001
    """`docqa ui` on free ports over a tmp data dir with the tiny corpus and the test users."""
    from app.access import add_user
    from app.services import Services
    from app.settings import Settings

    data_dir = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQA_")}
    env |= {
        "DOCQA_DATA_DIR": str(data_dir),
        "DOCQA_LLM_BACKEND": "extractive",
        "DOCQA_INGEST_WORKERS": "0",
        "DOCQA_ENGINE_PORT": str(free_port()),
        # not demo mode: the engine `docqa ui` starts creates its first admin from this secret
        "DOCQA_ADMIN_PASSWORD": "e2e-admin-secret",
    }
    svc = Services(Settings(data_dir=data_dir, ingest_workers=0), embedder=embedder)
    try:
        report = svc.ingestor.ingest([write_corpus(tmp_path / "docs")], set_name="t")
        assert all(f.status == "indexed" for f in report.files), report.files
        for name, (password, groups, roles) in USERS.items():
            add_user(svc.db, name, password, groups, roles)
    finally:
        svc.close()
    port = free_port()
    log = (tmp_path / "ui.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "ui", "--port", str(port), "--address", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc)
        yield f"http://127.0.0.1:{port}", data_dir
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        assert not (data_dir / "engine.json").exists(), "the engine `docqa ui` started must stop with it"


def test_login_ask_open_source_and_thumb(ui_url: tuple[str, Path]) -> None:
    from app.db import Database

    url, data_dir = ui_url
    browser = Browser(free_port(), height=2000)
    try:
        browser.goto(url)
        browser.wait_text("Log in")
        browser.type_into("input[aria-label='User name']", "alice")
        browser.type_into("input[type='password']", USERS["alice"][0])
        browser.screenshot(ARTIFACTS / "01-login.png")
        browser.click_button("Log in")
        browser.wait_text("Every claim is cited")
        browser.type_into("textarea[data-testid='stChatInputTextArea']", SALARY_Q)
        browser.press_enter()
        browser.wait_text("salary-bands.pdf", timeout_s=120)
        browser.wait_text("confidence")
        assert "80,000" in browser.text()
        browser.wait_js("document.querySelectorAll('mark').length > 0")  # cited words highlighted
        browser.screenshot(ARTIFACTS / "02-answer.png")
        browser.click_button("Open source")
        browser.wait_js("[...document.querySelectorAll('img')].some(i => i.naturalWidth > 300)")
        browser.wait_text("Download salary-bands.pdf (PDF, cited page 2)")
        browser.js("document.querySelector('[data-testid=\"stImage\"]').scrollIntoView({block: 'start'})")
        browser.screenshot(ARTIFACTS / "03-source-open.png")
        browser.click_button("Helpful")
        browser.wait_text("Your feedback: helpful")
        browser.screenshot(ARTIFACTS / "04-thumb.png")
        browser.click_button("Ask an expert")
        browser.type_into("textarea[aria-label^='What should the expert check']", "Is this the 2026 band?")
        browser.click_button("Send to an expert")
        browser.wait_text("Sent to an expert")
        browser.screenshot(ARTIFACTS / "05-escalated.png")
        # a reviewer of hr finds it in the Review queue (a fresh page load is a fresh session)
        browser.goto(url)
        browser.wait_text("Log in")
        browser.type_into("input[aria-label='User name']", "rita")
        browser.type_into("input[type='password']", USERS["rita"][0])
        browser.click_button("Log in")
        browser.wait_text("Every claim is cited")
        browser.wait_js(
            "(() => { const a = document.querySelector('a[href$=\"/review\"]');"
            " if (a) a.click(); return !!a; })()"
        )
        browser.wait_text("Is this the 2026 band?")
        browser.wait_text("Send reply")
        browser.screenshot(ARTIFACTS / "06-review.png")
    finally:
        browser.close()
    db = Database(f"sqlite:///{(data_dir / 'docqa.db').resolve()}")
    try:
        (log,) = db.list_query_logs("alice")
        fb = db.get_feedback(log.id, "alice")
        assert fb is not None and fb.thumb == "up"
    finally:
        db.close()
