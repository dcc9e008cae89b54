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


# -- the messy set (eval/sets/messy.jsonl over ../shared/data/messy) ---------------------------------
SETS_DIR = ROOT / "eval" / "sets"
MESSY_SET = SETS_DIR / "messy.jsonl"
MESSY_ACL = SETS_DIR / "messy-acl.yaml"
MESSY_DIR = SHARED_DATA / "messy"
# the askers of the messy set and their groups (the ACL in messy-acl.yaml decides what each may read)
MESSY_USERS = {
    "messy-reader": ["everyone"],
    "messy-mail": ["everyone", "mail"],
    "messy-finance": ["everyone", "finance"],
}


def messy_items(path: Path | None = None) -> list[GoldenItem]:
    """The messy set's questions (validated like every golden file)."""
    from eval.golden import load_golden

    return load_golden(path or MESSY_SET)


def link_corpus(dest: Path, source: Path, acl: Path | None = None) -> int:
    """Make ``dest`` mirror the files under ``source`` as symbolic links (nothing is copied: the shared
    data stays where it is) and, with ``acl``, hold a copy of that manifest as ``dest/acl.yaml`` so the
    ingest applies it. Links to files no longer in ``source`` are removed. Returns the number of files."""
    if not source.is_dir():
        raise FileNotFoundError(f"corpus folder missing: {source}")
    dest.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for path in sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(source)
        wanted.add(rel)
        link = dest / rel
        if link.is_symlink() and link.resolve() == path.resolve():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(path.resolve())
    for link in [p for p in dest.rglob("*") if p.is_symlink()]:
        if link.relative_to(dest) not in wanted:
            link.unlink()
    if acl is not None:
        text = acl.read_text(encoding="utf-8")
        target = dest / "acl.yaml"
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    return len(wanted)


def ensure_users(svc, users: dict[str, list[str]]) -> None:  # noqa: ANN001 - Services
    """Create the set's askers (random passwords: nobody logs in as them) or reset their groups."""
    import secrets

    from app.access import add_user

    for name, groups in users.items():
        found = svc.db.get_user(name)
        if found is None or sorted(found.group_names) != sorted(groups):
            add_user(svc.db, name, secrets.token_urlsafe(16), groups, ["employee"])


def prepare_messy(svc, directory: Path | None = None) -> list[GoldenItem]:  # noqa: ANN001 - Services
    """Make ``svc``'s stores hold the messy corpus (set "messy") with the ACL of eval/sets/messy-acl.yaml
    and its askers; unchanged files are skipped by the pipeline. The corpus is a folder of symbolic
    links to ../shared/data/messy under ``<data_dir>/messy-corpus``. Broken, empty, encrypted and
    unsupported files fail to ingest by design (each with its reason). Returns the questions."""
    corpus = svc.settings.data_dir / "messy-corpus"
    link_corpus(corpus, directory or MESSY_DIR, MESSY_ACL)
    ensure_users(svc, MESSY_USERS)
    svc.ingestor.ingest([corpus], set_name="messy", prune=True)
    return messy_items()


# -- FinanceBench development slice (../shared/data/financebench-dev) -------------------------------
FINANCEBENCH_DIR = SHARED_DATA / "financebench-dev"
FINANCEBENCH_USER = "fb-analyst"
FINANCEBENCH_GROUP = "everyone"
# The fact a correct answer must state, taken from the annotators' gold answer (FinanceBench is graded by
# people; these strings make it gradable by machine). Empty for the judgement questions whose gold answer
# has no single fact: those count as correct when answered with an evidence page cited.
FINANCEBENCH_FACTS: dict[str, list[str]] = {
    "financebench_id_02987": ["24.26"],
    "financebench_id_07966": ["1.9%"],
    "financebench_id_06655": ["93.86"],
    "financebench_id_08135": ["30.8%"],
    "financebench_id_08286": ["11,588"],
    "financebench_id_03838": ["101.5%"],
    "financebench_id_07661": ["382"],
    "financebench_id_01346": ["20%", "23%"],
    "financebench_id_00005": ["831"],
    "financebench_id_04209": ["59,268"],
    "financebench_id_00790": [],
    "financebench_id_01107": ["opioid"],
    "financebench_id_01244": ["0.55"],
    "financebench_id_00839": ["Ulta Beauty"],
    "financebench_id_00822": ["Richard A. Johnson"],
    "financebench_id_04103": ["-3.7"],
    "financebench_id_00299": ["Corporate", "473"],
    "financebench_id_02119": ["66.56"],
    "financebench_id_00216": ["0.54"],
    "financebench_id_00215": ["2.77"],
    "financebench_id_00566": ["229"],
}


def financebench_records(directory: Path | None = None) -> list[dict]:
    path = (directory or FINANCEBENCH_DIR) / "questions.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"FinanceBench questions missing: {path}")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def financebench_items(directory: Path | None = None) -> list[GoldenItem]:
    """The 21 questions as golden items: every one answerable, its ``evidence`` pages (1-based PDF pages
    of the filing, as ingested from pdfs/: the file name) as reference sources, the key fact of the gold
    answer (FINANCEBENCH_FACTS) as ``must_include``, tags = FinanceBench's question type and reasoning."""
    items = []
    for rec in financebench_records(directory):
        sources: list[dict] = []
        for ev in rec.get("evidence") or []:
            src = {"document": ev["document"], "page": int(ev["page"])}
            if src not in sources:
                sources.append(src)
        tags = ["financebench", rec.get("question_type") or ""]
        tags += [re.sub(r"[^a-z]+", "-", (rec.get("reasoning") or "").lower()).strip("-")]
        items.append(
            GoldenItem(
                id=rec["id"],
                question=rec["question"].strip(),
                reference_answer=(rec.get("answer") or "").strip(),
                must_include=list(FINANCEBENCH_FACTS.get(rec["id"], [])),
                reference_sources=sources,
                user=FINANCEBENCH_USER,
                answerable=True,
                tags=[t for t in tags if t],
            )
        )
    return items


def prepare_financebench(svc, pdfs: Path | None = None) -> list[GoldenItem]:  # noqa: ANN001 - Services
    """Make ``svc``'s stores hold the filings (set "financebench", all in one shared store, readable by
    "everyone") and the analyst; ``pdfs`` defaults to ../shared/data/financebench-dev/pdfs. Returns the
    questions. Filings that fail to ingest (e.g. encrypted ones) are reported by the ingest, not raised:
    their questions are still asked."""
    ensure_users(svc, {FINANCEBENCH_USER: [FINANCEBENCH_GROUP]})
    svc.ingestor.ingest([pdfs or FINANCEBENCH_DIR / "pdfs"], set_name="financebench",
                        groups=[FINANCEBENCH_GROUP], prune=True)  # fmt: skip
    return financebench_items()
