"""app/llm.py: model joining, the generator's retry/timeout/streaming rules, the OpenAI-compatible
backend against a fake server on 127.0.0.1, and the real local model (slow)."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from app import llm as llm_mod
from app.llm import (
    Generation,
    Generator,
    LLMUnavailableError,
    ModelIntegrityError,
    ModelSpec,
    StreamingLLM,
    _Chunk,
    _StopMatcher,
    ensure_local_model,
    join_parts,
    looks_like_garbage,
    make_generator,
)
from app.settings import Settings


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "state",
        "llm_backend": "local",
        "llm_model": "qwen2.5-coder-1.5b",
        "llm_model_dir": None,
        "llm_timeout_s": 5.0,
        "llm_retries": 2,
        "openai_base_url": None,
        "openai_api_key": None,
        "openai_model": None,
    }
    values.update(overrides)
    return Settings(**values)


# --------------------------------------------------------------------------------------------
# Joining the packaged GGUF


def _write_parts(folder: Path, contents: Sequence[bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(contents, 1):
        path = folder / f"part{i:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths


PARTS = [b"GGUF-first-", b"second-part-", b"third"]
JOINED = b"".join(PARTS)
JOINED_SHA = hashlib.sha256(JOINED).hexdigest()


@pytest.mark.unit
def test_join_parts_writes_verifies_and_marks(tmp_path: Path) -> None:
    parts = _write_parts(tmp_path / "parts", PARTS)
    dest = tmp_path / "models" / "tiny.gguf"
    assert join_parts(parts, dest, size=len(JOINED), sha256=JOINED_SHA) == dest
    assert dest.read_bytes() == JOINED
    assert (tmp_path / "models" / "tiny.gguf.sha256-ok").read_text().strip() == JOINED_SHA
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["tiny.gguf", "tiny.gguf.sha256-ok"]

    # Later uses trust size + marker: the parts are not read again (here they are gone).
    for part in parts:
        part.unlink()
    mtime = dest.stat().st_mtime_ns
    assert join_parts(parts, dest, size=len(JOINED), sha256=JOINED_SHA) == dest
    assert dest.stat().st_mtime_ns == mtime


@pytest.mark.unit
def test_join_parts_wrong_hash_is_a_clear_error_and_leaves_nothing(tmp_path: Path) -> None:
    parts = _write_parts(tmp_path / "parts", [PARTS[0], b"SECOND-PART-", PARTS[2]])  # same size, other bytes
    dest = tmp_path / "models" / "tiny.gguf"
    with pytest.raises(ModelIntegrityError) as err:
        join_parts(parts, dest, size=len(JOINED), sha256=JOINED_SHA)
    message = str(err.value)
    assert "sha256" in message and JOINED_SHA in message and "Reinstall" in message
    assert list((tmp_path / "models").iterdir()) == []  # no file, no temp file, no marker
    assert isinstance(err.value, LLMUnavailableError)  # the answer service's fallback catches it


@pytest.mark.unit
def test_join_parts_wrong_total_size(tmp_path: Path) -> None:
    parts = _write_parts(tmp_path / "parts", PARTS[:2])
    with pytest.raises(ModelIntegrityError, match="add up to"):
        join_parts(parts, tmp_path / "m" / "x.gguf", size=len(JOINED), sha256=JOINED_SHA)


@pytest.mark.unit
def test_join_parts_rejoins_a_truncated_file(tmp_path: Path) -> None:
    parts = _write_parts(tmp_path / "parts", PARTS)
    dest = tmp_path / "models" / "tiny.gguf"
    join_parts(parts, dest, size=len(JOINED), sha256=JOINED_SHA)
    dest.write_bytes(JOINED[:5])  # e.g. a disk-full copy
    join_parts(parts, dest, size=len(JOINED), sha256=JOINED_SHA)
    assert dest.read_bytes() == JOINED


@pytest.fixture
def fake_packaged_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    """Three importable part modules with get_part_path(), like the PyPI model packages."""
    site = tmp_path / "site"
    for i, data in enumerate(PARTS, 1):
        pkg = site / f"fake_model_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        (pkg / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            "    here = os.path.dirname(os.path.abspath(__file__))\n"
            f"    return os.path.join(here, 'data', 'part{i:02d}.bin')\n"
        )
    monkeypatch.syspath_prepend(str(site))
    spec = ModelSpec(
        name="fake-tiny",
        filename="fake-tiny.gguf",
        part_modules=tuple(f"fake_model_part{i}" for i in range(1, 4)),
        size=len(JOINED),
        sha256=JOINED_SHA,
        packages="fake-model-part1..3",
    )
    monkeypatch.setitem(llm_mod.LOCAL_MODELS, spec.name, spec)
    return spec


@pytest.mark.unit
def test_ensure_local_model_joins_from_part_modules(tmp_path: Path, fake_packaged_model: ModelSpec) -> None:
    settings = _settings(tmp_path, llm_model="fake-tiny")
    path = ensure_local_model(settings)
    assert path == settings.data_dir / "models" / "fake-tiny.gguf"
    assert path.read_bytes() == JOINED
    assert ensure_local_model(settings, "fake-tiny") == path  # fast path

    other = _settings(tmp_path, llm_model="fake-tiny", llm_model_dir=tmp_path / "elsewhere")
    assert ensure_local_model(other).parent == tmp_path / "elsewhere"


@pytest.mark.unit
def test_ensure_local_model_missing_package_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = ModelSpec("ghost", "ghost.gguf", ("no_such_model_part1",), 1, "0" * 64, "ghost-part1==1")
    monkeypatch.setitem(llm_mod.LOCAL_MODELS, "ghost", spec)
    with pytest.raises(LLMUnavailableError, match=r"not installed.*scripts/setup\.sh.*ghost-part1==1"):
        ensure_local_model(_settings(tmp_path), "ghost")


@pytest.mark.unit
def test_ensure_local_model_paths_and_unknown_names(tmp_path: Path) -> None:
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    assert ensure_local_model(_settings(tmp_path), str(gguf)) == gguf
    with pytest.raises(LLMUnavailableError, match="does not exist"):
        ensure_local_model(_settings(tmp_path), str(tmp_path / "missing.gguf"))
    with pytest.raises(LLMUnavailableError, match="qwen2.5-coder-1.5b"):
        ensure_local_model(_settings(tmp_path), "gpt-17")


@pytest.mark.unit
def test_registry_matches_the_lock_file() -> None:
    lock = (Path(__file__).resolve().parents[2] / "requirements" / "llm.lock").read_text()
    pins = {line.split("==")[0].replace("-", "_") for line in lock.splitlines() if "==" in line}
    for spec in llm_mod.LOCAL_MODELS.values():
        assert set(spec.part_modules) <= pins, spec.name


# --------------------------------------------------------------------------------------------
# Pure helpers


@pytest.mark.unit
@pytest.mark.parametrize(
    ("pieces", "stop", "emitted", "stopped"),
    [
        (["Hello", " world"], [], "Hello world", False),
        (["Answer [1].", "\n\nQuestion: x"], ["\n\nQuestion:"], "Answer [1].", True),
        (["Answer", "\n", "\nQu", "estion", " more"], ["\n\nQuestion"], "Answer", True),
        (["a\n", "b"], ["\n\nQ"], "a\nb", False),  # a held-back prefix that did not become a stop
    ],
)
def test_stop_matcher(pieces: list[str], stop: list[str], emitted: str, stopped: bool) -> None:
    matcher = _StopMatcher(stop)
    out, hit = "", False
    for piece in pieces:
        text, hit = matcher.feed(piece)
        out += text
        if hit:
            break
    if not hit:
        out += matcher.flush()
    assert (out, hit) == (emitted, stopped)


@pytest.mark.unit
def test_garbage_detection() -> None:
    assert looks_like_garbage("")
    assert looks_like_garbage(" \n\t ")
    assert looks_like_garbage("\ufffd\ufffd \ufffd\x00")
    assert not looks_like_garbage("The limit is 45 EUR per day [2].")
    assert not looks_like_garbage("Größe: 3 Tage — café [1]")


@pytest.mark.unit
def test_generation_cost(tmp_path: Path) -> None:
    gen = Generation("x", "openai", "m", 2000, 500, 0.1, 1.0, [])
    settings = _settings(tmp_path, llm_price_in_per_1k=0.5, llm_price_out_per_1k=1.5)
    assert gen.cost(settings) == pytest.approx(1.0 + 0.75)
    assert gen.cost(_settings(tmp_path)) == 0.0


# --------------------------------------------------------------------------------------------
# Generator rules, with a scripted backend


class ScriptedLLM(StreamingLLM):
    """A fake backend: each attempt plays the next script (a list of chunks or an exception)."""

    scripts: list[Any] = []
    calls: int = 0

    def stream_messages(
        self, messages: Any, *, max_tokens: int, stop: Sequence[str], timeout_s: float
    ) -> Iterator[_Chunk]:
        script = self.scripts[min(self.calls, len(self.scripts) - 1)]
        self.calls += 1
        yield _Chunk(prompt_tokens=7)
        for item in script:
            if isinstance(item, Exception):
                raise item
            yield _Chunk(text=item, logprobs=[-0.1], tokens=1)
        yield _Chunk(completion_tokens=len(script), finish_reason="stop")


def _scripted(tmp_path: Path, scripts: list[Any], **overrides: Any) -> tuple[Generator, ScriptedLLM]:
    fake = ScriptedLLM(model_name="scripted", scripts=scripts)
    gen = Generator(_settings(tmp_path, **overrides), fake, backend="local", model="scripted")
    gen.backoff_s = 0.01
    return gen, fake


@pytest.mark.unit
def test_whitespace_answer_is_retried_without_reaching_the_caller(tmp_path: Path) -> None:
    gen, fake = _scripted(tmp_path, [["  ", "\n"], ["\n", "Three", " days [1]."]])
    seen: list[str] = []
    result = gen.generate([("user", "q")], on_token=seen.append)
    assert fake.calls == 2
    assert "".join(seen) == "\nThree days [1]." == result.text
    assert result.prompt_tokens == 7 and result.completion_tokens == 3 and len(result.token_logprobs) == 3


@pytest.mark.unit
def test_persistent_garbage_raises_after_retries(tmp_path: Path) -> None:
    gen, fake = _scripted(tmp_path, [["\ufffd\ufffd", "\ufffd"]], llm_retries=2)
    with pytest.raises(LLMUnavailableError, match=r"unreadable output.*tried 3 times"):
        gen.generate([("user", "q")])
    assert fake.calls == 3


@pytest.mark.unit
def test_error_after_streaming_is_not_retried(tmp_path: Path) -> None:
    boom = llm_mod._BackendError("The language model server at x failed: reset.")
    gen, fake = _scripted(tmp_path, [["Half an", boom]])
    seen: list[str] = []
    with pytest.raises(LLMUnavailableError, match="reset"):
        gen.generate([("user", "q")], on_token=seen.append)
    assert fake.calls == 1 and seen == ["Half an"]  # a retry would have streamed "Half an" twice


@pytest.mark.unit
def test_timeout_after_streaming_returns_the_partial_answer(tmp_path: Path) -> None:
    gen, _ = _scripted(tmp_path, [["Half", " an", llm_mod._Timeout("slow")]])
    result = gen.generate([("user", "q")])
    assert (result.text, result.finish_reason, result.completion_tokens) == ("Half an", "timeout", 2)


@pytest.mark.unit
def test_bad_messages_are_a_programming_error(tmp_path: Path) -> None:
    gen, _ = _scripted(tmp_path, [["ok"]])
    with pytest.raises(ValueError, match="role"):
        gen.generate([("robot", "q")])


@pytest.mark.unit
def test_make_generator_extractive_and_openai_settings(tmp_path: Path) -> None:
    assert make_generator(_settings(tmp_path, llm_backend="extractive")) is None
    with pytest.raises(LLMUnavailableError, match="DOCQA_OPENAI_BASE_URL"):
        make_generator(_settings(tmp_path, llm_backend="openai"))


# --------------------------------------------------------------------------------------------
# The OpenAI-compatible backend against a fake server on 127.0.0.1


@dataclass
class FakeOpenAIServer:
    """A real HTTP server in a thread that speaks just enough of /v1/chat/completions.

    ``behaviours`` is consumed one per request: "ok", "500", "401", "hang", "garbage",
    "no-usage", "reject-optional" (400 if stream_options/logprobs are sent, else ok),
    "error-event" (an ``{"error": ...}`` event after the first word).
    """

    behaviours: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    words: tuple[str, ...] = ("Three", " days", " per", " week", " [1].")
    release: threading.Event = field(default_factory=threading.Event)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeOpenAIServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                behaviour = fake.behaviours.pop(0) if fake.behaviours else "ok"
                if self.path != "/v1/chat/completions":
                    return self._json(404, {"error": {"message": "not found"}})
                if behaviour == "500":
                    return self._json(500, {"error": {"message": "overloaded"}})
                if behaviour == "401":
                    return self._json(401, {"error": {"message": "invalid api key"}})
                if behaviour == "reject-optional" and ("stream_options" in body or "logprobs" in body):
                    return self._json(400, {"error": {"message": "unknown field stream_options"}})
                if behaviour == "hang":
                    fake.release.wait(10)
                    return None
                words = ["\ufffd\ufffd", "\ufffd"] if behaviour == "garbage" else list(fake.words)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i, word in enumerate(words):
                    choice: dict[str, Any] = {"index": 0, "delta": {"content": word}, "finish_reason": None}
                    if body.get("logprobs"):
                        choice["logprobs"] = {"content": [{"token": word, "logprob": -0.05 * (i + 1)}]}
                    self._event({"object": "chat.completion.chunk", "choices": [choice]})
                    if behaviour == "error-event":
                        self._event({"error": {"message": "model crashed", "type": "server_error"}})
                        return None
                    time.sleep(0.01)
                self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                if behaviour != "no-usage" and body.get("stream_options", {}).get("include_usage"):
                    usage = {
                        "prompt_tokens": 42,
                        "completion_tokens": len(words),
                        "total_tokens": 42 + len(words),
                    }
                    self._event({"choices": [], "usage": usage})
                self.wfile.write(b"data: [DONE]\n\n")
                return None

            def _event(self, payload: dict[str, Any]) -> None:
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer().start()
    yield server
    server.stop()


def _openai_generator(tmp_path: Path, base_url: str, **overrides: Any) -> Generator:
    values: dict[str, Any] = {
        "llm_backend": "openai",
        "openai_base_url": base_url,
        "openai_model": "any-model-name:7b",
        "openai_api_key": "sk-test",
        "llm_timeout_s": 5.0,
    }
    values.update(overrides)
    gen = make_generator(_settings(tmp_path, **values))
    assert gen is not None
    gen.backoff_s = 0.01
    return gen


MESSAGES = [("system", "Answer from the sources."), ("user", "How many days? [1] Three days per week.")]


@pytest.mark.unit
def test_openai_streams_tokens_and_counts_usage(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    gen = _openai_generator(tmp_path, fake_openai.base_url)
    seen: list[str] = []
    result = gen.generate(MESSAGES, on_token=seen.append, max_tokens=50, stop=["\n\n"])
    assert seen == list(fake_openai.words)
    assert result.text == "Three days per week [1]."
    assert (result.backend, result.model) == ("openai", "any-model-name:7b")
    assert (result.prompt_tokens, result.completion_tokens) == (42, 5)
    assert result.token_logprobs == pytest.approx([-0.05, -0.1, -0.15, -0.2, -0.25])
    assert 0 < result.ttft_s <= result.total_s and result.finish_reason == "stop"
    sent = fake_openai.requests[0]
    assert sent["model"] == "any-model-name:7b" and sent["stream"] is True and sent["max_tokens"] == 50
    assert sent["messages"][0] == {"role": "system", "content": "Answer from the sources."}
    assert sent["stop"] == ["\n\n"] and sent["stream_options"] == {"include_usage": True}
    assert fake_openai.headers[0]["Authorization"] == "Bearer sk-test"
    gen.close()


@pytest.mark.unit
def test_openai_500_then_200_is_retried(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.behaviours = ["500", "ok"]
    gen = _openai_generator(tmp_path, fake_openai.base_url)
    result = gen.generate(MESSAGES)
    assert result.text == "Three days per week [1]." and len(fake_openai.requests) == 2


@pytest.mark.unit
def test_openai_500_every_time_gives_up_with_a_readable_message(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.behaviours = ["500"] * 5
    gen = _openai_generator(tmp_path, fake_openai.base_url, llm_retries=2)
    with pytest.raises(LLMUnavailableError, match=r"HTTP 500 .*overloaded.*tried 3 times"):
        gen.generate(MESSAGES)
    assert len(fake_openai.requests) == 3


@pytest.mark.unit
def test_openai_401_is_not_retried(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.behaviours = ["401"]
    gen = _openai_generator(tmp_path, fake_openai.base_url)
    with pytest.raises(LLMUnavailableError, match="HTTP 401"):
        gen.generate(MESSAGES)
    assert len(fake_openai.requests) == 1


@pytest.mark.unit
def test_openai_hanging_server_hits_the_timeout_once(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.behaviours = ["hang", "hang"]
    gen = _openai_generator(tmp_path, fake_openai.base_url, llm_timeout_s=0.5, llm_retries=2)
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError, match=r"did not answer within 0.5 s") as err:
        gen.generate(MESSAGES)
    # a server too slow for one attempt is not asked again: the fallback comes after one timeout
    assert "tried" not in str(err.value) and len(fake_openai.requests) == 1
    assert time.monotonic() - started < 2.0


@pytest.mark.unit
def test_failed_backend_is_skipped_during_the_cooldown(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.behaviours = ["hang", "ok", "ok"]
    gen = _openai_generator(tmp_path, fake_openai.base_url, llm_timeout_s=0.5, llm_cooldown_s=2.0)
    with pytest.raises(LLMUnavailableError, match="did not answer"):
        gen.generate(MESSAGES)
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError, match=r"did not answer within 0.5 s.*not asked again"):
        gen.generate(MESSAGES)  # the next user is not made to wait for the timeout again
    assert time.monotonic() - started < 0.5 and len(fake_openai.requests) == 1
    time.sleep(2.1)
    assert gen.generate(MESSAGES).text == "Three days per week [1]."  # asked again after the cooldown
    assert len(fake_openai.requests) == 2


@pytest.mark.unit
def test_unreadable_answer_does_not_open_the_breaker(tmp_path: Path) -> None:
    gen, fake = _scripted(tmp_path, [["\ufffd"], ["\ufffd"], ["Three days [1]."]], llm_retries=1)
    with pytest.raises(LLMUnavailableError, match="unreadable"):
        gen.generate([("user", "q")])
    assert gen.generate([("user", "q")]).text == "Three days [1]." and fake.calls == 3


@pytest.mark.unit
def test_openai_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gen = _openai_generator(tmp_path, f"http://127.0.0.1:{port}/v1", llm_retries=1)
    with pytest.raises(LLMUnavailableError) as err:
        gen.generate(MESSAGES)
    message = str(err.value)
    assert f"127.0.0.1:{port}" in message and "cannot be reached (connection refused)" in message
    assert "tried 2 times" in message


@pytest.mark.unit
def test_openai_server_without_optional_fields(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.behaviours = ["reject-optional", "reject-optional"]
    gen = _openai_generator(tmp_path, fake_openai.base_url)
    result = gen.generate(MESSAGES)
    assert result.text == "Three days per week [1]." and result.token_logprobs == []
    assert "stream_options" not in fake_openai.requests[-1]
    # no usage from the server: estimated prompt tokens, completion tokens = streamed chunks
    assert result.prompt_tokens > 0 and result.completion_tokens == 5


@pytest.mark.unit
def test_openai_without_a_key_sends_no_authorization(
    tmp_path: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the SDK would read these; a server without auth must not receive the user's OpenAI key
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-secret")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-secret")
    gen = _openai_generator(tmp_path, fake_openai.base_url, openai_api_key=None)
    assert gen.generate(MESSAGES).text == "Three days per week [1]."
    sent = {name.lower(): value for name, value in fake_openai.headers[0].items()}
    assert "authorization" not in sent and "openai-organization" not in sent
    assert "secret" not in json.dumps(sent)
    gen.close()


@pytest.mark.unit
def test_openai_error_event_in_the_stream(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.behaviours = ["error-event"]
    gen = _openai_generator(tmp_path, fake_openai.base_url)
    with pytest.raises(LLMUnavailableError, match=r"reported an error: .*model crashed"):
        gen.generate(MESSAGES)


@pytest.mark.unit
def test_openai_garbage_is_retried_then_reported(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.behaviours = ["garbage", "ok"]
    gen = _openai_generator(tmp_path, fake_openai.base_url)
    assert gen.generate(MESSAGES).text == "Three days per week [1]."
    fake_openai.behaviours = ["garbage"] * 3
    with pytest.raises(LLMUnavailableError, match="unreadable output"):
        gen.generate(MESSAGES)


@pytest.mark.unit
def test_openai_llm_is_a_llama_index_llm(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.llms import LLM

    gen = _openai_generator(tmp_path, fake_openai.base_url)
    assert isinstance(gen.llm, LLM)
    assert gen.llm.metadata.is_chat_model and gen.llm.metadata.model_name == "any-model-name:7b"
    completion = gen.llm.complete("How many days?")
    assert completion.text == "Three days per week [1]."
    assert completion.raw["usage"]["prompt_tokens"] == 42
    assert fake_openai.requests[-1]["messages"] == [{"role": "user", "content": "How many days?"}]
    chat = gen.llm.chat([ChatMessage(role="system", content="s"), ChatMessage(role="user", content="q")])
    assert chat.message.content == "Three days per week [1]."
    deltas = [r.delta for r in gen.llm.stream_chat([ChatMessage(role="user", content="q")])]
    assert "".join(d or "" for d in deltas) == "Three days per week [1]."


# --------------------------------------------------------------------------------------------
# The real local model (llama.cpp, Qwen2.5-Coder-1.5B GGUF from the PyPI parts)


@pytest.fixture(scope="module")
def local_generator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generator]:
    state = tmp_path_factory.mktemp("llm")
    settings = _settings(state, llm_timeout_s=120.0, llm_threads=2, llm_context_tokens=4096)
    started = time.monotonic()
    gen = make_generator(settings)  # joins + verifies the 1.1 GB GGUF into the temp dir, loads it
    assert gen is not None
    print(f"\n[local llm] join + verify + load: {time.monotonic() - started:.1f} s", file=sys.stderr)
    yield gen
    gen.close()
    shutil.rmtree(settings.llm_models_dir, ignore_errors=True)  # 1.1 GB: don't leave it in pytest's tmp


@pytest.mark.integration
@pytest.mark.slow
def test_local_model_replies_with_counts_timings_and_logprobs(local_generator: Generator) -> None:
    seen: list[str] = []
    result = local_generator.generate(
        [("system", "You are terse."), ("user", "Reply with the word OK")], on_token=seen.append
    )
    print(f"\n[local llm] {result}", file=sys.stderr)
    assert "OK" in result.text.upper() and "".join(seen) == result.text
    assert (result.backend, result.model) == ("local", "qwen2.5-coder-1.5b")
    assert result.prompt_tokens > 10 and result.completion_tokens > 0
    assert 0 < result.ttft_s <= result.total_s
    assert len(result.token_logprobs) == result.completion_tokens
    assert all(lp <= 1e-6 for lp in result.token_logprobs)
    assert result.finish_reason == "stop"


CITATION_SYSTEM = (
    "Answer the question using only the numbered sources. End every sentence with the number of its "
    "source in brackets, e.g. [1]. If the sources do not contain the answer, reply exactly: "
    "I couldn't find this in the documents you can access."
)
SOURCES = (
    "[1] Remote work policy 2025, page 2: Employees may work from home up to three days per week. "
    "Core hours are 10:00-15:00.\n"
    "[2] Expense policy, page 4: Meals during business travel are reimbursed up to 45 EUR per day "
    "with receipts."
)


@pytest.mark.integration
@pytest.mark.slow
def test_local_model_cites_sources_and_refuses(local_generator: Generator) -> None:
    def ask(question: str) -> str:
        user = f"Sources:\n{SOURCES}\n\nQuestion: {question}"
        return local_generator.generate([("system", CITATION_SYSTEM), ("user", user)], max_tokens=60).text

    days = ask("How many days per week can I work from home?")
    assert "[1]" in days and ("3" in days or "three" in days.lower())
    meals = ask("What is the daily meal limit on business trips?")
    assert "[2]" in meals and "45" in meals
    assert "couldn't find" in ask("What is the CEO's salary?")


@pytest.mark.integration
@pytest.mark.slow
def test_local_prefix_cache_speeds_up_the_second_question(local_generator: Generator) -> None:
    runbook = (Path(__file__).resolve().parents[2] / "data/docs/engineering/on-call-runbook.md").read_text()
    context = " ".join(runbook.split()[:450])
    system = "Answer from the source in one short sentence."

    def ask(question: str) -> Generation:
        user = f"Source [1]:\n{context}\n\nQuestion: {question}"
        return local_generator.generate([("system", system), ("user", user)], max_tokens=24)

    cold = ask("Who is paged first?")
    warm = ask("What should be done after an incident?")
    print(
        f"\n[local llm] prompt {cold.prompt_tokens} tokens: TTFT cold {cold.ttft_s:.2f} s, "
        f"same prefix {warm.ttft_s:.2f} s; {warm.tokens_per_s:.1f} tokens/s",
        file=sys.stderr,
    )
    assert cold.prompt_tokens > 500
    assert warm.ttft_s < cold.ttft_s / 3


@pytest.mark.integration
@pytest.mark.slow
def test_local_stop_length_and_timeout(local_generator: Generator) -> None:
    count = [("user", "Count from 1 to 50, separated by commas.")]
    short = local_generator.generate(count, max_tokens=4)
    assert short.finish_reason == "length" and short.completion_tokens == 4
    stopped = local_generator.generate(count, stop=[", 5,"])
    assert (
        stopped.finish_reason == "stop" and stopped.text.rstrip().endswith("4") and ", 5" not in stopped.text
    )

    # A deadline inside prompt evaluation aborts llama.cpp itself, not only between tokens.
    impatient = Generator(
        local_generator.settings.model_copy(update={"llm_timeout_s": 0.3, "llm_retries": 0}),
        local_generator.llm,
        backend="local",
        model="qwen2.5-coder-1.5b",
    )
    long_prompt = [("user", "Summarise: " + "the quick brown fox jumps over the lazy dog " * 120)]
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="did not finish within 0.3 s"):
        impatient.generate(long_prompt)
    assert time.monotonic() - started < 2.5
    # ...and the model is fine afterwards.
    assert "OK" in local_generator.generate([("user", "Reply with the word OK")]).text.upper()

    # A caller whose on_token fails (e.g. the client went away) gets its error, and the model is free.
    def gone(_text: str) -> None:
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        local_generator.generate(count, on_token=gone)
    assert not local_generator.llm._lock.locked()


@pytest.mark.integration
@pytest.mark.slow
def test_local_llm_works_through_llama_index(local_generator: Generator) -> None:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.llms import LLM

    assert isinstance(local_generator.llm, LLM)
    completion = local_generator.llm.complete("Reply with the word OK")
    assert "OK" in completion.text.upper() and completion.raw["usage"]["completion_tokens"] > 0
    deltas = [
        r.delta or "" for r in local_generator.llm.stream_chat([ChatMessage(role="user", content="Say hi")])
    ]
    assert "".join(deltas).strip()
