"""What a refusal says: the refusal sentence, what was searched, and where to go next; and whether a
language model's answer is itself a refusal."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.answer.results import Source

REFUSAL = "I couldn't find this in the documents you can access."
_REFUSAL_RE = re.compile(
    r"couldn'?t find|could not find|can(?:no|')t find|not (?:mentioned|stated|specified|provided|found)|"
    r"(?:no|not enough) information|do(?:es)? not (?:contain|say|mention|specify)",
    re.IGNORECASE,
)
ESCALATE = "An expert can look into it: use “Ask an expert”."


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL_RE.search(text)) and len(text) < 400


def searched_note(missing: Sequence[str], sources: Sequence[Source], limit: int = 3) -> str:
    """What a refusal says was searched: the closest passages among the documents the asker may read
    (or that none matched), what of the question they don't mention, and where to go next."""
    places = list(dict.fromkeys(s.passage.citation for s in sources))[:limit]
    if not places:
        return f"No passage of the documents you can access matches the question. {ESCALATE}"
    what = "don't mention " + ", ".join(f"“{m}”" for m in missing) if missing else "don't answer it"
    closest = "; ".join(places)
    return f"I searched the documents you can access; the closest passages ({closest}) {what}. {ESCALATE}"


def unanswered_note(questions: Sequence[str]) -> str:
    """The note on an answer across documents that the sub-``questions`` found no answer."""
    missing = "; ".join(f"“{q}”" for q in questions)
    return f"The documents you can access do not answer {missing}. {ESCALATE}"
