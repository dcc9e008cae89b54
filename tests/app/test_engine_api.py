"""The one Engine interface: the in-process engine and the HTTP client implement every method of
app.engine_api.Engine with its parameters, and the same scenario gives the same results through both
(the way qdrant-client tests its local and remote modes against each other)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.client import EngineClient, EngineError, InProcessEngine, find_engine
from app.engine_api import Engine
from tests.conftest import serving, write_docs

CORPUS = {
    "public/leave.txt": "Every employee gets 30 vacation days per year. Unused days expire on 31 March.\n",
    "hr/warnings.txt": "A written warning is removed from the file after 24 months.\n",
}
ACL = 'default: [everyone]\nrules:\n  - match: "hr/**"\n    groups: [hr]\n'


def protocol_methods() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(fn)
        for name, fn in inspect.getmembers(Engine, inspect.isfunction)
        if not name.startswith("_")
    }


@pytest.mark.unit
@pytest.mark.parametrize("implementation", [InProcessEngine, EngineClient])
def test_both_engines_take_every_operation_with_the_interfaces_parameters(implementation: type) -> None:
    assert issubclass(implementation, Engine)
    for name, wanted in protocol_methods().items():
        got = inspect.signature(getattr(implementation, name))
        for param in wanted.parameters.values():
            assert param.name in got.parameters, f"{implementation.__name__}.{name} lacks {param.name}"
            mine = got.parameters[param.name]
            assert (mine.kind, mine.default) == (param.kind, param.default), (
                f"{implementation.__name__}.{name}"
            )
        extra = [p for n, p in got.parameters.items() if n not in wanted.parameters]
        # what only one side has must be optional and named (the in-process engine's audit actor)
        assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in extra), name


@pytest.fixture
def engines(svc, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """The same services, reached in process and over HTTP (a real `docqa serve` on a free port)."""
    report = svc.ingestor.ingest([write_docs(tmp_path / "docs", CORPUS, ACL)], set_name="t")
    assert all(f.status == "indexed" for f in report.files), report.files
    svc.db.upsert_user("hanna", "!", ["everyone", "hr"], ["employee"])
    svc.db.upsert_user("eve", "!", ["everyone"], ["employee"])
    svc.db.upsert_user("ada", "!", ["everyone"], ["employee", "admin"])
    with serving(svc):
        client = find_engine(svc.settings)  # through engine.json, with its service token
        assert client is not None
        yield InProcessEngine(svc), client
        client.close()


def comparable(value: Any) -> Any:
    """A result without what differs between two calls by nature (ids, times, latencies, and whether
    the answer came from the cache: the second of two same questions does)."""
    volatile = {
        "query_log_id",
        "id",
        "created",
        "updated",
        "at",
        "timings_ms",
        "seconds",
        "latency_ms",
        "cache_hit",
    }
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in volatile}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def outcome(engine: Engine, op: str, *args: Any, **kwargs: Any) -> Any:
    """What ``engine.op(*args, **kwargs)`` gives: the comparable result, or the error's status."""
    try:
        return comparable(getattr(engine, op)(*args, **kwargs))
    except EngineError as exc:
        return ("EngineError", exc.status)


def same(local: Engine, remote: Engine, op: str, *args: Any, **kwargs: Any) -> Any:
    here, there = outcome(local, op, *args, **kwargs), outcome(remote, op, *args, **kwargs)
    assert here == there, (op, args)
    return here


@pytest.mark.integration
def test_the_same_scenario_gives_the_same_results_in_process_and_over_http(engines) -> None:
    local, remote = engines
    question = "When is a written warning removed from the file?"
    readable = {who: same(local, remote, "readable_documents", who) for who in ("hanna", "eve", "nobody")}
    assert [d["path"] for d in readable["eve"]] == ["public/leave.txt"]
    assert readable["nobody"] == ("EngineError", 404)
    answers = {
        who: same(local, remote, "ask", question, who, backend="extractive") for who in ("hanna", "eve")
    }
    assert not answers["hanna"]["refused"] and answers["eve"]["refused"]
    assert same(local, remote, "ask", question, "nobody") == ("EngineError", 404)
    assert len(same(local, remote, "documents", "t")) == 2
    for who in ("ada", "eve"):  # admins only: eve gets the same 403 from both
        same(local, remote, "users", who)
        same(local, remote, "groups", who)
    # an answer asked through one is rated through the other, and both then see the same
    asked = remote.ask("How many vacation days does an employee get?", "eve", backend="extractive")
    assert local.feedback(asked["query_log_id"], "eve", "down", comment="too short")["thumb"] == "down"
    same(local, remote, "escalations", "eve")
    same(local, remote, "insights", "ada", days=3)
