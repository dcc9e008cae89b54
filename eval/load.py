"""`docqa bench load`: many simulated users asking through the engine at once.

Each simulated user is a thread with its own HTTP client (the service token, asking as a golden-set
user, so permission filters are exercised as in real use). It asks a question, streams the answer
(time to first token and total), thinks for a few seconds, and asks again until the time is up. While
they run, the engine process's resident memory and the machine's available memory are sampled.

Outcomes per request: ``ok`` (an answer, refusals included), ``shed`` (503: the engine's generation
queue is full; the user is told to retry — graceful degradation, not a failure), ``limited`` (429:
that user's question rate limit), ``error`` (anything else: a 5xx, a dropped stream, a timeout). The
target is zero errors. ``summarise`` is pure, so the arithmetic is tested on hand-made records.

``run_ui_load`` does the same through the web UI: each simulated user is a page of one headless
chromium (Playwright's async API, eval.browser) on a running `docqa ui`, logged in as a golden-set user;
it starts a new chat, types a question, presses Enter and waits until the answer is complete (its
"Helpful" button is shown), and the Streamlit process's memory is sampled too. The pages' users are
coroutines on one event loop (Playwright objects belong to the thread that made them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import Page


@dataclass
class Request:
    user: str
    started: float  # seconds since the load began
    outcome: str  # ok | shed | limited | error
    total_s: float
    ttft_s: float | None = None
    backend: str = ""  # the backend that answered (a fallback shows as extractive)
    refused: bool = False  # through the UI: answered without a source card
    detail: str = ""
    citations: int = 0  # sources cited (through the UI: source cards shown)


@dataclass
class MemorySample:
    at: float
    engine_rss_mib: float | None
    available_mib: float | None
    ui_rss_mib: float | None = None  # the Streamlit process, when the load goes through the UI


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summarise(
    requests: Sequence[Request],
    samples: Sequence[MemorySample],
    *,
    users: int,
    duration_s: float,
    backend: str | None = None,
) -> dict[str, Any]:
    """Counts per outcome, latency and TTFT p50/p95 of the answered requests, throughput and memory
    (the engine's and, through the UI, the Streamlit process's peak RSS). ``fallbacks``: answers a
    language-model ``backend`` left to the extractive path."""
    ok = [r for r in requests if r.outcome == "ok"]
    counts = {k: sum(r.outcome == k for r in requests) for k in ("ok", "shed", "limited", "error")}
    totals = [r.total_s for r in ok]
    ttfts = [r.ttft_s for r in ok if r.ttft_s is not None]
    rss = [s.engine_rss_mib for s in samples if s.engine_rss_mib is not None]
    ui_rss = [s.ui_rss_mib for s in samples if s.ui_rss_mib is not None]
    avail = [s.available_mib for s in samples if s.available_mib is not None]

    def r3(v: float | None) -> float | None:
        return None if v is None else round(v, 3)

    errors: dict[str, int] = {}
    for r in requests:
        if r.outcome == "error":
            errors[r.detail[:120]] = errors.get(r.detail[:120], 0) + 1
    return {
        "users": users,
        "duration_s": round(duration_s, 1),
        "requests": len(requests),
        **counts,
        "refused": sum(r.refused for r in ok),
        "fallbacks": 0 if backend in (None, "extractive")
        else sum(r.backend == "extractive" and not r.refused for r in ok),
        "answers_per_min": round(60 * len(ok) / duration_s, 2) if duration_s > 0 else None,
        "latency_p50_s": r3(_percentile(totals, 50)),
        "latency_p95_s": r3(_percentile(totals, 95)),
        "latency_max_s": r3(max(totals)) if totals else None,
        "ttft_p50_s": r3(_percentile(ttfts, 50)),
        "ttft_p95_s": r3(_percentile(ttfts, 95)),
        "engine_rss_max_mib": round(max(rss), 1) if rss else None,
        "ui_rss_max_mib": round(max(ui_rss), 1) if ui_rss else None,
        "available_min_mib": round(min(avail), 1) if avail else None,
        "errors_by_detail": errors,
    }  # fmt: skip


def _rss_mib(pid: int | None) -> float | None:
    if not pid:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _available_mib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class _Load:
    """One run's clock, stop flag and requests; ``run`` starts the simulated users' threads, samples
    memory every second until the time is up, then lets the requests in flight finish."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.requests: list[Request] = []
        self.next_report = 30.0
        self.astop: asyncio.Event | None = None  # set by arun

    def add(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    def _sample(
        self,
        samples: list[MemorySample],
        duration_s: float,
        engine_pid: int | None,
        ui_pid: int | None,
        progress: Callable[[str], None] | None,
    ) -> bool:
        """One memory sample (and a progress line every 30 s); False once the time is up."""
        elapsed = time.monotonic() - self.t0
        if elapsed >= duration_s:
            return False
        samples.append(MemorySample(elapsed, _rss_mib(engine_pid), _available_mib(), _rss_mib(ui_pid)))
        if progress and elapsed >= self.next_report:
            with self.lock:
                done = len(self.requests)
                bad = sum(r.outcome == "error" for r in self.requests)
            progress(f"{elapsed:.0f}/{duration_s:.0f} s: {done} requests, {bad} errors")
            self.next_report += 30.0
        return True

    def run(
        self,
        simulated_user: Callable[[int], None],
        users: int,
        duration_s: float,
        *,
        engine_pid: int | None,
        ui_pid: int | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> tuple[list[MemorySample], float]:
        """(memory samples, seconds the load took)."""
        self.t0 = time.monotonic()  # the clock starts with the users (not with opening browser pages)
        self.next_report = 30.0
        samples: list[MemorySample] = []
        threads = [threading.Thread(target=simulated_user, args=(i,), daemon=True) for i in range(users)]
        for t in threads:
            t.start()
        while self._sample(samples, duration_s, engine_pid, ui_pid, progress):
            time.sleep(1.0)
        self.stop.set()
        for t in threads:
            t.join(timeout=600)  # a generation in flight is allowed to finish
        return samples, time.monotonic() - self.t0

    async def arun(
        self,
        simulated_user: Callable[[int], Awaitable[None]],
        users: int,
        duration_s: float,
        *,
        engine_pid: int | None,
        ui_pid: int | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> tuple[list[MemorySample], float]:
        """``run`` for simulated users that are coroutines (``await load.pause(s)`` for ``stop.wait(s)``)."""
        self.t0 = time.monotonic()  # the clock starts with the users (not with opening browser pages)
        self.next_report = 30.0
        self.astop = asyncio.Event()
        samples: list[MemorySample] = []
        tasks = [asyncio.create_task(simulated_user(i)) for i in range(users)]
        while self._sample(samples, duration_s, engine_pid, ui_pid, progress):
            await asyncio.sleep(1.0)
        self.stop.set()
        self.astop.set()
        _, pending = await asyncio.wait(tasks, timeout=600)  # a generation in flight is allowed to finish
        for task in pending:
            task.cancel()
        return samples, time.monotonic() - self.t0

    async def pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when the load stops."""
        assert self.astop is not None, "pause() is for the simulated users arun() runs"
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.astop.wait(), seconds)


def run_load(
    url: str,
    token: str | None,
    questions: Sequence[tuple[str, str]],
    *,
    users: int = 20,
    duration_s: float = 300.0,
    backend: str | None = None,
    think_s: tuple[float, float] = (2.0, 8.0),
    engine_pid: int | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``users`` simulated users ask (question, as user) pairs from ``questions`` through the engine at
    ``url`` for ``duration_s``; returns summarise(...) plus every request."""
    from app.client import EngineClient, EngineError

    if not questions:
        raise ValueError("no questions to ask")
    load = _Load()

    def simulated_user(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        with EngineClient(url, token=token, timeout=30.0, actor=f"load:{i}") as client:
            time.sleep(rng.uniform(0, think_s[1]))  # users do not all arrive at the same instant
            while not load.stop.is_set():
                question, user = questions[rng.randrange(len(questions))]
                started = time.monotonic()
                first: list[float] = []

                def on_token(_text: str, first: list[float] = first, started: float = started) -> None:
                    if not first:
                        first.append(time.monotonic() - started)

                try:
                    answer = client.ask(question, user, backend=backend, on_token=on_token)
                    req = Request(user, started - load.t0, "ok", time.monotonic() - started,
                                  first[0] if first else None, str(answer.get("backend", "")),
                                  bool(answer.get("refused")),
                                  citations=len(answer.get("citations") or []))  # fmt: skip
                except EngineError as exc:
                    outcome = {503: "shed", 429: "limited"}.get(exc.status, "error")
                    req = Request(user, started - load.t0, outcome, time.monotonic() - started,
                                  detail=f"{exc.status}: {exc.detail}")  # fmt: skip
                load.add(req)
                load.stop.wait(_pause(req, rng, think_s))

    samples, duration = load.run(simulated_user, users, duration_s, engine_pid=engine_pid, progress=progress)
    result = summarise(load.requests, samples, users=users, duration_s=duration, backend=backend)
    result["backend"] = backend or "engine default"
    result["through"] = "engine"
    result["requests_log"] = [asdict(r) for r in load.requests]
    return result


def _pause(req: Request, rng: random.Random, think_s: tuple[float, float]) -> float:
    """Seconds a user thinks before asking again (plus 5 s after a 503 or 429, as the UI tells them)."""
    return (5.0 if req.outcome in ("shed", "limited") else 0.0) + rng.uniform(*think_s)


# -- through the web UI --------------------------------------------------------------------------------
CHAT_INPUT = "textarea[data-testid='stChatInputTextArea']"
# Installed before Enter is pressed: resolves (as window.__docqaAnswer) once the last chat message is a
# complete answer (its "Helpful" button, or the note that it was not logged, is shown after the
# rerun that stores the turn), or an error is shown; times from performance.now() at installation.
# ``first_ms``: the quick answer or the first streamed words, else the answer itself; ``cited``: the
# answer's source cards.
WATCH_ANSWER = """(() => {
  const t0 = performance.now();
  let first = null, pending = false, observer = null, timer = null;
  window.__docqaAnswer = new Promise((resolve) => {
    const finish = (result) => {
      observer.disconnect(); clearTimeout(timer);
      resolve({...result, total_ms: performance.now() - t0, first_ms: first});
    };
    const check = () => {
      pending = false;
      const msgs = document.querySelectorAll('[data-testid="stChatMessage"]');
      const last = msgs[msgs.length - 1];
      const alerts = [...document.querySelectorAll('[data-testid="stAlert"], [data-testid="stException"]')]
        .filter((a) => [null, last].includes(a.closest('[data-testid="stChatMessage"]')));
      if (msgs.length < 2) { if (alerts.length) finish({alert: alerts[0].innerText}); return; }
      const text = last.innerText;
      const done = [...last.querySelectorAll('button')].some((b) => b.innerText.includes('Helpful'))
        || text.includes('This answer was not logged');
      if (first === null && (done || text.includes('Quick answer') || text.includes('\u258c'))) {
        first = performance.now() - t0;
      }
      if (done) {
        const model = text.match(/Written by (.+?) from the sources/);
        finish({cited: last.querySelectorAll('[class*="st-key-card_"]').length,
                backend: text.includes('Quoted from the sources') ? 'extractive' : (model ? model[1] : '')});
      } else if (alerts.length) {
        finish({alert: alerts[0].innerText});
      }
    };
    observer = new MutationObserver(() => { if (!pending) { pending = true; setTimeout(check, 20); } });
    observer.observe(document.body, {childList: true, subtree: true, characterData: true});
    timer = setTimeout(() => finish({timeout: true}), TIMEOUT_MS);
  });
  return true;
})()"""


async def _see(page: Page, text: str) -> None:
    """Wait until the page's visible text contains ``text`` (the page's default timeout)."""
    await page.wait_for_function(
        "t => document.body && document.body.innerText.includes(t)", arg=text, polling=250
    )


async def _click_button(page: Page, label: str) -> None:
    """A real mouse click on the first visible button whose text contains ``label`` (case-sensitive)."""
    await page.locator("button:visible").filter(has_text=re.compile(re.escape(label))).first.click()


async def _log_in(page: Page, url: str, name: str, password: str) -> None:
    """A fresh page load (a fresh Streamlit session), then the login form, as a person does it."""
    await page.goto(url)
    await _see(page, "Log in")
    await page.locator("input[aria-label='User name']").fill(name)
    await page.locator("input[type='password']").fill(password)
    await _click_button(page, "Log in")
    state = await page.wait_for_function(
        f"document.querySelector({json.dumps(CHAT_INPUT)}) ? 'ok' : "
        "(document.querySelector('[data-testid=\"stAlert\"]') || {}).innerText",
        polling=250,
    )
    if (seen := await state.json_value()) != "ok":
        raise RuntimeError(f"log in as {name}: {seen}")


async def _ask(page: Page, question: str, timeout_s: float) -> dict[str, Any]:
    """A new chat, the question typed and sent with Enter; what WATCH_ANSWER resolved to."""
    if await page.evaluate("document.querySelectorAll('[data-testid=\"stChatMessage\"]').length"):
        await _click_button(page, "New chat")
        await page.wait_for_function(
            "document.querySelectorAll('[data-testid=\"stChatMessage\"]').length === 0"
            f" && !!document.querySelector({json.dumps(CHAT_INPUT)})",
            polling=250,
        )
    chat = page.locator(CHAT_INPUT)
    await chat.fill(question)
    await page.evaluate(WATCH_ANSWER.replace("TIMEOUT_MS", str(int(timeout_s * 1000))))
    await chat.press("Enter")
    return await asyncio.wait_for(page.evaluate("window.__docqaAnswer"), timeout_s + 30)


def request_from_page(user: str, started: float, seen: dict[str, Any], timeout_s: float) -> Request:
    """The Request for what the page showed: an answer (refused: no source card), the engine's
    "busy" (shed) or rate-limit (limited) message, any other error message, or no answer in time."""
    total = seen["total_ms"] / 1000
    if seen.get("timeout"):
        return Request(user, started, "error", total, detail=f"no complete answer within {timeout_s:.0f} s")
    if alert := seen.get("alert"):
        busy, limited = "waiting; try again" in alert, "Too many questions" in alert
        outcome = "shed" if busy else "limited" if limited else "error"
        return Request(user, started, outcome, total, detail=f"UI: {alert}")
    first = seen.get("first_ms")
    cited = int(seen.get("cited") or 0)
    return Request(user, started, "ok", total, total if first is None else first / 1000,
                   str(seen.get("backend") or ""), refused=cited == 0, citations=cited)  # fmt: skip


def run_ui_load(
    ui_url: str,
    questions: Sequence[tuple[str, str]],
    passwords: Mapping[str, str],
    *,
    users: int = 5,
    duration_s: float = 300.0,
    backend: str | None = None,
    think_s: tuple[float, float] = (2.0, 8.0),
    engine_pid: int | None = None,
    ui_pid: int | None = None,
    answer_timeout_s: float = 300.0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``users`` pages of one headless chromium (Playwright) ask through the web UI at ``ui_url`` for
    ``duration_s``. Simulated user i logs in as the i-th (round robin) user of ``questions`` who has a
    password in ``passwords`` and asks that user's questions. ``backend``: the engine's, so that
    fallbacks are counted. Returns summarise(...) plus every request."""
    from playwright.async_api import async_playwright

    from eval.browser import VIEWPORT, launch_options

    logins = sorted({user for _, user in questions if user in passwords})
    if not logins:
        raise ValueError("no question is asked as a user with a password to log in with")
    asks = {name: [q for q, user in questions if user == name] for name in logins}
    load = _Load()

    async def simulated_user(i: int, page: Page) -> None:
        rng = random.Random(seed * 1000 + i)
        name, logged_in = logins[i % len(logins)], False
        await load.pause(rng.uniform(0, think_s[1]))  # users do not all arrive at the same instant
        while not load.stop.is_set():
            started = time.monotonic()
            try:
                if not logged_in:
                    await _log_in(page, ui_url, name, passwords[name])
                    logged_in, started = True, time.monotonic()
                seen = await _ask(page, rng.choice(asks[name]), answer_timeout_s)
                req = request_from_page(name, started - load.t0, seen, answer_timeout_s)
            except Exception as exc:  # a broken page: the request failed; the user reloads
                req = Request(name, started - load.t0, "error", time.monotonic() - started,
                              detail=f"browser: {type(exc).__name__}: {str(exc)[:200]}")  # fmt: skip
                logged_in = False
            load.add(req)
            await load.pause(_pause(req, rng, think_s))

    async def drive() -> tuple[list[MemorySample], float]:
        """One chromium with a page (a tab: its own Streamlit session) per simulated user."""
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options())
            try:
                context = await browser.new_context(viewport=VIEWPORT)  # one profile, a tab per user
                pages = [await context.new_page() for _ in range(users)]
                for page in pages:
                    page.set_default_timeout(60_000)
                return await load.arun(lambda i: simulated_user(i, pages[i]), users, duration_s,
                                       engine_pid=engine_pid, ui_pid=ui_pid, progress=progress)  # fmt: skip
            finally:
                await browser.close()

    samples, duration = asyncio.run(drive())
    result = summarise(load.requests, samples, users=users, duration_s=duration, backend=backend)
    result["backend"] = backend or "engine default"
    result["through"] = "ui"
    result["requests_log"] = [asdict(r) for r in load.requests]
    return result


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_pid(port: int) -> int | None:
    """The process listening on TCP ``port`` here (from /proc; None if not found or not readable)."""
    import os

    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{f[9]}]")
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd) in inodes:
                return int(fd.parts[2])
        except OSError:
            continue
    return None


class EngineProcess:
    """`docqa serve` in a child process for the length of a benchmark (when no engine runs)."""

    def __init__(self, data_dir: Path, port: int = 0, env: dict[str, str] | None = None) -> None:
        import os
        import subprocess
        import sys

        port = port or free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = data_dir / "bench-load-engine.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)]
        child_env = dict(os.environ if env is None else env)
        child_env["DOCQA_DATA_DIR"] = str(data_dir)
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=child_env)
        self.pid = self.proc.pid

    def wait_ready(self, settings: Any, timeout_s: float = 300.0) -> str | None:
        """Wait until the child answers /health; returns its service token (from engine.json)."""
        from app.client import EngineClient, EngineError, read_engine_file

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-800:]
                raise RuntimeError(f"the engine exited with {self.proc.returncode}: {tail}")
            info = read_engine_file(settings)
            if info and info.get("pid") == self.pid:
                try:
                    with EngineClient(self.url) as c:
                        c.health(timeout=5)
                    return info.get("token")
                except EngineError:
                    pass
            time.sleep(0.5)
        raise RuntimeError(f"the engine did not answer within {timeout_s:.0f} s (log: {self.log})")

    def stop(self) -> None:
        _terminate(self.proc)


class UiProcess:
    """`docqa ui` in a child process for the length of a benchmark, on 127.0.0.1 and a free port; it
    uses the engine that runs for ``data_dir``. ``pid``: the Streamlit server's (not the launcher's)."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        import os
        import subprocess
        import sys

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "bench-load-ui.log"
        self.pid: int | None = None
        cmd = [sys.executable, "-c", "from app.cli import main; main()", "ui", "--port", str(self.port),
               "--address", "127.0.0.1"]  # fmt: skip
        child_env = dict(os.environ if env is None else env)
        child_env["DOCQA_DATA_DIR"] = str(data_dir)
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=child_env)

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Wait until Streamlit answers its health check."""
        import urllib.request

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-800:]
                raise RuntimeError(f"`docqa ui` exited with {self.proc.returncode}: {tail}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        self.pid = listening_pid(self.port)
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"`docqa ui` did not answer within {timeout_s:.0f} s (log: {self.log})")

    def stop(self) -> None:
        """SIGTERM: the launcher stops Streamlit (and nothing else: it did not start the engine)."""
        _terminate(self.proc)


def _terminate(proc: Any) -> None:
    """SIGTERM a benchmark's child process; SIGKILL it if it is still there after 30 s."""
    import signal
    import subprocess

    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
