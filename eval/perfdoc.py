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


# -- SVG line chart (matplotlib) ----------------------------------------------------------------------
def _label(v: float, _pos: object = None) -> str:
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
) -> str:
    """An SVG line chart drawn by matplotlib: one line with markers per series (points in order of
    x), axes from 0, ticks as 10k / 1M."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    if not any(y is not None for s in series.values() for _, y in s):
        raise ValueError("nothing to plot")
    fig, ax = plt.subplots(figsize=(5.6, 3.2), dpi=100)
    for i, (name, points) in enumerate(series.items()):
        shown = sorted((x, y) for x, y in points if y is not None)
        if shown:
            xs, ys = [x for x, _ in shown], [y for _, y in shown]
            ax.plot(xs, ys, marker="o", markersize=3, label=name, gid=f"series-{i}")
    if log_x:
        ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(_label))
    ax.set_ylim(bottom=0)
    ax.set(title=title, xlabel=x_label, ylabel=y_label)
    ax.grid(axis="y", color="#ddd")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    out = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):  # text stays text (searchable, smaller)
        fig.savefig(out, format="svg", metadata={"Date": None})  # no timestamp: changes only with the data
    plt.close(fig)
    return out.getvalue()


# -- Markdown ------------------------------------------------------------------------------------------
def _cell(v: Any) -> str:
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
