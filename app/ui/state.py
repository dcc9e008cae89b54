"""Streamlit glue: the shared backend (one per settings, per process), the logged-in session and
the page guard. Every page starts with ``guard(...)``; every action calls a function of
app.ui.backend, which re-checks the role and is refused with Refused otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app.ui import backend as be

SESSION_KEY = "docqa_user"


@st.cache_resource(show_spinner=False)
def _embedder(key: str, _settings: be.UiSettings) -> Any:
    from app.embeddings import Embedder

    return Embedder.from_settings(_settings)


@st.cache_resource(show_spinner="Connecting to the engine…")
def _backend(key: str, _settings: be.UiSettings) -> be.Backend:
    from app.client import find_engine
    from app.logs import install

    install(("", "streamlit"))  # personal data out of this process's logs
    embedder = (
        None
        if find_engine(_settings)
        else _embedder(f"{_settings.embed_backend}|{_settings.data_dir}", _settings)
    )
    return be.open_backend(_settings, embedder=embedder)


def settings() -> be.UiSettings:
    return be.UiSettings()


def backend() -> be.Backend:
    s = settings()
    return _backend(s.model_dump_json(), s)


def session() -> be.SessionUser | None:
    return st.session_state.get(SESSION_KEY)


def log_in(user: be.SessionUser) -> None:
    st.session_state[SESSION_KEY] = user


def log_out(message: str = "") -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if message:
        st.session_state["login_message"] = message


def current_user() -> be.SessionUser | None:
    """The logged-in user, re-read from the database; None (and logged out) when expired."""
    try:
        return be.refresh(backend(), session())
    except be.Expired as exc:
        log_out(str(exc))
        return None
    except be.Refused:
        return None


def guard(*roles: str) -> be.SessionUser:
    """The page's first line: stops the page unless a user with one of ``roles`` is logged in."""
    try:
        return be.require_role(backend(), session(), *roles)
    except be.Expired as exc:
        log_out(str(exc))
        st.warning(str(exc))
        st.stop()
    except be.Refused as exc:
        st.error(f"Not allowed: {exc}.")
        st.stop()
    raise AssertionError("unreachable")


def run_action(action: Callable[[], Any], *, ok: str = "") -> Any:
    """Run one of app.ui.backend's actions; refusals and engine errors become messages."""
    from app.client import EngineError

    try:
        result = action()
    except (be.Refused, EngineError) as exc:
        report(exc)
        return None
    if ok:
        st.toast(ok)
    return result


def report(exc: BaseException) -> None:
    """Show a refusal or an engine error (an expired session logs out and reruns); re-raise others."""
    from app.client import EngineError

    if isinstance(exc, be.Expired):
        log_out(str(exc))
        st.rerun()
    if isinstance(exc, be.Refused):
        st.error(f"Not allowed: {exc}.")
    elif isinstance(exc, EngineError):
        st.error(_engine_message(exc))
    else:
        raise exc


def _engine_message(exc: Any) -> str:
    if exc.status == 0:
        return f"The engine is not reachable: {exc.detail}"
    if exc.status == 503:
        return f"The engine is busy or its stores are unavailable: {exc.detail}"
    if exc.status == 403:
        return f"Not allowed: {exc.detail}"
    if exc.status == 429:  # the engine's question rate limit: its message says when to retry
        return exc.detail
    if exc.status == 401:
        return f"The engine refused the UI's credentials ({exc.detail}); restart `docqa ui`."
    return exc.detail
