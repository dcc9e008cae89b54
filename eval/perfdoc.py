"""docs/performance.md, regenerated from the numbers `docqa bench … --record` saved.

Every benchmark command with ``--record`` writes its JSON result to ``docs/perf/<name>.json`` together
with the date, the command line and the machine (cores, CPU model, memory). ``docqa bench doc`` turns
the recorded files into docs/performance.md: one section per benchmark with its tables, and SVG plots
of retrieval latency and ingestion time against corpus size (drawn here, no plotting library). The
rendering is pure (``render``), so it is tested on hand-made records.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
PERF_DIR = ROOT / "docs" / "perf"
DOC = ROOT / "docs" / "performance.md"


def machine() -> dict[str, Any]:
    """Cores, CPU model and memory of this machine (what a number was measured on)."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": mem_gib, "python": platform.python_version()}


def record(name: str, result: Mapping[str, Any], *, directory: Path = PERF_DIR, note: str = "") -> Path:
    """Save ``result`` as ``directory/<name>.json`` with date, command line and machine."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    entry = {
        "name": name,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "docqa " + " ".join(sys.argv[1:]) if sys.argv else "",
        "machine": machine(),
        "note": note,
        "settings": settings_overrides(),
        "result": result,
    }
    path.write_text(json.dumps(entry, indent=2) + "\n", encoding="utf-8")
    return path


def settings_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The DOCQA_* settings the benchmark ran with (secrets, URLs and paths left out): a result
    measured with, say, the answer cache off must say so."""
    env = os.environ if environ is None else environ
    hidden = ("TOKEN", "KEY", "PASSWORD", "SECRET", "URL", "_DIR")
    return {
        k: v for k, v in sorted(env.items()) if k.startswith("DOCQA_") and not any(h in k for h in hidden)
    }


def load_records(directory: Path = PERF_DIR) -> dict[str, dict[str, Any]]:
    """The recorded benchmark files by name (unreadable files are skipped)."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return out


# -- SVG line chart ------------------------------------------------------------------------------------
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _ticks(lo: float, hi: float, log: bool) -> list[float]:
    import math

    if log:
        a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        return [10.0**e for e in range(a, b + 1)]
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 2)]


def _label(v: float) -> str:
    if v >= 1_000_000 and v % 1_000_000 == 0:
        return f"{v / 1_000_000:g}M"
    if v >= 1000 and v % 1000 == 0:
        return f"{v / 1000:g}k"
    return f"{v:g}"


def svg_line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    log_x: bool = False,
    width: int = 560,
    height: int = 320,
) -> str:
    """A self-contained SVG line chart, one polyline with markers per series, axes with ticks."""
    import math

    pts = [(x, y) for s in series.values() for x, y in s if y is not None]
    if not pts:
        raise ValueError("nothing to plot")
    left, right, top, bottom = 64, 150, 34, 46
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x_lo, x_hi = min(xs), max(xs)
    x_ticks = _ticks(x_lo, x_hi, log_x)
    y_ticks = _ticks(0.0, max(ys) * 1.05 or 1.0, False)
    if log_x:
        x_lo, x_hi = x_ticks[0], x_ticks[-1]
    else:
        x_lo, x_hi = min(x_lo, x_ticks[0]), max(x_hi, x_ticks[-1])
    y_hi = y_ticks[-1]
    pw, ph = width - left - right, height - top - bottom

    def fx(x: float) -> float:
        if log_x:
            span = math.log10(x_hi) - math.log10(x_lo) or 1.0
            return left + pw * (math.log10(x) - math.log10(x_lo)) / span
        return left + pw * (x - x_lo) / ((x_hi - x_lo) or 1.0)

    def fy(y: float) -> float:
        return top + ph * (1 - y / (y_hi or 1.0))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="black"/>',
    ]
    for t in x_ticks:
        x = fx(t)
        out.append(f'<line x1="{x:.1f}" y1="{top + ph}" x2="{x:.1f}" y2="{top + ph + 4}" stroke="black"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">{_label(t)}</text>')
    for t in y_ticks:
        y = fy(t)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_label(round(t, 6))}</text>')
    out.append(
        f'<text x="{left + pw / 2:.1f}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>'
    )
    out.append(
        f'<text x="14" y="{top + ph / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + ph / 2:.1f})">{escape(y_label)}</text>'
    )
    for i, (name, s) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        coords = [(fx(x), fy(y)) for x, y in sorted(s) if y is not None]
        if not coords:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(
            f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>'
        )
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in coords]
        ly = top + 14 * i + 6
        out.append(f'<rect x="{left + pw + 12}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{left + pw + 26}" y="{ly + 1}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# -- Markdown ------------------------------------------------------------------------------------------
def _cell(v: Any) -> str:  # noqa: ANN401
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, Mapping):
        return ", ".join(f"{k} {_cell(x)}" for k, x in v.items())
    return str(v).replace("|", "\\|").replace("\n", " ")


def md_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A Markdown table of ``rows`` (columns: the given ones, else every key in first-seen order)."""
    if not rows:
        return "_(no rows)_\n"
    cols = list(columns or dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_cell(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _provenance(entry: Mapping[str, Any]) -> str:
    m = entry.get("machine") or {}
    text = (
        f"_Recorded {entry.get('date', '?')} by `{entry.get('command', '?')}` on {m.get('cores', '?')} "
        f"cores ({m.get('cpu') or 'unknown CPU'}), {m.get('memory_gib', '?')} GiB._"
    )
    if settings := entry.get("settings"):
        text += " Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()) + "."
    return text + (f" {entry['note']}" if entry.get("note") else "") + "\n"


QUERY_COLUMNS = ("chunks", "filtered", "mode", "p50_ms", "p95_ms", "recall_at_10", "index", "build_s")


def query_growth(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """p50 latency growth from the smallest to the largest synthetic corpus, per (filtered, mode)."""
    out = []
    synthetic = [r for r in rows if r.get("recall_at_10") is not None]
    for filtered in (True, False):
        for mode in ("dense", "hybrid"):
            rs = sorted((r for r in synthetic if r["filtered"] == filtered and r["mode"] == mode),
                        key=lambda r: r["chunks"])  # fmt: skip
            if len(rs) > 1 and rs[0]["p50_ms"]:
                out.append({
                    "filtered": filtered, "mode": mode, "from_chunks": rs[0]["chunks"],
                    "to_chunks": rs[-1]["chunks"], "p50_from_ms": rs[0]["p50_ms"],
                    "p50_to_ms": rs[-1]["p50_ms"], "growth": round(rs[-1]["p50_ms"] / rs[0]["p50_ms"], 2),
                })  # fmt: skip
    return out


def render(records: Mapping[str, Mapping[str, Any]]) -> tuple[str, dict[str, str]]:
    """(docs/performance.md text, {svg file name: svg text}) from the recorded benchmark files."""
    md = [
        "# Performance\n",
        "Generated by `docqa bench doc` from the JSON files `docqa bench … --record` wrote to "
        "`docs/perf/`; do not edit by hand. Each section says when, by which command and on which "
        "machine its numbers were measured. Speed targets are checked here, never by timed tests.\n",
    ]
    svgs: dict[str, str] = {}
    if "scale" in records:
        entry = records["scale"]
        rows = entry["result"]["rows"]
        md += ["## Ingestion time vs corpus size\n", _provenance(entry)]
        md.append(md_table(rows, ["documents", "chunks", "tokens", "seconds", "docs_per_s",
                                  "tokens_per_s", "pipeline_vs_raw_encode", "embed_backend"]))  # fmt: skip
        series: dict[str, list[tuple[float, float]]] = {}
        for r in rows:
            series.setdefault(f"ingest ({r.get('embed_backend', '?')})", []).append(
                (r["documents"], r["seconds"])
            )
        svgs["ingest-scale.svg"] = svg_line_chart(
            series, title="Ingestion time vs corpus size (SciFact abstracts)",
            x_label="documents", y_label="seconds",
        )  # fmt: skip
        md.append("\n![ingestion time vs corpus size](perf/ingest-scale.svg)\n")
    for name in sorted(k for k in records if k.startswith("ingest-")):
        entry = records[name]
        r = entry["result"]
        md += [f"## Ingestion of `{r.get('path', name)}`\n", _provenance(entry)]
        keys = ("files", "indexed", "pages", "ocr_pages", "chunks", "tokens", "seconds", "files_per_s",
                "pages_per_s", "chunks_per_s", "raw_encode_tokens_per_s",
                "pipeline_vs_raw_encode")  # fmt: skip
        md.append(md_table([{"measure": k, "value": r.get(k)} for k in keys if k in r]))
        if r.get("stage_seconds"):
            md.append("\nTime per stage (s): " + _cell(r["stage_seconds"]) + "\n")
    if "query" in records:
        entry = records["query"]
        res = entry["result"]
        md += ["## Filtered retrieval latency\n", _provenance(entry)]
        md.append(md_table(res.get("retrieval", []), QUERY_COLUMNS))
        growth = query_growth(res.get("retrieval", []))
        if growth:
            md += ["\nLatency growth, smallest to largest synthetic corpus:\n\n", md_table(growth)]
        series = {}
        for r in res.get("retrieval", []):
            if r.get("recall_at_10") is None:
                continue
            key = f"{r['mode']}, {'filtered' if r['filtered'] else 'unfiltered'}"
            series.setdefault(key, []).append((r["chunks"], r["p50_ms"]))
        if series:
            svgs["query-latency.svg"] = svg_line_chart(
                series, title="Top-10 search latency p50 vs corpus size", x_label="chunks (log scale)",
                y_label="ms", log_x=True,
            )  # fmt: skip
            md.append("\n![search latency vs corpus size](perf/query-latency.svg)\n")
        if res.get("answer"):
            md += ["\n### Answer latency\n\n"]
            md.append(md_table([{"backend": b} | v for b, v in res["answer"].items()]))
        for note in res.get("notes", []):
            md.append(f"\n- {note}")
        md.append("\n")
    if "answers" in records:  # `bench query --sizes ""`: answer latency alone, on the data/ golden set
        entry = records["answers"]
        res = entry["result"]
        md += ["## Answer latency on the data/ golden set\n", _provenance(entry)]
        md.append(md_table([{"backend": b} | v for b, v in res.get("answer", {}).items()]))
        for note in res.get("notes", []):
            md.append(f"\n- {note}")
        md.append("\n")
    known = {"scale", "query", "answers"}
    for name in sorted(k for k in records if k not in known and not k.startswith("ingest-")):
        entry = records[name]
        md += [f"## `{name}`\n", _provenance(entry)]
        res = entry["result"]
        tables = {k: v for k, v in res.items() if isinstance(v, list) and v and isinstance(v[0], Mapping)}
        for key, rows in tables.items():
            md += [f"\n{key}:\n\n", md_table(rows)]
        scalars = {k: v for k, v in res.items() if not isinstance(v, list | dict)}
        if scalars:
            md.append("\n" + md_table([{"measure": k, "value": v} for k, v in scalars.items()]))
    return "\n".join(md), svgs


def write_doc(directory: Path = PERF_DIR, doc: Path = DOC) -> tuple[Path, list[Path]]:
    """Regenerate ``doc`` and the SVG plots beside the records; returns (doc, plot paths)."""
    records = load_records(directory)
    if not records:
        raise ValueError(f"no recorded benchmarks in {directory}: run e.g. `docqa bench query --record`")
    text, svgs = render(records)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")
    plots = []
    for name, svg in svgs.items():
        (directory / name).write_text(svg, encoding="utf-8")
        plots.append(directory / name)
    return doc, plots
