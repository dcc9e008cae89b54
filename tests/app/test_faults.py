"""Dependency faults as a user meets them: a language model that is down, slow or talks nonsense gives a
labelled extractive answer; a vector store or database that can't be reached gives one clear line and
a non-zero exit in the CLI and a friendly page in the UI - never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_docs

QUESTION = "How many days of annual leave do staff get?"
CORPUS = {
    "leave.md": "# Leave\n\nStaff get 28 days of annual leave per year, plus public holidays.\n",
    "travel.md": "# Travel\n\nTrains are booked in second class; flights only beyond 600 km.\n",
}


# -- unit: the answer service with a fake generator --------------------------------------------------
class FakeGenerator:
    """Stands in for app.llm.Generator: returns ``text`` as the model's answer."""

    backend, model = "openai", "fake-model"

    def __init__(self, text: str) -> None:
        self.text = text

    def generate(self, messages: Any, *, on_token: Any = None, **_: Any) -> Any:
        from app.llm import Generation

        return Generation(self.text, self.backend, self.model, 10, 5, 0.1, 0.2, [-0.1] * 5)


class FakeEmbedder:
    """Stands in for app.embeddings.Embedder: only the query vector is asked for here."""

    def embed_query(self, text: str) -> Any:
        import numpy as np

        return np.zeros(3, dtype=np.float32)


@pytest.mark.unit
@pytest.mark.parametrize(
    "text",
    ["Bananas are yellow and the moon is cheese.", "The cafeteria opens at noon [7].", '{"answer": null}'],
    ids=["no citations", "invalid citation", "not prose"],
)
def test_an_answer_citing_no_source_is_replaced_by_quotes_and_labelled(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.answer import Answerer, Source
    from app.retrieve import Passage
    from app.ui.render import provenance

    payload = {"doc_id": "d1", "version": 1, "title": "leave.md", "path": "leave.md", "page_start": 1}
    passage = Passage("p1", 1.0, payload | {"text": "Staff get 28 days of annual leave per year."})
    source = Source(1, passage, ["Staff get 28 days of annual leave per year."], [0.8], best_cosine=0.8)
    monkeypatch.setattr("app.answer.answerer.search", lambda *a, **k: [passage])
    answerer = Answerer(store=None, embedder=FakeEmbedder(), generator=FakeGenerator(text))
    monkeypatch.setattr(answerer, "select_evidence", lambda *a, **k: [source])
    ans = answerer.ask(QUESTION, ["hr"])
    assert ans.backend == "extractive" and "28 days" in ans.answer and ans.citations
    assert "cited none of the sources" in ans.fallback_reason
    assert ans.to_dict()["quote_replaced"]  # counted by docqa eval: a generated answer gave way
    label = "Quoted from the sources, not written by the language model: "
    assert provenance(ans.to_dict())[0].startswith(label)


# -- integration: the openai backend against a real local HTTP server ------------------------------
class FakeLLMServer:
    """A real HTTP server on 127.0.0.1 posing as an OpenAI-compatible endpoint that misbehaves:
    "stall" (never answers), "garbage" (replacement characters), "uncited" (prose without [n]),
    "html" (a 200 HTML page instead of an event stream), "503" (overloaded)."""

    def __init__(self, mode: str) -> None:
        self.mode, self.requests = mode, 0
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests += 1
                if fake.mode == "stall":
                    fake.release.wait(30)
                    return
                if fake.mode == "503":
                    self.send_response(503)
                    self.end_headers()
                    return
                if fake.mode == "html":
                    body = b"<html><body>Bad gateway, try later</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                words = (
                    ["\ufffd\ufffd", "\x00\x01"]
                    if fake.mode == "garbage"
                    else ["Bananas", " are", " yellow."]
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for word in words:
                    chunk = {"choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _refused_url() -> str:
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


@pytest.fixture
def indexed(svc, tmp_path: Path):
    svc.ingestor.ingest([write_docs(tmp_path / "corpus", CORPUS)], set_name="s", groups=["hr"])
    return svc


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["refused", "stall", "garbage", "uncited", "html", "503"])
def test_a_failing_llm_server_gives_a_labelled_extractive_answer(indexed, mode: str, capsys) -> None:
    from app.cli import print_answer
    from app.services import Services
    from app.ui.render import provenance

    fake = None if mode == "refused" else FakeLLMServer(mode)
    settings = indexed.settings.model_copy(
        update={
            "llm_backend": "openai",
            "openai_base_url": fake.base_url if fake else _refused_url(),
            "openai_model": "fake-model",
            "llm_timeout_s": 1.0,
            "llm_retries": 1,
            "answer_cache": False,
        }
    )
    indexed.close()
    svc = Services(settings, embedder=indexed.embedder)
    try:
        answerer = svc.answerer()
        answerer.generator.backoff_s = 0.01
        result = answerer.ask(QUESTION, ["hr"]).to_dict()
    finally:
        svc.close()
        if fake:
            fake.stop()
    assert result["backend"] == "extractive" and not result["refused"]
    assert "28 days" in result["answer"] and result["citations"][0]["path"] == "leave.md"
    reason = {
        "refused": "connection refused",
        "stall": "did not answer within 1 s",
        "garbage": "unreadable output",
        "uncited": "cited none of the sources",
        "html": "an empty answer",
        "503": "HTTP 503",
    }[mode]
    assert reason in result["fallback_reason"]
    if mode in ("refused", "503", "garbage"):  # retried once, with backoff
        assert "tried 2 times" in result["fallback_reason"]
    if mode == "stall":  # a stalled server is not waited for twice
        assert "tried" not in result["fallback_reason"]
    assert provenance(result)[0].startswith("Quoted from the sources, not written by the language model: ")
    print_answer(result | {"cache_hit": False})
    assert "model not used: " in capsys.readouterr().out


# -- integration: stores that can't be reached --------------------------------------------------------
def _docqa(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DOCQA_")}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=base | {"COLUMNS": "200"} | env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://docqa:s3cret@127.0.0.1:1/docqa", "sqlite:////nonexistent-dir/sub/docqa.db"],
    ids=["postgres unreachable", "sqlite unwritable"],
)
def test_cli_with_the_database_unavailable_prints_one_line_and_exits_3(tmp_path: Path, url: str) -> None:
    res = _docqa(["users", "list"], {"DOCQA_DATA_DIR": str(tmp_path / "state"), "DOCQA_DATABASE_URL": url})
    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert "database" in res.stderr and "s3cret" not in res.stderr
    assert len([ln for ln in res.stderr.splitlines() if ln.strip()]) <= 3  # one message, maybe wrapped


@pytest.mark.integration
def test_cli_with_the_qdrant_server_unavailable_exits_3(tmp_path: Path) -> None:
    env = {"DOCQA_DATA_DIR": str(tmp_path / "state"), "DOCQA_QDRANT_URL": _refused_url().removesuffix("/v1")}
    res = _docqa(["doctor"], env)  # opens both stores
    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert "Cannot reach the Qdrant server" in res.stderr and "tried 3 times" in res.stderr


@pytest.mark.integration
def test_ui_with_the_database_unavailable_shows_a_friendly_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.app.ui.conftest import MAIN

    for key in list(os.environ):
        if key.startswith("DOCQA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DOCQA_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DOCQA_DATABASE_URL", "sqlite:////nonexistent-dir/sub/docqa.db")
    at = AppTest.from_file(str(MAIN), default_timeout=120).run()
    if not at.error:  # the login page came up: the database is first needed to log in
        at.text_input(key="login_name").input("alice")
        at.text_input(key="login_password").input("alice-secret")
        at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("can't reach its search engine or its database" in e.value for e in at.error)
