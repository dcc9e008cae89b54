"""Uploads of the admin web UI (POST /uploads): limits, receiving a multipart body, saving the files.

Limits come from the settings (DOCQA_UPLOAD_MAX_FILES, DOCQA_UPLOAD_MAX_MB, DOCQA_MAX_FILE_MB).
Files are received and unzipped into <data_dir>/uploads/.incoming/<random>/ (set names never start
with "."), on the same file system as the sets, and renamed into <data_dir>/uploads/<set>/ only
once the whole upload passed its checks: a refused upload leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from app.settings import Settings
    from ingest.partition import FileKind

SET_NAME = re.compile(r"^[\w][\w .-]{0,99}$")
MB = 1024 * 1024
CHUNK = 1024 * 1024  # bytes copied at a time (zip members)
SNIFF_BYTES = 65536  # as much as the pipeline reads to sniff a file's type
MULTIPART_OVERHEAD = MB  # room for part headers and form fields on top of the files' bytes
MAX_FIELDS, MAX_FIELD_BYTES = 1000, 4096  # form fields (user, set, groups) of one upload
_INCOMING = ".incoming"


class UploadError(ValueError):
    """An upload refused as a whole (unsafe name, zip-slip, damaged zip, too many files); says why.
    ``status`` is the HTTP status the engine answers with."""

    status = 400


class UploadTooLarge(UploadError):
    """More bytes than an upload may hold: received, or a zip's members uncompressed (a zip bomb)."""

    status = 413


@dataclass(frozen=True)
class UploadLimits:
    max_files: int  # files per upload, zip members included
    max_bytes: int  # all files of an upload, zip members counted uncompressed
    max_file_bytes: int  # one file; larger ones are rejected (the pipeline would report too-large)

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        return cls(
            max_files=settings.upload_max_files,
            max_bytes=int(settings.upload_max_mb * MB),
            max_file_bytes=int(settings.max_file_mb * MB),
        )

    @property
    def max_request_bytes(self) -> int:
        """The largest multipart request body worth reading."""
        return self.max_bytes + MULTIPART_OVERHEAD

    def too_many(self, count: int) -> UploadError:
        return UploadError(
            f"{count} files, more than the {self.max_files} allowed per upload (DOCQA_UPLOAD_MAX_FILES)"
        )

    def too_large(self, what: str) -> UploadTooLarge:
        return UploadTooLarge(
            f"{what} is larger than the {self.max_bytes / MB:g} MB allowed per upload (DOCQA_UPLOAD_MAX_MB)"
        )


@dataclass(frozen=True)
class Rejected:
    """A file of an upload that was not saved: its name, a pipeline status and why."""

    path: str  # as uploaded; a zip member as <zip>/<member>
    status: str  # unsupported | too-large
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "status": self.status, "reason": self.reason}


@dataclass
class SavedUpload:
    files: list[Path]  # saved under <data_dir>/uploads/<set>/
    rejected: list[Rejected]


def upload_dir(data_dir: Path, set_name: str) -> Path:
    """<data_dir>/uploads/<set>: where an uploaded set is kept (and re-ingested from)."""
    if not SET_NAME.match(set_name) or ".." in set_name:
        raise UploadError(
            f"set name {set_name!r} is not allowed: letters, digits, space, '.', '-', '_' (at most 100)"
        )
    return data_dir / "uploads" / set_name


def safe_name(name: str) -> str:
    """A flat, safe file name for an uploaded file or zip member ("a/b.txt" -> "a__b.txt").
    Absolute paths, drive letters and ".." components are refused (zip-slip)."""
    raw = name.replace("\\", "/")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw) or ".." in parts or not parts:
        raise UploadError(f"unsafe file name {name!r}: absolute paths and '..' are not allowed")
    flat = "__".join(parts)
    if any(ord(c) < 32 for c in flat) or len(flat) > 200:
        raise UploadError(f"unsafe file name {name!r}")
    return flat


@contextmanager
def staging_dir(data_dir: Path) -> Iterator[Path]:
    """A new folder under <data_dir>/uploads/.incoming/, removed with whatever is left in it."""
    root = data_dir / "uploads" / _INCOMING
    root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_staging(data_dir: Path, older_than_s: float = 3600.0) -> int:
    """Remove staging folders that a killed engine left under <data_dir>/uploads/.incoming/ (a
    finished or refused upload removes its own). Only folders untouched for ``older_than_s``: an
    upload still arriving in another process keeps creating files in its folder. Returns how many."""
    root = data_dir / "uploads" / _INCOMING
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    for path in root.iterdir():
        try:
            stale = path.is_dir() and path.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


class MultipartUpload:
    """Receives a multipart/form-data upload chunk by chunk (``feed``, then ``finish``): the fields
    ``user``, ``set`` and ``groups`` (repeated), and file parts, which go straight to numbered files
    in ``staging`` (never into memory). Refuses as soon as a limit is crossed: UploadTooLarge past
    the byte limit, UploadError for a malformed body, too many files or an unsafe file name.

    ``authorize`` gets the ``user`` field's value (None without one) before the first file byte is
    kept, and returns the acting user or raises; so the user field must come before the files.
    ``close`` closes a file still being written (the caller removes ``staging``)."""

    def __init__(
        self,
        content_type: str,
        staging: Path,
        limits: UploadLimits,
        authorize: Callable[[str | None], str],
    ) -> None:
        from python_multipart import MultipartParser
        from python_multipart.multipart import parse_options_header

        kind, options = parse_options_header(content_type)
        if kind != b"multipart/form-data" or not options.get(b"boundary"):
            raise UploadError("send the upload as multipart/form-data")
        self.staging, self.limits, self._authorize = staging, limits, authorize
        self.user: str | None = None  # the acting user, once authorized
        self.fields: dict[str, list[str]] = {}
        self.files: list[tuple[str, Path]] = []  # (name as uploaded, received file)
        self._user_field: str | None = None
        self._received = 0  # request bytes
        self._file_bytes = 0
        self._header_name, self._header_value, self._disposition = b"", b"", b""
        self._field: bytearray | None = None
        self._field_name = ""
        self._file: BinaryIO | None = None
        self._ended = False
        self._parser = MultipartParser(
            options[b"boundary"],
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        from python_multipart.exceptions import FormParserError

        self._received += len(chunk)
        if self._received > self.limits.max_request_bytes:
            raise self.limits.too_large("the upload")
        try:
            self._parser.write(chunk)
        except FormParserError:
            raise UploadError("the upload is not valid multipart/form-data") from None

    def finish(self) -> str:
        """After the last chunk: the acting user (``authorize`` is asked now if no file came)."""
        if not self._ended:
            raise UploadError("the upload ended early (an incomplete multipart/form-data body)")
        if self.user is None:
            self.user = self._authorize(self._user_field)
        return self.user

    def field(self, name: str) -> str | None:
        """The last value given for a form field."""
        values = self.fields.get(name)
        return values[-1] if values else None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    # -- parser callbacks --------------------------------------------------------------------------
    def _on_part_begin(self) -> None:
        self._disposition, self._field, self._field_name = b"", None, ""

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def _on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._disposition)
        if b"filename" not in options:
            if sum(map(len, self.fields.values())) >= MAX_FIELDS:
                raise UploadError(f"more than {MAX_FIELDS} form fields")
            self._field_name, self._field = _decode(options.get(b"name", b"")), bytearray()
            return
        if self.user is None:
            self.user = self._authorize(self._user_field)
        if len(self.files) >= self.limits.max_files:
            raise self.limits.too_many(len(self.files) + 1)
        name = _decode(options[b"filename"]) or "unnamed"
        path = self.staging / f"{len(self.files):04d}-{safe_name(name)}"
        self._file = path.open("wb")
        self.files.append((name, path))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file_bytes += end - start
            if self._file_bytes > self.limits.max_bytes:
                raise self.limits.too_large("the upload")
            self._file.write(data[start:end])
        elif self._field is not None:
            self._field += data[start:end]
            if len(self._field) > MAX_FIELD_BYTES:
                name, limit = self._field_name, MAX_FIELD_BYTES
                raise UploadError(f"the form field {name!r} is longer than {limit} bytes")

    def _on_part_end(self) -> None:
        if self._file is not None:
            self.close()
        elif self._field is not None:
            value = _decode(bytes(self._field))
            self.fields.setdefault(self._field_name, []).append(value)
            if self._field_name == "user":
                self._user_field = value

    def _on_end(self) -> None:
        self._ended = True


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def save_upload(settings: Settings, set_name: str, files: Sequence[tuple[str, bytes | Path]]) -> SavedUpload:
    """Save uploaded files, given as (name, bytes) or (name, a file received under
    <data_dir>/uploads/.incoming/, which is moved), under <data_dir>/uploads/<set>/: zips extracted
    with zip-slip and zip-bomb guards, every file's type sniffed from its content. Files of a type
    the pipeline cannot read, or larger than DOCQA_MAX_FILE_MB, are rejected one by one (reported,
    not saved). Raises UploadError (UploadTooLarge) and writes nothing when a check of the whole
    upload fails, or when no file is left to save."""
    limits = UploadLimits.of(settings)
    target = upload_dir(settings.data_dir, set_name)
    if not files:
        raise UploadError("no files uploaded")
    if len(files) > limits.max_files:
        raise limits.too_many(len(files))
    with staging_dir(settings.data_dir) as work:
        batch = _Batch(work, limits)
        for name, content in files:
            if isinstance(content, bytes):
                path = batch.staged_path(safe_name(name))
                path.write_bytes(content)
                content = path
            batch.add(name, content)
        return batch.save(target)


class _Batch:
    """The files of one upload being checked in a work folder: counted, sized, sniffed, unzipped."""

    def __init__(self, work: Path, limits: UploadLimits) -> None:
        self.work, self.limits = work, limits
        self.count = 0  # files, zip members included
        self.bytes = 0  # zip members counted uncompressed
        self.accepted: list[tuple[str, Path]] = []  # (saved name, staged file)
        self.rejected: list[Rejected] = []
        self._staged = 0

    def staged_path(self, flat: str) -> Path:
        self._staged += 1
        return self.work / f"{self._staged:04d}-{flat}"

    def add(self, name: str, path: Path) -> None:
        flat = safe_name(name)
        kind = _sniff(name, path, self.limits)
        if kind.family == "binary" and kind.file_type == "zip":  # a plain zip, not a .docx or an .epub
            self._unzip(name, path)
            return
        if kind.family == "corrupt" and name.lower().endswith(".zip"):
            raise UploadError(f"{name}: not a readable zip file ({kind.problem})")
        self._count(1)
        size = path.stat().st_size
        self._charge(size, "the upload")
        self._keep(name, flat, path, kind, size)

    def save(self, target: Path) -> SavedUpload:
        if not self.accepted:
            why = "; ".join(f"{r.path}: {r.reason}" for r in self.rejected[:5])
            more = f" (and {len(self.rejected) - 5} more)" if len(self.rejected) > 5 else ""
            raise UploadError(f"no file to ingest: {why or 'the upload holds none'}{more}")
        names = [flat for flat, _ in self.accepted]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise UploadError(f"the same file name twice in one upload: {', '.join(dupes)}")
        dests = [target / flat for flat in names]
        for dest in dests:
            if dest.resolve().parent != target.resolve():  # belt and braces
                raise UploadError(f"unsafe file name {dest.name!r}")
        target.mkdir(parents=True, exist_ok=True)
        for (_, staged), dest in zip(self.accepted, dests, strict=True):
            os.replace(staged, dest)
        return SavedUpload(dests, list(self.rejected))

    def _count(self, n: int) -> None:
        self.count += n
        if self.count > self.limits.max_files:
            raise self.limits.too_many(self.count)

    def _charge(self, size: int, what: str) -> None:
        self.bytes += size
        if self.bytes > self.limits.max_bytes:
            raise self.limits.too_large(what)

    def _keep(self, name: str, flat: str, path: Path, kind: FileKind, size: int) -> None:
        from ingest.partition import can_read

        if not can_read(kind):
            what = kind.mime or kind.file_type
            self.rejected.append(Rejected(name, "unsupported", f"unsupported file type: {what}"))
        elif size > self.limits.max_file_bytes:
            self._too_large(name, size)
        else:
            self.accepted.append((flat, path))

    def _too_large(self, name: str, size: int) -> None:
        limit = self.limits.max_file_bytes / MB
        reason = f"{size / MB:.1f} MB, larger than the {limit:g} MB file limit (DOCQA_MAX_FILE_MB)"
        self.rejected.append(Rejected(name, "too-large", reason))

    def _unzip(self, name: str, path: Path) -> None:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, ValueError) as exc:
            raise UploadError(f"{name}: not a readable zip file ({exc})") from None
        with archive:
            members = [
                i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")
            ]
            flats = []
            for info in members:  # check every member before extracting any
                try:
                    flats.append(safe_name(info.filename))
                except UploadError as exc:
                    raise UploadError(f"{name}: refused, {exc}") from None
            self._count(len(members))
            self._charge(sum(i.file_size for i in members), f"the upload, with {name} uncompressed,")
            for info, flat in zip(members, flats, strict=True):
                shown = f"{name}/{info.filename}"
                if info.flag_bits & 0x1:
                    self.rejected.append(Rejected(shown, "unsupported", "encrypted in the zip (password)"))
                    continue
                if info.file_size > self.limits.max_file_bytes:  # not even extracted
                    self._too_large(shown, info.file_size)
                    continue
                member = self.staged_path(flat)
                _extract(archive, info, member, name)
                self._keep(shown, flat, member, _sniff(shown, member, self.limits), info.file_size)


def _sniff(name: str, path: Path, limits: UploadLimits) -> FileKind:
    """The pipeline's content sniffing; ZIP containers (.docx, .zip, ...) are first checked for a zip
    bomb, since sniffing reads some of their members."""
    from ingest.partition import detect_file_type

    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(i.file_size for i in archive.infolist())
        except Exception:
            unpacked = 0
        if unpacked > limits.max_bytes:
            raise limits.too_large(f"{name} ({unpacked / MB:.0f} MB uncompressed)")
    return detect_file_type(path, head)


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, name: str) -> None:
    """Copy one member to ``dest`` in chunks; zipfile stops at its declared size and checks the CRC,
    so a damaged or lying member raises UploadError naming the zip and the member."""
    try:
        with archive.open(info) as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out, CHUNK)
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno is not None:  # this machine's disk, not the zip
            raise
        detail = str(exc)[:200] or type(exc).__name__
        problem = f"{name}: {info.filename} cannot be extracted, the zip is damaged ({detail})"
        raise UploadError(problem) from None
