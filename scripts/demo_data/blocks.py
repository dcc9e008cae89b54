"""A tiny document model: a document is a list of blocks (("h1", text), ("p", text), ("table", rows,
widths) …) that pdf, office and markup render to PDF, DOCX, Markdown or HTML."""

from __future__ import annotations


def h1(text: str) -> tuple:
    return ("h1", text)


def h2(text: str) -> tuple:
    return ("h2", text)


def p(text: str) -> tuple:
    return ("p", " ".join(text.split()))


def ul(*items: str) -> tuple:
    return ("ul", [" ".join(item.split()) for item in items])


def ol(*items: str) -> tuple:
    return ("ol", [" ".join(item.split()) for item in items])


def table(rows: list[list[str]], widths: list[float] | None = None) -> tuple:
    return ("table", [[str(cell) for cell in row] for row in rows], widths)


def brk() -> tuple:
    return ("break",)


def code(text: str, lang: str = "bash") -> tuple:
    return ("code", text, lang)
