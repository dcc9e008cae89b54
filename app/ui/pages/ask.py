"""Ask (employees): chat with history, streamed answers, source cards, confidence, feedback, experts."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any

import streamlit as st

from app.ui import backend as be
from app.ui import render, state

user = state.guard(be.EMPLOYEE)
B = state.backend()
CONV = "conversation_id"
SEARCH_IN = "search_in"  # the doc_id to ask within, or None: all the documents the user may read


# -- sidebar: where to search, conversations -------------------------------------------------------------
def doc_label(doc: dict[str, Any] | None) -> str:
    return "All my documents" if doc is None else f"{doc['path']} ({doc['set']})"


with st.sidebar:
    readable = state.run_action(lambda: be.readable_documents(B, state.session())) or []
    by_id = {d["doc_id"]: d for d in readable}
    if st.session_state.get(SEARCH_IN) not in (None, *by_id):  # no longer readable, or removed
        st.session_state.pop(SEARCH_IN)
    search_in: str | None = st.selectbox(
        "Search in",
        [None, *by_id],
        key=SEARCH_IN,
        format_func=lambda doc_id: doc_label(by_id.get(doc_id) if doc_id else None),
        help="Picking a document searches only that document; “All my documents” searches every "
        "document your groups may read.",
    )
    if st.button("New chat", icon=":material/add:", key="new_chat", use_container_width=True):
        st.session_state[CONV] = None
        st.rerun()
    st.caption("Your conversations")
    convs = state.run_action(lambda: be.conversations(B, state.session())) or []
    for c in convs:
        current = st.session_state.get(CONV) == c.id
        label = (c.title or "(untitled)")[:48]
        if st.button(
            label,
            key=f"conv_{c.id}",
            type="primary" if current else "tertiary",
            help=f"started {c.created_at:%Y-%m-%d %H:%M}",
        ):
            st.session_state[CONV] = c.id
            st.rerun()


# -- one answer --------------------------------------------------------------------------------------
def show_sources(turn_id: int, answer: dict[str, Any]) -> None:
    text = answer.get("answer", "")
    for c in answer.get("citations", []):
        n = c["n"]
        with st.container(border=True, key=f"card_{turn_id}_{n}"):
            st.html(f'<span id="{render.source_anchor(turn_id, n)}"></span>')
            title = c.get("document") or Path(c.get("path", "")).name
            where = render.pages_label(c)
            st.markdown(f"**\\[{n}\\] {render.md_escape(title)}**" + (f" · {where}" if where else ""))
            st.caption(c.get("path", ""))
            snippet = render.highlight(c.get("snippet", ""), render.cited_words(text, n))
            st.html(f'<div class="docqa-snippet" style="font-size:0.9em;line-height:1.45">{snippet}</div>')
            if c.get("verified_by"):  # a reviewer's verified answer: the card is the whole source
                continue
            key = f"open_{turn_id}_{n}"
            if st.button("Open source", key=f"btn_{key}", icon=":material/description:"):
                st.session_state[key] = not st.session_state.get(key, False)
            if st.session_state.get(key):
                show_original(c, key, text)


def show_original(c: dict[str, Any], key: str, answer_text: str) -> None:
    """The original at the cited page (permission checked again by the engine), and its download."""
    found = state.run_action(lambda: be.original(B, state.session(), c["doc_id"]))
    if not found:
        return
    page = int(c.get("page") or 1)
    last = max(page, int(c.get("page_end") or page))
    name = found["filename"]
    if render.is_pdf(c, found["media_type"]):
        if last > page:  # a passage spanning pages: show the page holding most of the cited words
            words = render.cited_words(answer_text, c["n"]) | render.content_words(c.get("snippet", ""))
            page = best_pdf_page(found["content"], page, last, frozenset(words))
        image = pdf_page_png(found["content"], page)
        if image is not None:
            st.image(
                image,
                caption=f"{name}, page {page}"
                + (f" (cited: pages {c['page']}–{last})" if last > int(c["page"]) else ""),
                width=520,
            )
        label = f"Download {name} (PDF, cited page {page})"
    else:
        label = f"Download {name}"
    if found.get("version") and c.get("version") and found["version"] != c["version"]:
        st.caption(f"The document changed since this answer (now version {found['version']}).")
    st.download_button(
        label,
        found["content"],
        file_name=name,
        mime=found["media_type"],
        key=f"dl_{key}",
        on_click="ignore",
        icon=":material/download:",
    )


@st.cache_data(show_spinner=False, max_entries=32)
def best_pdf_page(content: bytes, first: int, last: int, words: frozenset[str]) -> int:
    """The page in first..last whose text holds most of ``words`` (first if it cannot tell)."""
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(content)
        scores = {}
        for p in range(first, min(last, len(pdf)) + 1):
            text = pdf[p - 1].get_textpage().get_text_range()
            scores[p] = len(words & render.content_words(text))
        pdf.close()
        return max(scores, key=lambda p: (scores[p], -p)) if scores else first
    except Exception:
        return first


@st.cache_data(show_spinner=False, max_entries=32)
def pdf_page_png(content: bytes, page: int) -> bytes | None:
    """The PDF page as a PNG (pypdfium2, which pdfplumber brings); None if it cannot be drawn."""
    import io

    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(content)
        index = min(max(page, 1), len(pdf)) - 1
        image = pdf[index].render(scale=1.4).to_pil().convert("RGB")
        from PIL import ImageOps

        box = ImageOps.invert(image.convert("L")).getbbox()  # drop the blank bottom of the page
        if box:
            image = image.crop((0, 0, image.width, min(image.height, box[3] + 60)))
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        pdf.close()
        return buf.getvalue()
    except Exception:
        return None


def show_confidence(answer: dict[str, Any]) -> None:
    conf = answer.get("confidence") or {}
    band = conf.get("band")
    if not band:
        return
    cols = st.columns([1, 4])
    with cols[0]:
        st.badge(render.BAND_LABEL[band], color=render.BAND_COLOUR[band], icon=":material/speed:")
    with cols[1]:
        st.caption(conf.get("message", ""))
    if conf.get("reasons"):
        with st.expander("Why this confidence?"):
            for r in conf["reasons"]:
                st.markdown(f"- {r}")


def show_actions(turn: dict[str, Any]) -> None:
    """Thumbs up/down (with reason and comment), and "Ask an expert" (highlighted when suggested)."""
    tid, qid, answer = turn["id"], turn["query_log_id"], turn["answer"]
    if qid is None:
        st.caption("This answer was not logged, so it cannot be rated or sent to an expert.")
        return
    given = st.session_state.setdefault("feedback_given", {})
    suggest = bool((answer.get("confidence") or {}).get("suggest_expert"))
    c1, c2, c3, c4 = st.columns([2, 2, 2, 3], vertical_alignment="center")
    helpful = c1.button("Helpful", key=f"up_{tid}", icon=":material/thumb_up:")
    if helpful and state.run_action(
        lambda: be.feedback(B, state.session(), qid, "up"), ok="Thanks for the feedback"
    ):
        given[qid] = "up"
        st.session_state.pop(f"down_{tid}", None)
    if c2.button("Not helpful", key=f"down_btn_{tid}", icon=":material/thumb_down:"):
        st.session_state[f"down_{tid}"] = True
    if c3.button(
        "Ask an expert",
        key=f"expert_btn_{tid}",
        type="primary" if suggest else "secondary",
        icon=":material/support_agent:",
        help="Suggested: low confidence or a high-stakes topic" if suggest else None,
    ):
        st.session_state[f"expert_{tid}"] = True
    if qid in given:
        c4.caption(f"Your feedback: {'helpful' if given[qid] == 'up' else 'not helpful'}")
    elif suggest:
        c4.caption("An expert can check this answer for you.")
    if st.session_state.get(f"down_{tid}"):
        with st.form(f"down_form_{tid}"):
            reason = st.selectbox(
                "What was wrong?",
                [None, *render.REASON_LABELS],
                key=f"reason_{tid}",
                format_func=lambda r: "(no reason)" if r is None else render.REASON_LABELS[r],
            )
            comment = st.text_input("Comment (optional)", key=f"comment_{tid}")
            if st.form_submit_button("Send feedback", key=f"send_down_{tid}"):
                done = state.run_action(
                    lambda: be.feedback(B, state.session(), qid, "down", reason=reason, comment=comment),
                    ok="Thanks for the feedback",
                )
                if done:
                    given[qid] = "down"
                    st.session_state[f"down_{tid}"] = False
                    st.rerun()
    if st.session_state.get(f"expert_{tid}"):
        with st.form(f"expert_form_{tid}"):
            note = st.text_area("What should the expert check? (optional)", key=f"expert_comment_{tid}")
            if st.form_submit_button("Send to an expert", key=f"send_expert_{tid}", type="primary"):
                ticket = state.run_action(lambda: be.escalate(B, state.session(), qid, comment=note))
                if ticket:
                    st.session_state[f"expert_{tid}"] = False
                    st.session_state.setdefault("escalated", {})[qid] = ticket["id"]
                    st.rerun()
    if qid in st.session_state.get("escalated", {}):
        st.success(
            f"Sent to an expert (question #{st.session_state['escalated'][qid]}); "
            "the reply appears under “My questions to experts”."
        )


def show_answer(turn: dict[str, Any]) -> None:
    answer = turn["answer"]
    known = {c["n"] for c in answer.get("citations", [])}
    st.markdown(render.link_markers(answer.get("answer", ""), turn["id"], known))
    if turn.get("withheld"):
        return
    for label in render.provenance(answer):
        st.caption(label)
    show_confidence(answer)
    show_sources(turn["id"], answer)
    show_actions(turn)


# -- the page ------------------------------------------------------------------------------------------
st.title("Ask")
conv_id = st.session_state.get(CONV)
history = state.run_action(lambda: be.turns(B, state.session(), conv_id)) if conv_id else []
history = history or []
if not history:
    st.caption(
        f"Ask about the documents your groups may read ({', '.join(user.groups) or 'none'}). "
        "Every claim is cited to its document and page."
    )
if search_in:
    st.caption(f"Searching only in {render.md_escape(doc_label(by_id[search_in]))}.")
for turn in history:
    with st.chat_message("user"):
        st.markdown(render.md_escape(turn["question"]))
    with st.chat_message("assistant"):
        show_answer(turn)

question = st.chat_input("Ask a question about your documents", key="question")
if question:
    with st.chat_message("user"):
        st.markdown(render.md_escape(question))
    with st.chat_message("assistant"):
        quick_box, placeholder = st.empty(), st.empty()
        events: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        result: dict[str, Any] = {}
        session = state.session()
        earlier = [t["question"] for t in history]

        def work() -> None:
            try:
                result["answer"] = be.ask(
                    B, session, question, history=earlier,
                    on_token=lambda t: events.put(("token", t)), on_quick=lambda q: events.put(("quick", q)),
                    doc=search_in,
                )  # fmt: skip
            except Exception as exc:
                result["error"] = exc
            finally:
                events.put(None)

        threading.Thread(target=work, name="docqa-ui-ask", daemon=True).start()
        shown = ""
        placeholder.caption("Searching your documents…")
        while (event := events.get()) is not None:
            kind, value = event
            if kind == "quick":  # the sources' own words at once; the model's answer follows
                with quick_box.container(border=True):
                    st.caption("Quick answer, quoted from your documents — the full answer is being written…")
                    st.markdown(render.md_escape(value.get("answer", "")))
                placeholder.caption("Writing the answer…")
                continue
            shown += value
            placeholder.markdown(shown + " ▌")
        quick_box.empty()
        if "error" in result:
            placeholder.empty()
            state.report(result["error"])
        else:
            answer = result["answer"]
            st.session_state[CONV] = be.add_turn(B, session, conv_id, question, answer)
            st.rerun()
