"""What a document is, read from its own first pages: who issued it, which form, which period. Pure.

A question about a long filing names the company and the period ("Amazon's FY2017 days payable
outstanding"), while the page that answers it (a balance sheet) names neither: every chunk of the
document carries them instead. Parsed here from the cover page of a filing (SEC forms 10-K, 10-Q,
8-K, 20-F …): the registrant ("AMAZON.COM, INC. (Exact name of registrant as specified in its
charter)"), the form ("FORM 10-K") and the period ("For the fiscal year ended December 31, 2017",
"For the quarterly period ended March 31, 2021", "Date of report …: May 20, 2022").

A document without such a cover gets no metadata, and its chunks are embedded as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

COVER_CHARS = 6000  # the cover page: where the registrant, form and period are stated

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")  # fmt: skip
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_DATE = r"([A-Z][a-z]+\.?\s+\d{1,2}\s*,\s*\d{4})"
_FORM = re.compile(r"\bFORM\s+(10-K|10-Q|8-K|20-F|40-F|6-K|10-KT|10-QT)(?:/A)?\b", re.IGNORECASE)
# (?<![a-z]) rather than \b: the text layer glues words ("…ACT OF 1934For the fiscal year ended")
_PERIOD = re.compile(
    r"(?<![a-z])for\s+the\s+(fiscal\s+year|year|quarterly\s+period|quarter|six\s+months|nine\s+months)\s+ended\s+"
    + _DATE,
    re.IGNORECASE,
)
_EVENT = re.compile(r"date\s+of\s+report[^:]{0,60}:?\s*" + _DATE, re.IGNORECASE)
_FILE_NUMBER = re.compile(
    r"^.*?(?<![a-z])commission\s+file\s+(?:number|no\.?)\s*[:\s]*[\d-]+\s*", re.IGNORECASE
)
_LEADING_NUMBER = re.compile(r"^[_\s]*(?:\d+-\d+\s+)?[_\s]*")  # "1-3247 CORNING …", "____ SQUARE, INC."
_REGISTRANT = re.compile(r"\(?\s*exact\s+name\s+of\s+registrant", re.IGNORECASE)
_KIND = {
    **dict.fromkeys(("10-K", "10-KT", "20-F", "40-F"), "annual report"),
    **dict.fromkeys(("10-Q", "10-QT"), "quarterly report"),
    **dict.fromkeys(("8-K", "6-K"), "current report"),
}


@dataclass(frozen=True)
class DocMeta:
    company: str = ""  # "Amazon.com, Inc." as printed on the cover
    form: str = ""  # "10-K"
    period_end: str = ""  # ISO date the report covers to (8-K: the date of the event)
    fiscal_year: int | None = None  # the fiscal year a 10-K / 10-Q period falls in

    def __bool__(self) -> bool:
        return bool(self.company or self.form)

    def context(self) -> str:
        """One short line that goes in front of every chunk when it is embedded:
        "Amazon.com, Inc. 10-K annual report FY2017 (fiscal year 2017)"."""
        parts = [self.company]
        if self.form:
            parts.append(f"{self.form} {_KIND.get(self.form, '')}".strip())
        if self.fiscal_year and self.form in ("10-Q", "10-QT"):
            parts.append(f"quarter ended {self._printed()}")
        elif self.fiscal_year:
            parts.append(f"FY{self.fiscal_year} (fiscal year {self.fiscal_year})")
        elif self.period_end:
            parts.append(self._printed())
        return " ".join(p for p in parts if p)

    def _printed(self) -> str:
        d = date.fromisoformat(self.period_end)
        return f"{d.strftime('%B')} {d.day}, {d.year}"

    def to_payload(self) -> dict[str, object]:
        """Payload fields of every point of the document (only the ones found)."""
        out: dict[str, object] = {}
        if self.company:
            out["company"] = self.company
        if self.form:
            out["form"] = self.form
        if self.period_end:
            out["period_end"] = self.period_end
        if self.fiscal_year:
            out["fiscal_year"] = self.fiscal_year
        return out

    @classmethod
    def from_payload(cls, payload: dict) -> DocMeta:
        fy = payload.get("fiscal_year")
        return cls(
            company=str(payload.get("company") or ""),
            form=str(payload.get("form") or ""),
            period_end=str(payload.get("period_end") or ""),
            fiscal_year=int(fy) if isinstance(fy, int | float | str) and str(fy).isdigit() else None,
        )


def parse_date(text: str) -> date | None:
    """ "December 31, 2019" -> date(2019, 12, 31); None when it is not a date."""
    m = re.match(r"([A-Za-z]+)\.?\s+(\d{1,2})\s*,\s*(\d{4})$", text.strip())
    if not m:
        return None
    name = m.group(1).lower()
    month = _MONTHS.get(name) or next(
        (n for full, n in _MONTHS.items() if len(name) >= 3 and full.startswith(name)), None
    )
    try:
        return date(int(m.group(3)), month, int(m.group(2))) if month else None
    except ValueError:
        return None


def fiscal_year_of(end: date) -> int:
    """The fiscal year a period ending on ``end`` is named for: its calendar year, except years that
    end in January or the first week of February (retailers), which are named for the year before."""
    return end.year - 1 if end.month == 1 or (end.month == 2 and end.day <= 7) else end.year


def _registrant(lines: list[str]) -> str:
    for i, line in enumerate(lines):
        m = _REGISTRANT.search(line)
        if not m:
            continue
        before = line[: m.start()].strip(" \t(")
        if not before and i:  # the name is the line above
            before = lines[i - 1].strip()
        before = _LEADING_NUMBER.sub("", _FILE_NUMBER.sub("", before))
        if 2 <= len(before) <= 80 and sum(ch.isalpha() for ch in before) >= 2:
            return " ".join(before.split())
    return ""


def parse_document_meta(texts: Iterable[str]) -> DocMeta:
    """The registrant, form and period of a filing from the text of its first elements (reading
    order); an empty DocMeta when the text has no filing cover."""
    lines: list[str] = []
    size = 0
    for text in texts:
        for line in text.splitlines():
            if line.strip():
                lines.append(line.strip())
                size += len(line)
        if size >= COVER_CHARS:
            break
    cover = "\n".join(lines)
    company = _registrant(lines)
    form_m = _FORM.search(cover)
    form = form_m.group(1).upper() if form_m else ""
    if not company and not form:
        return DocMeta()
    end: date | None = None
    fiscal_year = None
    if m := _PERIOD.search(cover):
        end = parse_date(m.group(2))
        fiscal_year = fiscal_year_of(end) if end else None
    elif m := _EVENT.search(cover):
        end = parse_date(m.group(1))
    return DocMeta(company, form, end.isoformat() if end else "", fiscal_year)


def embedding_text(context: str, text: str) -> str:
    """What is embedded for a chunk (dense and BM25): its document's context line, then its text."""
    return f"{context}\n{text}" if context else text
