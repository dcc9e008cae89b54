"""The query benchmark at a tiny size: the JSON has the promised shape and sane numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings
from eval.bench import bench_query

DOCS = {
    "remote-work.md": "# Remote work\n\nEmployees may work from home up to three days per week.\n",
    "vacation.md": "# Vacation\n\nEvery employee gets 28 vacation days per year.\n",
}


@pytest.mark.integration
def test_bench_query_tiny(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "acl.yaml").write_text("default: [everyone]\nignore: [acl.yaml]\n")
    for name, text in DOCS.items():
        (docs / name).write_text(text)
    settings = Settings(data_dir=tmp_path / "state", llm_backend="extractive")
    result = bench_query(
        settings,
        data_path=docs,
        sizes=[2000],
        llm=False,
        pool=300,
        queries=12,
        data_questions=4,
        extractive_questions=2,
    )
    rows = result["retrieval"]
    assert len(rows) == 1 + 4  # the data/ row; dense/hybrid x filtered/unfiltered at 2,000
    for r in rows:
        assert {"chunks", "filtered", "mode", "p50_ms", "p95_ms", "recall_at_10"} <= set(r)
        assert r["mode"] in ("dense", "hybrid")
        assert 0 < r["p50_ms"] <= r["p95_ms"]
        assert r["recall_at_10"] is None or 0.0 <= r["recall_at_10"] <= 1.0
    assert rows[0]["chunks"] >= 2 and rows[0]["filtered"]
    synthetic = rows[1:]
    assert all(r["chunks"] == 2000 for r in synthetic)
    assert {(r["filtered"], r["mode"]) for r in synthetic} == {
        (f, m) for f in (True, False) for m in ("dense", "hybrid")
    }
    filtered_dense = next(r for r in synthetic if r["filtered"] and r["mode"] == "dense")
    assert filtered_dense["recall_at_10"] >= 0.9
    ext = result["answer"]["extractive"]
    assert set(ext) >= {"p50_ms", "p95_ms", "ttft_p50_ms"}
    assert 0 < ext["p50_ms"] <= ext["p95_ms"]
    assert "local" not in result["answer"]


@pytest.mark.integration
@pytest.mark.slow
def test_bench_scale_ingests_growing_scifact_subsets(tmp_path: Path) -> None:
    from eval.bench import SCIFACT, bench_scale

    if not SCIFACT.is_file():
        pytest.fail(f"{SCIFACT} is missing: ../shared/data must be present")
    result = bench_scale(Settings(data_dir=tmp_path / "state"), [4, 2])
    small, large = result["rows"]  # smallest first, whatever the order asked
    assert (small["documents"], large["documents"]) == (2, 4)
    assert small["indexed"] == 2 and large["indexed"] == 4  # every abstract indexed, none skipped
    assert 0 < small["chunks"] < large["chunks"] and small["tokens"] < large["tokens"]
    assert small["seconds"] > 0 and large["docs_per_s"] > 0 and large["embed_backend"] in ("fp32", "int8")
