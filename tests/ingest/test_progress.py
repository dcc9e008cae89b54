"""The per-stage progress line the CLI and the admin page show (ingest/progress.py)."""

from __future__ import annotations

import pytest

from ingest.progress import InFlight


@pytest.mark.unit
def test_the_progress_line_counts_files_per_stage_and_names_the_page_being_ocred() -> None:
    flight = InFlight()
    assert flight.summary() == ""
    flight.update("/docs/a.pdf", "parse")
    flight.update("/docs/scan.pdf", "parse")
    flight.update("/docs/scan.pdf", "ocr page 14")
    flight.update("/docs/b.docx", "embed")
    flight.update("/docs/c.txt", "embed")
    assert flight.summary() == "parse 1 · ocr 1 (scan.pdf, page 14) · embed 2"
    flight.done("/docs/b.docx")
    flight.done("/docs/c.txt")
    flight.update("/docs/a.pdf", "write")
    assert flight.summary() == "ocr 1 (scan.pdf, page 14) · write 1"
