"""The one Engine interface (issue 18 item 2): what the in-process engine (app.client.InProcessEngine,
over services opened in this process) and the HTTP client (app.client.EngineClient, over `docqa
serve`) both offer, with the same parameters. The CLI, the UI backend and eval hold an ``Engine`` and
never know which one it is; tests/app/test_engine_api.py checks that both implement every method
with these parameters and that the same scenario gives the same results through both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Engine(Protocol):
    """Every operation a reader, reviewer, admin or evaluator has; each resolves ``user`` on the
    engine side (groups and roles are never taken from the caller)."""

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
        ...

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
        ...

    def claim(self, escalation_id: int, user: str) -> dict[str, Any]: ...

    def close_escalation(self, escalation_id: int, user: str) -> dict[str, Any]: ...

    def delete_document(self, doc_id: str, *, user: str | None = None) -> dict[str, Any]:
        """Remove a document; with ``user`` the engine checks that they are an admin (403)."""
        ...

    def delete_user(self, user: str, name: str) -> dict[str, Any]:
        """Remove ``name`` (admins only): 404 unknown, 400 for oneself. Their logs, feedback and
        escalations stay, under their name."""
        ...

    def documents(self, set_name: str | None = None) -> list[dict[str, Any]]: ...

    def escalate(self, query_log_id: int, user: str, *, comment: str = "") -> dict[str, Any]:
        """Hand the answer to a human reviewer: references to the logged answer and its cited
        chunks are kept, never text. A pending one is returned, not doubled."""
        ...

    def escalation(self, escalation_id: int, user: str) -> dict[str, Any]: ...

    def escalations(
        self, user: str, *, status: str | None = None, mine: bool = False
    ) -> list[dict[str, Any]]:
        """Newest first: admins see all, reviewers those routed or assigned to them, others their own."""
        ...

    def eval_compare(self, a: int, b: int, user: str, *, threshold: float | None = None) -> dict[str, Any]:
        """Run B against baseline A with eval.metrics.compare_runs (as `docqa eval compare`): per-metric
        deltas, regressions (right in A, wrong in B; with both answers), fixes and the gate's failures."""
        ...

    def eval_run(self, run_id: int, user: str) -> dict[str, Any]:
        """One run and its ``results`` in the order asked (EvalResult columns plus ``leaked``)."""
        ...

    def eval_runs(self, user: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """The stored runs, newest first: id, set, backend, model, status, dates, metrics."""
        ...

    def feedback(
        self, query_log_id: int, user: str, thumb: str, *, reason: str | None = None, comment: str = ""
    ) -> dict[str, Any]:
        """Rate the answer logged as ``query_log_id`` (asker only); given again, it is updated."""
        ...

    def feedback_summary(self, user: str, *, since: datetime | None = None) -> dict[str, Any]:
        """Feedback and escalation counts (admins only; 403 otherwise)."""
        ...

    def get_feedback(self, query_log_id: int, user: str) -> dict[str, Any]:
        """``user``'s feedback on that answer; EngineError 404 when they gave none."""
        ...

    def groups(self, user: str) -> list[str]:
        """Every group known (of users or documents)."""
        ...

    def insights(self, user: str, *, days: int = 30) -> dict[str, Any]:
        """Usage, feedback, confidence, escalations, content gaps, latency and cache (admins only)."""
        ...

    def job(self, job_id: str, *, since: int = 0) -> dict[str, Any]:
        """The job; its ``files`` from index ``since`` on."""
        ...

    def jobs(self) -> list[dict[str, Any]]: ...

    def original(self, doc_id: str, user: str) -> dict[str, Any]:
        """The kept original if ``user`` may read it: {filename, media_type, content, version}."""
        ...

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
        ...

    def readable_documents(self, user: str) -> list[dict[str, Any]]:
        """The indexed documents (a current version) that ``user``'s groups may read, by set and
        path: what a reader may pick to ask within (``ask(doc=...)``). Never a document they may
        not read, and not its groups either. EngineError 404 for an unknown user."""
        ...

    def reingest(self, doc_id: str, user: str) -> dict[str, Any]:
        """Re-run ingestion of an uploaded document on its kept upload file (same set, same key,
        its current groups): unchanged content is skipped, a changed pipeline re-indexes it.
        Documents ingested from a path on the engine's machine: 409 (run `docqa ingest` again)."""
        ...

    def reply(self, escalation_id: int, user: str, text: str) -> dict[str, Any]: ...

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
        ...

    def set_groups(
        self, doc_id: str, groups: Sequence[str], *, user: str | None = None
    ) -> dict[str, Any]: ...

    def unpublish_verified(self, verified_id: int, user: str) -> dict[str, Any]:
        """Remove a verified answer (the reviewer who published it, or an admin)."""
        ...

    def upload(
        self, user: str, set_name: str, groups: Sequence[str], files: Sequence[tuple[str, bytes]]
    ) -> dict[str, Any]:
        """Save the files, as bytes or as files received under <data_dir>/uploads/.incoming/ (moved),
        under <data_dir>/uploads/<set>/ (zips extracted safely, types sniffed) and start their
        ingestion job with ``groups``: {job_id, status, files, rejected}; ``rejected`` lists the
        files not saved ({path, status, reason}: a type the pipeline cannot read, too large). 400 for
        a refused upload, 413 for one larger than DOCQA_UPLOAD_MAX_MB."""
        ...

    def users(self, user: str) -> list[dict[str, Any]]: ...

    def verified_answers(self, user: str) -> list[dict[str, Any]]:
        """The verified answers ``user`` may read or has published (all for admins), newest first."""
        ...
