"""Insights (admins only): questions per day, feedback, confidence bands, escalations, content gaps,
latency and cache hit rate, from the engine's GET /insights (computed there from the query log)."""

from __future__ import annotations

import streamlit as st

from app.ui import backend as be
from app.ui import state

user = state.guard(be.ADMIN)
B = state.backend()

st.title("Insights")
days = st.selectbox(
    "Period", [7, 30, 90, 365], index=1, format_func=lambda d: f"last {d} days", key="ins_days"
)
data = state.run_action(lambda: be.insights(B, state.session(), days=days))
if not data:
    st.stop()


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def ms(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f} ms"


fb, esc, lat = data["feedback"], data["escalations"], data["latency_ms"]
cols = st.columns(6)
cols[0].metric("Questions", data["questions"])
cols[1].metric("Refused", data["refused"])
cols[2].metric("Thumbs up", pct(fb["up_ratio"]), help=f"{fb['up']} up, {fb['down']} down")
cols[3].metric("Cache hit rate", pct(data["cache_hit_rate"]))
cols[4].metric("Latency p50", ms(lat["p50"]))
cols[5].metric("Latency p95", ms(lat["p95"]))
st.caption(f"Since {data['since']} (UTC).")

st.subheader("Questions per day")
st.line_chart({"questions": {r["day"]: r["questions"] for r in data["per_day"]}})

left, right = st.columns(2)
with left:
    st.subheader("Confidence")
    st.bar_chart({"answers": data["bands"]}, horizontal=True)
with right:
    st.subheader("Why thumbs down")
    st.bar_chart({"thumbs down": fb["down_reasons"]}, horizontal=True)

st.subheader("Questions to experts")
cols = st.columns(3)
cols[0].metric("Open or claimed", esc["open"])
cols[1].metric("Answered or closed", esc["closed"])
median = esc["median_reply_hours"]
cols[2].metric("Median time to reply", "–" if median is None else f"{median:.1f} h")
st.bar_chart({"escalations": esc["by_status"]})

st.subheader("Content gaps")
st.caption("The most frequent questions that were refused or answered with low confidence.")
if data["gaps"]:
    st.dataframe(
        [
            {"question": g["question"], "asked": g["count"], "refused": g["refused"], "last": g["last"][:16]}
            for g in data["gaps"]
        ],
        hide_index=True,
    )
else:
    st.info("No refused or low-confidence questions in this period.")
