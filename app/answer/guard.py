"""Instructions aimed at the assistant: in a question or a document (prompt injection), and an answer
repeating the assistant's own instructions (a prompt leak), withheld even while it streams."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from app.answer.prompt import load_prompt
from app.answer.refusal import REFUSAL

PROMPT_SHINGLE_WORDS = 8  # an answer repeating this many words of the instructions in a row is withheld
PROMPT_LEAK_NOTE = "The generated answer repeated the assistant's instructions, so it was withheld."
_INJECTION_RE = re.compile(
    r"ignore (?:all |any )?(?:previous|prior|above|earlier) (?:instructions|rules|prompts?)|"
    r"disregard (?:the|all|your) (?:instructions|rules)|system prompt|you are now|act as|"
    r"reveal (?:your|the) (?:instructions|prompt|rules)|developer mode|jailbreak|"
    # instructions aimed at the assistant inside documents (found by `docqa eval redteam`)
    r"\bignore (?:all |any |your |the |these )?(?:rules|instructions|guidelines)\b|"
    r"\b(?:dear|note (?:to|for)|message (?:to|for)|instructions? for) (?:the |all |any )?(?:ai )?"
    r"(?:assistants?|chatbots?|language models?|llms?)\b|"
    r"\b(?:reply|respond|answer)(?: (?:every|each|all|any) (?:questions?|messages?))? (?:only )?with "
    r"(?:only )?the (?:words?|phrase)\b|"
    r"\bwhen summari[sz]ing (?:this|the) (?:page|document|file|text)\b|"
    r"\btell the reader\b|\bcite (?:source )?\[\d+\]|\bsystem (?:notice|override)\b|"
    r"\brepeat (?:the (?:words|text) |everything )?above\b|\brole ?play for the assistant\b",
    re.IGNORECASE,
)


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION_RE.search(text))


def hostile_lines(text: str) -> list[str]:
    """Paragraphs under a heading that addresses the assistant ("Message to the assistant"): all their
    sentences are instructions, even those that don't look like one on their own."""
    lines = text.splitlines()
    return [
        line
        for prev, line in zip(["", *lines], lines, strict=False)
        if line.strip() and looks_like_injection(prev) and len(prev.split()) <= 12
    ]


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    toks = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


@lru_cache(maxsize=4)
def prompt_shingles(n: int = PROMPT_SHINGLE_WORDS) -> frozenset[tuple[str, ...]]:
    """Every ``n``-word run of every prompt file's instructions; placeholders and the refusal sentence
    the prompt tells the model to use split them (so answering with that sentence is no disclosure)."""
    found: set[tuple[str, ...]] = set()
    for entry in resources.files("app.prompts").iterdir():
        if entry.name.endswith(".txt"):
            system, user = load_prompt(entry.name[:-4])
            for part in [*system.split(REFUSAL), *re.split(r"\{\w+\}", user)]:
                found |= _shingles(part, n)
    return frozenset(found)


def reproduces_prompt(text: str, evidence: str = "", n: int = PROMPT_SHINGLE_WORDS) -> bool:
    """Output filter: ``text`` repeats ``n`` consecutive words of the instruction prompts that the
    ``evidence`` (the retrieved passages) does not also contain."""
    hits = _shingles(text, n) & prompt_shingles(n)
    return bool(hits - _shingles(evidence, n)) if hits else False


def guard_stream(on_token: Callable[[str], None] | None, evidence: str) -> Callable[[str], None] | None:
    """``on_token`` that stops forwarding tokens once the text so far reproduces the prompt
    (so a leak shows at most a few words before the final answer replaces it)."""
    if on_token is None:
        return None
    streamed: list[str] = []
    stopped = False

    def guarded(token: str) -> None:
        nonlocal stopped
        streamed.append(token)
        stopped = stopped or reproduces_prompt("".join(streamed), evidence)
        if not stopped:
            on_token(token)

    return guarded
