"""`docqa bench crash`: kill -9 `docqa ingest` at random moments and check that a rerun repairs it.

Each trial changes the corpus (edits, additions, removals, reverted edits, ACL changes), starts
`docqa ingest --prune` as a subprocess on an isolated data dir, SIGKILLs its process group at a random
moment, then:

1. runs the doctor and records what the kill left (the DESIGN promise: every document that was
   answerable before and is still in the corpus is still answerable, with all its chunks);
2. reruns the ingest to completion (in this process, sharing the loaded embedder);
3. requires the doctor to find nothing, and every file of the corpus to be answerable at exactly one
   version, the one holding its current content: its points are all of that version and a search
   with its own text returns its chunks at that version only.

Kill moments: a trial waits for an anchor - the run started (20%: hashing, partitioning, loading the
model), a first version in state "writing" (40%: embedding, writing points, switching), or a first
file indexed (40%: the next files' writes, the switch and clean-up steps, pruning) - then kills at a
uniformly random moment within a window per anchor, learned from the trials so far.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.doctor import check, summary
from app.settings import Settings

if TYPE_CHECKING:
    from app.embeddings import Embedder
    from app.services import Services

SET = "crash"
GROUPS = ("hr", "finance", "staff")
WORDS = (
    "leave", "policy", "travel", "expense", "holiday", "security", "laptop", "badge", "office", "payroll",
    "bonus", "contract", "pension", "training", "onboarding", "manager", "approval", "budget", "invoice",
    "supplier", "audit", "quarter", "report", "meeting", "remote", "overtime", "parking", "canteen",
    "safety", "incident", "password", "backup", "server", "customer", "refund", "warranty",
)  # fmt: skip


@dataclass
class Trial:
    n: int
    anchor: str  # what the kill waited for: "run" (started), "writing" (a version), "indexed" (a file)
    killed_after_s: float  # after the anchor
    outcome: str  # "killed" or "finished first" (the ingest ended before the kill)
    changes: list[str]
    after_kill: dict[str, int]  # doctor findings right after the kill, per kind
    promise_broken: list[str]  # documents answerable before the kill that were not after it
    rerun: dict[str, int]  # file statuses of the rerun
    after_rerun: dict[str, int]  # doctor findings after the rerun (must be empty)
    problems: list[str] = field(default_factory=list)  # answerability failures after the rerun

    @property
    def ok(self) -> bool:
        return not (self.after_rerun or self.problems or self.promise_broken)


@dataclass
class CrashResult:
    trials: list[Trial]
    seconds: float
    files: int  # files in the corpus at the end

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.trials)

    def to_dict(self) -> dict[str, Any]:
        kinds: Counter[str] = Counter()
        for t in self.trials:
            kinds.update(t.after_kill)
        return {
            "trials": len(self.trials),
            "killed": sum(t.outcome == "killed" for t in self.trials),
            "finished_before_kill": sum(t.outcome != "killed" for t in self.trials),
            "left_inconsistent": sum(bool(t.after_kill) for t in self.trials),
            "findings_after_kills": dict(kinds),
            "consistent_after_rerun": sum(not t.after_rerun for t in self.trials),
            "answerable_after_rerun": sum(not t.problems for t in self.trials),
            "promise_broken": sum(bool(t.promise_broken) for t in self.trials),
            "ok": self.ok,
            "seconds": round(self.seconds, 1),
            "files": self.files,
            "details": [asdict(t) | {"ok": t.ok} for t in self.trials],
        }


# -- the corpus ------------------------------------------------------------------------------------
def _paragraphs(rng: random.Random, tag: str, n: int) -> list[str]:
    return [
        f"Section {tag}-{i}. " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 70))) + "."
        for i in range(n)
    ]


def _write(path: Path, paragraphs: list[str]) -> None:
    if path.suffix == ".docx":
        import docx

        d = docx.Document()
        d.add_heading(path.stem, level=1)
        for p in paragraphs:
            d.add_paragraph(p)
        d.save(str(path))
    elif path.suffix == ".md":
        path.write_text(f"# {path.stem}\n\n" + "\n\n".join(paragraphs) + "\n")
    else:
        path.write_text("\n\n".join(paragraphs) + "\n")


class Corpus:
    """A folder of text, markdown and docx files with an acl.yaml, changed a little per trial."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.groups: dict[str, str] = {}
        self.history: dict[str, list[bytes]] = {}  # earlier contents, to revert to
        self.counter = 0
        root.mkdir(parents=True, exist_ok=True)
        for suffix in (".md", ".md", ".txt", ".docx", ".md", ".txt"):
            self.add(suffix)
        self._acl()

    def files(self) -> list[str]:
        return sorted(self.groups)

    def add(self, suffix: str | None = None) -> str:
        self.counter += 1
        suffix = suffix or self.rng.choice((".md", ".txt", ".docx"))
        name = f"doc{self.counter:03d}{suffix}"
        _write(self.root / name, _paragraphs(self.rng, name, self.rng.randint(6, 14)))
        self.groups[name] = self.rng.choice(GROUPS)
        return f"added {name}"

    def mutate(self) -> list[str]:
        """Edit, add, remove, revert and re-permission a few files."""
        rng, changes = self.rng, []
        for name in rng.sample(self.files(), k=min(len(self.groups), rng.randint(1, 3))):
            path = self.root / name
            self.history.setdefault(name, []).append(path.read_bytes())
            _write(
                path, _paragraphs(rng, f"{name}-{self.counter}-{rng.randint(0, 9999)}", rng.randint(5, 14))
            )
            changes.append(f"edited {name}")
        if rng.random() < 0.6:
            changes.append(self.add())
        if len(self.groups) > 5 and rng.random() < 0.5:
            name = rng.choice(self.files())
            (self.root / name).unlink()
            del self.groups[name]
            changes.append(f"removed {name}")
        reverting = [n for n in self.history if n in self.groups and f"edited {n}" not in changes]
        if reverting and rng.random() < 0.3:
            name = rng.choice(reverting)
            (self.root / name).write_bytes(self.history[name].pop())
            if not self.history[name]:
                del self.history[name]
            changes.append(f"reverted {name}")
        if rng.random() < 0.3:
            name = rng.choice(self.files())
            self.groups[name] = rng.choice([g for g in GROUPS if g != self.groups[name]])
            changes.append(f"regrouped {name}")
        self._acl()
        return changes

    def _acl(self) -> None:
        rules = "".join(f'  - match: "{n}"\n    groups: [{g}]\n' for n, g in sorted(self.groups.items()))
        (self.root / "acl.yaml").write_text("rules:\n" + rules)


# -- one trial -------------------------------------------------------------------------------------
def _child_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCQA_")}
    env |= {"DOCQA_DATA_DIR": str(settings.data_dir), "DOCQA_INGEST_WORKERS": "0"}
    env |= {"DOCQA_ANSWER_CACHE": "false", "COLUMNS": "200"}
    return env


def _wait_for_anchor(svc: Services, proc: subprocess.Popen, anchor: str, last_run: int) -> bool:
    """Poll the database until the child reached ``anchor``; False if it exited first."""
    while proc.poll() is None:
        runs = svc.db.list_runs(limit=1)
        if runs and runs[0].id > last_run:
            if anchor == "run":
                return True
            if anchor == "writing":
                docs = svc.db.list_documents(SET)
                if any(v.state == "writing" for d in docs for v in d.versions):
                    return True
            else:  # "indexed": the run switched a first document to its new version
                run = svc.db.get_run(runs[0].id)
                if run is not None and any(r.status == "indexed" for r in run.results):
                    return True
        time.sleep(0.02)
    return False


def _answerable_before(svc: Services) -> dict[str, str]:
    """Corpus path -> doc_id of the documents answerable now (active version with all its chunks)."""
    bad = {f.doc_id for f in check(svc) if f.kind in ("missing_chunks", "unanswerable")}
    return {d.path: d.doc_id for d in svc.db.list_documents(SET) if d.active and d.doc_id not in bad}


def _verify_answerable(svc: Services, corpus: Corpus) -> list[str]:
    """Every file of the corpus answerable at exactly one version, holding its current content."""
    from app.retrieve import search

    problems: list[str] = []
    docs = {d.path: d for d in svc.db.list_documents(SET)}
    if extra := sorted(set(docs) - set(corpus.files())):
        problems.append(f"documents of removed files still indexed: {', '.join(extra)}")
    for name in corpus.files():
        doc = docs.get(name)
        if doc is None or doc.active is None:
            problems.append(f"{name}: not indexed")
            continue
        digest = hashlib.sha256((corpus.root / name).read_bytes()).hexdigest()
        if doc.active.content_hash != digest:
            problems.append(f"{name}: version {doc.current_version} is not its current content")
        if doc.group_names != [corpus.groups[name]]:
            problems.append(f"{name}: groups {doc.group_names}, acl.yaml says {corpus.groups[name]}")
        payloads = [p for _, p in svc.store.iter_payloads(doc_id=doc.doc_id)]
        versions = {p.get("version") for p in payloads}
        if versions != {doc.current_version} or len(payloads) != doc.active.chunks:
            problems.append(f"{name}: {len(payloads)} points of versions {sorted(versions)}")
            continue
        first = min(payloads, key=lambda p: p.get("chunk_index", 0))
        hits = search(svc.store, svc.embedder, first["text"], doc.group_names, limit=5)
        own = [h for h in hits if h.doc_id == doc.doc_id]
        if not own or {h.payload.get("version") for h in own} != {doc.current_version}:
            problems.append(
                f"{name}: a search with its own text does not return version {doc.current_version}"
            )
    return problems


def run_trials(
    trials: int,
    work_dir: Path,
    *,
    embedder: Embedder,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> CrashResult:
    """``trials`` kill/rerun rounds over a corpus under ``work_dir`` (its data dir is ``work_dir/state``)."""
    from app.services import Services

    t_start = time.perf_counter()
    rng = random.Random(seed)
    settings = Settings(data_dir=work_dir / "state", ingest_workers=0, answer_cache=False)
    corpus = Corpus(work_dir / "corpus", rng)
    say = progress or (lambda _msg: None)
    with_svc = Services(settings, embedder=embedder)
    try:
        with_svc.ingestor.ingest([corpus.root], set_name=SET, prune=True)
    finally:
        with_svc.close()
    # seconds after each anchor within which to kill: shrunk when the ingest finishes first, grown
    # a little after each kill
    windows = {"run": 9.0, "writing": 3.0, "indexed": 3.0}
    results: list[Trial] = []
    cmd = [sys.executable, "-m", "app.cli", "ingest", str(corpus.root), "--set", SET, "--prune", "--json"]
    for n in range(1, trials + 1):
        changes = corpus.mutate()
        pre = Services(settings, embedder=embedder)
        try:
            before = _answerable_before(pre)
        finally:
            pre.close()  # the child needs the store
        kept = {before[k] for k in corpus.files() if k in before}  # must stay answerable through a kill
        svc = Services(settings, embedder=embedder)  # only its database until the child is dead
        try:
            last_run = max((r.id for r in svc.db.list_runs(limit=1)), default=0)
            draw = rng.random()
            anchor = "run" if draw < 0.2 else "writing" if draw < 0.6 else "indexed"
            delay = rng.uniform(0, windows[anchor])
            proc = subprocess.Popen(
                cmd,
                env=_child_env(settings),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                reached = _wait_for_anchor(svc, proc, anchor, last_run)
                t_anchor = time.monotonic()
                while reached and proc.poll() is None and time.monotonic() - t_anchor < delay:
                    time.sleep(0.005)
                outcome = "killed" if proc.poll() is None else "finished first"
                if outcome == "finished first" and reached:
                    windows[anchor] = max(0.3, min(windows[anchor], (time.monotonic() - t_anchor) * 1.2))
                elif outcome == "killed":
                    windows[anchor] = min(windows[anchor] * 1.1, 12.0)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            after_kill = check(svc)
            broken = [f.message for f in after_kill if f.kind in ("missing_chunks", "unanswerable")
                      and f.doc_id in kept]  # fmt: skip
            report = svc.ingestor.ingest([corpus.root], set_name=SET, prune=True)
            after_rerun = check(svc)
            problems = _verify_answerable(svc, corpus)
        finally:
            svc.close()
        trial = Trial(
            n, anchor, round(delay, 3), outcome, changes, summary(after_kill), broken, report.counts,
            summary(after_rerun), problems + [f.message for f in after_rerun],
        )  # fmt: skip
        results.append(trial)
        found = ", ".join(f"{v} {k}" for k, v in trial.after_kill.items()) or "nothing"
        say(
            f"trial {n}/{trials}: {outcome} {delay:.2f} s after '{anchor}'; doctor found {found}; "
            f"after rerun: {'consistent' if trial.ok else 'PROBLEMS: ' + '; '.join(trial.problems)}"
        )
    return CrashResult(results, time.perf_counter() - t_start, len(corpus.files()))
