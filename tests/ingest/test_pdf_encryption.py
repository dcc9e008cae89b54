"""Encrypted PDFs: a PDF that opens without a password is read like any other, whatever the
algorithm; only one that asks for a password to open is reported as "password-protected"."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.partition import partition_file
from tests.conftest import SHARED_DATA

PROTECTED = SHARED_DATA / "messy" / "protected"
FILINGS = SHARED_DATA / "financebench-dev" / "pdfs"

pytestmark = pytest.mark.integration


def make_pdf(path: Path, pages: list[str]) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for text in pages:
        c.drawString(72, 760, text)
        c.showPage()
    c.save()
    return path


def encrypted_copy(source: Path, target: Path, user: str, owner: str | None, algorithm: str) -> Path:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=str(source))
    # "no changes" allowed, print and copy allowed: what the public 10-Ks set
    writer.encrypt(user_password=user, owner_password=owner, algorithm=algorithm, permissions_flag=-1 & ~8)
    with target.open("wb") as fh:
        writer.write(fh)
    return target


PAGES = [
    "Net sales grew to 386,064 million dollars in fiscal 2021.",
    "Operating income was 22,899 million dollars in fiscal 2021.",
]


@pytest.mark.parametrize("algorithm", ["RC4-40", "RC4-128", "AES-128", "AES-256"])
@pytest.mark.parametrize("owner", ["owner-secret", None], ids=["owner-password", "empty-passwords"])
def test_a_pdf_that_opens_without_a_password_is_read(
    tmp_path: Path, algorithm: str, owner: str | None
) -> None:
    """owner=None: the owner password is empty too, as in the 10-Ks (pypdf then reports OWNER_PASSWORD)."""
    plain = make_pdf(tmp_path / "plain.pdf", PAGES)
    pdf = encrypted_copy(plain, tmp_path / "locked.pdf", "", owner, algorithm)
    result = partition_file(pdf)
    assert result.status == "ok", result.reason
    assert result.pages == 2
    text = {e.page: e.text for e in result.elements}
    assert "386,064 million" in text[1] and "22,899 million" in text[2]


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
@pytest.mark.parametrize("owner", ["owner-secret", ""], ids=["owner-password", "empty-owner-password"])
def test_a_pdf_that_asks_for_a_password_is_reported(tmp_path: Path, algorithm: str, owner: str) -> None:
    """With a user password set, "" matching the owner password does not make the file public."""
    plain = make_pdf(tmp_path / "plain.pdf", PAGES)
    pdf = encrypted_copy(plain, tmp_path / "locked.pdf", "user-secret", owner, algorithm)
    result = partition_file(pdf)
    assert (result.status, result.reason) == ("failed", "password-protected")
    assert not result.elements


def test_the_shared_protected_files_keep_their_status() -> None:
    locked = partition_file(PROTECTED / "r6-user-password.pdf")  # AES-256, user password, owner ""
    assert (locked.status, locked.reason) == ("failed", "password-protected")
    opened = partition_file(PROTECTED / "r4-owner-password.pdf")  # owner password only
    assert opened.status == "ok" and "pdf encryption test" in opened.elements[0].text


def test_an_encrypted_pdf_with_sideways_pages_is_turned_upright(tmp_path: Path) -> None:
    """The upright copy of an encrypted PDF is made from its decrypted pages (it used to be skipped)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    plain = tmp_path / "sideways.pdf"
    c = canvas.Canvas(str(plain), pagesize=A4)
    c.translate(300, 100)
    c.rotate(90)  # every line runs bottom to top
    lines = ["Quarterly revenue by region", "Europe grew by 12 percent", "Asia by 9 percent"]
    for i, line in enumerate(lines):
        c.drawString(0, -20 * i, line)
    c.showPage()
    c.save()
    pdf = encrypted_copy(plain, tmp_path / "locked.pdf", "", "owner-secret", "AES-128")
    result = partition_file(pdf)
    assert result.status == "ok", result.reason
    text = " ".join(e.text for e in result.elements)
    assert "Europe grew by 12 percent" in text and "Quarterly revenue by region" in text


def test_an_encrypted_scan_is_ocred(tmp_path: Path) -> None:
    """pdftoppm rasterises an encrypted scan that opens without a password."""
    scan = SHARED_DATA / "messy" / "scanned" / "ocr_test.pdf"
    pdf = encrypted_copy(scan, tmp_path / "locked-scan.pdf", "", "owner-secret", "AES-256")
    result = partition_file(pdf)
    assert result.status == "ok" and result.ocr_pages == 1
    assert "Docling bundles PDF document conversion" in " ".join(e.text for e in result.elements)


@pytest.mark.slow
def test_owner_password_10k_filings_are_ingested(svc) -> None:
    """Public 10-Ks encrypted with RC4 and empty passwords ("Encrypted: yes (print:yes copy:yes
    change:no …)") are indexed page by page from their text layer (no OCR), each chunk citing its page."""
    names = ["AMAZON_2019_10K.pdf", "COSTCO_2021_10K.pdf"]
    report = svc.ingestor.ingest([FILINGS / n for n in names], set_name="fb", groups=["finance"])
    files = {f.path: f for f in report.files}
    assert set(files) == set(names)
    for name in names:
        f = files[name]
        assert f.status == "indexed", (name, f.reason)
        assert f.pages >= 70 and f.ocr_pages == 0 and f.chunks >= 100
        payloads = [p for _, p in svc.store.iter_payloads(doc_id=f.doc_id)]
        pages = {p["page_start"] for p in payloads}
        assert len(pages) >= 0.9 * f.pages  # text on (nearly) every page
        assert all(p["location"].startswith("p") for p in payloads)
        assert any("Net sales" in p["text"] for p in payloads)
    # Costco's ruled tables come out as tables (Amazon's financial statements have no ruling lines,
    # which pdfplumber's table finder needs: they are indexed as text)
    costco = [p for _, p in svc.store.iter_payloads(doc_id=files["COSTCO_2021_10K.pdf"].doc_id)]
    assert sum(p["kind"] == "table" for p in costco) >= 20
