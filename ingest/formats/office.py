"""Word and PowerPoint: DOCX through unstructured; PPTX through unstructured and python-pptx (the
slide's title, its speaker notes after the body, chart data as tables)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ingest.elements import Element
from ingest.formats.common import _Builder, _Ctx, _Kind
from ingest.formats.sheet import _fmt_number
from ingest.formats.unstructured_bridge import _add_unstructured, _PlainElement, _unstructured_ready


def _partition_docx(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    _unstructured_ready()
    from unstructured.partition.docx import partition_docx

    builder = _Builder()
    with path.open("rb") as fh:
        elements = partition_docx(file=fh, metadata_filename=path.name, languages=ctx.languages)
    pages = _add_unstructured(builder, elements)
    if pages > 1:  # Word saved where its pages break: the page is worth naming next to the section
        for el in builder.elements:
            el.loc = dataclasses.replace(el.location(), pages=(el.page, el.page))
    return builder.elements, pages


def _partition_pptx(path: Path, kind: _Kind, ctx: _Ctx) -> tuple[list[Element], int]:
    _unstructured_ready()
    from pptx import Presentation
    from unstructured.partition.pptx import partition_pptx

    with path.open("rb") as fh:
        elements = partition_pptx(
            file=fh, metadata_filename=path.name, include_slide_notes=True, languages=ctx.languages
        )
    try:
        slides = list(Presentation(str(path)).slides)
    except Exception:
        slides = []
    charts = _pptx_chart_tables(slides)
    builder = _Builder(unit="slide")
    by_slide: dict[int, list[Any]] = {}
    for el in elements:
        by_slide.setdefault(getattr(el.metadata, "page_number", None) or 1, []).append(el)
    n_slides = max([len(slides), *by_slide.keys(), *charts.keys(), 1])
    for number in range(1, n_slides + 1):
        slide = slides[number - 1] if number <= len(slides) else None
        title, body, notes = _order_slide(by_slide.get(number, []), slide)
        if slide is not None and not title:
            builder.reset_section()  # an untitled slide does not belong to the previous slide's title
        _add_unstructured(builder, [*title, *body], default_page=number)
        for chart_title, rows in charts.get(number, []):
            builder.add(chart_title, "text", number)
            builder.add_table(rows, number)
        _add_unstructured(builder, notes, default_page=number, titles="off")
    return builder.elements, n_slides


def _order_slide(elements: list[Any], slide: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """(title, body, notes) of one slide, so that a slide reads title, body, then speaker notes.

    unstructured emits the notes first and calls any short body line a Title ("Transactional data
    (orders, missions, maps): PostgreSQL 16 on Amazon RDS"). Only the paragraphs of the slide's
    title placeholder make the title (joined into one); every other "Title" is body text.
    Without python-pptx's view of the slide, the first-level Title (category depth 0) is the title.
    """
    if slide is None:
        title = [el for el in elements if el.category == "Title" and _depth(el) == 0][:1]
        body = [
            _as_text(el) if el.category == "Title" else el
            for el in elements
            if not title or el is not title[0]
        ]
        return title, body, []
    notes_text = ""
    try:
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes_text = " ".join(slide.notes_slide.notes_text_frame.text.split())
    except Exception:
        notes_text = ""
    title_lines: list[str] = []
    try:
        shape = slide.shapes.title
        if shape is not None and shape.has_text_frame:
            title_lines = [" ".join(p.text.split()) for p in shape.text_frame.paragraphs if p.text.strip()]
    except Exception:
        title_lines = []
    title_parts: list[Any] = []
    body: list[Any] = []
    notes: list[Any] = []
    for el in elements:
        text = " ".join((getattr(el, "text", "") or "").split())
        if notes_text and text == notes_text and not notes:
            notes.append(el)
        elif el.category == "Title" and text in title_lines and len(title_parts) < len(title_lines):
            title_parts.append(el)
        elif el.category == "Title":
            body.append(_as_text(el))
        else:
            body.append(el)
    title: list[Any] = []
    if title_parts:
        joined = " ".join(" ".join(el.text.split()) for el in title_parts)
        title = [_PlainElement(joined, title_parts[0].metadata, "Title")]
    return title, body, notes


def _depth(el: Any) -> int:
    return getattr(el.metadata, "category_depth", None) or 0


def _as_text(el: Any) -> _PlainElement:
    return _PlainElement(el.text, el.metadata, "NarrativeText")


def _pptx_chart_tables(slides: list[Any]) -> dict[int, list[tuple[str, list[list[str]]]]]:
    """Chart data lives only in the chart part: render each chart's series as a table."""
    found: dict[int, list[tuple[str, list[list[str]]]]] = {}
    for number, slide in enumerate(slides, 1):
        for shape in _iter_shapes(slide.shapes):
            if not getattr(shape, "has_chart", False):
                continue
            try:
                chart = shape.chart
                plot = chart.plots[0]
                title = chart.chart_title.text_frame.text if chart.has_title else ""
                series = list(plot.series)
                rows = [["", *(s.name or "" for s in series)]]
                for i, category in enumerate(plot.categories):
                    rows.append([str(category), *(_fmt_number(_at(s.values, i)) for s in series)])
            except Exception:
                continue
            found.setdefault(number, []).append((f"Chart: {title}" if title else "Chart", rows))
    return found


def _iter_shapes(shapes: Iterable[Any]) -> Iterable[Any]:
    for shape in shapes:
        yield shape
        if getattr(shape, "shape_type", None) == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _iter_shapes(shape.shapes)


def _at(values: Sequence[Any], i: int) -> Any:
    return values[i] if i < len(values) else None
