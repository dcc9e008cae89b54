"""Public question sets turned into golden items over a closed corpus we can ingest.

ClapNQ dev (../shared/data/clapnq): 300 answerable + 300 unanswerable questions, each with one gold
Wikipedia passage; the corpus is the union of the gold passages, one text file per distinct passage.
An unanswerable question's own passage is in the corpus (close to the topic, yet silent on it).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

from eval.golden import GoldenItem

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
CLAPNQ_FILES = {True: "clapnq_dev_answerable.jsonl", False: "clapnq_dev_unanswerable.jsonl"}
CLAPNQ_USER = "clapnq-reader"
CLAPNQ_GROUP = "everyone"


def _records(directory: Path, answerable: bool) -> Iterator[dict]:
    path = directory / CLAPNQ_FILES[answerable]
    if not path.is_file():
        raise FileNotFoundError(f"ClapNQ file missing: {path}")
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def passage_file(title: str, text: str) -> str:
    """The corpus file name of one passage: readable title slug + a hash of (title, text)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "passage"
    digest = hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()[:10]
    return f"{slug}-{digest}.txt"


def _detokenise(text: str) -> str:
    """Undo NQ's spaces around punctuation ("city 's bourgeoisie , who" -> "city's bourgeoisie, who")."""
    text = re.sub(r" ([,.;:!?%)])", r"\1", text)
    text = re.sub(r"([(]) ", r"\1", text)
    text = re.sub(r" (['’]s)\b", r"\1", text)
    return text.replace("`` ", '"').replace(" ''", '"')


def write_clapnq_corpus(dest: Path, directory: Path | None = None) -> int:
    """Write each distinct gold passage as ``dest/<file>.txt`` (title line, blank line, text).
    Returns the number of passages; existing identical files are left alone (re-ingest skips them)."""
    directory = directory or SHARED_DATA / "clapnq"
    dest.mkdir(parents=True, exist_ok=True)
    seen = set()
    for answerable in (True, False):
        for rec in _records(directory, answerable):
            for p in rec["passages"]:
                name = passage_file(p["title"], p["text"])
                if name in seen:
                    continue
                seen.add(name)
                body = f"{p['title']}\n\n{_detokenise(p['text']).strip()}\n"
                target = dest / name
                if not target.is_file() or target.read_text(encoding="utf-8") != body:
                    target.write_text(body, encoding="utf-8")
    return len(seen)


def clapnq_items(directory: Path | None = None) -> list[GoldenItem]:
    """Answerable and unanswerable questions interleaved (so any ``[:n]`` is balanced). An answer is
    judged on citing the gold passage (its corpus file, as ingested); ClapNQ's long-form reference
    answers are kept as ``reference_answer`` for judges, ``must_include`` stays empty."""
    directory = directory or SHARED_DATA / "clapnq"
    kinds = {a: list(_records(directory, a)) for a in (True, False)}
    items = []
    for i in range(max(len(v) for v in kinds.values())):
        for answerable in (True, False):
            if i >= len(kinds[answerable]):
                continue
            rec = kinds[answerable][i]
            p = rec["passages"][0]
            answers = [o["answer"] for o in rec.get("output", []) if o.get("answer")]
            items.append(
                GoldenItem(
                    id=f"clapnq-{rec['id']}" + ("" if answerable else "-u"),
                    question=rec["input"].strip().rstrip("?") + "?",
                    reference_answer=answers[0] if answers else "",
                    must_include=[],
                    reference_sources=[{"document": passage_file(p["title"], p["text"])}]
                    if answerable
                    else [],
                    user=CLAPNQ_USER,
                    answerable=answerable,
                    tags=["clapnq"] if answerable else ["clapnq", "unanswerable"],
                )
            )
    return items


def prepare_clapnq(svc, directory: Path | None = None) -> list[GoldenItem]:  # noqa: ANN001 - Services
    """Make ``svc``'s stores hold the ClapNQ corpus (set "clapnq", readable by "everyone") and its
    reader; an unchanged corpus is skipped by the pipeline. Returns the questions."""
    import secrets

    from app.access import add_user

    corpus = svc.settings.data_dir / "clapnq-corpus"
    write_clapnq_corpus(corpus, directory)
    if svc.db.get_user(CLAPNQ_USER) is None:
        add_user(svc.db, CLAPNQ_USER, secrets.token_urlsafe(16), [CLAPNQ_GROUP], ["employee"])
    report = svc.ingestor.ingest([corpus], set_name="clapnq", groups=[CLAPNQ_GROUP], prune=True)
    failed = [r for r in report.files if r.status == "failed"]
    if failed:
        raise RuntimeError(f"{len(failed)} ClapNQ passages failed to ingest, e.g. {failed[0].reason}")
    return clapnq_items(directory)
