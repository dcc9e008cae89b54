"""Finding and talking to the engine (`docqa serve`) from the CLI (and later the UI).

``EngineClient`` (HTTP) and ``InProcessEngine`` (services in this process) have the same methods,
so a caller works with either: ask, documents, ingestion jobs, and feedback and escalations
(``feedback``, ``get_feedback``, ``escalate``, ``escalations``, ``escalation``, ``claim``,
``reply``, ``close_escalation``, ``feedback_summary``). Failures raise EngineError with the HTTP
status the engine answers: 400 bad input, 403 not allowed, 404 unknown user/answer/escalation,
409 conflicting escalation state, 503 stores unavailable.

A running engine announces itself in ``<data_dir>/engine.json`` ({url, pid, started, token}, file mode
0600: only the OS user running the engine can read its service token); ``find_engine`` trusts that
file only if the pid is alive and GET /health answers within about a second, so a file left behind
by a killed engine is ignored. ``DOCQA_ENGINE_URL`` names an engine explicitly (e.g. on another
host); then an unreachable engine is an error, not a silent fallback, and the token is
``DOCQA_ENGINE_TOKEN`` (or engine.json's when it announces that same URL).

Every request but /health carries ``Authorization: Bearer <token>``: the service token (the CLI and
the UI server act for the users they name), or a user's session token from ``EngineClient.login``
(then the engine refuses 403 to act as anyone else). The engine audits admin actions without a
user (the CLI's ``docqa docs rm``) as its authenticated principal: "service" for the service token,
the user for a session token; the client's ``actor`` ("cli:<os user>" by default, sent as
X-DocQA-Actor) is kept only as the unverified detail ``claimed_by``. Without an engine
(InProcessEngine) the CLI records "cli:<os user>" itself.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from app.processes import pid_alive, process_created

if TYPE_CHECKING:
    from app.services import Services
    from app.settings import Settings

log = logging.getLogger("docqa.engine")
ENGINE_FILE = "engine.json"
HEALTH_TIMEOUT_S = 1.0


class EngineError(Exception):
    """The engine answered with an error (``status``: HTTP status, or the error event's)."""

    def __init__(self, status: int, detail: str, retry_after: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


class EngineUnavailableError(EngineError):
    """The engine could not be reached (connection refused, timed out, dropped the stream)."""

    def __init__(self, url: str, exc: Exception) -> None:
        super().__init__(0, f"cannot reach the engine at {url}: {type(exc).__name__}: {exc}")


# -- engine.json -----------------------------------------------------------------------------------
def engine_file(settings: Settings) -> Path:
    return settings.data_dir / ENGINE_FILE


def write_engine_file(settings: Settings, url: str, token: str | None = None) -> None:
    """Announce the engine at ``url`` (with its service ``token``) in engine.json, mode 0600."""
    path = engine_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    info: dict[str, Any] = {
        "url": url,
        "pid": os.getpid(),
        "process_created": process_created(),  # tells this process from a later one with its pid
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if token:
        info["token"] = token
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(info, indent=2) + "\n")
    tmp.replace(path)


def remove_engine_file(settings: Settings, url: str) -> None:
    """Remove engine.json if it still announces this process at ``url``."""
    info = read_engine_file(settings)
    if info and info.get("pid") == os.getpid() and info.get("url") == url:
        engine_file(settings).unlink(missing_ok=True)


def read_engine_file(settings: Settings) -> dict[str, Any] | None:
    try:
        info = json.loads(engine_file(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and isinstance(info.get("url"), str) else None


def find_engine(settings: Settings) -> EngineClient | None:
    """The engine serving this data dir, or None when none runs (then open the stores yourself)."""
    configured = settings.engine_token.get_secret_value() if settings.engine_token else None
    info = read_engine_file(settings)
    if settings.engine_url:
        same = info is not None and info["url"].rstrip("/") == settings.engine_url.rstrip("/")
        return EngineClient(settings.engine_url, token=configured or (_token(info) if same else None))
    if info is None or not pid_alive(info.get("pid"), info.get("process_created")):
        return None
    client = EngineClient(info["url"], token=configured or _token(info))
    try:
        client.health(timeout=HEALTH_TIMEOUT_S)
    except EngineError:
        client.close()
        return None
    return client


def _token(info: Mapping[str, Any] | None) -> str | None:
    token = (info or {}).get("token")
    return token if isinstance(token, str) and token else None


RETRIES = 2  # after the first attempt, for calls that never reached the engine
BACKOFF_S = 0.5


# -- the client ------------------------------------------------------------------------------------
class EngineClient:
    """A thin httpx wrapper over the engine's HTTP API; errors become EngineError.

    ``token``: the engine's service token, or a user's session token (see ``login``); ``actor``:
    who this client says acts (default "cli:<os user>"), sent as X-DocQA-Actor; the engine keeps it
    as the unverified audit detail ``claimed_by`` and records the token's principal as the actor."""

    def __init__(
        self, url: str, *, timeout: float = 30.0, token: str | None = None, actor: str | None = None
    ) -> None:
        from app.access import cli_actor

        self.url = url.rstrip("/")
        headers = {"X-DocQA-Actor": actor or cli_actor()}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.url, timeout=timeout, headers=headers)

    def login(self, name: str, password: str) -> dict[str, Any]:
        """Log in as a user (POST /login): {token, user, roles, groups, expires_at}; from now on this
        client sends that session token and can act only as that user. EngineError 401 (wrong name
        or password) or 429 (too many failed logins, with retry_after)."""
        found = self._request("POST", "/login", json={"name": name, "password": password})
        self._http.headers["Authorization"] = f"Bearer {found['token']}"
        return found

    def logout(self) -> None:
        """End this client's session token (POST /logout)."""
        try:
            response = self._http.post("/logout")
        except httpx.HTTPError as exc:
            raise EngineUnavailableError(self.url, exc) from None
        _raise_for_status(response)
        self._http.headers.pop("Authorization", None)

    def audit(
        self,
        user: str,
        *,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """The audit log, newest first (admins only): {id, at, actor, action, target, details}."""
        params: dict[str, Any] = {"user": user, "limit": limit}
        params |= {k: v for k, v in {"actor": actor, "action": action}.items() if v}
        if since is not None:
            params["since"] = since.isoformat()
        return self._request("GET", "/audit", params=params)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, *, retries: int = RETRIES, **kwargs: Any) -> Any:
        """One call, retried with backoff (0.5 s, 1 s) when it never reached the engine (connection
        refused or connect timeout: safe for any method) and, for reads, on 502/504 from a proxy."""
        for attempt in range(retries + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == retries:
                    raise EngineUnavailableError(self.url, exc) from None
            except httpx.HTTPError as exc:
                raise EngineUnavailableError(self.url, exc) from None
            else:
                if not (method == "GET" and response.status_code in (502, 504) and attempt < retries):
                    break
            time.sleep(BACKOFF_S * 2**attempt)
        _raise_for_status(response)
        return response.json()

    def health(self, *, timeout: float | None = None) -> dict[str, Any]:
        """GET /health once (a probe: no retries)."""
        return self._request("GET", "/health", retries=0, **({"timeout": timeout} if timeout else {}))

    def ask(
        self,
        question: str,
        user: str,
        *,
        backend: str | None = None,
        history: Sequence[str] = (),
        on_token: Callable[[str], None] | None = None,
        on_quick: Callable[[dict[str, Any]], None] | None = None,
        doc: str | None = None,
    ) -> dict[str, Any]:
        """The answer JSON (Answer.to_dict() + cache_hit, query_log_id, log_warning). With
        ``on_token`` (or ``on_quick``) the answer is streamed: each generated piece of text is passed
        to ``on_token``; ``on_quick`` gets the quick extractive answer before the model writes.
        ``doc``: answer from this one document only (its path or doc_id)."""
        body = {"question": question, "user": user, "backend": backend, "history": list(history)}
        if doc:
            body["doc"] = doc
        no_read_timeout = httpx.Timeout(self._http.timeout.connect or 30.0, read=None)
        if on_token is None and on_quick is None:
            return self._request("POST", "/ask", json=body, timeout=no_read_timeout)
        from httpx_sse import SSEError, connect_sse

        try:
            with connect_sse(
                self._http, "POST", "/ask", json=body | {"stream": True}, timeout=no_read_timeout
            ) as events:
                _raise_for_status(events.response)
                for event in events.iter_sse():
                    data = json.loads(event.data) if event.data else {}
                    if event.event == "token" and on_token is not None:
                        on_token(data.get("text", ""))
                    elif event.event == "quick" and on_quick is not None:
                        on_quick(data)
                    elif event.event == "answer":
                        return data
                    elif event.event == "error":
                        raise EngineError(int(data.get("status", 500)), str(data.get("detail", "")))
        except (httpx.HTTPError, SSEError) as exc:
            raise EngineUnavailableError(self.url, exc) from None
        raise EngineUnavailableError(self.url, RuntimeError("the answer stream ended without an answer"))

    def documents(self, set_name: str | None = None) -> list[dict[str, Any]]:
        return self._request("GET", "/documents", params={"set": set_name} if set_name else None)

    def readable_documents(self, user: str) -> list[dict[str, Any]]:
        """The indexed documents ``user``'s groups may read, by set and path (the engine resolves
        the groups): {doc_id, set, path, title, version, pages, file_type}."""
        return self._request("GET", "/documents/readable", params={"user": user})

    def delete_document(self, doc_id: str, *, user: str | None = None) -> dict[str, Any]:
        """Remove a document; with ``user`` the engine checks that they are an admin (403)."""
        return self._request("DELETE", f"/documents/{doc_id}", params={"user": user} if user else None)

    def set_groups(self, doc_id: str, groups: Sequence[str], *, user: str | None = None) -> dict[str, Any]:
        params = {"user": user} if user else None
        return self._request(
            "PUT", f"/documents/{doc_id}/groups", json={"groups": list(groups)}, params=params
        )

    # -- admin (the engine refuses 403 unless ``user`` holds the role admin) ----------------------------
    def upload(
        self, user: str, set_name: str, groups: Sequence[str], files: Sequence[tuple[str, bytes]]
    ) -> dict[str, Any]:
        """Send files (a .zip is extracted by the engine) to <data_dir>/uploads/<set>/ and start
        their ingestion job: {job_id, status, files, rejected}. ``user`` goes in the query too, so
        the engine refuses a non-admin before reading the files."""
        data = {"user": user, "set": set_name, "groups": list(groups)}
        parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
        no_read_timeout = httpx.Timeout(self._http.timeout.connect or 30.0, read=None)
        return self._request(
            "POST", "/uploads", params={"user": user}, data=data, files=parts, timeout=no_read_timeout
        )

    def reingest(self, doc_id: str, user: str) -> dict[str, Any]:
        """Re-run ingestion of an uploaded document from its kept upload: {job_id, status}."""
        return self._request("POST", f"/documents/{doc_id}/reingest", json={"user": user})

    def users(self, user: str) -> list[dict[str, Any]]:
        return self._request("GET", "/users", params={"user": user})

    def groups(self, user: str) -> list[str]:
        return self._request("GET", "/groups", params={"user": user})

    def save_user(
        self,
        user: str,
        name: str,
        *,
        groups: Sequence[str],
        roles: Sequence[str],
        password: str | None = None,
    ) -> dict[str, Any]:
        """Create ``name`` (password required) or change their groups, roles and (if given) password."""
        body = {
            "user": user,
            "name": name,
            "groups": list(groups),
            "roles": list(roles),
            "password": password,
        }
        return self._request("POST", "/users", json=body)

    def delete_user(self, user: str, name: str) -> dict[str, Any]:
        """Remove the user ``name`` (admins only; not oneself): {removed}."""
        return self._request("DELETE", f"/users/{name}", params={"user": user})

    def insights(self, user: str, *, days: int = 30) -> dict[str, Any]:
        """Usage, feedback, confidence, escalations, content gaps, latency, cache (admins only)."""
        return self._request("GET", "/insights", params={"user": user, "days": days})

    def eval_runs(self, user: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """Stored evaluation runs, newest first (evaluators and admins only; 403 otherwise)."""
        return self._request("GET", "/eval/runs", params={"user": user, "limit": limit})

    def eval_run(self, run_id: int, user: str) -> dict[str, Any]:
        """One evaluation run with its per-question ``results`` (evaluators and admins only)."""
        return self._request("GET", f"/eval/runs/{run_id}", params={"user": user})

    def eval_compare(self, a: int, b: int, user: str, *, threshold: float | None = None) -> dict[str, Any]:
        """Run B against run A: metric deltas, regressions, fixes, failures (evaluators and admins)."""
        params = {"a": a, "b": b, "user": user} | ({"threshold": threshold} if threshold is not None else {})
        return self._request("GET", "/eval/compare", params=params)

    def original(self, doc_id: str, user: str) -> dict[str, Any]:
        """The kept original of a document's current version, if ``user``'s groups may read it
        (EngineError 403 otherwise): {filename, media_type, content (bytes), version}."""
        try:
            response = self._http.get(f"/documents/{doc_id}/original", params={"user": user})
        except httpx.HTTPError as exc:
            raise EngineUnavailableError(self.url, exc) from None
        _raise_for_status(response)
        return {
            "filename": _filename(response.headers.get("content-disposition", "")) or doc_id,
            "media_type": response.headers.get("content-type", "application/octet-stream").split(";")[0],
            "content": response.content,
            "version": int(response.headers.get("x-docqa-version", "0") or 0),
        }

    def ingest(
        self,
        paths: Sequence[Path | str],
        *,
        set_name: str,
        groups: Sequence[str] | None = None,
        prune: bool = False,
        workers: int | None = None,
    ) -> str:
        """Start an ingestion job of paths on the engine's machine; returns its id."""
        body = {
            "paths": [str(p) for p in paths],
            "set": set_name,
            "acl": list(groups) if groups else None,
            "prune": prune,
            "workers": workers,
        }
        return self._request("POST", "/ingest", json=body)["job_id"]

    def job(self, job_id: str, *, since: int = 0) -> dict[str, Any]:
        """The job; its ``files`` from index ``since`` on."""
        return self._request("GET", f"/jobs/{job_id}", params={"since": since} if since else None)

    def jobs(self) -> list[dict[str, Any]]:
        return self._request("GET", "/jobs")

    def wait_job(
        self,
        job_id: str,
        *,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
        interval_s: float = 0.25,
    ) -> dict[str, Any]:
        """Poll the job until it is no longer queued or running; returns its final state with all
        its file reports (each poll fetches only the new ones)."""
        files: list[dict[str, Any]] = []
        while True:
            job = self.job(job_id, since=len(files))
            files += job["files"]
            job["files"] = files
            if on_progress:
                on_progress(job)
            if job["status"] not in ("queued", "running"):
                return job
            time.sleep(interval_s)

    # -- feedback and escalations (see app/feedback.py) ----------------------------------------------
    def feedback(
        self, query_log_id: int, user: str, thumb: str, *, reason: str | None = None, comment: str = ""
    ) -> dict[str, Any]:
        """Rate the answer logged as ``query_log_id`` (asker only); given again, it is updated."""
        body = {"user": user, "query_log_id": query_log_id, "thumb": thumb, "reason": reason}
        return self._request("POST", "/feedback", json=body | {"comment": comment})

    def get_feedback(self, query_log_id: int, user: str) -> dict[str, Any]:
        """``user``'s feedback on that answer; EngineError 404 when they gave none."""
        return self._request("GET", f"/feedback/{query_log_id}", params={"user": user})

    def escalate(self, query_log_id: int, user: str, *, comment: str = "") -> dict[str, Any]:
        """Hand the answer to a human reviewer (the engine keeps references to it, never text sent)."""
        body = {"user": user, "query_log_id": query_log_id, "comment": comment}
        return self._request("POST", "/escalations", json=body)

    def escalations(
        self, user: str, *, status: str | None = None, mine: bool = False
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"user": user, "mine": mine}
        return self._request("GET", "/escalations", params=params | ({"status": status} if status else {}))

    def escalation(self, escalation_id: int, user: str) -> dict[str, Any]:
        return self._request("GET", f"/escalations/{escalation_id}", params={"user": user})

    def claim(self, escalation_id: int, user: str) -> dict[str, Any]:
        return self._request("POST", f"/escalations/{escalation_id}/claim", json={"user": user})

    def reply(self, escalation_id: int, user: str, text: str) -> dict[str, Any]:
        return self._request("POST", f"/escalations/{escalation_id}/reply", json={"user": user, "text": text})

    def close_escalation(self, escalation_id: int, user: str) -> dict[str, Any]:
        return self._request("POST", f"/escalations/{escalation_id}/close", json={"user": user})

    def feedback_summary(self, user: str, *, since: datetime | None = None) -> dict[str, Any]:
        """Feedback and escalation counts (admins only; 403 otherwise)."""
        params = {"user": user} | ({"since": since.isoformat()} if since else {})
        return self._request("GET", "/insights/feedback", params=params)

    # -- verified answers (see app/verified.py) ------------------------------------------------------
    def publish_verified(
        self,
        escalation_id: int,
        user: str,
        *,
        question: str | None = None,
        answer: str | None = None,
        groups: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Publish an answered escalation as a verified answer readable by ``groups`` (default: the
        escalation's routing groups); question and answer default to the escalation's and its reply."""
        body = {"user": user, "escalation_id": escalation_id, "question": question, "answer": answer}
        body["groups"] = list(groups) if groups is not None else None
        return self._request("POST", "/verified", json=body)

    def verified_answers(self, user: str) -> list[dict[str, Any]]:
        """The verified answers ``user`` may read or has published (all for admins), newest first."""
        return self._request("GET", "/verified", params={"user": user})

    def unpublish_verified(self, verified_id: int, user: str) -> dict[str, Any]:
        """Remove a verified answer (the reviewer who published it, or an admin)."""
        return self._request("DELETE", f"/verified/{verified_id}", params={"user": user})


def _filename(disposition: str) -> str:
    """The file name from a Content-Disposition header (RFC 5987 filename* first)."""
    from email.message import Message
    from urllib.parse import unquote

    if not disposition:
        return ""
    msg = Message()
    msg["content-disposition"] = disposition
    name = msg.get_param("filename*", header="content-disposition")
    if isinstance(name, tuple):  # (charset, language, value)
        return unquote(name[2])
    if isinstance(name, str):
        return unquote(name.split("''", 1)[-1]) if "''" in name else name
    plain = msg.get_filename()
    return plain or ""


def _raise_for_status(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    if not response.is_closed:
        response.read()
    try:
        detail = response.json().get("detail", "")
    except ValueError:
        detail = response.text[:300]
    if not isinstance(detail, str):  # validation errors: a list of problems
        detail = "; ".join(
            f"{'.'.join(str(x) for x in d.get('loc', [])[1:])}: {d.get('msg', '')}" for d in detail
        )
    retry_after = response.headers.get("retry-after")
    raise EngineError(response.status_code, detail or response.reason_phrase, retry_after)


class InProcessEngine:
    """EngineClient's interface over services opened in this process. The engine serves these
    operations over HTTP, and the CLI uses them directly when no engine runs, so both modes share
    one code path; failures raise EngineError with the HTTP status the engine would answer."""

    def __init__(
        self,
        services: Services,
        *,
        answerer_for: Callable[[str | None], Any] | None = None,
        job_manager: Any = None,
        actor: str | None = None,
    ) -> None:
        self.services = services
        self.answerer_for = answerer_for or services.answerer  # backend -> app.answer.Answerer
        self._job_manager = job_manager
        self.actor = actor  # audit actor of admin actions naming no user; default "cli:<os user>"

    def audit_event(
        self,
        action: str,
        target: str = "",
        details: Mapping[str, Any] | None = None,
        *,
        user: str | None = None,
        actor: str | None = None,
        claimed_by: str | None = None,
    ) -> None:
        """Record an admin action: by ``user``, else ``actor``, else this engine's actor. The engine
        passes ``actor`` from the authenticated principal (a session's user, or "service");
        ``claimed_by``, a service client's unverified X-DocQA-Actor, goes into the details only."""
        from app.access import cli_actor, record_audit

        who = user or actor or self.actor or cli_actor()
        if claimed_by and not user:
            details = {**(details or {}), "claimed_by": claimed_by}
        record_audit(self.services.db, who, action, target, details)

    def audit(
        self,
        user: str,
        *,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """The audit log, newest first (admins only): {id, at, actor, action, target, details}."""
        self.require_admin(user)
        rows = self.services.db.list_audit(actor=actor, action=action, since=since, limit=limit)
        return [
            {
                "id": r.id,
                "at": r.created_at.isoformat() if r.created_at else None,
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "details": r.details or {},
            }
            for r in rows
        ]

    @property
    def job_manager(self) -> Any:
        if self._job_manager is None:
            from app.jobs import JobManager

            self._job_manager = JobManager(self.services)
        return self._job_manager

    def require_admin(self, user: str) -> None:
        """EngineError 404 for an unknown user, 403 unless they hold the role admin."""
        found = self.services.db.get_user(user)
        if found is None:
            raise EngineError(404, f"no user {user!r}; see `docqa users list`")
        if "admin" not in found.role_list:
            raise EngineError(403, f"{user} is not an admin")

    def user_groups(self, user: str) -> list[str]:
        """The groups ``user`` reads with (resolved here, never taken from a request)."""
        found = self.services.db.get_user(user)
        if found is None:
            raise EngineError(404, f"no user {user!r}; see `docqa users list`")
        return found.group_names

    def ask(
        self,
        question: str,
        user: str,
        *,
        backend: str | None = None,
        history: Sequence[str] = (),
        on_token: Callable[[str], None] | None = None,
        on_quick: Callable[[dict[str, Any]], None] | None = None,
        doc: str | None = None,
    ) -> dict[str, Any]:
        """Answer as ``user``, log the question (QueryLog) and return Answer.to_dict() plus
        ``cache_hit``, ``query_log_id`` and ``log_warning`` (logging never breaks an answer).
        ``on_quick``: the quick extractive answer, before a language model writes. ``doc``: only
        from this document (a doc_id or a path as `docqa docs list` shows it; EngineError 404 when
        ``user`` may read no such document)."""
        from app.querylog import log_answer

        svc = self.services
        groups = self.user_groups(user)
        doc_ids = self.documents_named(doc, groups) if doc else None
        result = self.answerer_for(backend).ask(
            question, groups, on_token=on_token, history=list(history), on_quick=on_quick, doc_ids=doc_ids
        )
        log_id, warning = None, ""
        try:
            log_id = log_answer(svc.db, user, groups, result, settings=svc.settings)
        except Exception as exc:
            warning = f"warning: the question was not logged: {type(exc).__name__}: {exc}"[:300]
            log.warning(warning)
        extra = {"cache_hit": result.cache_hit, "query_log_id": log_id, "log_warning": warning}
        return result.to_dict() | extra

    def documents(self, set_name: str | None = None) -> list[dict[str, Any]]:
        return [document_row(d) for d in self.services.db.list_documents(set_name)]

    def readable_documents(self, user: str) -> list[dict[str, Any]]:
        """The indexed documents (a current version) that ``user``'s groups may read, by set and
        path: what a reader may pick to ask within (``ask(doc=...)``). Never a document they may
        not read, and not its groups either. EngineError 404 for an unknown user."""
        mine = set(self.user_groups(user))
        return [
            readable_row(d)
            for d in self.services.db.list_documents()
            if d.current_version is not None and mine & set(d.group_names)
        ]

    def documents_named(self, doc: str, groups: Sequence[str]) -> list[str]:
        """The doc_ids of the indexed documents ``groups`` may read that ``doc`` names: a doc_id, a
        path within its set, or a file name (the same file name may be in several sets). The same
        404 whether no such document exists or it may not be read: nothing is revealed."""
        db = self.services.db
        found = db.get_document(doc)
        docs = (
            [found]
            if found
            else [d for d in db.list_documents() if doc in (d.path, d.path.rsplit("/", 1)[-1])]
        )
        mine = set(groups)
        ids = [d.doc_id for d in docs if d.current_version is not None and mine & set(d.group_names)]
        if not ids:
            raise EngineError(404, f"no document {doc!r} among the documents you may read")
        return ids

    def delete_document(
        self, doc_id: str, *, user: str | None = None, actor: str | None = None, claimed_by: str | None = None
    ) -> dict[str, Any]:
        if user is not None:
            self.require_admin(user)
        doc = self.services.db.get_document(doc_id)
        if doc is None:
            raise EngineError(404, f"no document {doc_id!r}")
        self.services.ingestor.remove_document(doc_id)
        details = {"doc_id": doc_id, "set": doc.set.name, "groups": doc.group_names}
        self.audit_event("document.delete", doc.path, details, user=user, actor=actor, claimed_by=claimed_by)
        return {"removed": doc_id, "path": doc.path}

    def original_file(self, doc_id: str, user: str) -> dict[str, Any]:
        """Where the kept original of a document's current version lies, after checking that
        ``user``'s groups may read the document: {path, filename, media_type, version}.
        EngineError 404 (unknown user or document, nothing kept) or 403 (not readable)."""
        import mimetypes

        groups = set(self.user_groups(user))
        doc = self.services.db.get_document(doc_id)
        if doc is None:
            raise EngineError(404, f"no document {doc_id!r}")
        if not groups & set(doc.group_names):
            raise EngineError(403, f"{user} may not read this document")
        version = doc.active
        path = Path(version.original_path) if version and version.original_path else None
        if path is None or not path.is_file():
            raise EngineError(404, f"the original of {doc.path} is not kept")
        filename = Path(doc.path).name or path.name
        media_type = mimetypes.guess_type(filename)[0] or mimetypes.guess_type(path.name)[0]
        return {
            "path": path,
            "filename": filename,
            "media_type": media_type or "application/octet-stream",
            "version": version.version,
        }

    def original(self, doc_id: str, user: str) -> dict[str, Any]:
        """The kept original if ``user`` may read it: {filename, media_type, content, version}."""
        found = self.original_file(doc_id, user)
        content = found.pop("path").read_bytes()
        return found | {"content": content}

    def set_groups(
        self,
        doc_id: str,
        groups: Sequence[str],
        *,
        user: str | None = None,
        actor: str | None = None,
        claimed_by: str | None = None,
    ) -> dict[str, Any]:
        if user is not None:
            self.require_admin(user)
        before = self.services.db.get_document(doc_id)
        try:
            self.services.ingestor.set_groups(doc_id, [g.strip() for g in groups if g.strip()])
        except KeyError:
            raise EngineError(404, f"no document {doc_id!r}") from None
        row = document_row(self.services.db.get_document(doc_id))
        details = {"doc_id": doc_id, "before": before.group_names if before else [], "after": row["groups"]}
        self.audit_event(
            "document.groups", row["path"], details, user=user, actor=actor, claimed_by=claimed_by
        )
        return row

    # -- ingestion jobs, uploads, users, insights (admin) ------------------------------------------------
    def job(self, job_id: str, *, since: int = 0) -> dict[str, Any]:
        found = self.job_manager.get(job_id, files_from=since)
        if found is None:
            raise EngineError(404, f"no job {job_id!r} (jobs are kept in memory until the engine stops)")
        return found

    def jobs(self) -> list[dict[str, Any]]:
        return self.job_manager.list_jobs()

    def upload(
        self, user: str, set_name: str, groups: Sequence[str], files: Sequence[tuple[str, bytes | Path]]
    ) -> dict[str, Any]:
        """Save the files, as bytes or as files received under <data_dir>/uploads/.incoming/ (moved),
        under <data_dir>/uploads/<set>/ (zips extracted safely, types sniffed) and start their
        ingestion job with ``groups``: {job_id, status, files, rejected}; ``rejected`` lists the
        files not saved ({path, status, reason}: a type the pipeline cannot read, too large). 400 for
        a refused upload, 413 for one larger than DOCQA_UPLOAD_MAX_MB."""
        from app.jobs import UploadError, save_upload

        self.require_admin(user)
        groups = sorted({g.strip() for g in groups if g.strip()})
        if not groups:
            raise EngineError(400, "give at least one group that may read the documents")
        try:
            saved = save_upload(self.services.settings, set_name.strip(), files)
        except UploadError as exc:
            raise EngineError(exc.status, str(exc)) from None
        job = self.job_manager.submit(saved.files, set_name=set_name.strip(), groups=groups)
        names = [p.name for p in saved.files]
        rejected = [r.to_dict() for r in saved.rejected]
        details = {
            "files": names[:100],
            "count": len(names),
            "rejected": rejected[:100],
            "groups": groups,
            "job_id": job["id"],
        }
        self.audit_event("upload", set_name.strip(), details, user=user)
        return {"job_id": job["id"], "status": job["status"], "files": names, "rejected": rejected}

    def reingest(self, doc_id: str, user: str) -> dict[str, Any]:
        """Re-run ingestion of an uploaded document on its kept upload file (same set, same key,
        its current groups): unchanged content is skipped, a changed pipeline re-indexes it.
        Documents ingested from a path on the engine's machine: 409 (run `docqa ingest` again)."""
        from app.jobs import UploadError, upload_dir

        self.require_admin(user)
        doc = self.services.db.get_document(doc_id)
        if doc is None:
            raise EngineError(404, f"no document {doc_id!r}")
        try:
            path = upload_dir(self.services.settings.data_dir, doc.set.name) / doc.path
        except UploadError:
            path = None
        if path is None or "/" in doc.path or not path.is_file():
            raise EngineError(
                409,
                f"{doc.path} was not uploaded through the web UI; re-ingest it with `docqa ingest` "
                "from its folder",
            )
        job = self.job_manager.submit([path], set_name=doc.set.name, groups=doc.group_names)
        details = {"doc_id": doc_id, "set": doc.set.name, "job_id": job["id"]}
        self.audit_event("document.reingest", doc.path, details, user=user)
        return {"job_id": job["id"], "status": job["status"]}

    def users(self, user: str) -> list[dict[str, Any]]:
        self.require_admin(user)
        return [_user_row(u) for u in self.services.db.list_users()]

    def groups(self, user: str) -> list[str]:
        """Every group known (of users or documents)."""
        self.require_admin(user)
        return self.services.db.list_group_names()

    def save_user(
        self,
        user: str,
        name: str,
        *,
        groups: Sequence[str],
        roles: Sequence[str],
        password: str | None = None,
    ) -> dict[str, Any]:
        """Create ``name`` (password required) or change their groups and roles, and their password
        when one is given (argon2). 400: bad role, short password, an admin removing their own admin."""
        from app.access import add_user, check_roles

        self.require_admin(user)
        db, name = self.services.db, name.strip()
        groups = sorted({g.strip() for g in groups if g.strip()})
        existing = db.get_user(name)
        try:
            roles = check_roles(roles)
            if name == user and "admin" not in roles:
                raise ValueError("you cannot take the role admin from yourself")
            if existing is None or password:
                if existing is None and not password:
                    raise ValueError(f"{name or 'a new user'} needs a password")
                demo = self.services.settings.demo_mode
                found = add_user(db, name, password or "", groups, roles, demo_passwords=demo)
            else:
                found = db.upsert_user(name, existing.password_hash, groups, roles)
        except ValueError as exc:
            raise EngineError(400, str(exc)) from None
        details: dict[str, Any] = {"groups": groups, "roles": roles, "password_changed": bool(password)}
        if existing is not None:
            details["before"] = {"groups": existing.group_names, "roles": existing.role_list}
        action = "user.create" if existing is None else "user.change"
        self.audit_event(action, found.name, details, user=user)
        return _user_row(db.get_user(found.name))

    def delete_user(self, user: str, name: str) -> dict[str, Any]:
        """Remove ``name`` (admins only): 404 unknown, 400 for oneself. Their logs, feedback and
        escalations stay, under their name."""
        self.require_admin(user)
        found = self.services.db.get_user(name)
        if found is None:
            raise EngineError(404, f"no user {name!r}; see `docqa users list`")
        if name == user:
            raise EngineError(400, "you cannot remove yourself")
        self.services.db.delete_user(name)
        details = {"groups": found.group_names, "roles": found.role_list}
        self.audit_event("user.delete", name, details, user=user)
        return {"removed": name}

    def insights(self, user: str, *, days: int = 30) -> dict[str, Any]:
        """Usage, feedback, confidence, escalations, content gaps, latency and cache (admins only)."""
        from datetime import timedelta

        self.require_admin(user)
        days = max(1, min(int(days), 366))
        now = datetime.now(UTC)
        since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
        db = self.services.db
        naive = since.replace(tzinfo=None)
        from app.insights import compute_insights

        return compute_insights(
            db.insight_query_logs(naive),
            db.insight_feedback(naive),
            db.insight_escalations(naive),
            days=days,
            now=now,
        )

    # -- evaluation runs: read-only (`docqa eval run` writes them; eval/runs.py) ----------------------
    def require_evaluator(self, user: str) -> None:
        """EngineError 404 for an unknown user, 403 unless they hold the role evaluator or admin.

        Permission rule: evaluation results hold answer text quoted from documents, asked as other
        users; only evaluators and admins may read them, and that role is the check. An answer that
        leaked (cited a document its asker may not read) is withheld, as in `docqa eval report`."""
        found = self.services.db.get_user(user)
        if found is None:
            raise EngineError(404, f"no user {user!r}; see `docqa users list`")
        if not {"evaluator", "admin"} & set(found.role_list):
            raise EngineError(403, f"{user} is neither an evaluator nor an admin")

    def _stored_eval_run(self, run_id: int) -> Any:
        run = self.services.db.get_eval_run(run_id)
        if run is None:
            raise EngineError(404, f"no evaluation run {run_id}; see `docqa eval list`")
        return run

    def eval_runs(self, user: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The stored runs, newest first: id, set, backend, model, status, dates, metrics."""
        self.require_evaluator(user)
        return [_eval_run_row(r) for r in self.services.db.list_eval_runs(max(1, min(int(limit), 1000)))]

    def eval_run(self, run_id: int, user: str) -> dict[str, Any]:
        """One run and its ``results`` in the order asked (EvalResult columns plus ``leaked``)."""
        self.require_evaluator(user)
        run = self._stored_eval_run(run_id)
        return _eval_run_row(run) | {"results": self._eval_rows(run_id, user)}

    def _eval_rows(self, run_id: int, user: str) -> list[dict[str, Any]]:
        """A run's results as ``user`` may see them: answers citing documents they may not read now
        are withheld (the metrics stay)."""
        from app.visibility import doc_access

        db = self.services.db
        rows = [r.to_dict() for r in db.list_eval_results(run_id)]
        cited = {
            str(c.get("doc_id", "")) for r in rows for c in (r.get("answer") or {}).get("citations") or []
        }
        access, groups = doc_access(db, cited), self.user_groups(user)
        return [_eval_result_row(r, access, groups) for r in rows]

    def eval_compare(self, a: int, b: int, user: str, *, threshold: float | None = None) -> dict[str, Any]:
        """Run B against baseline A with eval.metrics.compare_runs (as `docqa eval compare`): per-metric
        deltas, regressions (right in A, wrong in B; with both answers), fixes and the gate's failures."""
        from eval.metrics import compare_runs

        self.require_evaluator(user)
        runs = {i: self._stored_eval_run(i) for i in (a, b)}
        rows = {i: self._eval_rows(i, user) for i in (a, b)}
        result = compare_runs(
            runs[a].metrics or {}, runs[b].metrics or {}, rows[a], rows[b], threshold=threshold
        )
        a_by_id = {r["item_id"]: r for r in rows[a]}
        b_by_id = {r["item_id"]: r for r in rows[b]}
        for reg in result["regressions"]:
            before, after = a_by_id[reg["item_id"]], b_by_id[reg["item_id"]]
            reg["answer"] = after["answer"].get("answer", "")  # withheld already when it leaked
            reg["a_answer"] = before["answer"].get("answer", "")
            reg["tags"] = after.get("tags") or []
            reg["leaked"] = after["leaked"]
        return result | {"a": a, "b": b}

    # -- feedback and escalations: app/feedback.py checks who may do what -----------------------------
    def feedback(
        self, query_log_id: int, user: str, thumb: str, *, reason: str | None = None, comment: str = ""
    ) -> dict[str, Any]:
        """Rate the answer logged as ``query_log_id`` (asker only); given again, it is updated."""
        from app.feedback import record_feedback

        with self._feedback_call(user):
            return record_feedback(self.services.db, user, query_log_id, thumb, reason, comment).to_dict()

    def get_feedback(self, query_log_id: int, user: str) -> dict[str, Any]:
        """``user``'s feedback on that answer; EngineError 404 when they gave none."""
        from app.feedback import get_feedback

        with self._feedback_call(user):
            found = get_feedback(self.services.db, user, query_log_id)
        if found is None:
            raise EngineError(404, f"{user} gave no feedback on answer {query_log_id}")
        return found.to_dict()

    def escalate(self, query_log_id: int, user: str, *, comment: str = "") -> dict[str, Any]:
        """Hand the answer to a human reviewer: references to the logged answer and its cited
        chunks are kept, never text. A pending one is returned, not doubled."""
        from app.feedback import escalate

        with self._feedback_call(user):
            svc = self.services
            return _escalation(escalate(svc.db, user, query_log_id, comment, store=svc.store))

    def escalations(
        self, user: str, *, status: str | None = None, mine: bool = False
    ) -> list[dict[str, Any]]:
        """Newest first: admins see all, reviewers those routed or assigned to them, others their own."""
        from app.feedback import list_escalations

        with self._feedback_call(user):
            found = list_escalations(
                self.services.db, user, status=status, mine=mine, store=self.services.store
            )
        return [_escalation(e) for e in found]

    def escalation(self, escalation_id: int, user: str) -> dict[str, Any]:
        from app.feedback import get_escalation

        with self._feedback_call(user):
            return _escalation(
                get_escalation(self.services.db, user, escalation_id, store=self.services.store)
            )

    def claim(self, escalation_id: int, user: str) -> dict[str, Any]:
        from app.feedback import claim

        with self._feedback_call(user):
            return _escalation(claim(self.services.db, user, escalation_id, store=self.services.store))

    def reply(self, escalation_id: int, user: str, text: str) -> dict[str, Any]:
        from app.feedback import reply

        with self._feedback_call(user):
            return _escalation(reply(self.services.db, user, escalation_id, text, store=self.services.store))

    def close_escalation(self, escalation_id: int, user: str) -> dict[str, Any]:
        from app.feedback import close

        with self._feedback_call(user):
            return _escalation(close(self.services.db, user, escalation_id, store=self.services.store))

    def feedback_summary(self, user: str, *, since: datetime | None = None) -> dict[str, Any]:
        """Feedback and escalation counts (admins only; 403 otherwise)."""
        from app.feedback import feedback_summary

        with self._feedback_call(user):
            if "admin" not in self.services.db.get_user(user).role_list:
                raise EngineError(403, "only admins can see feedback insights")
            return feedback_summary(self.services.db, since)

    # -- verified answers: app/verified.py checks who may do what -------------------------------------
    def publish_verified(
        self,
        escalation_id: int,
        user: str,
        *,
        question: str | None = None,
        answer: str | None = None,
        groups: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Publish an answered escalation as a verified answer readable by ``groups`` (default: the
        escalation's routing groups); question and answer default to the escalation's and its reply."""
        from app.verified import publish

        svc = self.services
        with self._feedback_call(user):
            found = publish(
                svc.db,
                svc.store,
                svc.embedder,
                user,
                escalation_id,
                question=question,
                answer=answer,
                groups=groups,
            )
        row = found.to_dict()
        details = {"escalation_id": escalation_id, "groups": row.get("groups", [])}
        self.audit_event("verified.publish", row.get("doc_id") or str(row.get("id")), details, user=user)
        return row

    def verified_answers(self, user: str) -> list[dict[str, Any]]:
        """The verified answers ``user`` may read or has published (all for admins), newest first."""
        from app.verified import list_verified

        with self._feedback_call(user):
            return [v.to_dict() for v in list_verified(self.services.db, user)]

    def unpublish_verified(self, verified_id: int, user: str) -> dict[str, Any]:
        """Remove a verified answer (the reviewer who published it, or an admin)."""
        from app.verified import unpublish

        with self._feedback_call(user):
            row = unpublish(self.services.db, self.services.store, user, verified_id).to_dict()
        details = {"question": str(row.get("question", ""))[:200], "reviewer": row.get("reviewer")}
        self.audit_event("verified.delete", row.get("doc_id") or str(verified_id), details, user=user)
        return row

    @contextmanager
    def _feedback_call(self, user: str) -> Iterator[None]:
        """404 for an unknown user; app.feedback's errors as EngineError with their HTTP status."""
        from app.feedback import Conflict, FeedbackError, NotFound, PermissionDenied

        self.user_groups(user)
        try:
            yield
        except NotFound as exc:
            raise EngineError(404, str(exc)) from None
        except Conflict as exc:
            raise EngineError(409, str(exc)) from None
        except FeedbackError as exc:
            raise EngineError(400, str(exc)) from None
        except PermissionDenied as exc:
            raise EngineError(403, str(exc)) from None


def _escalation(view: Any) -> dict[str, Any]:
    """The view as JSON (sources rendered only when the viewer may read every cited document)."""
    return view.to_dict()


def document_row(doc: Any) -> dict[str, Any]:
    v = doc.active
    latest = doc.versions[-1] if doc.versions else None
    return {
        "doc_id": doc.doc_id,
        "set": doc.set.name,
        "path": doc.path,
        "title": doc.title,
        "groups": doc.group_names,
        "version": doc.current_version,
        "status": v.state if v else (latest.state if latest else "none"),
        "pages": v.pages if v else 0,
        "chunks": v.chunks if v else 0,
        "file_type": v.file_type if v else "",
        "last_ingested": v.activated_at.isoformat() if v and v.activated_at else None,
        "updated": doc.updated_at.isoformat() if doc.updated_at else None,
    }


def readable_row(doc: Any) -> dict[str, Any]:
    """A document as a reader sees it in a list to pick from (no groups, no ingestion details)."""
    v = doc.active
    return {
        "doc_id": doc.doc_id,
        "set": doc.set.name,
        "path": doc.path,
        "title": doc.title,
        "version": doc.current_version,
        "pages": v.pages if v else 0,
        "file_type": v.file_type if v else "",
    }


def _user_row(user: Any) -> dict[str, Any]:
    return {
        "name": user.name,
        "groups": user.group_names,
        "roles": user.role_list,
        "created": user.created_at.isoformat() if user.created_at else None,
    }


EVAL_WITHHELD = "[withheld: this answer cited a document its asker may not read]"
EVAL_NOT_YOURS = "[withheld: this answer cites a document you may not read]"


def _eval_run_row(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "set": run.set_name,
        "backend": run.backend,
        "model": run.model,
        "prompt_version": run.prompt_version,
        "status": run.status,
        "total": run.total,
        "settings": run.settings or {},
        "metrics": run.metrics or {},
        "started": run.started_at.isoformat() if run.started_at else None,
        "finished": run.finished_at.isoformat() if run.finished_at else None,
    }


def _eval_result_row(
    row: dict[str, Any],
    access: Any = None,
    viewer_groups: Sequence[str] = (),
) -> dict[str, Any]:
    """An EvalResult as JSON plus ``leaked`` and ``withheld``. A leaked answer keeps no text and no
    snippets, nor does one citing a document the viewer may not read now (``access``:
    app.visibility.doc_access of the cited documents; None: no viewer check)."""
    from app.visibility import unreadable
    from eval.metrics import leaked

    cited = [str(c.get("doc_id", "")) for c in (row.get("answer") or {}).get("citations") or []]
    blocked = access is not None and bool(unreadable(access, cited, viewer_groups))
    out = dict(row) | {"leaked": leaked(row), "withheld": blocked}
    if out["leaked"] or blocked:
        answer = dict(out.get("answer") or {})
        answer["answer"] = EVAL_WITHHELD if out["leaked"] else EVAL_NOT_YOURS
        answer["citations"] = [c | {"snippet": ""} for c in answer.get("citations") or []]
        answer.pop("sources", None)
        out["answer"] = answer
    return out
