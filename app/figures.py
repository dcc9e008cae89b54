"""Figures that need arithmetic, computed by code (pure functions).

Ratios, growth, margins and averages are a third of what analysts ask of financial filings, and a
small language model's mental arithmetic is not to be trusted. Here:

- :func:`parse_formula` reads the computation a question asks for: an explicit definition ("DPO is
  defined as: 365 * (average accounts payable between FY2016 and FY2017) / (FY2017 COGS)"), or a
  common form ("year-over-year change in revenue from FY2016 to FY2017", "FY2019 - FY2020 revenue
  growth rate", "capex as a % of revenue"). The result is an expression tree whose leaves are
  numbers and *line items* (a metric in one fiscal year).
- :func:`line_items` reads a financial statement's text (a table as markdown rows, or as the loose
  cells a PDF gives) into {row label: {year: value}}, years taken from the statement's header.
- :func:`find_item` picks the row for a metric (with the usual synonyms: revenue ~ net sales,
  COGS ~ cost of sales, PP&E ~ property and equipment, capex ~ purchases of property ...).
- :func:`evaluate` computes the value and writes the computation a reader can check:
  "365 × ((3,000 + 4,000) / 2) / 10,000 = 127.75".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

YEAR = r"(?:19|20)\d\d"
_FY = re.compile(rf"\bFY\s?'?({YEAR}|\d\d)\b|\b(?:fiscal(?: year)?|year)\s+({YEAR})\b|\b({YEAR})\b", re.I)


# -- expressions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """A line item: ``metric`` in fiscal ``year``."""

    metric: str
    year: int


@dataclass(frozen=True)
class Op:
    op: str  # + - * / avg
    args: tuple[Expr, ...]


Expr = float | Item | Op


def _year(token: str) -> int:
    y = int(token)
    return y + 2000 if y < 100 else y


def years_in(text: str) -> list[int]:
    """The fiscal years ``text`` names, in order ("FY2016", "fiscal 2017", "FY '19", "2018")."""
    return [_year(next(g for g in m.groups() if g)) for m in _FY.finditer(text)]


def _strip_years(text: str) -> str:
    return re.sub(r"\s+", " ", _FY.sub(" ", text)).strip(" ,.;:")


def _operand(phrase: str, default_year: int | None) -> Expr:
    """One leaf of a definition: a number, an average or change between two years, or a metric in
    a year ("FY2019 revenue", "revenue" in the question's year)."""
    p = phrase.strip().strip("()").strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", p):
        return float(p)
    ys = years_in(p)
    m = re.match(r"(?i)(average|avg\.?|mean|change in|increase in|decrease in)\s+(?:of\s+)?(.*)", p)
    if m and len(ys) >= 2:
        metric = _strip_years(re.sub(r"(?i)\b(between|from|to|and|over)\b", " ", m.group(2)))
        a, b = Item(metric, min(ys[:2])), Item(metric, max(ys[:2]))
        if m.group(1).lower().startswith(("av", "mean")):
            return Op("avg", (a, b))
        return Op("-", (b, a)) if not m.group(1).lower().startswith("decrease") else Op("-", (a, b))
    year = ys[0] if ys else default_year
    if year is None:
        raise ValueError(f"no fiscal year for {phrase!r}")
    return Item(_strip_years(p), year)


def _tokens(expr: str) -> list[str]:
    return [t for t in re.split(r"(\(|\)|\*|/|\+|(?<=\s)-(?=\s)|×|÷)", expr) if t and t.strip()]


def parse_expression(
    expr: str, default_year: int | None = None, names: Mapping[str, Expr] | None = None
) -> Expr:
    """A definition's right-hand side: + - * / with parentheses over operands (:func:`_operand`);
    a bare name defined elsewhere in the question ("DIO + DSO - DPO") comes from ``names``."""
    toks = [t.strip() for t in _tokens(expr.replace("×", "*").replace("÷", "/"))]
    names = {k.lower(): v for k, v in (names or {}).items()}
    pos = 0

    def peek() -> str | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def atom() -> Expr:
        tok = take()
        if tok == "(":
            inner = sum_()
            if peek() == ")":
                take()
            return inner
        if tok.lower() in names:
            return names[tok.lower()]
        return _operand(tok, default_year)

    def product() -> Expr:
        left = atom()
        while peek() in ("*", "/"):
            left = Op(take(), (left, atom()))
        return left

    def sum_() -> Expr:
        left = product()
        while peek() in ("+", "-"):
            left = Op(take(), (left, product()))
        return left

    tree = sum_()
    if pos != len(toks):
        raise ValueError(f"cannot read {expr!r}")
    return tree


@dataclass(frozen=True)
class Formula:
    name: str  # what is computed ("DPO", "revenue growth")
    expr: Expr
    percent: bool = False  # shown as a percentage
    decimals: int | None = None  # "round to two decimal places"


_DEFINED = re.compile(
    r"(?i)\b([A-Za-z][\w&/ ().'-]{0,60}?)\s+(?:is|are)\s+defined\s+as\s*:?\s*(.+?)(?=\.\s|\.$|$)"
)
_GROWTH = re.compile(
    r"(?i)(?:year[- ]over[- ]year\s+)?(?:change|growth(?: rate)?|increase)\s+(?:in|of)\s+(.+?)\s+"
    rf"from\s+(?:FY\s?)?({YEAR})\s+to\s+(?:FY\s?)?({YEAR})"
)
_GROWTH_AFTER = re.compile(
    rf"(?i)\b(?:the\s+)?([a-z][\w&' -]{{1,40}}?)\s+growth(?: rate)?\s+"
    rf"from\s+(?:FY\s?)?({YEAR})\s+to\s+(?:FY\s?)?({YEAR})"
)
_GROWTH_SPAN = re.compile(rf"(?i)(?:FY\s?)?({YEAR})\s*[-–]\s*(?:FY\s?)?({YEAR})\s+(.+?)\s+growth(?: rate)?\b")
_SHARE = re.compile(
    r"(?i)\b([a-z][\w&' -]{1,60}?)\s+as\s+a\s+(?:%|percent(?:age)?)\s+of\s+([a-z][\w&' -]{1,60})"
)
_DECIMALS = {"one": 1, "two": 2, "three": 3, "zero": 0, "1": 1, "2": 2, "3": 3, "0": 0}


def _decimals(question: str) -> int | None:
    m = re.search(r"(?i)round(?:ed)?[^.]*?\bto\s+(one|two|three|zero|\d)\s+decimal", question)
    return _DECIMALS[m.group(1).lower()] if m else None


def _wants_percent(question: str) -> bool:
    return bool(re.search(r"(?i)\bpercent|%|\bgrowth rate\b", question))


def parse_formula(question: str) -> Formula | None:
    """The computation ``question`` asks for, or None when it asks for no arithmetic."""
    years = years_in(question)
    default_year = max(years) if years else None
    decimals, percent = _decimals(question), _wants_percent(question)
    defs = [(m.group(1).strip(), m.group(2).strip()) for m in _DEFINED.finditer(question)]
    if defs:
        names: dict[str, Expr] = {}
        for name, body in reversed(defs):  # definitions later in the question define names used earlier
            names[_short(name)] = parse_expression(body, default_year, names)
        name = _short(defs[0][0])
        return Formula(name, names[name], percent, decimals)
    if growth := _GROWTH.search(question):
        metric, a, b = growth.group(1), int(growth.group(2)), int(growth.group(3))
    elif growth := _GROWTH_AFTER.search(question):
        metric, a, b = (
            re.split(r"(?i)\b(?:the|is|was|what)\s+", growth.group(1))[-1],
            int(growth.group(2)),
            int(growth.group(3)),
        )
    elif growth := _GROWTH_SPAN.search(question):
        metric, a, b = growth.group(3), int(growth.group(1)), int(growth.group(2))
    if growth:
        metric = _strip_years(metric)
        old, new = Item(metric, min(a, b)), Item(metric, max(a, b))
        return Formula(f"{metric} growth", Op("/", (Op("-", (new, old)), old)), True, decimals)
    share = _SHARE.search(question)
    if share and default_year is not None:
        top = _strip_years(
            re.split(r"(?i)\b(?:average|mean)\s+of\s+|\b(?:is|was|were|are)\s+", share.group(1))[-1]
        )
        bottom = _strip_years(re.split(r"(?i)\s+(?:for|in|of the|at|during)\s+", share.group(2))[0])
        span = sorted(set(years))
        if len(span) >= 2 and re.search(r"(?i)\baverage\b", question):
            terms = tuple(Op("/", (Item(top, y), Item(bottom, y))) for y in range(span[0], span[-1] + 1))
            return Formula(f"average {top} as % of {bottom}", Op("avg", terms), True, decimals)
        ratio = Op("/", (Item(top, default_year), Item(bottom, default_year)))
        return Formula(f"{top} as % of {bottom}", ratio, True, decimals)
    return None


def _short(name: str) -> str:
    """ "Fixed asset turnover ratio" -> itself; "DPO" stays; trailing "(DPO)" abbreviations win."""
    m = re.search(r"\(([A-Za-z&]{2,10})\)\s*$", name)
    return m.group(1) if m else name.strip()


def items(expr: Expr) -> list[Item]:
    """The line items an expression needs, each once, in order."""
    if isinstance(expr, Item):
        return [expr]
    if isinstance(expr, Op):
        return list(dict.fromkeys(i for a in expr.args for i in items(a)))
    return []


# -- financial statements -------------------------------------------------------------------------
_NUM = re.compile(r"\(?-?\$?\s*\d[\d,]*(?:\.\d+)?\)?")
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


def statement_scale(text: str) -> str:
    """ "millions" when the statement says "(in millions ...)", "thousands", "billions", else ""."""
    m = re.search(
        r"(?i)\bin\s+(thousands|millions|billions)\b|\((?:amounts|dollars)?\s*in\s+(thousands|millions|billions)",
        text,
    )
    return (m.group(1) or m.group(2)).lower() if m else ""


def _value(token: str) -> float:
    neg = token.strip().startswith("(") and token.strip().endswith(")")
    v = float(re.sub(r"[^\d.]", "", token))
    return -v if neg or token.strip().startswith("-") else v


def _cells(line: str) -> tuple[str, list[float]]:
    """A row's label and its numbers: a markdown row ("| Total | 6,489 | 7,500 |"), or a text line
    laid out in columns ("Total net revenues      6,489      7,500"; "—" reads as 0)."""
    parts = [c.strip() for c in re.split(r"\s*\|\s*|\s{2,}", line.strip().strip("|"))]
    label_parts: list[str] = []
    values: list[float] = []
    for part in parts:
        if not part or part == "$":
            continue
        if part in ("—", "–", "-"):
            values.append(0.0)
            continue
        nums = _NUM.findall(part)
        leftover = _NUM.sub("", part).replace("$", "").strip()
        if nums and not leftover:
            values += [_value(n) for n in nums if re.search(r"\d", n)]
        elif not values:
            label_parts.append(part)
        else:
            break
    return " ".join(label_parts).rstrip(" $"), values


@dataclass
class Statement:
    years: list[int]
    rows: dict[str, dict[int, float]] = field(default_factory=dict)
    scale: str = ""


_PRIMARY = re.compile(
    r"consolidated\s+(?:statements?\s+of\s+(?:operations|income|earnings|cash\s+flows|comprehensive)|balance\s+sheets?)",
    re.IGNORECASE,
)


def is_primary_statement(title: str) -> bool:
    """Whether a chunk's heading names one of a filing's primary statements (operations, income,
    cash flows, balance sheet): the page a reader checks a figure against."""
    return bool(_PRIMARY.search(title))


def line_items(text: str, fiscal_year: int | None = None, *, primary: bool = False) -> Statement | None:
    """{row label: {year: value}} for a statement whose header names its years (the first line
    with two or more years); rows whose count of numbers matches the years.

    A PDF's header often reaches the text broken ("2020" on one line, "Year Ended December 31,
    2019" on the next, a year lost): with the filing's ``fiscal_year``, a row whose numbers the
    header does not match reads as a filing's statements are laid out, the fiscal year first and
    one earlier year per column, when every year the text names above the row is among those
    years and the row has at most two columns more than the years named (a quarterly table's
    eight columns under two years are not read as eight years). A 10-K's ``primary`` statement
    (operations, cash flows, balance sheet) whose text names no year at all is read so too, for
    rows of at most three columns: such statements show the fiscal year and one or two before it."""
    header_years: list[int] = []
    seen: set[int] = set()  # every year named above the current row
    out: dict[str, dict[int, float]] = {}
    for line in text.splitlines():
        found = [int(y) for y in re.findall(rf"\b({YEAR})\b", line)]
        label, values = _cells(line)
        if not header_years and len(set(found)) >= 2 and len(values) <= len(found):
            header_years = found
            seen.update(found)
            continue
        if label and values and header_years and len(values) == len(header_years):
            out.setdefault(label.lower(), dict(zip(header_years, values, strict=True)))
        elif label and values and fiscal_year and (seen or primary):
            laid_out = list(range(fiscal_year, fiscal_year - len(values), -1))
            if seen <= set(laid_out) and len(values) <= (len(seen) + 2 if seen else 3):
                out.setdefault(label.lower(), dict(zip(laid_out, values, strict=True)))
        if not values:
            seen.update(found)
    years = header_years or sorted({y for row in out.values() for y in row}, reverse=True)
    return Statement(years, out, statement_scale(text)) if out else None


SYNONYMS: dict[str, tuple[str, ...]] = {
    "revenue": (
        "total net revenues",
        "net revenues",
        "total revenues",
        "total net sales",
        "net sales",
        "revenues",
        "revenue",
        "total revenue",
    ),
    "cogs": (
        "cost of sales",
        "cost of revenues",
        "cost of goods sold",
        "total cost of revenues",
        "cost of revenue",
    ),
    "pp&e": (
        "property and equipment, net",
        "property, plant and equipment, net",
        "property and equipment",
        "property, plant and equipment",
        "land and buildings, net",
    ),
    "capex": (
        "capital expenditures",
        "purchases of property and equipment",
        "purchases of property, plant and equipment",
        "capital spending",
    ),
    "accounts payable": ("accounts payable",),
    "accounts receivable": (
        "accounts receivable, net",
        "receivables, net",
        "receivables",
        "accounts receivable",
    ),
    "inventory": ("inventories", "merchandise inventories", "inventory"),
    "net income": ("net income", "net earnings", "net income attributable"),
    "total assets": ("total assets",),
}


OUTFLOWS = frozenset({"capex", "capital expenditures", "capital expenditure"})


def _norm(text: str) -> str:
    return re.sub(r"[^a-z&]+", " ", text.lower()).strip()


def _singular(text: str) -> str:
    """A row label for matching: normalised, each word without a plural s ("total net revenues" and
    "total net revenue" are one row name)."""
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in _norm(text).split()
    )


def find_item(
    statement: Statement, metric: str, *, fuzzy: bool = True
) -> tuple[str, dict[int, float]] | None:
    """The statement's row for ``metric`` (a synonym of it, else, when ``fuzzy``, the row sharing
    most words)."""
    want = _norm(metric)
    key = next((k for k in SYNONYMS if _norm(k) == want or _norm(k) in want.split()), None)
    rows = {_singular(k): (k, v) for k, v in statement.rows.items()}
    for name in SYNONYMS.get(key, ()) if key else ():
        for norm, row in rows.items():
            if norm == _singular(name) or norm.startswith(_singular(name)):
                return row
    if not fuzzy:
        return None
    words = set(want.split())
    # the row sharing most of the metric's words; of those, the one with the fewest other words
    best = max(
        rows.values(),
        key=lambda r: (len(words & set(_norm(r[0]).split())), -len(set(_norm(r[0]).split()) - words)),
        default=None,
    )
    if best and words and len(words & set(_norm(best[0]).split())) / len(words) >= 0.6:
        return best
    return None


# -- evaluation ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    item: Item
    value: float
    label: str  # the statement's row label
    source: int  # which source it came from ([n])


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def evaluate(expr: Expr, figures: Mapping[Item, Figure]) -> tuple[float, str]:
    """(value, the computation written out with each figure and its [n])."""
    if isinstance(expr, float | int):
        return float(expr), _fmt(float(expr))
    if isinstance(expr, Item):
        f = figures[expr]
        return f.value, f"{_fmt(f.value)} [{f.source}]"
    parts = [evaluate(a, figures) for a in expr.args]
    values, texts = [p[0] for p in parts], [p[1] for p in parts]
    if expr.op == "avg":
        return sum(values) / len(values), f"(({' + '.join(texts)}) / {len(values)})"
    ops: dict[str, Callable[[float, float], float]] = {
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a / b,
    }
    sign = {"*": "×", "/": "/", "+": "+", "-": "−"}[expr.op]
    return ops[expr.op](values[0], values[1]), f"({texts[0]} {sign} {texts[1]})"


def describe(formula: Formula, figures: Mapping[Item, Figure]) -> tuple[float, str]:
    """The result and a sentence stating the figures used and the computation."""
    value, work = evaluate(formula.expr, figures)
    if formula.percent:
        value *= 100
    decimals = formula.decimals if formula.decimals is not None else (1 if formula.percent else 2)
    shown = f"{value:,.{decimals}f}" + ("%" if formula.percent else "")
    used = "; ".join(f"{f.label} FY{f.item.year}: {_fmt(f.value)} [{f.source}]" for f in figures.values())
    work = work[1:-1] if work.startswith("(") and work.endswith(")") else work
    return (
        value,
        f"{formula.name} = {work}{' × 100' if formula.percent else ''} = {shown}. Figures used: {used}.",
    )


def resolve(formula: Formula, statements: Sequence[tuple[int, Statement]]) -> dict[Item, Figure] | None:
    """Each line item the formula needs, from the first statement (with its source number) that
    has the metric's row under one of its names and the year, else from the first whose row shares
    most of the metric's words ("total cost of revenue" is not taken for "total revenue" while a
    statement has the revenue row itself); None when one is missing."""
    out: dict[Item, Figure] = {}
    for item in items(formula.expr):
        found = next(
            (
                (n, row)
                for fuzzy in (False, True)
                for n, st in statements
                if (row := find_item(st, item.metric, fuzzy=fuzzy)) and item.year in row[1]
            ),
            None,
        )
        if found is None:
            return None
        n, (label, by_year) = found
        value = by_year[item.year]
        if _norm(item.metric) in OUTFLOWS:  # a cash flow statement shows them as (negative)
            value = abs(value)
        out[item] = Figure(item, value, label, n)
    return out


@dataclass(frozen=True)
class Computed:
    """An answer computed by code: the sentence (figures and work, each figure with its [n]), the
    value, and the sources it used."""

    text: str
    value: float
    sources: list[int]


def compute_answer(
    question: str,
    texts: Sequence[tuple[int, str]],
    fiscal_year: int | None = None,
    primary: Collection[int] = (),
) -> Computed | None:
    """The computation ``question`` asks for, done over the statements in ``texts`` ([n], text) of a
    filing for ``fiscal_year`` (when known: see line_items): a figure is taken from the first text
    that has it, the ``primary`` statements' ([n] of a 10-K's statements of operations, cash flows,
    balance sheet) first, then the others in their order. None when it asks for no arithmetic or a
    figure it needs is in none of them."""
    formula = parse_formula(question)
    if formula is None:
        return None
    statements = [
        (n, st)
        for n, text in texts
        if (st := line_items(text, fiscal_year, primary=n in primary)) is not None
    ]
    statements.sort(key=lambda t: t[0] not in primary)  # stable: the given order within each kind
    figures = resolve(formula, statements)
    if not figures:
        return None
    try:
        value, text = describe(formula, figures)
    except ZeroDivisionError:
        return None
    return Computed(text, value, sorted({f.source for f in figures.values()}))


def line_item_queries(formula: Formula) -> list[tuple[str, list[int]]]:
    """One search per metric the formula needs: the metric with the row labels statements give it
    (capex: "capital expenditures purchases of property and equipment"), and its fiscal years."""
    years: dict[str, set[int]] = {}
    for item in items(formula.expr):
        years.setdefault(item.metric, set()).add(item.year)
    out = []
    for metric, ys in years.items():
        want = _norm(metric)
        key = next((k for k in SYNONYMS if _norm(k) == want or _norm(k) in want.split()), None)
        labels = [n for n in SYNONYMS.get(key, ())[:2] if _norm(n) != want] if key else []
        out.append((" ".join([metric, *labels]), sorted(ys)))
    return out


_NAME = re.compile(r"(?<![.?!]\s)(?<!^)\b[A-Z][a-z]{2,}(?:\s+[A-Z][a-z]{2,})*")
_NOT_NAMES = frozenset({"What", "Answer", "Round", "Calculate", "Address", "Use", "Please", "Based", "Using"})


def names_match(question: str, text: str) -> bool:
    """Whether ``text`` (a document's title, path and registrant) holds one of the names the question
    gives (capitalised words not opening a sentence: "Activision Blizzard", "Block"); True when it
    gives none."""
    names = [n for n in _NAME.findall(question.strip()) if n.split()[0] not in _NOT_NAMES]
    if not names:
        return True
    hay = re.sub(r"[^a-z0-9]+", "", text.lower())
    return any(re.sub(r"[^a-z0-9]+", "", n.lower()) in hay for n in names)


def statement_rows(text: str, answer: str) -> list[str]:
    """The lines of a statement's text that hold a figure the answer shows (the quoted evidence)."""
    shown = {m.replace(",", "") for m in re.findall(r"\d[\d,]*(?:\.\d+)?", answer)}
    rows = []
    for line in text.splitlines():
        numbers = {m.replace(",", "") for m in re.findall(r"\d[\d,]*(?:\.\d+)?", line)}
        if numbers & shown and not re.fullmatch(rf"[\s|:-]*(?:{YEAR}[\s|,]*)+", line):
            rows.append(line.strip())
    return rows or [text.strip()[:400]]
