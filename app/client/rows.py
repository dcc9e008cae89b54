"""The JSON rows the in-process engine returns (and the engine serves): documents, users,
escalations, evaluation runs and their results (withheld where the viewer may not read them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.visibility import unreadable


def escalation_row(view: Any) -> dict[str, Any]:
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


def user_row(user: Any) -> dict[str, Any]:
    return {
        "name": user.name,
        "groups": user.group_names,
        "roles": user.role_list,
        "created": user.created_at.isoformat() if user.created_at else None,
    }


EVAL_WITHHELD = "[withheld: this answer cited a document its asker may not read]"
EVAL_NOT_YOURS = "[withheld: this answer cites a document you may not read]"


def eval_run_row(run: Any) -> dict[str, Any]:
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


def eval_result_row(
    row: dict[str, Any],
    access: Any = None,
    viewer_groups: Sequence[str] = (),
) -> dict[str, Any]:
    """An EvalResult as JSON plus ``leaked`` and ``withheld``. A leaked answer keeps no text and no
    snippets, nor does one citing a document the viewer may not read now (``access``:
    app.visibility.doc_access of the cited documents; None: no viewer check)."""
    from eval.metrics import leaked  # deferred: heavy (scikit-learn)

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
