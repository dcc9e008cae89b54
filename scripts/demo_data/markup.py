"""Markdown and HTML (intranet page) renderings of a block document."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from .company import COMPANY, MUNICH_ADDRESS


def _md_table(rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [line(rows[0]), "|" + "|".join("---" for _ in rows[0]) + "|"]
    out += [line(row) for row in rows[1:]]
    return "\n".join(out)


def render_md(path: Path, title: str, subtitle: str, blocks: list[tuple]) -> None:
    out = [f"# {title}", "", f"_{subtitle}_", ""]
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            out += [f"## {block[1]}", ""]
        elif kind == "h2":
            out += [f"### {block[1]}", ""]
        elif kind == "p":
            out += [block[1], ""]
        elif kind == "ul":
            out += [f"- {item}" for item in block[1]] + [""]
        elif kind == "ol":
            out += [f"{i}. {item}" for i, item in enumerate(block[1], start=1)] + [""]
        elif kind == "table":
            out += [_md_table(block[1]), ""]
        elif kind == "code":
            out += ["```" + block[2], block[1].strip("\n"), "```", ""]
    path.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")


HTML_CSS = """
body { font-family: Arial, Helvetica, sans-serif; max-width: 920px; margin: 2em auto;
       color: #222; line-height: 1.45; }
header { border-bottom: 3px solid #1f4e79; margin-bottom: 1.5em; }
h1 { color: #1f4e79; } h2 { color: #1f4e79; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { border: 1px solid #888; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #d9e2ec; }
footer { margin-top: 3em; font-size: 0.85em; color: #666; border-top: 1px solid #ccc; }
"""


def render_html(path: Path, title: str, subtitle: str, blocks: list[tuple]) -> None:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(title)} \u2013 {escape(COMPANY)}</title>",
        f"<style>{HTML_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f'<p class="company">{escape(COMPANY)} \u00b7 Intranet</p>',
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta"><em>{escape(subtitle)}</em></p>',
        "</header>",
        "<main>",
    ]
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            out.append(f"<h2>{escape(block[1])}</h2>")
        elif kind == "h2":
            out.append(f"<h3>{escape(block[1])}</h3>")
        elif kind == "p":
            out.append(f"<p>{escape(block[1])}</p>")
        elif kind in ("ul", "ol"):
            out.append(f"<{kind}>")
            out += [f"  <li>{escape(item)}</li>" for item in block[1]]
            out.append(f"</{kind}>")
        elif kind == "table":
            rows = block[1]
            out.append("<table>")
            out.append("  <thead><tr>" + "".join(f"<th>{escape(c)}</th>" for c in rows[0]) + "</tr></thead>")
            out.append("  <tbody>")
            for row in rows[1:]:
                out.append("    <tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
            out.append("  </tbody>")
            out.append("</table>")
        elif kind == "code":
            out.append(f"<pre><code>{escape(block[1].strip())}</code></pre>")
    out += [
        "</main>",
        f"<footer>{escape(COMPANY)} \u00b7 {escape(MUNICH_ADDRESS)} \u00b7 fictional demo content</footer>",
        "</body>",
        "</html>",
    ]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
