"""docs/performance.md from recorded benchmark results: tables, latency growth and SVG plots."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from eval.perfdoc import load_records, md_table, query_growth, record, render, svg_line_chart, write_doc

pytestmark = pytest.mark.unit
SVG = "{http://www.w3.org/2000/svg}"


def query_rows() -> list[dict]:
    rows = [{"chunks": 26, "filtered": True, "mode": "hybrid", "p50_ms": 4.0, "p95_ms": 6.0,
             "recall_at_10": None, "index": "exact"}]  # fmt: skip
    for chunks, ms in ((10_000, 2.0), (100_000, 5.0), (1_000_000, 30.0)):
        for filtered in (True, False):
            for mode in ("dense", "hybrid"):
                p50 = ms * (2 if mode == "hybrid" else 1) * (1 if filtered else 3)
                rows.append({"chunks": chunks, "filtered": filtered, "mode": mode, "p50_ms": p50,
                             "p95_ms": p50 * 1.5, "recall_at_10": 1.0, "index": "exact"})  # fmt: skip
    return rows


def entry(name: str, result: dict) -> dict:
    return {"name": name, "date": "2026-11-22 23:00 UTC", "command": f"docqa bench {name} --record",
            "machine": {"cores": 2, "cpu": "Test CPU", "memory_gib": 24.0}, "note": "",
            "result": result}  # fmt: skip


def test_growth_is_largest_over_smallest_synthetic_corpus() -> None:
    growth = {(g["filtered"], g["mode"]): g for g in query_growth(query_rows())}
    assert set(growth) == {(True, "dense"), (True, "hybrid"), (False, "dense"), (False, "hybrid")}
    g = growth[(True, "hybrid")]
    assert (g["from_chunks"], g["to_chunks"], g["growth"]) == (10_000, 1_000_000, 15.0)
    assert query_growth(query_rows()[:5]) == []  # one synthetic size: no growth to report


def test_svg_chart_has_one_line_per_series_in_order_of_x() -> None:
    svg = svg_line_chart(
        {"a": [(10_000, 2.0), (1_000_000, 30.0), (100_000, 5.0)], "b": [(10_000, 4.0)]},
        title="latency <p50>", x_label="chunks", y_label="ms", log_x=True,
    )  # fmt: skip
    root = ET.fromstring(svg)  # well-formed XML, title escaped
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("series-")}
    assert sorted(groups) == ["series-0", "series-1"]
    line = next(groups["series-0"].iter(f"{SVG}path")).get("d")
    coords = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", line)]
    xs, ys = coords[0::2], coords[1::2]
    assert xs == sorted(xs) and len(xs) == 3
    assert ys[0] > ys[1] > ys[2]  # larger latency is drawn higher (smaller y)
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1], abs=0.5)  # log scale: decades equally wide
    texts = "".join(root.itertext())
    assert "latency <p50>" in texts and "10k" in texts and "1M" in texts
    with pytest.raises(ValueError):
        svg_line_chart({"empty": []}, title="t", x_label="x", y_label="y")


def test_render_has_sections_tables_and_plots() -> None:
    scale = {"rows": [{"documents": n, "chunks": 2 * n, "tokens": 400 * n, "seconds": n / 20,
                       "docs_per_s": 20.0, "tokens_per_s": 8000.0, "pipeline_vs_raw_encode": 0.9,
                       "embed_backend": "int8"} for n in (250, 500)]}  # fmt: skip
    records = {
        "scale": entry("scale", scale),
        "query": entry("query", {"retrieval": query_rows(), "answer": {"extractive": {"p50_ms": 300.0}},
                                 "notes": ["local LLM not measured: --no-llm"]}),
        "crash": entry("crash", {"trials": 20, "consistent_after_rerun": 20,
                                 "rows": [{"trial": 1, "ok": True}]}),
        "answers": entry("answers", {"retrieval": [], "notes": [], "answer": {
            "local": {"p50_ms": 9000.0, "p95_ms": 15000.0, "ttft_p50_ms": 3100.0, "questions": 18}}}),
    }  # fmt: skip
    md, svgs = render(records)
    assert set(svgs) == {"ingest-scale.svg", "query-latency.svg"}
    assert "![search latency vs corpus size](perf/query-latency.svg)" in md
    assert "## Ingestion time vs corpus size" in md and "## Filtered retrieval latency" in md
    assert "| 1,000,000 | yes | hybrid | 60.000 |" not in md  # numbers >= 10 are shown with one decimal
    assert "| 1,000,000 | yes | hybrid | 60.0 |" in md
    assert "Latency growth" in md and "| 15.0 |" in md
    assert "local LLM not measured" in md
    assert "## `crash`" in md and "| trials | 20 |" in md  # a benchmark without its own section
    assert "## Answer latency on the data/ golden set" in md and "| local | 9,000.0 | 15,000.0 |" in md
    assert "## `answers`" not in md
    assert "2 cores (Test CPU)" in md


def test_record_then_write_doc(tmp_path: Path) -> None:
    perf, doc = tmp_path / "perf", tmp_path / "performance.md"
    with pytest.raises(ValueError, match="no recorded benchmarks"):
        write_doc(perf, doc)
    path = record("query", {"retrieval": query_rows(), "answer": {}, "notes": []}, directory=perf)
    saved = json.loads(path.read_text())
    assert saved["machine"]["cores"] >= 1 and saved["result"]["retrieval"][1]["chunks"] == 10_000
    assert set(load_records(perf)) == {"query"}
    written, plots = write_doc(perf, doc)
    assert written == doc and "Filtered retrieval latency" in doc.read_text()
    assert [p.name for p in plots] == ["query-latency.svg"] and "<svg" in plots[0].read_text()[:400]


def test_md_table_escapes_pipes_and_fills_gaps() -> None:
    table = md_table([{"a": "x|y", "b": 1}, {"a": None}])
    assert "x\\|y" in table and "| – | – |" in table


def test_recorded_settings_are_shown_without_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCQA_ANSWER_CACHE", "false")
    monkeypatch.setenv("DOCQA_ENGINE_TOKEN", "s3cret")
    monkeypatch.setenv("DOCQA_DATA_DIR", "/somewhere")
    path = record("load-local", {"requests": 3}, directory=tmp_path)
    assert json.loads(path.read_text())["settings"] == {"DOCQA_ANSWER_CACHE": "false"}
    md, _ = render(load_records(tmp_path))
    assert "Settings: `DOCQA_ANSWER_CACHE=false`." in md and "s3cret" not in md
