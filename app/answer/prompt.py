"""The answer prompt: its version, its text (app/prompts/<version>.txt) and the messages built from
the numbered sources."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # app.answer.results imports PROMPT_VERSION from here
    from app.answer.results import Source

PROMPT_VERSION = "answer_v2"  # v2: no example answer the model can copy; no rule repeating (redteam)


@lru_cache(maxsize=4)
def load_prompt(version: str = PROMPT_VERSION) -> tuple[str, str]:
    text = resources.files("app.prompts").joinpath(f"{version}.txt").read_text(encoding="utf-8")
    _, system, user = re.split(r"^### (?:system|user)\n", text, flags=re.MULTILINE)
    return system.strip(), user.strip()


def build_messages(
    question: str, sources: Sequence[Source], version: str = PROMPT_VERSION
) -> list[tuple[str, str]]:
    system, user = load_prompt(version)
    blocks = [f"[{s.n}] {s.passage.citation}\n{s.snippet}" for s in sources]
    return [("system", system), ("user", user.format(sources="\n\n".join(blocks), question=question.strip()))]
