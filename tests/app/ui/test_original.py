"""GET /documents/{doc_id}/original: the kept original, only for users whose groups may read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.client import EngineError, InProcessEngine, _filename
from app.server import create_app
from tests.app.ui.conftest import write_corpus
from tests.conftest import service_headers

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(svc, tmp_path: Path):
    report = svc.ingestor.ingest([write_corpus(tmp_path / "docs")], set_name="t")
    assert all(f.status == "indexed" for f in report.files), report.files
    svc.db.upsert_user("hanna", "!", ["everyone", "hr"], ["employee"])
    svc.db.upsert_user("eve", "!", ["everyone"], ["employee"])
    return svc


def doc_id(svc, name: str) -> str:
    return next(d.doc_id for d in svc.db.list_documents() if d.path.endswith(name))


def test_original_is_served_only_to_readers(engine) -> None:
    pdf = doc_id(engine, "salary-bands.pdf")
    app = create_app(engine)
    with TestClient(app, headers=service_headers(app)) as client:
        ok = client.get(f"/documents/{pdf}/original", params={"user": "hanna"})
        assert ok.status_code == 200, ok.text
        assert ok.headers["content-type"] == "application/pdf"
        assert ok.content.startswith(b"%PDF")
        assert _filename(ok.headers["content-disposition"]) == "salary-bands.pdf"
        assert ok.headers["content-disposition"].startswith("inline")
        refused = client.get(f"/documents/{pdf}/original", params={"user": "eve"})
        assert refused.status_code == 403 and "may not read" in refused.json()["detail"]
        assert b"%PDF" not in refused.content
        assert client.get("/documents/nope/original", params={"user": "hanna"}).status_code == 404
        assert client.get(f"/documents/{pdf}/original", params={"user": "nobody"}).status_code == 404
        public = client.get(f"/documents/{doc_id(engine, 'leave.txt')}/original", params={"user": "eve"})
        assert public.status_code == 200 and b"30 vacation days" in public.content

    local = InProcessEngine(engine)
    assert local.original(pdf, "hanna")["content"].startswith(b"%PDF")
    with pytest.raises(EngineError) as refused_locally:
        local.original(pdf, "eve")
    assert refused_locally.value.status == 403


def test_engine_client_downloads_the_original_over_http(engine) -> None:
    from app.client import EngineClient
    from tests.conftest import engine_token, serving

    pdf = doc_id(engine, "salary-bands.pdf")
    with serving(engine) as url, EngineClient(url, token=engine_token(engine.settings)) as client:
        got = client.original(pdf, "hanna")
        assert got["filename"] == "salary-bands.pdf" and got["media_type"] == "application/pdf"
        assert got["content"].startswith(b"%PDF") and got["version"] == 1
        with pytest.raises(EngineError) as refused:
            client.original(pdf, "eve")
        assert refused.value.status == 403
