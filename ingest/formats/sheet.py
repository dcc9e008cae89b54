"""Grids: XLSX/XLSM (openpyxl), XLS (xlrd) and CSV/TSV. One table per block of rows, lone cells as
text, cells as the spreadsheet shows them."""

from __future__ import annotations

import csv
import decimal
import io
import re
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.elements import Element
from ingest.formats.common import _NUMERICISH, _Builder, _Ctx, _Kind, _Outcome, normalise_rows
from ingest.formats.text import _read_text


def sniff_delimiter(sample: str) -> str:
    """The delimiter (comma, semicolon, tab, pipe) that splits the sample most consistently."""
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    best, best_score = ",", (-1.0, 0)
    for delim in (",", ";", "\t", "|"):
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = statistics.mode(counts)
        if mode < 2:
            continue
        score = (sum(1 for n in counts if n == mode) / len(counts), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _partition_csv(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    text = _read_text(path)
    delimiter = "\t" if kind.file_type == "tsv" else sniff_delimiter(text[:20000])
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    builder = _Builder(unit="rows")
    _add_grid(builder, rows, page=1, label=None)
    return builder.elements, 1


def _fmt_number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.10g}"
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _partition_xlsx(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    import openpyxl

    workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        sheets = [(ws.title, *_read_sheet(ws)) for ws in workbook.worksheets]
    finally:
        workbook.close()
    return _sheets_to_elements(sheets), len(sheets)


def _read_sheet(ws: Any) -> tuple[list[list[str]], list[bool]]:
    """Cells as shown (number formats applied) and, per row, whether all its filled cells are bold."""
    rows: list[list[str]] = []
    bold: list[bool] = []
    for raw in ws.iter_rows():
        row = [format_cell(getattr(c, "value", None), getattr(c, "number_format", None)) for c in raw]
        filled = [c for c, text in zip(raw, row, strict=True) if text]
        rows.append(row)
        bold.append(bool(filled) and all(_is_bold(c) for c in filled))
    return rows, bold


def _is_bold(cell: Any) -> bool:
    try:
        return bool(cell.font is not None and cell.font.b)
    except Exception:
        return False


def format_cell(value: object, number_format: str | None = None) -> str:
    """A cell value as the spreadsheet shows it, where the number format is a plain one.

    Thousands separators, fixed decimals and percentages are applied ("#,##0" -> "10,821,700",
    "0.0%" -> "12.5%"); dates are ISO dates; anything else falls back to the plain value.
    """
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and number_format:
        shown = _apply_number_format(float(value), number_format)
        if shown is not None:
            return shown
    return _fmt_number(value).strip()


def _apply_number_format(value: float, number_format: str) -> str | None:
    section = number_format.split(";")[0]
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", section)  # literals, escapes, [colour], padding
    if section.strip().lower() in ("", "general") or re.search(r"[a-df-z]|e[+-]", section, re.I):
        return None  # General, dates/times, text, scientific: not ours to render
    core = re.sub(r"[^#0?,.]", "", section)
    whole, _, fraction = core.partition(".")
    if not re.search(r"[#0?]", whole + fraction) or whole.endswith(","):  # "#,##0," scales by 1000
        return None
    number = decimal.Decimal(f"{value:.12g}") * (100 if "%" in section else 1)
    least = sum(1 for ch in fraction if ch in "0?")
    # The format's grouping, symbols and minimum decimals, but never less precision than the value
    # has, up to two digits beyond the format: 0.0015 as "0.0%" is "0.15%", not a misleading "0.2%".
    needed = max(0, -number.normalize().as_tuple().exponent)
    places = max(least, min(needed, len(fraction) + 2))
    number = number.quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    text = f"{number:,.{places}f}" if "," in whole else f"{number:.{places}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # no "-0"
    first, last = re.search(r"[#0?]", section), re.search(r"[#0?%](?!.*[#0?%])", section)
    prefix = "".join(ch for ch in section[: first.start()] if ch in "$€£¥") if first else ""
    suffix = "".join(ch for ch in section[last.end() :] if ch in "$€£¥") if last else ""
    return prefix + text + ("%" if "%" in section else "") + suffix


def _partition_xls(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except xlrd.biffh.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise _Outcome("failed", "password-protected") from exc
        raise
    sheets: list[tuple[str, list[list[str]], list[bool] | None]] = []
    for sheet in book.sheets():
        rows = []
        for r in range(sheet.nrows):
            row: list[str] = []
            for cell in sheet.row(r):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        row.append(format_cell(xlrd.xldate_as_datetime(cell.value, book.datemode)))
                        continue
                    except (ValueError, OverflowError):
                        pass
                empty = cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)
                row.append("" if empty else format_cell(cell.value))
            rows.append(row)
        sheets.append((sheet.name, rows, None))
    return _sheets_to_elements(sheets), len(sheets)


def _sheets_to_elements(sheets: Sequence[tuple[str, list[list[str]], list[bool] | None]]) -> list[Element]:
    """One table per contiguous block of non-empty rows; lone cells above/below become text.

    Each sheet is (name, rows of cell texts, per-row "all bold" flags or None without styles).
    """
    builder = _Builder(unit="sheet")
    for index, (name, rows, bold) in enumerate(sheets, 1):
        _add_grid(builder, rows, page=index, label=name, bold=bold)
    return builder.elements


def _add_grid(
    builder: _Builder, rows: list[list[str]], page: int, label: str | None, bold: list[bool] | None = None
) -> None:
    """Sheet/CSV cells: one table per block of non-empty rows. Lone cells above or below a block
    (titles, units, footnotes) become text; a block of header rows is joined to the block of data
    under it, and stacked header rows collapse into one. Sheets use their name as section/label.
    ``bold`` (per row, when the format has styles) tells a formatted header row from data."""

    def lone(i: int) -> bool:
        return sum(1 for c in rows[i] if c) == 1

    blocks: list[list[int]] = []
    current: list[int] = []
    for i in [*range(len(rows)), -1]:
        if i >= 0 and any(rows[i]):
            current.append(i)
            continue
        if current and blocks and not lone(current[0]) and not _texty(rows[current[0]]):
            previous = [r for r in blocks[-1] if not lone(r)]
            if previous and previous[-1] == blocks[-1][-1] and all(_texty(rows[r]) for r in previous):
                blocks[-1].extend(current)  # header rows, blank row, then their data
                current = []
        if current:
            blocks.append(current)
            current = []
    for block in blocks:
        head, tail = 0, len(block)
        while head < tail and lone(block[head]):
            head += 1
        while tail > head and lone(block[tail - 1]):
            tail -= 1
        for i in block[:head]:
            text = " ".join(c for c in rows[i] if c)
            builder.add(text, "text", page, page_label=label, section=label, row_numbers=[i + 1])
        if tail > head:
            body = block[head:tail]
            flags = [bold[i] for i in body] if bold is not None else None
            _add_sheet_table(builder, [rows[i] for i in body], flags, page, label, [i + 1 for i in body])
        for i in block[tail:]:
            text = " ".join(c for c in rows[i] if c)
            builder.add(text, "text", page, page_label=label, section=label, row_numbers=[i + 1])


def _add_sheet_table(
    builder: _Builder,
    rows: list[list[str]],
    bold: list[bool] | None,
    page: int,
    label: str | None,
    numbers: list[int],
) -> None:
    """A block of sheet rows: a table under its header, or "Key: Value" lines for a key/value list.

    A two-column block whose first column holds distinct text labels and which has no formatted
    header row (the sheet has styles, and the first row is not bold above plain rows) is a list of
    facts ("Founded | 2014"): each row becomes its own line "Founded: 2014".
    """
    table = normalise_rows(rows)  # the rows of a block are all non-empty: flags and numbers stay aligned
    styled_header = bold is not None and bold[0] and not all(bold)
    if bold is not None and not styled_header and _key_value(table):
        for (key, value), number in zip(table, numbers, strict=True):
            text = f"{key}: {value}" if value else key
            builder.add(text, "text", page, page_label=label, section=label, row_numbers=[number])
        return
    header_rows = next((k for k, flag in enumerate(bold) if not flag), 1) if styled_header and bold else 0
    collapsed = _collapse_header_rows(table, header_rows)
    numbers = numbers[:1] + numbers[len(table) - len(collapsed) + 1 :]  # stacked header rows -> one
    builder.add_table(collapsed, page, page_label=label, section=label, row_numbers=numbers)


def _key_value(table: list[list[str]]) -> bool:
    keys = [row[0] for row in table]
    return (
        len(table) >= 2
        and len(table[0]) == 2
        and all(keys)
        and not any(_NUMERICISH.match(k) for k in keys)
        and len(set(keys)) == len(keys)
    )


def _texty(row: Sequence[str]) -> bool:
    """A row with text and no numbers or dates in it."""
    return any(row) and not any(_NUMERICISH.match(c) for c in row if c)


def _collapse_header_rows(rows: list[list[str]], known: int = 0) -> list[list[str]]:
    """Stacked header rows become one header row.

    ``known``: how many leading rows are formatted as a header (0: unknown). Without formatting,
    the leading all-text rows are a stacked header only if they have gaps (group cells spanning
    the sub-headers under them) and there are at most four of them: complete text rows on top
    of the numbers are data ("Founders | Dr. Katharina Brandt and Tobias Lenz"), not a header.
    """
    k = known
    if not k:
        while k < len(rows) and _texty(rows[k]):
            k += 1
        if k > 4 or all(all(rows[i]) for i in range(min(k, len(rows)))):
            return rows
    if k < 2 or k >= len(rows):
        return rows
    width = len(rows[0])
    header = [" ".join(dict.fromkeys(r[i] for r in rows[:k] if r[i])) for i in range(width)]
    return [header, *rows[k:]]
