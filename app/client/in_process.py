"""``InProcessEngine``: the Engine interface over services opened in this process. `docqa serve`
serves these operations over HTTP, and the CLI uses them directly when no engine runs."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import feedback as fb
from app.access import add_user, check_roles, cli_actor, record_audit
from app.client.errors import EngineError
from app.client.rows import (
    document_row,
    escalation_row,
    eval_result_row,
    eval_run_row,
    readable_row,
    user_row,
)
from app.feedback import Conflict, FeedbackError, NotFound, PermissionDenied
from app.insights import compute_insights
from app.jobs import JobManager, UploadError, save_upload, upload_dir
from app.querylog import log_answer
from app.visibility import doc_access

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger("docqa.engine")


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
        return [user_row(u) for u in self.services.db.list_users()]

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
        return user_row(db.get_user(found.name))

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
        self.require_admin(user)
        days = max(1, min(int(days), 366))
        now = datetime.now(UTC)
        since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
        db = self.services.db
        naive = since.replace(tzinfo=None)
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
        return [eval_run_row(r) for r in self.services.db.list_eval_runs(max(1, min(int(limit), 1000)))]

    def eval_run(self, run_id: int, user: str) -> dict[str, Any]:
        """One run and its ``results`` in the order asked (EvalResult columns plus ``leaked``)."""
        self.require_evaluator(user)
        run = self._stored_eval_run(run_id)
        return eval_run_row(run) | {"results": self._eval_rows(run_id, user)}

    def _eval_rows(self, run_id: int, user: str) -> list[dict[str, Any]]:
        """A run's results as ``user`` may see them: answers citing documents they may not read now
        are withheld (the metrics stay)."""
        db = self.services.db
        rows = [r.to_dict() for r in db.list_eval_results(run_id)]
        cited = {
            str(c.get("doc_id", "")) for r in rows for c in (r.get("answer") or {}).get("citations") or []
        }
        access, groups = doc_access(db, cited), self.user_groups(user)
        return [eval_result_row(r, access, groups) for r in rows]

    def eval_compare(self, a: int, b: int, user: str, *, threshold: float | None = None) -> dict[str, Any]:
        """Run B against baseline A with eval.metrics.compare_runs (as `docqa eval compare`): per-metric
        deltas, regressions (right in A, wrong in B; with both answers), fixes and the gate's failures."""
        from eval.metrics import compare_runs  # deferred: heavy (scikit-learn)

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
        with self._feedback_call(user):
            return fb.record_feedback(self.services.db, user, query_log_id, thumb, reason, comment).to_dict()

    def get_feedback(self, query_log_id: int, user: str) -> dict[str, Any]:
        """``user``'s feedback on that answer; EngineError 404 when they gave none."""
        with self._feedback_call(user):
            found = fb.get_feedback(self.services.db, user, query_log_id)
        if found is None:
            raise EngineError(404, f"{user} gave no feedback on answer {query_log_id}")
        return found.to_dict()

    def escalate(self, query_log_id: int, user: str, *, comment: str = "") -> dict[str, Any]:
        """Hand the answer to a human reviewer: references to the logged answer and its cited
        chunks are kept, never text. A pending one is returned, not doubled."""
        with self._feedback_call(user):
            svc = self.services
            return escalation_row(fb.escalate(svc.db, user, query_log_id, comment, store=svc.store))

    def escalations(
        self, user: str, *, status: str | None = None, mine: bool = False
    ) -> list[dict[str, Any]]:
        """Newest first: admins see all, reviewers those routed or assigned to them, others their own."""
        with self._feedback_call(user):
            found = fb.list_escalations(
                self.services.db, user, status=status, mine=mine, store=self.services.store
            )
        return [escalation_row(e) for e in found]

    def escalation(self, escalation_id: int, user: str) -> dict[str, Any]:
        with self._feedback_call(user):
            return escalation_row(
                fb.get_escalation(self.services.db, user, escalation_id, store=self.services.store)
            )

    def claim(self, escalation_id: int, user: str) -> dict[str, Any]:
        with self._feedback_call(user):
            return escalation_row(fb.claim(self.services.db, user, escalation_id, store=self.services.store))

    def reply(self, escalation_id: int, user: str, text: str) -> dict[str, Any]:
        with self._feedback_call(user):
            return escalation_row(
                fb.reply(self.services.db, user, escalation_id, text, store=self.services.store)
            )

    def close_escalation(self, escalation_id: int, user: str) -> dict[str, Any]:
        with self._feedback_call(user):
            return escalation_row(fb.close(self.services.db, user, escalation_id, store=self.services.store))

    def feedback_summary(self, user: str, *, since: datetime | None = None) -> dict[str, Any]:
        """Feedback and escalation counts (admins only; 403 otherwise)."""
        with self._feedback_call(user):
            if "admin" not in self.services.db.get_user(user).role_list:
                raise EngineError(403, "only admins can see feedback insights")
            return fb.feedback_summary(self.services.db, since)

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
        from app.verified import publish  # deferred: heavy (the vector store client)

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
        from app.verified import list_verified  # deferred: heavy (the vector store client)

        with self._feedback_call(user):
            return [v.to_dict() for v in list_verified(self.services.db, user)]

    def unpublish_verified(self, verified_id: int, user: str) -> dict[str, Any]:
        """Remove a verified answer (the reviewer who published it, or an admin)."""
        from app.verified import unpublish  # deferred: heavy (the vector store client)

        with self._feedback_call(user):
            row = unpublish(self.services.db, self.services.store, user, verified_id).to_dict()
        details = {"question": str(row.get("question", ""))[:200], "reviewer": row.get("reviewer")}
        self.audit_event("verified.delete", row.get("doc_id") or str(verified_id), details, user=user)
        return row

    @contextmanager
    def _feedback_call(self, user: str) -> Iterator[None]:
        """404 for an unknown user; app.feedback's errors as EngineError with their HTTP status."""
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
