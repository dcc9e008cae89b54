"""``EngineClient``: the Engine interface over the engine's HTTP API (`docqa serve`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
from httpx_sse import SSEError, connect_sse

from app.access import cli_actor
from app.client.errors import EngineError, EngineUnavailableError

RETRIES = 2  # after the first attempt, for calls that never reached the engine
BACKOFF_S = 0.5


class EngineClient:
    """A thin httpx wrapper over the engine's HTTP API; errors become EngineError.

    ``token``: the engine's service token, or a user's session token (see ``login``); ``actor``:
    who this client says acts (default "cli:<os user>"), sent as X-DocQA-Actor; the engine keeps it
    as the unverified audit detail ``claimed_by`` and records the token's principal as the actor."""

    def __init__(
        self, url: str, *, timeout: float = 30.0, token: str | None = None, actor: str | None = None
    ) -> None:
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
