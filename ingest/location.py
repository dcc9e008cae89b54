"""Where a fact is, in the words a reader uses to find it. Pure: no I/O, no heavy imports.

Every element and every chunk carries a :class:`Location`; ``Location.text()`` renders it:

- PDF page: "p. 12", "pp. 12–13", with the printed page label when it differs from the physical
  page: "p. 12 (printed 10)";
- slide: "slide 3", "slides 3–4";
- spreadsheet: "sheet Revenue, rows 4–9" (rows as the spreadsheet numbers them); CSV: "rows 4–9";
- DOCX/HTML/Markdown: the heading path, "section Methods › Results" (a DOCX with page
  information also names its page: "section Methods, p. 2"); plain text: "lines 12–30";
- e-mail: "e-mail 'Family day'", and for an attachment the message, the attachment and the place
  inside it: "e-mail 'Family day' › attachment report.pdf, p. 2".

An empty text means the format offers nothing better than the document itself (a text file
without headings); callers then show the document alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

# How a reader finds a place in the format. "page", "slide", "chapter": ``pages`` counts them;
# "sheet" and "rows": ``rows`` are spreadsheet / CSV rows; "lines": ``rows`` are text lines;
# "section": the heading path (a DOCX may also know its rendered pages).
UNITS = ("page", "slide", "sheet", "rows", "lines", "chapter", "section")
PATH_SEP = " › "
MAX_PART_CHARS = 60  # a subject or heading longer than this is cut in the text (not in the fields)


@dataclass(frozen=True)
class Location:
    unit: str = "page"
    pages: tuple[int, int] | None = None  # physical page / slide / chapter span, 1-based
    labels: tuple[str, str] | None = None  # printed page labels of pages[0] and pages[1]
    sheet: str = ""
    rows: tuple[int, int] | None = None  # sheet / CSV rows or text lines, 1-based, as the file numbers them
    section_path: tuple[str, ...] = ()  # headings from the outermost to the nearest
    message: str = ""  # the subject of the e-mail this comes from
    attachments: tuple[str, ...] = ()  # attachment names, outermost first (an e-mail inside an e-mail)

    # -- building ----------------------------------------------------------------------------------
    def merge(self, other: Location) -> Location:
        """The location of a chunk holding both: page and row spans widen, the section path is the
        common heading path (or this one's, when they share none)."""
        pages, labels = _merge_pages(self.pages, self.labels, other.pages, other.labels)
        rows = _span(self.rows, other.rows)
        common = _common_prefix(self.section_path, other.section_path)
        return replace(
            self,
            pages=pages,
            labels=labels,
            rows=rows,
            section_path=common or self.section_path or other.section_path,
            sheet=self.sheet or other.sheet,
        )

    def scope(self) -> tuple[str, str, tuple[str, ...], str]:
        """What a chunk must not cross: another sheet, e-mail, attachment or kind of place."""
        return (self.unit, self.sheet, self.attachments, self.message)

    # -- rendering ---------------------------------------------------------------------------------
    def text(self) -> str:
        container = []
        if self.message or self.attachments:
            container.append(f"e-mail '{_cut(self.message)}'" if self.message else "e-mail")
        container += [f"attachment {_cut(name)}" for name in self.attachments]
        where = self.place()
        head = PATH_SEP.join(container)
        return f"{head}, {where}" if head and where else head or where

    def place(self) -> str:
        """The place inside the file (without the e-mail / attachment it sits in)."""
        parts: list[str] = []
        a, b = self.pages or (0, 0)
        if self.unit == "page" and self.pages:
            parts.append(page_text((a, b), self.labels))
        elif self.unit == "slide" and self.pages:
            parts.append(f"slide {a}" if a == b else f"slides {a}–{b}")
        elif self.unit == "chapter" and self.pages:
            parts.append(f"chapter {a}" if a == b else f"chapters {a}–{b}")
        elif self.unit == "sheet" and self.sheet:
            parts.append(f"sheet {_cut(self.sheet)}")
        if self.unit in ("sheet", "rows") and self.rows:
            parts.append(rows_text(self.rows))
        elif self.unit == "lines" and self.rows:
            parts.append(rows_text(self.rows, "line"))
        if self.unit in ("section", "chapter") and self.section_path:
            parts.append(section_text(self.section_path))
        if self.unit == "section" and self.pages:  # a DOCX that knows where its pages break
            parts.append(page_text((a, b), self.labels))
        return ", ".join(parts)

    # -- storage -----------------------------------------------------------------------------------
    def to_payload(self) -> dict[str, Any]:
        """Flat vector-store payload fields (only the ones that apply) plus ``location``, the text."""
        out: dict[str, Any] = {"location": self.text(), "unit": self.unit}
        if self.labels and self.pages:
            out["page_label"] = self.labels[0] if self.labels[0] == self.labels[1] else "–".join(self.labels)
            out["page_labels"] = list(self.labels)
        if self.unit in ("page", "slide", "chapter", "section") and self.pages:
            out["location_pages"] = list(self.pages)
        if self.sheet:
            out["sheet"] = self.sheet
        if self.rows:
            out["rows"] = list(self.rows)
        if self.attachments:
            out["attachment"] = PATH_SEP.join(self.attachments)
            out["attachments"] = list(self.attachments)
        if self.message:
            out["message"] = self.message
        if self.section_path:
            out["section_path"] = list(self.section_path)
        return out

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Location | None:
        """The location stored by :meth:`to_payload`, or None for a payload written before locations."""
        if "location" not in payload or "unit" not in payload:
            return None
        return cls(
            unit=str(payload.get("unit") or "section"),
            pages=_pair(payload.get("location_pages")),
            labels=_pair(payload.get("page_labels"), str),
            sheet=str(payload.get("sheet") or ""),
            rows=_pair(payload.get("rows")),
            section_path=tuple(str(s) for s in payload.get("section_path") or ()),
            message=str(payload.get("message") or ""),
            attachments=tuple(str(s) for s in payload.get("attachments") or ()),
        )


# -- pure helpers ------------------------------------------------------------------------------------
def page_text(pages: tuple[int, int], labels: tuple[str, str] | None = None) -> str:
    """ "p. 12", "pp. 12–13"; with printed labels that differ: "p. 12 (printed 10)"."""
    a, b = pages
    text = f"p. {a}" if a == b else f"pp. {a}–{b}"
    if labels and (labels[0] != str(a) or labels[1] != str(b)):
        printed = labels[0] if a == b or labels[0] == labels[1] else f"{labels[0]}–{labels[1]}"
        text += f" (printed {printed})"
    return text


def rows_text(rows: tuple[int, int], what: str = "row") -> str:
    a, b = rows
    return f"{what} {a}" if a == b else f"{what}s {a}–{b}"


def section_text(path: Iterable[str]) -> str:
    return "section " + PATH_SEP.join(_cut(p) for p in path)


def merge_all(locations: Iterable[Location]) -> Location:
    out: Location | None = None
    for loc in locations:
        out = loc if out is None else out.merge(loc)
    return out or Location()


def merge_payloads(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """Payload location fields for a passage that joins ``first`` and the chunk after it (``second``);
    empty when either was stored without a location."""
    a, b = Location.from_payload(first), Location.from_payload(second)
    if a is None or b is None or a.scope() != b.scope():
        return {}
    return a.merge(b).to_payload()


def _cut(text: str, limit: int = MAX_PART_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _span(a: tuple[int, int] | None, b: tuple[int, int] | None) -> tuple[int, int] | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), max(a[1], b[1])


def _merge_pages(
    pa: tuple[int, int] | None,
    la: tuple[str, str] | None,
    pb: tuple[int, int] | None,
    lb: tuple[str, str] | None,
) -> tuple[tuple[int, int] | None, tuple[str, str] | None]:
    if pa is None or pb is None:
        return (pa, la) if pa else (pb, lb)
    la = la or (str(pa[0]), str(pa[1]))
    lb = lb or (str(pb[0]), str(pb[1]))
    start, start_label = min((pa[0], la[0]), (pb[0], lb[0]), key=lambda t: t[0])
    end, end_label = max((pa[1], la[1]), (pb[1], lb[1]), key=lambda t: t[0])
    labels = (start_label, end_label)
    return (start, end), (None if labels == (str(start), str(end)) else labels)


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        out.append(x)
    return tuple(out)


def _pair(value: Any, kind: type = int) -> Any:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    try:
        return kind(value[0]), kind(value[1])
    except (TypeError, ValueError):
        return None
