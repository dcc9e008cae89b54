"""RAGAS scores of an evaluation run's answers (ragas 0.4.3, legacy metric classes; fully offline).

Modes:

- ``nonllm`` (default for ``docqa eval run``): no judge. ``NonLLMContextPrecisionWithReference`` and
  ``NonLLMContextRecall`` (Levenshtein similarity of each retrieved context to each reference context,
  threshold 0.5), ``NonLLMStringSimilarity`` (answer vs reference answer, 1 - normalised Levenshtein)
  and ``SemanticSimilarity`` (cosine of the MiniLM embeddings of answer and reference answer).
- ``llm``: ``Faithfulness``, ``AnswerRelevancy``, ``ContextPrecision``, ``ContextRecall`` judged by the
  configured backend's LLM from ``app.llm`` (the local model by default, an OpenAI-compatible server
  when ``DOCQA_LLM_BACKEND=openai``), wrapped in ``LlamaIndexLLMWrapper``; answer relevancy also uses
  the MiniLM embeddings. Slow on CPU: several judge calls per question.

Only answered, answerable questions are scored (a refusal has no answer to judge, an unanswerable
question no reference); the result says how many were scored and skipped.

Retrieved contexts are every passage the search retrieved for the answer (``answer["retrieved"]``,
recorded by eval.runner), not only the cited ones; results stored before runs recorded them fall back to
the cited passages (the whole indexed chunk when a :class:`ContextLookup` can find it, else the
citation's snippet) and are counted as ``cited_context_fallback``. Reference contexts are the indexed
chunks covering the golden item's reference locations (page, or section/attachment of the document).
Without a lookup the reference contexts are empty and the two context metrics are not computed.

A score ragas could not compute (judge error, timeout, NaN) is never dropped silently: it is left out
of that metric's mean and counted in ``failed`` (per metric), which every report shows.

ragas is imported only inside functions, after :func:`offline_env` has set its switches.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODES = ("none", "nonllm", "llm")
NONLLM_METRICS = (
    "non_llm_context_precision_with_reference",
    "non_llm_context_recall",
    "non_llm_string_similarity",
    "semantic_similarity",
)
LLM_METRICS = ("faithfulness", "answer_relevancy", "context_precision", "context_recall")
# short names stored in the run's metrics (ragas_<name>) and shown in reports
SHORT = {
    "non_llm_context_precision_with_reference": "context_precision_nonllm",
    "non_llm_context_recall": "context_recall_nonllm",
    "non_llm_string_similarity": "string_similarity",
    "semantic_similarity": "semantic_similarity",
    "faithfulness": "faithfulness",
    "answer_relevancy": "answer_relevancy",
    "context_precision": "context_precision",
    "context_recall": "context_recall",
}


def offline_env() -> None:
    """Set the switches ragas (and the HF stack it pulls in) need to stay offline; idempotent.
    ragas' tokenizer asks tiktoken for o200k_base, which llama-index-core ships."""
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        import importlib.util

        spec = importlib.util.find_spec("llama_index.core")
        if spec and spec.origin:
            cache = Path(spec.origin).parent / "_static" / "tiktoken_cache"
            if cache.is_dir():
                os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)


@dataclass
class RagasRow:
    item_id: str
    question: str
    answer: str
    retrieved_contexts: list[str]
    reference: str
    reference_contexts: list[str] = field(default_factory=list)
    contexts_from: str = "retrieved"  # "retrieved" (every passage the search returned) or "cited"

    def sample(self) -> dict[str, Any]:
        return {
            "user_input": self.question,
            "response": self.answer,
            "retrieved_contexts": self.retrieved_contexts,
            "reference": self.reference,
            "reference_contexts": self.reference_contexts,
        }


def _same_doc(a: str, b: str) -> bool:
    a, b = a.replace("\\", "/").lstrip("./"), b.replace("\\", "/").lstrip("./")
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


class ContextLookup:
    """Chunk texts from the engine's index: the chunk a citation points at, and the chunks covering a
    reference (document, page). Reads the store of ``svc`` (app.services.Services); caches per document."""

    def __init__(self, svc: Any) -> None:
        self.db = svc.db
        self.store = svc.store
        self._docs = None
        self._chunks: dict[str, list[dict[str, Any]]] = {}

    def _documents(self) -> list[Any]:
        if self._docs is None:
            self._docs = [d for d in self.db.list_documents() if d.current_version is not None]
        return self._docs

    def _doc_chunks(self, doc_id: str) -> list[dict[str, Any]]:
        if doc_id not in self._chunks:
            fields = ["text", "version", "page_start", "page_end", "chunk", "section"]
            self._chunks[doc_id] = [p for _, p in self.store.iter_payloads(doc_id=doc_id, fields=fields)]
        return self._chunks[doc_id]

    def cited(self, citation: Mapping[str, Any]) -> str:
        """The indexed chunk a citation quotes (same document, version and pages, holding the snippet's
        first line); the snippet itself when none is found."""
        snippet = citation.get("snippet") or ""
        first = snippet.strip().splitlines()[0].strip() if snippet.strip() else ""
        for p in self._doc_chunks(citation.get("doc_id") or ""):
            if p.get("version") != citation.get("version"):
                continue
            if (p.get("page_start"), p.get("page_end", p.get("page_start"))) != (
                citation.get("page"),
                citation.get("page_end", citation.get("page")),
            ):
                continue
            if first and first in (p.get("text") or ""):
                return p["text"]
        return snippet

    def reference(self, source: Mapping[str, Any]) -> list[str]:
        """The current version's chunks of ``source["document"]`` covering ``source["page"]`` and lying
        under ``source["section"]`` (or holding that heading as a line) / from ``source["attachment"]``
        when given (every chunk of the document when no location is given)."""
        from eval.runner import _label

        page = source.get("page")
        wanted = _label(source.get("section"))
        attachment = _label(f"Attachment: {source['attachment']}") if source.get("attachment") else ""
        out = []
        for d in self._documents():
            if not _same_doc(d.path, source["document"]):
                continue
            chunks = sorted(
                self._doc_chunks(d.doc_id), key=lambda p: (p.get("page_start") or 0, p.get("chunk") or 0)
            )
            for p in chunks:
                if p.get("version") != d.current_version:
                    continue
                start = p.get("page_start") or 1
                end = p.get("page_end") or start
                section = _label(p.get("section"))
                if page is not None and not start <= page <= end:
                    continue
                text = p.get("text") or ""
                if wanted and wanted not in section and wanted not in {_label(x) for x in text.splitlines()}:
                    continue
                if attachment and not section.startswith(attachment):
                    continue
                out.append(p.get("text") or "")
        return [t for t in out if t.strip()]


def build_rows(
    results: Sequence[Mapping[str, Any]],
    references: Mapping[str, str],
    lookup: ContextLookup | None = None,
) -> tuple[list[RagasRow], int]:
    """(rows to score, questions skipped) from EvalResult dicts; ``references`` maps item_id to the
    golden reference answer. Refused, unanswerable, uncited or reference-less results are skipped.
    The retrieved contexts are the texts of ``answer["retrieved"]`` when the run recorded them, else
    the cited passages (``contexts_from`` says which)."""
    rows: list[RagasRow] = []
    skipped = 0
    for r in results:
        answer = r.get("answer") or {}
        reference = references.get(r["item_id"], "")
        cites = answer.get("citations") or []
        if not r.get("answerable") or r.get("refused") or answer.get("refused") or not reference or not cites:
            skipped += 1
            continue
        retrieved = [p.get("text") or "" for p in answer.get("retrieved") or []]
        if any(t.strip() for t in retrieved):
            contexts, source = retrieved, "retrieved"
        else:
            contexts = [lookup.cited(c) if lookup else c.get("snippet") or "" for c in cites]
            source = "cited"
        ref_contexts: list[str] = []
        if lookup:
            for s in r.get("reference_sources") or []:
                ref_contexts += [t for t in lookup.reference(s) if t not in ref_contexts]
        rows.append(
            RagasRow(
                item_id=r["item_id"],
                question=r["question"],
                answer=answer.get("answer") or "",
                retrieved_contexts=[c for c in contexts if c.strip()] or [""],
                reference=reference,
                reference_contexts=ref_contexts,
                contexts_from=source,
            )
        )
    return rows, skipped


class MiniLMEmbeddings:
    """A llama-index embedding over the packaged all-MiniLM-L6-v2 (the one app.embeddings uses)."""

    @staticmethod
    def llama_index() -> Any:
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from transformers.utils import logging as hf_logging

        from app.embeddings import model_dir

        hf_logging.disable_progress_bar()
        return HuggingFaceEmbedding(model_name=str(model_dir()), device="cpu", normalize=True)


def ragas_embeddings(embed_model: Any | None = None) -> Any:
    """ragas' LlamaIndexEmbeddingsWrapper over ``embed_model`` (default: the packaged MiniLM)."""
    offline_env()
    from ragas.embeddings import LlamaIndexEmbeddingsWrapper

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return LlamaIndexEmbeddingsWrapper(embed_model or MiniLMEmbeddings.llama_index())


def judge_llm(settings: Any) -> Any:
    """The judge: the llama-index LLM of the configured backend (app.llm is the only model client),
    with ``judge_timeout_s`` per call instead of the answers' ``llm_timeout_s``.
    Raises ValueError for the extractive backend (it has no language model)."""
    from app.llm import make_generator

    gen = make_generator(settings.model_copy(update={"llm_timeout_s": settings.judge_timeout_s}))
    if gen is None:
        raise ValueError(
            "--ragas llm needs a language model: set DOCQA_LLM_BACKEND to local or openai "
            "(the judge is the configured backend, not --backend)"
        )
    return gen.llm


def ragas_llm(llm: Any) -> Any:
    """ragas' LlamaIndexLLMWrapper over a llama-index LLM (e.g. app.llm's StreamingLLM)."""
    offline_env()
    from ragas.llms import LlamaIndexLLMWrapper

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return LlamaIndexLLMWrapper(llm)


def make_metrics(mode: str, *, embeddings: Any, llm: Any | None = None) -> tuple[list[Any], list[Any]]:
    """(metrics over every row, metrics over the rows that have reference contexts) for ``mode``."""
    offline_env()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from ragas import metrics as m

        if mode == "nonllm":
            return (
                [m.NonLLMStringSimilarity(), m.SemanticSimilarity(embeddings=embeddings)],
                [m.NonLLMContextPrecisionWithReference(), m.NonLLMContextRecall()],
            )
        if mode == "llm":
            if llm is None:
                raise ValueError("ragas mode 'llm' needs a judge llm")
            return [
                m.Faithfulness(llm=llm),
                m.AnswerRelevancy(llm=llm, embeddings=embeddings),
                m.ContextPrecision(llm=llm),
                m.ContextRecall(llm=llm),
            ], []
    raise ValueError(f"ragas mode must be one of {', '.join(MODES)}, got {mode!r}")


def _mean(values: Iterable[Any]) -> float | None:
    xs = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(xs) / len(xs) if xs else None


def _score(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def score_rows(
    rows: Sequence[RagasRow],
    mode: str = "nonllm",
    *,
    embeddings: Any | None = None,
    llm: Any | None = None,
    skipped: int = 0,
    timeout_s: float = 600.0,
    show_progress: bool = False,
) -> dict[str, Any]:
    """Score ``rows`` with ragas.evaluate over an EvaluationDataset. ``embeddings``: a ragas
    embeddings object (default: MiniLM); ``llm``: a llama-index LLM or a ragas LLM (mode "llm").
    Returns {"mode", "scored", "skipped", "context_scored", "seconds", "metrics": {short name: mean
    or None}, "failed": {short name: questions it could not score}, "cited_context_fallback",
    "per_item": {item_id: {short name: score or None}}}. A score ragas could not compute (judge error,
    timeout, NaN) is None, left out of the mean and counted in ``failed``; a whole evaluate() call that
    raises counts every question it covered as failed for its metrics."""
    if mode not in MODES:
        raise ValueError(f"ragas mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "none":
        return {"mode": "none"}
    offline_env()
    t0 = time.perf_counter()
    from ragas import EvaluationDataset, evaluate
    from ragas.llms.base import BaseRagasLLM
    from ragas.run_config import RunConfig

    embeddings = embeddings or ragas_embeddings()
    if llm is not None and not isinstance(llm, BaseRagasLLM):
        llm = ragas_llm(llm)
    every, with_refs = make_metrics(mode, embeddings=embeddings, llm=llm)
    ctx_rows = [r for r in rows if r.reference_contexts] if with_refs else []
    # the local judge serialises calls anyway; two cores
    config = RunConfig(timeout=int(timeout_s), max_workers=1 if mode == "llm" else 4, max_retries=1)
    per_item: dict[str, dict[str, float | None]] = {r.item_id: {} for r in rows}
    errors: list[str] = []
    for metrics, subset in ((every, list(rows)), (with_refs, ctx_rows)):
        if not metrics or not subset:
            continue
        short = [SHORT.get(m.name, m.name) for m in metrics]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = evaluate(
                    EvaluationDataset.from_list([r.sample() for r in subset]),
                    metrics=metrics,
                    llm=llm,
                    embeddings=embeddings,
                    run_config=config,
                    show_progress=show_progress,
                    raise_exceptions=False,
                )
            scores = list(result.scores)
        except Exception as exc:
            errors.append(f"{', '.join(short)}: {type(exc).__name__}: {exc}"[:300])
            scores = [{} for _ in subset]
        for row, s in zip(subset, scores, strict=True):
            got = {SHORT.get(k, k): _score(v) for k, v in s.items()}
            per_item[row.item_id].update({n: got.get(n) for n in short})
    names = [SHORT.get(m.name, m.name) for m in every + with_refs]
    covered = {n: [p for i, p in per_item.items() if n in p] for n in names}
    return {
        "mode": mode,
        "scored": len(rows),
        "skipped": skipped,
        "context_scored": len(ctx_rows) if with_refs else len(rows),
        "cited_context_fallback": sum(1 for r in rows if r.contexts_from == "cited"),
        "seconds": time.perf_counter() - t0,
        "metrics": {n: _mean(p.get(n) for p in per_item.values()) for n in names},
        "failed": {n: sum(1 for p in covered[n] if p.get(n) is None) for n in names},
        "errors": errors,
        "per_item": per_item,
    }


def evaluate_results(
    results: Sequence[Mapping[str, Any]],
    references: Mapping[str, str],
    mode: str = "nonllm",
    *,
    lookup: ContextLookup | None = None,
    llm: Any | None = None,
    embeddings: Any | None = None,
    timeout_s: float = 600.0,
) -> dict[str, Any]:
    """build_rows + score_rows: the ``ragas`` entry of a run's metrics."""
    if mode == "none":
        return {"mode": "none"}
    rows, skipped = build_rows(results, references, lookup)
    return score_rows(rows, mode, embeddings=embeddings, llm=llm, skipped=skipped, timeout_s=timeout_s)


def by_half(ragas: Mapping[str, Any] | None) -> dict[str, dict[str, dict[str, Any]]]:
    """Each metric's mean and failed-to-score count per half (eval.golden.half_of of the question id),
    from a stored ``ragas`` entry's ``per_item``: {half: {metric: {"value", "n", "failed"}}}, for the
    halves that have scored questions."""
    from eval.golden import half_of

    per_item = (ragas or {}).get("per_item") or {}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for half in ("test", "tune"):
        items = [scores for item_id, scores in per_item.items() if half_of(item_id) == half]
        if not items:
            continue
        names = sorted({n for scores in items for n in scores})
        out[half] = {}
        for n in names:
            ran = [scores[n] for scores in items if n in scores]
            out[half][n] = {"value": _mean(ran), "n": len(ran), "failed": sum(v is None for v in ran)}
    return out


def flat_metrics(ragas: Mapping[str, Any] | None) -> dict[str, float | None]:
    """``ragas_<name>`` scalars of a stored ``ragas`` entry (for reports and comparisons)."""
    return {f"ragas_{k}": v for k, v in ((ragas or {}).get("metrics") or {}).items()}
