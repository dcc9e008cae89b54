"""End to end in a real browser: `docqa ui` (which starts `docqa serve`) over a tmp data dir, driven
by headless Debian chromium through Playwright: log in, ask, see a citation, open its source, click a
thumb. Screenshots go to tests/e2e/artifacts/ (look at them)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from eval.browser import VIEWPORT, launch_options
from tests.app.ui.conftest import LEAVE_Q, SALARY_Q, USERS, write_corpus

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # fails without /usr/bin/chromium (conftest.py)
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
def ui_url(tmp_path: Path, embedder) -> Iterator[tuple[str, Path]]:
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


def see(page: Page, text: str, timeout_s: float = 60.0) -> None:
    """Wait until the page's visible text contains ``text``."""
    expect(page.locator("body")).to_contain_text(text, use_inner_text=True, timeout=timeout_s * 1000)


def click_button(page: Page, label: str) -> None:
    """A real mouse click on the first visible button whose text contains ``label`` (case-sensitive)."""
    page.locator("button:visible").filter(has_text=re.compile(re.escape(label))).first.click()


def log_in(page: Page, url: str, name: str, *, shot: str | None = None) -> None:
    page.goto(url)
    see(page, "Log in")
    page.locator("input[aria-label='User name']").fill(name)
    page.locator("input[type='password']").fill(USERS[name][0])
    if shot:
        page.screenshot(path=ARTIFACTS / shot)
    click_button(page, "Log in")
    see(page, "Every claim is cited")


def test_login_ask_open_source_and_thumb(ui_url: tuple[str, Path]) -> None:
    from app.db import Database

    url, data_dir = ui_url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            page = browser.new_page(viewport={**VIEWPORT, "height": 2000})
            page.set_default_timeout(60_000)
            log_in(page, url, "alice", shot="01-login.png")
            chat = page.locator("textarea[data-testid='stChatInputTextArea']")
            chat.fill(SALARY_Q)
            chat.press("Enter")
            see(page, "salary-bands.pdf", timeout_s=120)
            see(page, "confidence")
            assert "80,000" in page.locator("body").inner_text()
            page.wait_for_function("document.querySelectorAll('mark').length > 0")  # cited words highlighted
            page.screenshot(path=ARTIFACTS / "02-answer.png")
            click_button(page, "Open source")
            page.wait_for_function("[...document.querySelectorAll('img')].some(i => i.naturalWidth > 300)")
            see(page, "Download salary-bands.pdf (PDF, cited page 2)")
            page.locator("[data-testid='stImage']").first.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.screenshot(path=ARTIFACTS / "03-source-open.png")
            click_button(page, "Helpful")
            see(page, "Your feedback: helpful")
            page.screenshot(path=ARTIFACTS / "04-thumb.png")
            click_button(page, "Ask an expert")
            expert_note = page.locator("textarea[aria-label^='What should the expert check']")
            expert_note.fill("Is this the 2026 band?")
            click_button(page, "Send to an expert")
            see(page, "Sent to an expert")
            page.screenshot(path=ARTIFACTS / "05-escalated.png")
            # a reviewer of hr finds it in the Review queue (a fresh page load is a fresh session)
            log_in(page, url, "rita")
            page.locator("a[href$='/review']").first.click()
            see(page, "Is this the 2026 band?")
            see(page, "Send reply")
            page.screenshot(path=ARTIFACTS / "06-review.png")
        finally:
            browser.close()
    db = Database(f"sqlite:///{(data_dir / 'docqa.db').resolve()}")
    try:
        (log,) = db.list_query_logs("alice")
        fb = db.get_feedback(log.id, "alice")
        assert fb is not None and fb.thumb == "up"
    finally:
        db.close()


def test_search_in_one_picked_document(ui_url: tuple[str, Path]) -> None:
    """Pick a document in the sidebar's "Search in", ask, and only that document is cited (the same
    question over all of alice's documents cites salary-bands.pdf too)."""
    url, _ = ui_url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            page = browser.new_page(viewport={**VIEWPORT, "height": 2000})
            page.set_default_timeout(60_000)
            log_in(page, url, "alice")
            picker = page.get_by_role("combobox", name="Search in")
            expect(picker).to_have_value("All my documents")
            picker.click()
            page.get_by_role("option", name="public/leave.txt (t)").click()
            see(page, "Searching only in public/leave.txt (t)")
            chat = page.locator("textarea[data-testid='stChatInputTextArea']")
            chat.fill(LEAVE_Q)
            chat.press("Enter")
            answer = page.locator("[data-testid='stChatMessage']").last
            expect(answer).to_contain_text("30 vacation days", timeout=120_000)
            expect(answer).to_contain_text("public/leave.txt")
            assert "salary-bands.pdf" not in answer.inner_text()
            expect(picker).to_have_value("public/leave.txt (t)")  # the pick stays for the next question
            page.screenshot(path=ARTIFACTS / "07-search-in-one-document.png")
        finally:
            browser.close()
