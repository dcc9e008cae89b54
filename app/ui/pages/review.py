"""Review (reviewers, admins): the escalations routed to them; claim, reply, close, publish as a
verified answer (and unpublish)."""

from __future__ import annotations

import streamlit as st

from app.ui import backend as be
from app.ui import render, state

user = state.guard(*be.REVIEW_ROLES)
B = state.backend()
FILTERS = {
    "active": "Open or claimed",
    "open": "Open",
    "claimed": "Claimed",
    "answered": "Answered",
    "closed": "Closed",
    "all": "All",
}


def publish(eid: int, question: str, answer: str, groups: list[str]) -> dict:
    """The engine checks that the user may publish this escalation to these groups."""
    me = be.require_role(B, state.session(), *be.REVIEW_ROLES)
    return B.engine.publish_verified(eid, me.name, question=question, answer=answer, groups=groups)


def unpublish(verified_id: int) -> dict:
    me = be.require_role(B, state.session(), *be.REVIEW_ROLES)
    return B.engine.unpublish_verified(verified_id, me.name)


all_groups = (state.run_action(lambda: be.groups(B, state.session())) or []) if user.has(be.ADMIN) else []
st.title("Review")
status = st.selectbox("Show", list(FILTERS), format_func=FILTERS.get, key="review_status")
queue = state.run_action(lambda: be.review_queue(B, state.session(), status=status)) or []
st.caption(
    f"{len(queue)} question(s) routed to you" + ("" if user.has(be.ADMIN) else " (by the groups you are in)")
)
for e in queue:
    eid = e["id"]
    with st.container(border=True, key=f"esc_{eid}"):
        st.badge(e["status"], color=render.STATUS_COLOUR.get(e["status"], "gray"))
        st.markdown(f"**#{eid} · {render.md_escape(e['question'])}**")
        st.caption(
            f"asked by {e['asker']} · {str(e['created_at'])[:16].replace('T', ' ')} · confidence "
            f"{e['band'] or '?'} ({e['confidence']:.2f}) · groups {', '.join(e['groups']) or 'any'}"
            + (f" · taken by {e['assignee']}" if e.get("assignee") else "")
        )
        if e.get("queue") == "admins":
            st.warning(
                f"Admin queue: {e.get('queue_reason') or 'no reviewer may read every cited document'}."
            )
        if e.get("comment"):
            st.markdown(f"**The asker's note:** {render.md_escape(e['comment'])}")
        with st.expander("Answer given and its sources", expanded=e["status"] in ("open", "claimed")):
            if e.get("withheld"):
                st.caption(
                    f"Withheld: {e.get('withheld_reason') or 'you may not read every cited document'}."
                )
            else:
                st.markdown(render.md_escape(e["answer"]) or "_(no answer)_")
            for s in e["sources"]:
                where = render.pages_label(s)  # "sheet Revenue, rows 4–9", "section A › B", "p. 3"
                where = render.md_escape(where)
                name = render.md_escape(s.get("document") or s.get("path") or "")
                head = f"\\[{s.get('n') or '?'}\\] **{name}** {where}"
                if s.get("changed"):
                    st.caption(f"{head} — the document was re-ingested since; the quoted passage is gone")
                else:
                    st.markdown(f"{head}: {render.md_escape(s.get('snippet', ''))}")
        if e.get("reply"):
            st.success(f"Reply by {e.get('replied_by')}: {render.md_escape(e['reply'])}")
            with st.expander("Publish as verified answer"):
                routing = list(e["groups"]) or list(user.groups)  # a ticket citing nothing: your groups
                choices = sorted(set(routing) | set(all_groups))
                with st.form(f"publish_form_{eid}"):
                    q = st.text_input("Question", value=e["question"], key=f"pub_q_{eid}")
                    a = st.text_area("Answer", value=e["reply"], key=f"pub_a_{eid}")
                    g = st.multiselect(
                        "Who may read it",
                        choices,
                        default=list(e["groups"]),
                        key=f"pub_g_{eid}",
                        help="Readers in these groups will get it cited as "
                        "“Verified by <you>, <date>”. At least one group.",
                    )
                    go = st.form_submit_button("Publish", key=f"pub_{eid}", type="primary")
                if go and state.run_action(
                    lambda eid=eid, q=q, a=a, g=g: publish(eid, q, a, g), ok="Published as a verified answer"
                ):
                    st.rerun()
        if e["status"] == "closed":
            continue
        cols = st.columns([1, 1, 4])
        claim = e["status"] == "open" and cols[0].button("Claim", key=f"claim_{eid}")
        if claim and state.run_action(
            lambda eid=eid: be.claim(B, state.session(), eid), ok=f"#{eid} is yours"
        ):
            st.rerun()
        close = cols[1].button("Close", key=f"close_{eid}")
        if close and state.run_action(
            lambda eid=eid: be.close_escalation(B, state.session(), eid), ok=f"#{eid} closed"
        ):
            st.rerun()
        with st.form(f"reply_form_{eid}"):
            text = st.text_area("Reply to the asker", value=e.get("reply") or "", key=f"reply_text_{eid}")
            send = st.form_submit_button("Send reply", key=f"reply_{eid}", type="primary")
        if send and state.run_action(
            lambda eid=eid, t=text: be.reply(B, state.session(), eid, t), ok="Reply sent"
        ):
            st.rerun()


st.subheader("Verified answers")
verified = state.run_action(lambda: B.engine.verified_answers(user.name)) or []
if not verified:
    st.caption("None published yet.")
for v in verified:
    with st.container(border=True, key=f"verified_{v['id']}"):
        st.markdown(f"**{render.md_escape(v['question'])}**")
        if v.get("status") == "withdrawn":
            st.error(f"Withdrawn: {v.get('withdrawn_reason') or 'a document it restates was deleted'}.")
        elif v.get("withheld"):
            st.caption("Answer withheld: you may not read every document it restates.")
        else:
            st.markdown(render.md_escape(v["answer"]))
        readers = ", ".join(v["groups"]) or "nobody now (its documents' groups changed)"
        st.caption(
            f"Verified by {v['reviewer']}, {str(v['created_at'])[:10]} · readable by {readers}"
            + (f" · from escalation #{v['escalation_id']}" if v.get("escalation_id") else "")
        )
        if (
            v.get("can_unpublish")
            and st.button("Unpublish", key=f"unpublish_{v['id']}")
            and state.run_action(lambda vid=v["id"]: unpublish(vid), ok="Unpublished")
        ):
            st.rerun()
