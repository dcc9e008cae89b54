"""QueryLog: one row per question asked, with personal data redacted.

``redact`` is a pure function: e-mail addresses, phone numbers, payment card numbers (Luhn-checked),
IBANs and national id numbers (US SSN, German tax id) become placeholders; ordinary numbers that
users ask about (amounts, years, dates, times, ports, percentages) stay.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.answer import Answer
    from app.db import Database
    from app.settings import Settings

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
IBAN = "[iban]"
ID = "[id]"

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# country code, check digits, 11-30 alphanumerics, optionally in groups of four
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CARD_RE = re.compile(
    r"(?<![\d.,-])(?:"
    r"\d{13,19}"  # contiguous
    r"|\d{4}(?:[ -]\d{4}){2}[ -]\d{1,7}"  # 4-4-4-4 (and 4-4-4-1..7)
    r"|\d{4}[ -]\d{6}[ -]\d{4,5}"  # Amex / Diners 4-6-5, 4-6-4
    r")(?![\d,]|\.\d)"
)
_SSN_RE = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
_PHONE_RES = (
    # international: +49 89 5508 24999, +1 (555) 123-4567, +44 (0)20 7946 0958
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(0\))?(?:[ .-]?\(?\d{1,5}\)?){1,6}(?![\d])"),
    # US: (555) 123-4567, 555-123-4567, 555.123.4567
    re.compile(r"(?<![\w(])\(\d{3}\) ?\d{3}[-. ]\d{4}(?!\d)"),
    re.compile(r"(?<![\w.-])\d{3}([-.])\d{3}\1\d{4}(?![\w-]|\.\d)"),
    # German national: 089 5508 24999, 030/1234567, 0171-1234567
    re.compile(r"(?<![\w.,/-])0\d{2,4}(?: ?/ ?|[ -])\d{3,8}(?:[ -]\d{1,6})?(?![\w,]|\.\d)"),
)
# German tax id (Steuer-IdNr): 11 digits, the first not 0, optionally written 12 345 678 901
_TAX_ID_RE = re.compile(r"(?<![\d.,-])[1-9]\d(?:\d{9}| \d{3} \d{3} \d{3})(?![\d,]|\.\d)")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _sub(pattern: re.Pattern[str], text: str, placeholder: str, ok: Callable[[str], bool]) -> str:
    return pattern.sub(lambda m: placeholder if ok(m.group(0)) else m.group(0), text)


def _card_ok(s: str) -> bool:
    d = _digits(s)
    return 13 <= len(d) <= 19 and luhn_ok(d)


def _iban_ok(s: str) -> bool:
    compact = s.replace(" ", "")
    return 15 <= len(compact) <= 34 and any(c.isdigit() for c in compact[4:])


def _phone_ok(s: str) -> bool:
    return 7 <= len(_digits(s)) <= 15


def redact(text: str) -> str:
    """Replace e-mail addresses, phone, card, IBAN and national id numbers with placeholders."""
    if not text:
        return text
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _sub(_IBAN_RE, text, IBAN, _iban_ok)
    text = _sub(_CARD_RE, text, CARD, _card_ok)
    text = _SSN_RE.sub(ID, text)
    for pattern in _PHONE_RES:
        text = _sub(pattern, text, PHONE, _phone_ok)
    return _TAX_ID_RE.sub(ID, text)


def redact_answer(d: Mapping[str, Any]) -> dict[str, Any]:
    """An answer's JSON (Answer.to_dict()) with question, answer and snippets redacted: what is
    stored of an answer beyond the query log (answer cache, conversation history)."""
    out = dict(d)
    for key in ("question", "answer"):
        if isinstance(d.get(key), str):
            out[key] = redact(d[key])
    out["citations"] = [
        dict(c, snippet=redact(str(c.get("snippet", "")))) if isinstance(c, Mapping) else c
        for c in d.get("citations", []) or []
    ]
    return out


def cost_of(prompt_tokens: int, completion_tokens: int, settings: Settings) -> float:
    return (
        prompt_tokens / 1000 * settings.llm_price_in_per_1k
        + completion_tokens / 1000 * settings.llm_price_out_per_1k
    )


def log_fields(
    user: str, groups: Sequence[str], answer: Answer, *, settings: Settings, redact_pii: bool = True
) -> dict[str, Any]:
    """The QueryLog row for ``answer`` as keyword arguments (pure)."""
    clean = redact if redact_pii else (lambda s: s)
    rewritten = answer.rewritten_query
    latency_ms = {k: round(v * 1000, 1) for k, v in answer.timings.items()}
    retrieved = [
        {
            "id": p.id,
            "doc_id": p.doc_id,
            "version": p.payload.get("version"),
            "score": p.score,
            "dense_score": p.dense_score,
            "sparse_score": p.sparse_score,
        }
        for p in answer.retrieved
    ]
    cited = [
        {"n": c.n, "doc_id": c.doc_id, "version": c.version, "page": c.page, "chunk_id": c.chunk_id}
        for c in answer.citations
    ]
    return dict(
        user=user,
        groups=sorted(set(groups)),
        question=clean(answer.question),
        rewritten_query=clean(rewritten) if rewritten else None,
        retrieved=retrieved,
        cited=cited,
        prompt_version=answer.prompt_version,
        backend=answer.backend,
        model=answer.model,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        cost=cost_of(answer.prompt_tokens, answer.completion_tokens, settings),
        latency_ms=latency_ms,
        total_ms=latency_ms.get("total", round(sum(latency_ms.values()), 1)),
        cache_hit=answer.cache_hit,
        confidence=answer.confidence.score,
        band=answer.confidence.band,
        refused=answer.refused,
        fallback_reason=answer.fallback_reason,
        injection_suspected=answer.injection_suspected,
        answer=clean(answer.answer),
    )


def log_answer(
    db: Database,
    user: str,
    groups: Sequence[str],
    answer: Answer,
    *,
    settings: Settings,
    redact_pii: bool = True,
) -> int:
    """Store one QueryLog row for ``answer``; returns its id."""
    return db.add_query_log(**log_fields(user, groups, answer, settings=settings, redact_pii=redact_pii))
