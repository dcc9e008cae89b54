"""`docqa bench load`: many simulated users asking through the engine at once.

Each simulated user is a thread with its own HTTP client (the service token, asking as a golden-set
user, so permission filters are exercised as in real use). It asks a question, streams the answer
(time to first token and total), thinks for a few seconds, and asks again until the time is up. While
they run, the engine process's resident memory and the machine's available memory are sampled.

Outcomes per request: ``ok`` (an answer, refusals included), ``shed`` (503: the engine's generation
queue is full; the user is told to retry — graceful degradation, not a failure), ``limited`` (429:
that user's question rate limit), ``error`` (anything else: a 5xx, a dropped stream, a timeout). The
target is zero errors. ``summarise`` is pure, so the arithmetic is tested on hand-made records.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Request:
    user: str
    started: float  # seconds since the load began
    outcome: str  # ok | shed | limited | error
    total_s: float
    ttft_s: float | None = None
    backend: str = ""  # the backend that answered (a fallback shows as extractive)
    refused: bool = False
    detail: str = ""


@dataclass
class MemorySample:
    at: float
    engine_rss_mib: float | None
    available_mib: float | None


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
    """Counts per outcome, latency and TTFT p50/p95 of the answered requests, throughput and memory.
    ``fallbacks``: answers a language-model ``backend`` left to the extractive path."""
    ok = [r for r in requests if r.outcome == "ok"]
    counts = {k: sum(r.outcome == k for r in requests) for k in ("ok", "shed", "limited", "error")}
    totals = [r.total_s for r in ok]
    ttfts = [r.ttft_s for r in ok if r.ttft_s is not None]
    rss = [s.engine_rss_mib for s in samples if s.engine_rss_mib is not None]
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
    t0 = time.monotonic()
    stop = threading.Event()
    lock = threading.Lock()
    requests: list[Request] = []
    samples: list[MemorySample] = []

    def simulated_user(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        with EngineClient(url, token=token, timeout=30.0, actor=f"load:{i}") as client:
            time.sleep(rng.uniform(0, think_s[1]))  # users do not all arrive at the same instant
            while not stop.is_set():
                question, user = questions[rng.randrange(len(questions))]
                started = time.monotonic()
                first: list[float] = []

                def on_token(_text: str, first: list[float] = first, started: float = started) -> None:
                    if not first:
                        first.append(time.monotonic() - started)

                try:
                    answer = client.ask(question, user, backend=backend, on_token=on_token)
                    req = Request(user, started - t0, "ok", time.monotonic() - started,
                                  first[0] if first else None, str(answer.get("backend", "")),
                                  bool(answer.get("refused")))  # fmt: skip
                except EngineError as exc:
                    outcome = {503: "shed", 429: "limited"}.get(exc.status, "error")
                    req = Request(user, started - t0, outcome, time.monotonic() - started,
                                  detail=f"{exc.status}: {exc.detail}")  # fmt: skip
                with lock:
                    requests.append(req)
                retry = 0.0
                if req.outcome in ("shed", "limited"):
                    retry = 5.0  # as the UI tells the user: try again in a few seconds
                stop.wait(retry + rng.uniform(*think_s))

    threads = [threading.Thread(target=simulated_user, args=(i,), daemon=True) for i in range(users)]
    for t in threads:
        t.start()
    next_report = 30.0
    while (elapsed := time.monotonic() - t0) < duration_s:
        samples.append(MemorySample(elapsed, _rss_mib(engine_pid), _available_mib()))
        if progress and elapsed >= next_report:
            with lock:
                done = len(requests)
                bad = sum(r.outcome == "error" for r in requests)
            progress(f"{elapsed:.0f}/{duration_s:.0f} s: {done} requests, {bad} errors")
            next_report += 30.0
        time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=600)  # a generation in flight is allowed to finish
    duration = time.monotonic() - t0
    result = summarise(requests, samples, users=users, duration_s=duration, backend=backend)
    result["backend"] = backend or "engine default"
    result["requests_log"] = [asdict(r) for r in requests]
    return result


class EngineProcess:
    """`docqa serve` in a child process for the length of a benchmark (when no engine runs)."""

    def __init__(self, data_dir: Path, port: int = 0, env: dict[str, str] | None = None) -> None:
        import os
        import socket
        import subprocess
        import sys

        if not port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.log = data_dir / "bench-load-engine.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)]
        child_env = dict(os.environ if env is None else env)
        child_env["DOCQA_DATA_DIR"] = str(data_dir)
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=child_env)
        self.pid = self.proc.pid

    def wait_ready(self, settings: Any, timeout_s: float = 300.0) -> str | None:  # noqa: ANN401
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
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
