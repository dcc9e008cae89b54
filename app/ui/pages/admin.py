"""Admin (admins only): upload a document set and watch it index; the document list with delete,
re-ingest and change-groups; users with their groups and roles; the audit log of admin actions.
Every action goes through app.ui.backend (role re-checked) to the engine (which checks the admin
role once more)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.ui import backend as be
from app.ui import state

user = state.guard(be.ADMIN)
B = state.backend()
JOB = "admin_job_id"
ROLES = [be.EMPLOYEE, be.REVIEWER, be.ADMIN, be.EVALUATOR]
ACTIVE = ("queued", "running")

st.title("Admin")
known_groups = state.run_action(lambda: be.groups(B, state.session())) or []


def pick_groups(label: str, key: str, default: list[str]) -> list[str]:
    """Known groups (multiselect) plus new ones typed, comma-separated."""
    options = sorted(set(known_groups) | set(default))
    chosen = st.multiselect(label, options, default=default, key=key)
    extra = st.text_input(
        "New groups (comma-separated)", key=f"{key}_extra", placeholder="e.g. finance, legal"
    )
    return sorted(set(chosen) | {g.strip() for g in extra.split(",") if g.strip()})


def show_job(job_id: str) -> str | None:
    job = state.run_action(lambda: be.job(B, state.session(), job_id))
    if not job:
        return None
    total, done = job.get("total"), job.get("done", 0)
    if job["status"] in ACTIVE:
        fraction = done / total if total else 0.0
        text = f"{done} of {total} files" if total is not None else "discovering files…"
        if job.get("stage"):  # files in progress per stage: parse, ocr (file, page), chunk, embed, write
            text += f" · {job['stage']}"
        if job.get("current"):
            text += f" · last: {job['current']}"
        st.progress(fraction, text=f"Set {job['set']}: {text}")
    else:
        st.progress(1.0, text=f"Set {job['set']}: {done} of {total or done} files · {job['status']}")
        counts = ", ".join(f"{n} {k}" for k, n in sorted(job.get("counts", {}).items()))
        if job["status"] == "done":
            st.success(f"Ingestion finished in {job['seconds']:.1f} s: {counts or 'no files'}.")
        else:
            st.error(f"Ingestion {job['status']}: {job.get('error') or counts}")
    if job.get("files"):
        rows = [
            {
                "file": f["path"],
                "status": f["status"],
                "reason": f.get("reason") or "",
                "pages": f.get("pages", 0),
                "chunks": f.get("chunks", 0),
                "seconds": round(f.get("seconds", 0.0), 2),
            }
            for f in job["files"]
        ]
        st.dataframe(rows, hide_index=True, key=f"job_files_{job_id}")
    return job["status"]


def job_panel(job_id: str) -> None:
    """The job's progress, polled every second while it runs (a fragment; the page reruns at the end)."""
    if show_job(job_id) not in ACTIVE and st.session_state.get(f"{JOB}_was_active"):
        st.session_state[f"{JOB}_was_active"] = False
        st.rerun()


upload_tab, docs_tab, users_tab, audit_tab = st.tabs(["Upload", "Documents", "Users", "Audit log"])

# -- upload ------------------------------------------------------------------------------------------
with upload_tab:
    with st.form("upload_form", clear_on_submit=False):
        set_name = st.text_input("Document set", key="up_set", placeholder="e.g. hr-policies")
        up_groups = pick_groups("Groups that may read these documents", "up_groups", [])
        files = st.file_uploader(
            "Files, or one or more .zip archives", accept_multiple_files=True, key="up_files"
        )
        go = st.form_submit_button("Upload and index", type="primary", key="up_go")
    if go:
        payload = [(f.name, f.getvalue()) for f in files or []]
        if not set_name.strip():
            st.error("Give the document set a name.")
        elif not payload:
            st.error("Choose at least one file.")
        else:
            started = state.run_action(
                lambda: be.upload(B, state.session(), set_name.strip(), up_groups, payload),
                ok="Upload received; indexing",
            )
            if started:
                st.session_state[JOB] = started["job_id"]
                for r in started.get("rejected", []):
                    st.warning(f"Not uploaded: {r['path']} ({r['status']}): {r['reason']}")
    if job_id := st.session_state.get(JOB):
        st.subheader("Ingestion")
        peek: dict[str, Any] | None = state.run_action(lambda: be.job(B, state.session(), job_id))
        active = bool(peek) and peek["status"] in ACTIVE
        st.session_state[f"{JOB}_was_active"] = active
        st.fragment(job_panel, run_every=1.0 if active else None)(job_id)

# -- documents ---------------------------------------------------------------------------------------
with docs_tab:
    docs = state.run_action(lambda: be.documents(B, state.session())) or []
    query = st.text_input("Search (set, path, title, group)", key="doc_search").strip().lower()
    if query:
        docs = [
            d
            for d in docs
            if query in " ".join([d["set"], d["path"], d.get("title") or "", *d["groups"]]).lower()
        ]
    st.caption(f"{len(docs)} document(s)")
    st.dataframe(
        [
            {
                "set": d["set"],
                "path": d["path"],
                "title": d.get("title") or "",
                "groups": ", ".join(d["groups"]),
                "version": d.get("version"),
                "pages": d["pages"],
                "chunks": d["chunks"],
                "status": d["status"],
                "last ingested": (d.get("last_ingested") or "")[:16].replace("T", " "),
            }
            for d in docs
        ],
        hide_index=True,
        key="doc_table",
    )
    by_id = {d["doc_id"]: d for d in docs}
    if by_id:
        doc_id = st.selectbox(
            "Document",
            list(by_id),
            format_func=lambda i: f"{by_id[i]['set']} / {by_id[i]['path']}",
            key="doc_pick",
        )
        doc = by_id[doc_id]
        with st.container(border=True):
            new_groups = pick_groups("Who may read it", f"doc_groups_{doc_id}", list(doc["groups"]))
            cols = st.columns(3)
            save = cols[0].button("Save groups", key="doc_groups_save", type="primary")
            if save and state.run_action(
                lambda: be.set_document_groups(B, state.session(), doc_id, new_groups),
                ok=f"{doc['path']}: readable by {', '.join(new_groups) or 'nobody'}",
            ):
                st.rerun()
            if cols[1].button("Re-ingest", key="doc_reingest", help="Index the kept upload again"):
                started = state.run_action(lambda: be.reingest(B, state.session(), doc_id), ok="Re-ingesting")
                if started:
                    st.session_state[JOB] = started["job_id"]
                    st.info("Re-ingestion started; see its progress under Upload.")
            sure = cols[2].checkbox("Yes, delete it", key="doc_delete_confirm")
            if cols[2].button("Delete", key="doc_delete", disabled=not sure) and state.run_action(
                lambda: be.delete_document(B, state.session(), doc_id), ok=f"{doc['path']} deleted"
            ):
                st.rerun()

# -- users -------------------------------------------------------------------------------------------
with users_tab:
    people = state.run_action(lambda: be.users(B, state.session())) or []
    st.dataframe(
        [
            {"user": u["name"], "groups": ", ".join(u["groups"]), "roles": ", ".join(u["roles"])}
            for u in people
        ],
        hide_index=True,
        key="user_table",
    )
    names = {u["name"]: u for u in people}
    NEW = "(new user)"
    pick = st.selectbox("Add or change", [NEW, *names], key="user_pick")
    current = names.get(pick, {"name": "", "groups": [], "roles": [be.EMPLOYEE]})
    with st.container(border=True):
        name = st.text_input("User name", key="user_name") if pick == NEW else pick
        u_groups = pick_groups("Groups (what they may read)", f"user_groups_{pick}", list(current["groups"]))
        u_roles = st.multiselect("Roles", ROLES, default=list(current["roles"]), key=f"user_roles_{pick}")
        password = st.text_input(
            "Password" if pick == NEW else "New password (leave empty to keep it)",
            type="password",
            key=f"user_password_{pick}",
        )
        if st.button("Save user", key="user_save", type="primary"):
            if not name.strip():
                st.error("Give the user a name.")
            elif state.run_action(
                lambda: be.save_user(
                    B, state.session(), name.strip(), groups=u_groups, roles=u_roles, password=password
                ),
                ok=f"{name.strip()} saved",
            ):
                st.rerun()
    if pick != NEW and pick != user.name:
        sure = st.checkbox(f"Yes, remove {pick}", key=f"user_delete_confirm_{pick}")
        if st.button(
            "Remove user", key="user_delete", disabled=not sure, help="Their logs and questions stay."
        ) and state.run_action(lambda: be.delete_user(B, state.session(), pick), ok=f"{pick} removed"):
            st.rerun()

# -- audit log ---------------------------------------------------------------------------------------
with audit_tab:
    cols = st.columns(3)
    actor = cols[0].text_input("Actor", key="audit_actor", placeholder="e.g. ada or cli:root").strip()
    action = (
        cols[1]
        .text_input(
            "Action", key="audit_action", placeholder='e.g. user.create, or "user." for all user actions'
        )
        .strip()
    )
    days = cols[2].number_input("Last N days (0 = all)", min_value=0, value=30, step=1, key="audit_days")
    since = None
    if days:
        from datetime import UTC, datetime, timedelta

        since = datetime.now(UTC) - timedelta(days=int(days))
    entries = (
        state.run_action(
            lambda: be.audit(B, state.session(), actor=actor or None, action=action or None, since=since)
        )
        or []
    )
    st.caption(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, newest first")
    st.dataframe(
        [
            {
                "when": (e.get("at") or "")[:19].replace("T", " "),
                "actor": e["actor"],
                "action": e["action"],
                "target": e["target"],
                "details": ", ".join(f"{k}: {v}" for k, v in (e.get("details") or {}).items()),
            }
            for e in entries
        ],
        hide_index=True,
        key="audit_table",
    )
