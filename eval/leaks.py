"""A randomised leak suite over every surface that can show document text (`docqa eval leaks`).

A seeded, reproducible property test on the real product (engine services, the real encoder, Qdrant
Edge, SQLite, the extractive backend): a world of users with random groups and roles, and documents
with random groups, each carrying a distinct canary string in the sentence that answers its
question. Random steps change the world the way people do: questions (with conversation history
and cached answers), thumbs, escalations, reviewer replies that quote the sources, verified answers
published from them, evaluation runs, re-grouping, deletion, re-ingestion with new content and new
groups, and re-ingestion killed at a random step of the version switch.

After every step, every user looks at every surface: a fresh answer and its citations, the same
question again (a cache hit), their conversation history, the escalations they may see, the
verified answers listed to them, their feedback, evaluation reports, the audit log, the query-log
insights, and the error messages of things they may not do. A *leak* is a canary on a surface of a
user who may not read the canary's document now (by the world's own record of its groups, not the
database's), or a canary of a deleted document anywhere. One (user, surface) look is one check.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SURFACES = (
    "answer",
    "citations",
    "cache",
    "history",
    "escalations",
    "verified",
    "feedback",
    "eval_reports",
    "audit",
    "query_logs",
    "errors",
)
GROUPS = ("g1", "g2", "g3", "g4")
TOPICS = (
    ("Falcon", "access code"),
    ("Heron", "budget line"),
    ("Osprey", "vendor number"),
    ("Kestrel", "room key"),
    ("Plover", "contract id"),
    ("Tern", "server tag"),
)
SET = "leaks"


class Killed(BaseException):
    """Fault injection: stands for the process being killed (nothing in the product catches it)."""


class KillAt:
    """Fault injection: wraps the store or the database and 'kills the process' on the ``nth``
    call of ``method``, before the call or (``after``) once it went through."""

    def __init__(self, inner: Any, method: str, *, after: bool = False, nth: int = 1) -> None:
        self._inner, self._method, self._after, self._left = inner, method, after, nth

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._inner, name)
        if name != self._method:
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            self._left -= 1
            if self._left == 0 and not self._after:
                raise Killed(name)
            out = real(*args, **kwargs)
            if self._left == 0:
                raise Killed(name)
            return out

        return call


# Where a re-ingest can be killed: (the store or the database, the call, after it went through, the
# version retrieval answers from afterwards: "old" or "new").
KILL_POINTS = (
    ("store", "upsert", True, "old"),  # new points written, nothing switched
    ("store", "activate", True, "old"),  # new points searchable in the store, database not switched
    ("db", "activate_version", True, "new"),  # database switched, old points not deleted yet
    ("store", "delete", True, "new"),  # old points deleted
)


@contextmanager
def killed_at(ingestor: Any, target: str, method: str, *, after: bool = True) -> Iterator[None]:
    """Run the block with ``ingestor.<target>`` wrapped by KillAt; the Killed is swallowed."""
    real = getattr(ingestor, target)
    setattr(ingestor, target, KillAt(real, method, after=after))
    try:
        yield
    except Killed:
        pass
    finally:
        setattr(ingestor, target, real)


# -- the world, as the suite knows it (never read back from the product) --------------------------
@dataclass
class Doc:
    key: str  # file name = the document's path in the set
    topic: str
    attribute: str
    groups: list[str]
    canaries: list[str]  # every canary any version had; the last is the content on disk
    current: str  # the canary of the version the product should answer from
    deleted: bool = False
    doc_id: str = ""

    def text(self, canary: str) -> str:
        return (
            f"# Project {self.topic} ({self.key})\n\n"
            f"The {self.attribute} for project {self.topic} is {canary}. "
            f"Questions about project {self.topic} go to the project office.\n"
        )


@dataclass
class User:
    name: str
    groups: list[str]
    roles: list[str]
    logs: list[int] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)  # the logs of answers that cite something
    conversation: int | None = None


@dataclass
class Tally:
    """Per surface: looks, looks that showed a banned canary (leaks), and looks that showed a
    canary the user may read (``shown``: a run where nothing is ever shown proves nothing)."""

    checks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SURFACES, 0))
    leaks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SURFACES, 0))
    shown: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SURFACES, 0))
    examples: list[str] = field(default_factory=list)

    def total(self) -> int:
        return sum(self.checks.values())

    def report(self, **extra: Any) -> dict[str, Any]:
        surfaces = {
            s: {"checks": self.checks[s], "leaks": self.leaks[s], "shown": self.shown[s]} for s in SURFACES
        }
        return {
            "checks": self.total(),
            "leaks": sum(self.leaks.values()),
            "surfaces": surfaces,
            "examples": self.examples[:20],
        } | extra


def forbidden(docs: list[Doc], groups: list[str]) -> dict[str, str]:
    """canary -> why a reader with ``groups`` may not see it (pure)."""
    mine = set(groups)
    out = {}
    for d in docs:
        why = "deleted" if d.deleted else ("" if mine & set(d.groups) else f"{d.key} is {','.join(d.groups)}")
        if why:
            out.update(dict.fromkeys(d.canaries, why))
    return out


def find_leaks(text: str, banned: dict[str, str]) -> list[str]:
    """The banned canaries in ``text`` with the reason each is banned (pure)."""
    return [f"{c} ({why})" for c, why in banned.items() if c in text]


class LeakSuite:
    """One seeded run: ``run(checks)`` steps the world until at least ``checks`` looks were made."""

    def __init__(self, root: Path, seed: int, *, embedder: Any = None) -> None:
        from app.client import InProcessEngine
        from app.services import Services
        from app.settings import Settings
        from app.ui.backend import Backend, UiSettings

        self.rng = random.Random(seed)
        self.seed = seed
        self.root = root
        self.files = root / "files"
        self.files.mkdir(parents=True, exist_ok=True)
        settings = Settings(data_dir=root / "state", ingest_workers=0, llm_backend="extractive")
        self.svc = Services(settings, embedder=embedder)
        self.engine = InProcessEngine(self.svc, answerer_for=lambda _b: self.svc.answerer("extractive"))
        ui = UiSettings(data_dir=root / "state", ingest_workers=0, llm_backend="extractive")
        self.ui = Backend(self.engine, self.svc.db, ui, in_process=True)
        self.docs: list[Doc] = []
        self.users: dict[str, User] = {}
        self.tally = Tally()
        self.steps = 0
        self.eval_runs: list[int] = []
        self._canary_n = 0

    # -- setup ------------------------------------------------------------------------------------
    def _groups(self, lo: int = 1, hi: int = 2) -> list[str]:
        return sorted(self.rng.sample(GROUPS, self.rng.randint(lo, hi)))

    def _canary(self) -> str:
        self._canary_n += 1
        return f"CANARY{self.seed % 1000:03d}X{self._canary_n:04d}{self.rng.randrange(16**6):06x}"

    def setup(self) -> None:
        roles = [["employee"]] * 4 + [["reviewer", "employee"]] * 2 + [["admin"], ["evaluator"]]
        reach = {"employee": (1, 2), "reviewer": (2, 3), "admin": (0, 2), "evaluator": (1, 3)}
        for i, r in enumerate(roles):
            name = f"u{i}" if r == ["employee"] else f"{r[0][:3]}{i}"
            groups = self._groups(*reach[r[0]])
            self.users[name] = User(name, groups, list(r))
            self.svc.db.upsert_user(name, "!", groups, list(r))
        for topic, attribute in TOPICS:
            for _ in range(2):  # two documents per topic, readable by different groups
                self._add_doc(topic, attribute)

    def _add_doc(self, topic: str, attribute: str) -> None:
        canary = self._canary()
        doc = Doc(f"{topic.lower()}-{len(self.docs)}.md", topic, attribute, self._groups(), [canary], canary)
        (self.files / doc.key).write_text(doc.text(canary), encoding="utf-8")
        report = self.svc.ingestor.ingest([self.files / doc.key], set_name=SET, groups=doc.groups)
        doc.doc_id = next(f.doc_id for f in report.files if f.doc_id)
        self.docs.append(doc)

    def question(self, doc: Doc | None = None) -> str:
        doc = doc or self.rng.choice(self.docs)
        return f"What is the {doc.attribute} for project {doc.topic}?"

    # -- steps ------------------------------------------------------------------------------------
    def step(self) -> str:
        actions: list[tuple[Callable[[], str], int]] = [
            (self.ask, 25),
            (self.thumb, 6),
            (self.escalate, 10),
            (self.reply, 12),
            (self.publish, 10),
            (self.regroup, 10),
            (self.reingest, 10),
            (self.delete, 3),
            (self.add_document, 4),
            (self.evaluate, 5),
        ]
        action = self.rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        self.steps += 1
        return action()

    def _live(self) -> list[Doc]:
        return [d for d in self.docs if not d.deleted]

    def ask(self) -> str:
        from app.ui.backend import SessionUser, add_turn

        user = self.rng.choice(list(self.users.values()))
        q = self.question()
        answer = self.engine.ask(q, user.name)
        if answer.get("query_log_id"):
            user.logs.append(answer["query_log_id"])
            if answer["citations"]:
                user.cited.append(answer["query_log_id"])
        session = SessionUser(user.name, user.roles, user.groups)
        if "employee" in user.roles:
            user.conversation = add_turn(self.ui, session, user.conversation, q, answer)
        return f"{user.name} asked {q!r}"

    def thumb(self) -> str:
        user = self.rng.choice([u for u in self.users.values() if u.logs] or [None])
        if user is None:
            return "no answer to rate"
        thumb = self.rng.choice(["up", "down"])
        self.engine.feedback(self.rng.choice(user.logs), user.name, thumb, comment="rated in the leak suite")
        return f"{user.name} gave a thumb {thumb}"

    def escalate(self) -> str:
        user = self.rng.choice([u for u in self.users.values() if u.cited] or [None])
        if user is None:
            return "nothing to escalate"
        esc = self.engine.escalate(self.rng.choice(user.cited), user.name, comment="please check")
        return f"{user.name} escalated #{esc['id']}"

    def _reviewers(self) -> list[User]:
        return [u for u in self.users.values() if {"reviewer", "admin"} & set(u.roles)]

    def reply(self) -> str:
        from app.client import EngineError

        reviewer = self.rng.choice(self._reviewers())
        open_ = [e for e in self.engine.escalations(reviewer.name) if e["status"] in ("open", "claimed")]
        if not open_:
            return f"{reviewer.name} had nothing to reply to"
        esc = self.rng.choice(open_)
        quoted = " ".join(s.get("snippet", "") for s in esc["sources"])  # a reviewer quotes the sources
        try:
            self.engine.reply(esc["id"], reviewer.name, f"Checked against the documents: {quoted or 'ok'}")
        except EngineError as exc:
            return f"{reviewer.name} could not reply: {exc.status}"
        return f"{reviewer.name} replied to #{esc['id']}"

    def publish(self) -> str:
        from app.client import EngineError

        reviewer = self.rng.choice(self._reviewers())
        answered = [e for e in self.engine.escalations(reviewer.name) if e["status"] == "answered"]
        if not answered:
            return f"{reviewer.name} had nothing to publish"
        esc = self.rng.choice(answered)
        groups = None if self.rng.random() < 0.85 else self._groups()  # default: every group it may have
        try:
            self.engine.publish_verified(esc["id"], reviewer.name, groups=groups)
        except EngineError as exc:
            return f"{reviewer.name} could not publish #{esc['id']}: {exc.status}"
        return f"{reviewer.name} published #{esc['id']}"

    def regroup(self) -> str:
        doc = self.rng.choice(self._live())
        doc.groups = self._groups()
        self.engine.set_groups(doc.doc_id, doc.groups, actor="leak-suite")
        return f"{doc.key} re-grouped to {doc.groups}"

    def reingest(self) -> str:
        doc = self.rng.choice(self._live())
        canary = self._canary()
        doc.canaries.append(canary)
        (self.files / doc.key).write_text(doc.text(canary), encoding="utf-8")
        if self.rng.random() < 0.5:
            doc.groups = self._groups()  # an acl change lands with the new content
        ingestor = self.svc.ingestor
        if self.rng.random() < 0.5:
            target, method, after, answers = self.rng.choice(KILL_POINTS)
            with killed_at(ingestor, target, method, after=after):
                ingestor.ingest([self.files / doc.key], set_name=SET, groups=doc.groups)
            if answers == "new":
                doc.current = canary
            return f"{doc.key} re-ingested, killed after {target}.{method}"
        ingestor.ingest([self.files / doc.key], set_name=SET, groups=doc.groups)
        doc.current = canary
        return f"{doc.key} re-ingested"

    def delete(self) -> str:
        live = self._live()
        if len(live) <= 4:
            return "kept the last documents"
        doc = self.rng.choice(live)
        self.engine.delete_document(doc.doc_id, actor="leak-suite")
        doc.deleted = True
        (self.files / doc.key).unlink(missing_ok=True)
        return f"{doc.key} deleted"

    def add_document(self) -> str:
        topic, attribute = self.rng.choice(TOPICS)
        self._add_doc(topic, attribute)
        return f"{self.docs[-1].key} added"

    def evaluate(self) -> str:
        from eval.golden import GoldenItem
        from eval.runs import execute_run, start_run

        user = self.rng.choice([u for u in self.users.values() if "employee" in u.roles])
        items = [
            GoldenItem(f"leak-{self.steps}-{i}", self.question(d), "", [d.current], [], user.name, True, [])
            for i, d in enumerate(self.rng.sample(self._live(), 2))
        ]
        db = self.svc.db
        run = start_run(
            db, "leak-suite", self.svc.settings, total=2, backend="extractive", as_user=None, limit=None
        )
        execute_run(self.svc, db, run, items)
        self.eval_runs.append(run.id)
        return f"evaluation run {run.id} as {user.name}"

    # -- looks --------------------------------------------------------------------------------------
    def look(self) -> None:
        """Every user looks at every surface; each look is one check."""
        canaries = [c for d in self.docs for c in d.canaries]
        for user in self.users.values():
            banned = forbidden(self.docs, user.groups)
            allowed = [c for c in canaries if c not in banned]
            for surface, text in self._surfaces(user):
                self.tally.checks[surface] += 1
                self.tally.shown[surface] += any(c in text for c in allowed)
                found = find_leaks(text, banned)
                if found:
                    self.tally.leaks[surface] += 1
                    self.tally.examples.append(
                        f"step {self.steps}: {user.name} on {surface}: {', '.join(found)}"
                    )

    def _surfaces(self, user: User) -> Iterator[tuple[str, str]]:
        from app.client import EngineError
        from app.ui.backend import SessionUser, turns

        name = user.name
        q = self.question()
        fresh = self.engine.ask(q, name)
        yield "answer", fresh["answer"]
        yield "citations", repr(fresh["citations"])
        again = self.engine.ask(q, name)
        yield "cache", repr(again)
        session = SessionUser(name, user.roles, user.groups)
        history = turns(self.ui, session, user.conversation) if user.conversation else []
        yield "history", repr(history)
        shown = self.engine.escalations(name)
        yield "escalations", repr(shown) + repr([self.engine.escalation(e["id"], name) for e in shown])
        yield "verified", repr(self.engine.verified_answers(name))
        mine = [
            self.engine.get_feedback(log, name) for log in user.logs[-3:] if self._has_feedback(log, name)
        ]
        summary = self.engine.feedback_summary(name) if "admin" in user.roles else {}
        yield "feedback", repr(mine) + repr(summary)
        errors: list[str] = []

        def attempt(call: Callable[[], Any]) -> Any:
            try:
                return call()
            except EngineError as exc:
                errors.append(f"{exc.status} {exc}")
                return None

        reports = [attempt(lambda r=r: self.engine.eval_run(r, name)) for r in self.eval_runs[-3:]]
        yield "eval_reports", repr(reports)
        yield "audit", repr(attempt(lambda: self.engine.audit(name, limit=200)))
        yield "query_logs", repr(attempt(lambda: self.engine.insights(name, days=2)))
        others = [u for u in self.users.values() if u.name != name and u.logs]
        for other in others[:2]:
            attempt(lambda o=other: self.engine.feedback(o.logs[-1], name, "up"))
            attempt(lambda o=other: self.engine.escalate(o.logs[-1], name))
        for doc in self.docs:
            attempt(lambda d=doc: self.engine.original(d.doc_id, name))
        yield "errors", "\n".join(errors)

    def _has_feedback(self, log: int, user: str) -> bool:
        return self.svc.db.get_feedback(log, user) is not None

    # -- the run ------------------------------------------------------------------------------------
    def run(self, checks: int, on_step: Callable[[int, str], None] | None = None) -> dict[str, Any]:
        t0 = time.perf_counter()
        self.setup()
        self.look()
        while self.tally.total() < checks:
            what = self.step()
            self.look()
            if on_step:
                on_step(self.tally.total(), what)
        return self.tally.report(
            seed=self.seed,
            steps=self.steps,
            users=len(self.users),
            documents=len(self.docs),
            deleted=sum(d.deleted for d in self.docs),
            seconds=round(time.perf_counter() - t0, 1),
        )

    def close(self) -> None:
        self.svc.close()


def run_leaks(
    checks: int,
    seed: int,
    *,
    embedder: Any = None,
    on_step: Callable[[int, str], None] | None = None,
) -> dict[str, Any]:
    """A fresh world in a temporary folder, stepped until ``checks`` looks were made."""
    with tempfile.TemporaryDirectory(prefix="docqa-leaks-") as tmp:
        suite = LeakSuite(Path(tmp), seed, embedder=embedder)
        try:
            return suite.run(checks, on_step)
        finally:
            suite.close()
