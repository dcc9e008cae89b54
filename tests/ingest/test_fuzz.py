"""Fuzzing the partition + chunk entry point (ingest/worker.py ``prepare_file``, what every ingest
worker runs) with random and mutated files: whatever the bytes, no exception escapes, the file gets a
status and, unless it was indexed, a human-readable reason, and nothing hangs.

A hang guard (SIGALRM, ``FILE_TIMEOUT_S``) turns a file that never finishes into a test failure; it
is the same budget the pipeline gives a file (``settings.file_timeout_s``), not a speed requirement.
Seed files are copied from ../shared/data/messy into tmp at test time and mutated there.
"""

from __future__ import annotations

import random
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.worker import Prepared, WorkerOptions, prepare_file

MESSY = Path(__file__).parents[2].parent / "shared" / "data" / "messy"
FILE_TIMEOUT_S = 60.0  # per file; generous because the machine may be busy (OCR of a mangled PDF page)
EXTENSIONS = [
    ".pdf", ".docx", ".docm", ".doc", ".pptx", ".ppt", ".xlsx", ".xlsm", ".xls", ".csv", ".tsv", ".txt",
    ".md", ".html", ".htm", ".eml", ".msg", ".epub", ".rtf", ".odt", ".png", ".jpg", ".tiff", ".zip", "",
]  # fmt: skip
MAGIC = [
    b"%PDF-1.7\n",
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
    b"II*\x00",
    b"{\\rtf1\\ansi ",
    b"From: a@example.com\nTo: b@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=b\n\n",
    b"<!DOCTYPE html><html><body><table><tr><td>",
    b"\xff\xfe",  # UTF-16 BOM
    b"a;b;c\n1;2;3\n",
]
SEEDS = [
    "office/docx-hdrftr.docx",
    "office/fake-power-point-table.pptx",
    "office/stanley-cups.xlsx",
    "office/legacy_sample.xls",
    "office/csv-comma.csv",
    "email/family-day.eml",
    "email/fake-email-attachment.msg",
    "web/fake-html-cp1252.html",
    "web/wiki.md",
    "pdf/2023-06-20-PV.pdf",
]
OPTS = WorkerOptions(ocr_dpi=150)
FUZZ = settings(
    deadline=None,
    database=None,  # leave no .hypothesis folder behind; a failure prints its reproducing example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

needs_data = pytest.mark.skipif(not MESSY.is_dir(), reason=f"shared test data not found at {MESSY}")
pytestmark = [pytest.mark.integration, pytest.mark.slow]


class _Hang(BaseException):  # BaseException: partition_file's "never raise" net must not swallow it
    pass


@contextmanager
def hang_guard(seconds: float = FILE_TIMEOUT_S) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise _Hang

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def prepare(path: Path) -> Prepared:
    """prepare_file on ``path``, failing the test on an escaped exception or a hang."""
    try:
        with hang_guard():
            return prepare_file(str(path), OPTS)
    except _Hang:
        pytest.fail(
            f"{path.name} ({path.stat().st_size} bytes) still partitioning after {FILE_TIMEOUT_S:g} s"
        )


def assert_reported(prep: Prepared) -> None:
    assert prep.status in ("ok", "empty", "failed", "unsupported")
    if prep.status == "ok":
        assert prep.chunks and all(c.text.strip() for c in prep.chunks)
    else:
        assert prep.reason.strip(), f"status {prep.status} without a reason"
        assert not prep.chunks


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    if not MESSY.is_dir():
        pytest.skip(f"shared test data not found at {MESSY}")
    folder = tmp_path_factory.mktemp("seeds")
    out = {}
    for rel in SEEDS:
        copy = folder / Path(rel).name
        shutil.copyfile(MESSY / rel, copy)
        out[copy.name] = copy.read_bytes()
    return out


def mutate(data: bytes, ops: list[tuple[str, int, int, bytes]]) -> bytes:
    """Apply (op, position, length, bytes) mutations: flip, truncate, insert, zero, duplicate."""
    buf = bytearray(data)
    for op, pos, length, extra in ops:
        if not buf:
            break
        i = pos % len(buf)
        if op == "flip":
            for k in range(i, min(len(buf), i + length)):
                buf[k] ^= 0xFF if not extra else extra[0] or 1
        elif op == "truncate":
            del buf[i:]
        elif op == "insert":
            buf[i:i] = extra
        elif op == "zero":
            buf[i : i + length] = bytes(min(length, len(buf) - i))
        elif op == "duplicate":
            buf[i:i] = buf[i : i + length]
    return bytes(buf)


MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "truncate", "insert", "zero", "duplicate"]),
        st.integers(0, 1 << 20),
        st.integers(1, 64),
        st.binary(max_size=64),
    ),
    min_size=1,
    max_size=6,
)


@settings(FUZZ, max_examples=100)
@given(ext=st.sampled_from(EXTENSIONS), data=st.binary(max_size=4096))
def test_random_bytes_under_any_extension_get_a_status(
    tmp_path_factory: pytest.TempPathFactory, ext: str, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("rnd") / f"file{ext}"
    path.write_bytes(data)
    assert_reported(prepare(path))


@settings(FUZZ, max_examples=80)
@given(
    magic=st.sampled_from(MAGIC),
    body=st.one_of(st.binary(max_size=4096), st.text(max_size=2000).map(lambda t: t.encode("utf-8"))),
    ext=st.sampled_from(EXTENSIONS),
)
def test_files_that_start_like_a_known_type_but_are_garbage_get_a_status(
    tmp_path_factory: pytest.TempPathFactory, magic: bytes, body: bytes, ext: str
) -> None:
    path = tmp_path_factory.mktemp("magic") / f"file{ext}"
    path.write_bytes(magic + body)
    assert_reported(prepare(path))


@needs_data
@settings(FUZZ, max_examples=90)
@given(name=st.sampled_from([Path(s).name for s in SEEDS]), ops=MUTATIONS)
def test_mutated_real_files_get_a_status(tmp_path_factory, seeds: dict[str, bytes], name: str, ops) -> None:
    path = tmp_path_factory.mktemp("mut") / name
    path.write_bytes(mutate(seeds[name], ops))
    assert_reported(prepare(path))


@needs_data
def test_the_pipeline_reports_every_mangled_file_and_keeps_going(seeds, settings, embedder, tmp_path) -> None:
    """The real ingest path (worker process, per-file timeout) on a folder of mangled copies plus
    one good file: every file has a status and a reason, and the good one is indexed."""
    from app.services import Services

    rnd = random.Random(7)
    folder = tmp_path / "mangled"
    folder.mkdir()
    for name, data in seeds.items():
        cut = data[: rnd.randrange(1, len(data))]
        flipped = bytearray(data)
        for _ in range(8):
            flipped[rnd.randrange(len(flipped))] ^= 0xFF
        (folder / f"cut-{name}").write_bytes(cut)
        (folder / f"flip-{name}").write_bytes(bytes(flipped))
    (folder / "random.docx").write_bytes(rnd.randbytes(3000))
    (folder / "good.md").write_text("# Canteen\n\nThe canteen opens at 11:30.\n")
    settings.ingest_workers, settings.file_timeout_s, settings.ocr_dpi = 1, FILE_TIMEOUT_S, 150
    svc = Services(settings, embedder=embedder)
    try:
        report = svc.ingestor.ingest([folder], set_name="fuzz", groups=["everyone"])
    finally:
        svc.close()
    by_name = {Path(f.path).name: f for f in report.files}
    assert len(by_name) == 2 * len(seeds) + 2
    assert by_name["good.md"].status == "indexed"
    assert by_name["random.docx"].status in ("unsupported", "failed") and by_name["random.docx"].reason
    for name, f in by_name.items():
        assert f.status in ("indexed", "empty", "failed", "unsupported"), name
        assert f.status == "indexed" or f.reason, f"{name}: {f.status} without a reason"
