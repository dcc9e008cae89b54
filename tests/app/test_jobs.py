"""Receiving an admin upload (app/uploads.py MultipartUpload): any chunking, straight to disk, limits."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.jobs import MultipartUpload, UploadError, UploadLimits, UploadTooLarge

LIMITS = UploadLimits(max_files=3, max_bytes=10_000, max_file_bytes=5_000)


def multipart(fields: dict[str, object], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body as httpx encodes it (fields first), and its content type."""
    request = httpx.Request("POST", "http://engine/uploads", data=fields, files=[("files", f) for f in files])
    return request.read(), request.headers["content-type"]


def receive(
    body: bytes, content_type: str, staging: Path, step: int, seen: list[str | None]
) -> MultipartUpload:
    def authorize(user: str | None) -> str:
        seen.append(user)
        if user != "ada":
            raise PermissionError(user)
        return user

    form = MultipartUpload(content_type, staging, LIMITS, authorize)
    try:
        for i in range(0, len(body), step):
            form.feed(body[i : i + step])
        form.finish()
    finally:
        form.close()
    return form


@pytest.mark.parametrize("step", [1, 7, 4096])
def test_files_go_to_disk_whatever_the_chunks(tmp_path: Path, step: int) -> None:
    files = [("a.txt", b"alpha\r\n--not-a-boundary\r\n" * 20), ("sub/b.pdf", bytes(range(256)))]
    body, content_type = multipart({"user": "ada", "set": "s", "groups": ["hr", "it"]}, files)
    seen: list[str | None] = []
    form = receive(body, content_type, tmp_path, step, seen)
    assert seen == ["ada"] and form.user == "ada"
    assert form.field("set") == "s" and form.fields["groups"] == ["hr", "it"]
    assert [(name, path.read_bytes()) for name, path in form.files] == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0000-a.txt", "0001-sub__b.pdf"]


def test_limits_and_the_user_are_checked_as_the_body_arrives(tmp_path: Path) -> None:
    seen: list[str | None] = []
    body, content_type = multipart({"user": "bob", "set": "s"}, [("a.txt", b"x" * 100)])
    with pytest.raises(PermissionError):
        receive(body, content_type, tmp_path, 64, seen)
    assert seen == ["bob"] and list(tmp_path.iterdir()) == []  # refused before the file began

    big, big_type = multipart({"user": "ada"}, [("a.txt", b"x" * 6_000), ("b.txt", b"y" * 6_000)])
    with pytest.raises(UploadTooLarge, match="larger than the .* MB allowed per upload"):
        receive(big, big_type, tmp_path, 1024, seen)
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= LIMITS.max_bytes  # never past the limit
    with pytest.raises(UploadError, match="ended early"):
        receive(big[: len(big) // 3], big_type, tmp_path, 4096, seen)

    many, many_type = multipart({"user": "ada"}, [(f"{i}.txt", b"x") for i in range(4)])
    with pytest.raises(UploadError, match="4 files, more than the 3 allowed"):
        receive(many, many_type, tmp_path, 4096, seen)
    with pytest.raises(UploadError, match="multipart/form-data"):
        MultipartUpload("application/json", tmp_path, LIMITS, str)


def test_staging_folders_a_killed_engine_left_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    import os
    import time

    from app.jobs import staging_dir, sweep_staging

    assert sweep_staging(tmp_path) == 0  # nothing was ever uploaded
    incoming = tmp_path / "uploads" / ".incoming"
    with staging_dir(tmp_path) as live:
        (live / "0000-a.txt").write_text("still arriving")
        dead = incoming / "tmp-left-by-a-crash"
        dead.mkdir()
        (dead / "0000-b.txt").write_text("half an upload")
        os.utime(dead, (time.time() - 7200, time.time() - 7200))
        assert sweep_staging(tmp_path) == 1
        assert live.is_dir() and not dead.exists()
    assert list(incoming.iterdir()) == []
