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
def embedder():
    from app.embeddings import Embedder

    return Embedder()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for key in list(os.environ):
        if key.startswith("DOCQA_"):
            monkeypatch.delenv(key)
    from app.settings import Settings

    return Settings(data_dir=tmp_path / "state", ingest_workers=0)


@pytest.fixture
def svc(settings, embedder) -> Iterator:
    from app.services import Services

    services = Services(settings, embedder=embedder)
    yield services
    services.close()


@contextmanager
def serving(services) -> Iterator[str]:
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


def service_headers(app) -> dict[str, str]:
    """The Authorization header with the engine app's service token: TestClient(app, headers=...)."""
    return {"Authorization": f"Bearer {app.state.service_token}"}


def engine_token(settings) -> str:
    """The service token a running engine (``serving``) wrote to <data_dir>/engine.json."""
    from app.client import read_engine_file

    return read_engine_file(settings)["token"]


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


# -- a throwaway PostgreSQL server for the database tests ------------------------------------------
class PostgresServer:
    """A private PostgreSQL cluster (initdb into a temp dir, unix socket only, no TCP port)."""

    def __init__(self, bindir: Path, root: Path, as_postgres: bool) -> None:
        self.bindir, self.root, self.as_postgres = bindir, root, as_postgres
        self.data, self.socket_dir, self.port = root / "data", root, 5432
        self._count = 0

    def run(self, tool: str, *args: str) -> None:
        import subprocess

        cmd = [str(self.bindir / tool), *args]
        if self.as_postgres:  # initdb and postgres refuse to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=self.root)
        if done.returncode:
            log = self.root / "server.log"
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
                + (log.read_text() if log.exists() else "")
            )

    @property
    def _client(self) -> list[str]:
        return ["-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres"]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def start(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale")
        opts = f"-k {self.socket_dir} -p {self.port} -c listen_addresses='' -c fsync=off"
        log = str(self.root / "server.log")
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-o", opts, "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        self._count += 1
        name = f"docqa_test_{self._count}"
        self.run("createdb", *self._client, name)
        return name

    def drop_database(self, name: str) -> None:
        self.run("dropdb", *self._client, "--force", name)


def _postgres_bindir() -> Path | None:
    import shutil

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this test session. It must run (CI included); only
    DOCQA_TEST_POSTGRES=0 skips the tests that need it."""
    import shutil
    import tempfile

    if os.environ.get("DOCQA_TEST_POSTGRES") == "0":
        pytest.skip("DOCQA_TEST_POSTGRES=0: PostgreSQL tests skipped")
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: run scripts/setup.sh or "
            "`apt-get install postgresql` (or set DOCQA_TEST_POSTGRES=0 to skip these tests)"
        )
    as_postgres = os.getuid() == 0
    root = Path(tempfile.mkdtemp(prefix="docqa-pg-"))  # not under pytest's root-only tmp dir
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
    server = PostgresServer(bindir, root, as_postgres)
    try:
        server.start()
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty PostgreSQL database (dropped after the test)."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)
