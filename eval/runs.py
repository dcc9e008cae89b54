"""Evaluation runs: ask a golden set through the real engine and keep every answer as EvalRun /
EvalResult rows (resumable; Ctrl-C leaves the run "interrupted" with what it has), then score them
with eval.metrics.

Runs are recorded in the database of the data dir in use; the public sets (clapnq, messy,
financebench) are asked against their own state under ``<data_dir>/eval/<set>`` (their corpora are not
the company's documents), see ``set_settings``. Every set is asked by half (eval.golden.half_of): the
test half by default, the tuning half for tuning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.settings import Settings
from eval.golden import GoldenItem, golden_path, load_golden, select_half
from eval.metrics import run_metrics
from eval.runner import Row, run_golden

PUBLIC_SETS = ("clapnq", "messy", "financebench")  # each ingested into its own <data_dir>/eval/<set>
# settings worth remembering with a run (no secrets: keys, URLs with credentials, passwords)
_SETTINGS_KEPT = ("llm_backend", "llm_model", "llm_max_tokens", "llm_context_tokens", "answer_cache")


class SetError(ValueError):
    """A golden set that cannot be asked here (missing file, corpus not ingested, unknown users)."""


def set_settings(set_name: str, settings: Settings) -> Settings:
    """The settings to ask ``set_name`` with: the public sets (clapnq, messy, financebench) get their
    own data dir, ``<data_dir>/eval/<set>``; every other set is asked against the data dir as
    configured. The LLM circuit breaker is off (llm_cooldown_s 0): one slow answer must not turn the
    next questions into quoted fallbacks and lower the run's quality numbers. Never mutates ``settings``."""
    update: dict[str, object] = {"llm_cooldown_s": 0.0}
    if set_name in PUBLIC_SETS:
        update["data_dir"] = settings.data_dir / "eval" / set_name
    return settings.model_copy(update=update)


def set_path(set_name: str) -> Path:
    """The golden file of a named set ("demo" -> data/golden/demo.jsonl) or a .jsonl path."""
    path = Path(set_name) if set_name.endswith(".jsonl") else golden_path(set_name)
    if not path.is_file():
        raise SetError(f"no golden set {set_name!r} ({path} not found)")
    return path


def load_set(
    set_name: str,
    svc: Any,
    *,
    progress: Callable[[str], None] | None = None,
    half: str = "all",
    corpus: Path | None = None,
) -> list[GoldenItem]:
    """The items of ``set_name`` in ``half`` (tune, test or all); for a public set, first make ``svc``
    (opened with ``set_settings``) hold its corpus and askers (ingested once, unchanged files skipped).
    ``corpus``: financebench's folder of filings, when not ../shared/data/financebench-dev/pdfs."""
    if set_name in PUBLIC_SETS:
        from eval import datasets

        prepare = {
            "clapnq": datasets.prepare_clapnq,
            "messy": datasets.prepare_messy,
            "financebench": lambda s: datasets.prepare_financebench(s, corpus),
        }[set_name]
        if progress:
            progress(
                f"ingesting the {set_name} corpus into {svc.settings.data_dir} (unchanged files skipped) …"
            )
        try:
            items = prepare(svc)
        except (OSError, RuntimeError) as exc:
            raise SetError(str(exc)) from None
    else:
        items = load_golden(set_path(set_name))
    return select_half(items, half)


def check_ready(svc: Any, items: Sequence[GoldenItem], as_user: str | None = None) -> None:
    """Raise SetError unless the data dir has documents ingested and every asker exists."""
    if not svc.db.list_documents():
        raise SetError(
            f"nothing is ingested in {svc.settings.data_dir}: ingest the documents first "
            "(for the demo: `docqa ingest data/docs` and `docqa users seed`)"
        )
    users = {as_user} if as_user else {i.user for i in items}
    missing = sorted(u for u in users if svc.db.get_user(u) is None)
    if missing:
        raise SetError(
            f"unknown user(s) {', '.join(missing)} in {svc.settings.data_dir} (seed the users first)"
        )


def settings_summary(settings: Settings, **extra: Any) -> dict[str, Any]:
    dumped = settings.model_dump(mode="json")
    summary = {k: dumped[k] for k in _SETTINGS_KEPT if k in dumped}
    summary["data_dir"] = str(settings.data_dir)
    return summary | extra


def result_fields(row: Row, item: GoldenItem, db: Any) -> dict[str, Any]:
    """An EvalResult's columns for one answered golden question. The groups of every cited
    document are looked up now, so citation validity and leaks are judged as of the run."""
    answer = row.answer
    cited = sorted({c["doc_id"] for c in answer.get("citations", []) if c.get("doc_id")})
    found = {d.doc_id: d.group_names for d in db.get_documents(cited)}
    tokens = answer.get("tokens") or {}
    return {
        "item_id": row.id,
        "question": row.question,
        "user": row.user,
        "groups": list(row.extra.get("groups", [])),
        "answerable": row.answerable,
        "tags": list(row.tags),
        "reference_sources": list(item.reference_sources),
        "hidden_source": item.hidden_source,
        "answer": answer,
        "citation_groups": {d: found.get(d) for d in cited},
        "correct": row.correct,
        "citation_hit": row.citation_hit,
        "page_hit": row.extra.get("page_hit"),
        "mentions": row.mentions,
        "refused": row.refused,
        "confidence": row.confidence,
        "band": str(answer.get("confidence", {}).get("band", "")),
        "latency_s": row.seconds,
        "prompt_tokens": int(tokens.get("prompt") or 0),
        "completion_tokens": int(tokens.get("completion") or 0),
    }


def start_run(
    db: Any,
    set_name: str,
    settings: Settings,
    *,
    total: int,
    backend: str | None,
    as_user: str | None,
    limit: int | None,
    half: str = "all",
    corpus: Path | None = None,
) -> Any:
    """A new EvalRun row ("running")."""
    from app.answer import PROMPT_VERSION

    backend = backend or settings.llm_backend
    extra: dict[str, Any] = {"set": set_name, "as_user": as_user, "limit": limit, "backend": backend}
    extra |= {"half": half, "corpus": str(corpus) if corpus else None}
    return db.create_eval_run(
        set_name=set_name,
        backend=backend,
        model="" if backend == "extractive" else settings.llm_model,
        prompt_version=PROMPT_VERSION,
        settings=settings_summary(settings, **extra),
        status="running",
        total=total,
    )


def finish_run(db: Any, run_id: int, status: str) -> dict[str, Any]:
    """Score what the run has stored and close it with ``status`` (done | interrupted)."""
    results = [r.to_dict() for r in db.list_eval_results(run_id)]
    metrics = run_metrics(results)
    fields: dict[str, Any] = {"status": status, "metrics": metrics, "finished_at": dt.datetime.now(dt.UTC)}
    models = sorted({r["answer"].get("model") or "" for r in results} - {""})
    if models:
        fields["model"] = ", ".join(models)
    db.update_eval_run(run_id, **fields)
    return metrics


def execute_run(
    engine_svc: Any,
    record_db: Any,
    run: Any,
    items: Sequence[GoldenItem],
    *,
    on_result: Callable[[Row], None] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Ask the items the run has not stored yet (a resume asks only the rest), storing each result
    as it comes. Returns (status, metrics); Ctrl-C stops after storing what was answered and leaves
    the run "interrupted" (KeyboardInterrupt is not re-raised: the caller decides the exit code)."""
    done = {r.item_id for r in record_db.list_eval_results(run.id)}
    todo = [i for i in items if i.id not in done]
    by_id = {i.id: i for i in todo}
    as_user = (run.settings or {}).get("as_user")
    backend = (run.settings or {}).get("backend") or run.backend or None

    def store(row: Row) -> None:
        record_db.add_eval_result(run.id, **result_fields(row, by_id[row.id], engine_svc.db))
        if on_result:
            on_result(row)

    record_db.update_eval_run(run.id, status="running", finished_at=None)
    try:
        run_golden(engine_svc, todo, backend=backend, on_row=store, as_user=as_user)
    except KeyboardInterrupt:
        return "interrupted", finish_run(record_db, run.id, "interrupted")
    except BaseException:
        finish_run(record_db, run.id, "interrupted")
        raise
    return "done", finish_run(record_db, run.id, "done")


def pending(record_db: Any, run: Any, items: Sequence[GoldenItem]) -> int:
    done = {r.item_id for r in record_db.list_eval_results(run.id)}
    return sum(1 for i in items if i.id not in done)


def score_ragas(
    engine_svc: Any, record_db: Any, run: Any, items: Sequence[GoldenItem], mode: str, settings: Settings
) -> dict[str, Any] | None:
    """Add RAGAS scores (eval.ragas_eval; mode none | nonllm | llm) of the run's stored results to its
    metrics under ``ragas``. Contexts come from ``engine_svc``'s index; the llm judge is the LLM of
    ``settings``' backend (app.llm). Returns the ``ragas`` entry (None for mode none)."""
    if mode == "none":
        return None
    from eval.ragas_eval import ContextLookup, evaluate_results, judge_llm

    results = [r.to_dict() for r in record_db.list_eval_results(run.id)]
    references = {i.id: i.reference_answer for i in items}
    llm = judge_llm(settings) if mode == "llm" else None
    try:
        ragas = evaluate_results(
            results, references, mode, lookup=ContextLookup(engine_svc), llm=llm,
            timeout_s=settings.judge_timeout_s,
        )  # fmt: skip
    finally:
        if llm is not None:
            llm.close()
    metrics = dict(record_db.get_eval_run(run.id).metrics or {})
    metrics["ragas"] = ragas
    record_db.update_eval_run(run.id, metrics=metrics)
    return ragas
