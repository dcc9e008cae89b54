from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

for _key, _value in {
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def embedder():  # noqa: ANN201 - the real MiniLM model, loaded once per test session
    from app.embeddings import Embedder

    return Embedder()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    for key in list(os.environ):
        if key.startswith("DOCQA_"):
            monkeypatch.delenv(key)
    from app.settings import Settings

    return Settings(data_dir=tmp_path / "state", ingest_workers=0)


@pytest.fixture
def svc(settings, embedder) -> Iterator:  # noqa: ANN001
    from app.services import Services

    services = Services(settings, embedder=embedder)
    yield services
    services.close()


@contextmanager
def serving(services) -> Iterator[str]:  # noqa: ANN001 - app.services.Services
    """`docqa serve` over ``services`` in a background thread on a free port; yields its URL."""
    import threading
    import time

    from app.server import bind, make_server

    sock = bind("127.0.0.1", 0)
    server = make_server(services, sock, log_level="warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the engine did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)


def write_docs(root: Path, files: dict[str, str], acl: str | None = None) -> Path:
    """Write a small corpus (relative path -> text) and its acl.yaml under ``root``."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    if acl:
        (root / "acl.yaml").write_text(acl)
    return root


def acl_per_file(corpus: dict[str, tuple[str, str]]) -> str:
    """An acl.yaml giving each file of ``corpus`` (path -> (group, text)) its one group."""
    return "rules:\n" + "".join(f'  - match: "{rel}"\n    groups: [{g}]\n' for rel, (g, _) in corpus.items())
