"""DocQA web UI (Streamlit entry): `docqa ui`, or `streamlit run app/ui/main.py`.

Not logged in: only the login page exists. Logged in: the pages the user's roles allow are
registered (employee: Ask, My questions to experts; reviewer/admin: Review; admin: Admin, Insights;
evaluator/admin: Evaluate); each page checks the role again itself, and each action once more
(app.ui.backend; the Evaluate page's own reads)."""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from app.ui import backend as be
from app.ui import state

HERE = Path(__file__).parent
st.set_page_config(page_title="DocQA", page_icon=":material/description:", layout="wide")


def login_page() -> None:
    st.title("DocQA")
    st.caption("Answers from your company's documents, each claim cited to its page.")
    if msg := st.session_state.pop("login_message", ""):
        st.info(msg)
    with st.form("login"):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        ip = st.context.ip_address  # the browser's address (None on localhost)
        try:
            user = be.log_in(state.backend(), name, password, address=ip if isinstance(ip, str) else None)
        except be.LoginFailed as exc:  # too many failed logins
            st.error(f"{exc}.")
            return
        if user is None:
            st.error("Wrong user name or password.")
        else:
            state.log_in(user)
            st.rerun()


# errors that mean a dependency is down, not a bug (app.client, app.store, app.db; matched by name so
# that the UI need not import the stores)
UNAVAILABLE = {
    "EngineUnavailableError", "StoreUnavailableError", "StoreBusyError", "DatabaseUnavailableError",
}  # fmt: skip


def error_page(exc: Exception) -> None:
    """A friendly page instead of a traceback; the details go to the log, for the administrator."""
    logging.getLogger("docqa.ui").error("page failed", exc_info=exc)
    names = {c.__name__ for c in type(exc).__mro__}
    status = getattr(exc, "status", None)
    st.title("DocQA")
    if names & UNAVAILABLE or status in (502, 503, 504):
        st.error(
            "DocQA can't reach its search engine or its database right now. Please try again in a "
            "minute; if this keeps happening, tell your administrator.",
            icon=":material/cloud_off:",
        )
    else:
        st.error(
            "Something went wrong while showing this page. Please try again; if this keeps happening, "
            "tell your administrator.",
            icon=":material/error:",
        )
    st.stop()


# (page file, title, icon, roles that may open it); each page checks its roles again itself
PAGES = [
    ("ask.py", "Ask", "chat", (be.EMPLOYEE,)),
    ("experts.py", "My questions to experts", "support_agent", (be.EMPLOYEE,)),
    ("review.py", "Review", "rate_review", tuple(be.REVIEW_ROLES)),
    ("admin.py", "Admin", "admin_panel_settings", (be.ADMIN,)),
    ("insights.py", "Insights", "insights", (be.ADMIN,)),
    ("evaluate.py", "Evaluate", "fact_check", (be.EVALUATOR, be.ADMIN)),
]

try:
    user = state.current_user()
except Exception as exc:
    error_page(exc)
if user is None:
    page = st.navigation(
        [st.Page(login_page, title="Log in", icon=":material/login:", url_path="login")], position="hidden"
    )
else:
    pages = []
    for file, title, icon, roles in PAGES:  # the first page a user may open is their home page
        if user.has(*roles):
            pages.append(st.Page(HERE / "pages" / file, title=title, icon=f":material/{icon}:",
                                 url_path=file.removesuffix(".py"), default=not pages))  # fmt: skip
    if not pages:

        def no_pages() -> None:
            st.info(f"{user.name} has no role with a page in this version ({', '.join(user.roles)}).")

        pages.append(st.Page(no_pages, title="Home", url_path="home", default=True))
    page = st.navigation(pages)
    with st.sidebar:
        st.markdown(f"**{user.name}** · {', '.join(user.roles)}")
        st.caption(f"reads: {', '.join(user.groups) or 'nothing'}")
        if st.button("Log out", key="logout"):
            state.log_out("You are logged out.")
            st.rerun()
try:
    page.run()
except Exception as exc:
    error_page(exc)
