"""Question -> cited answer.

retrieve (permission-filtered) -> pick the supporting sentences of the best passages within a token
budget -> numbered sources -> LLM (or the extractive backend, also the fallback when the LLM fails)
-> [n] markers parsed and validated -> support checked -> confidence.

One module per step; all but the answerer are plain functions tested without models:

- ``answerer``: :class:`Answerer`, which holds the stores and the model and runs the steps
- ``results``: Source, Citation, Answer
- ``text``: sentences, table rows, words and [n] markers
- ``prompt``: the prompt file and the messages sent to the model
- ``guard``: instructions in questions and documents, and answers repeating the prompt
- ``select``: evidence selection within a token budget, and the quote of the best units
- ``found``: Evidence (what was found and selected) and the refusal
- ``merge``: the evidence of a question's sub-questions, merged
- ``verify``: whether sentences are backed by the sources they cite
- ``fallback``: the quoted sources in place of a written answer (quick answer, fallback)
- ``conflicts``: sources from two versions of one document
- ``refusal``: what a refusal says
- ``assemble``: the Answer with its notes, citations and confidence
- ``computed``: arithmetic over a filing's statements, done by code
"""

from app.answer.answerer import Answerer
from app.answer.conflicts import conflict_note, version_conflicts
from app.answer.found import Evidence
from app.answer.guard import (
    PROMPT_LEAK_NOTE,
    PROMPT_SHINGLE_WORDS,
    guard_stream,
    hostile_lines,
    looks_like_injection,
    prompt_shingles,
    reproduces_prompt,
)
from app.answer.prompt import PROMPT_VERSION, build_messages, load_prompt
from app.answer.refusal import ESCALATE, REFUSAL, is_refusal, searched_note
from app.answer.results import Answer, Citation, Source, pages_label
from app.answer.select import (
    ASIDE_WEIGHT,
    FOLLOW_ON,
    FOLLOW_ON_SLACK,
    LEXICAL_WEIGHT,
    TERM_WEIGHT,
    TYPE_WEIGHT,
    UNIT_MIN_SIMILARITY,
    coverage,
    extractive_answer,
    follow_on,
)
from app.answer.text import (
    content_words,
    is_email,
    keyed_row,
    overlap,
    parse_citations,
    quoted_unit,
    sentence_markers,
    split_sentences,
    split_units,
)
from app.answer.verify import SUPPORT_THRESHOLD
from app.evidence import missing_terms, specific_terms  # the refusal's named terms

__all__ = [
    "ASIDE_WEIGHT",
    "ESCALATE",
    "FOLLOW_ON",
    "FOLLOW_ON_SLACK",
    "LEXICAL_WEIGHT",
    "PROMPT_LEAK_NOTE",
    "PROMPT_SHINGLE_WORDS",
    "PROMPT_VERSION",
    "REFUSAL",
    "SUPPORT_THRESHOLD",
    "TERM_WEIGHT",
    "TYPE_WEIGHT",
    "UNIT_MIN_SIMILARITY",
    "Answer",
    "Answerer",
    "Citation",
    "Evidence",
    "Source",
    "build_messages",
    "conflict_note",
    "content_words",
    "coverage",
    "extractive_answer",
    "follow_on",
    "guard_stream",
    "hostile_lines",
    "is_email",
    "is_refusal",
    "keyed_row",
    "load_prompt",
    "looks_like_injection",
    "missing_terms",
    "overlap",
    "pages_label",
    "parse_citations",
    "prompt_shingles",
    "quoted_unit",
    "reproduces_prompt",
    "searched_note",
    "sentence_markers",
    "specific_terms",
    "split_sentences",
    "split_units",
    "version_conflicts",
]
