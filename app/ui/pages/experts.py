"""My questions to experts (employees): the answers they handed to a human, status and reply."""

from __future__ import annotations

import streamlit as st

from app.ui import backend as be
from app.ui import render, state

user = state.guard(be.EMPLOYEE)
B = state.backend()

st.title("My questions to experts")
tickets = state.run_action(lambda: be.my_escalations(B, state.session())) or []
if not tickets:
    st.info("You have not asked an expert yet. Use “Ask an expert” under an answer.")
for e in tickets:
    with st.container(border=True, key=f"mine_{e['id']}"):
        st.badge(e["status"], color=render.STATUS_COLOUR.get(e["status"], "gray"))
        st.markdown(f"**#{e['id']} · {render.md_escape(e['question'])}**")
        st.caption(
            f"asked {str(e['created_at'])[:16].replace('T', ' ')}"
            + (f" · taken by {e['assignee']}" if e.get("assignee") else "")
        )
        if e.get("comment"):
            st.markdown(f"Your note: {render.md_escape(e['comment'])}")
        if e.get("reply"):
            st.success(f"**{e.get('replied_by') or 'The expert'}** replied: {render.md_escape(e['reply'])}")
        else:
            st.caption("No reply yet.")
        close = e["status"] != "closed" and st.button("Close", key=f"close_mine_{e['id']}")
        if close and state.run_action(
            lambda eid=e["id"]: be.close_escalation(B, state.session(), eid), ok="Closed"
        ):
            st.rerun()
