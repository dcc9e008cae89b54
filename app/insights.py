"""Insights for admins: pure aggregation over QueryLog / Feedback / Escalation rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

LOW_BANDS = ("low",)


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100, linear interpolation); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def compute_insights(
    logs: Sequence[Mapping[str, Any]],
    feedback: Sequence[Mapping[str, Any]],
    escalations: Sequence[Mapping[str, Any]],
    *,
    days: int,
    now: datetime,
    gaps: int = 10,
) -> dict[str, Any]:
    """Insights over the last ``days`` days (rows: app.db insight_* methods; already filtered)."""
    from datetime import timedelta

    now = _utc(now)
    first = (now - timedelta(days=days - 1)).date()
    per_day = {(first + timedelta(days=i)).isoformat(): 0 for i in range(days)}
    bands = {"high": 0, "medium": 0, "low": 0, "none": 0}
    latencies, cache_hits, refused = [], 0, 0
    gap_rows: dict[str, dict[str, Any]] = {}
    for row in logs:
        created = _utc(row["created_at"])
        day = created.date().isoformat()
        if day in per_day:
            per_day[day] += 1
        band = row.get("band") or "none"
        bands[band if band in bands else "none"] += 1
        latencies.append(float(row.get("total_ms") or 0.0))
        cache_hits += bool(row.get("cache_hit"))
        refused += bool(row.get("refused"))
        if row.get("refused") or band in LOW_BANDS:
            key = " ".join(str(row.get("question", "")).lower().split()).rstrip("?")
            gap = gap_rows.setdefault(
                key, {"question": row.get("question", ""), "count": 0, "refused": 0, "last": created}
            )
            gap["count"] += 1
            gap["refused"] += bool(row.get("refused"))
            gap["last"] = max(gap["last"], created)
    up = sum(1 for f in feedback if f.get("thumb") == "up")
    down = sum(1 for f in feedback if f.get("thumb") == "down")
    reasons = {"wrong": 0, "incomplete": 0, "wrong_source": 0, "outdated": 0, "unspecified": 0}
    for f in feedback:
        if f.get("thumb") == "down":
            reason = f.get("reason") or "unspecified"
            reasons[reason] = reasons.get(reason, 0) + 1
    statuses = {"open": 0, "claimed": 0, "answered": 0, "closed": 0}
    reply_hours = []
    for e in escalations:
        statuses[e["status"]] = statuses.get(e["status"], 0) + 1
        replied = _utc(e.get("replied_at"))
        if replied is not None:
            reply_hours.append((replied - _utc(e["created_at"])).total_seconds() / 3600)
    top = sorted(gap_rows.values(), key=lambda g: (-g["count"], -g["last"].timestamp()))[:gaps]
    n = len(logs)
    return {
        "days": days,
        "since": first.isoformat(),
        "questions": n,
        "per_day": [{"day": d, "questions": c} for d, c in per_day.items()],
        "refused": refused,
        "feedback": {
            "total": up + down,
            "up": up,
            "down": down,
            "up_ratio": round(up / (up + down), 3) if up + down else None,
            "down_reasons": reasons,
        },
        "bands": bands,
        "escalations": {
            "open": statuses["open"] + statuses["claimed"],
            "closed": statuses["answered"] + statuses["closed"],
            "by_status": statuses,
            "median_reply_hours": round(percentile(reply_hours, 50), 2) if reply_hours else None,
        },
        "gaps": [g | {"last": g["last"].isoformat(timespec="seconds")} for g in top],
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1) if latencies else None,
            "p95": round(percentile(latencies, 95), 1) if latencies else None,
        },
        "cache_hit_rate": round(cache_hits / n, 3) if n else None,
    }
