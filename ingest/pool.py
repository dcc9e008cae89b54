"""Partitioning in worker processes while the main process embeds: the process pool (``_pool_map``:
timeouts, crashed workers, one worker until the encoder starves), the thread that keeps it fed
(``_in_background``) and the batching of its results for the encoder (``_batched``)."""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar, cast

from ingest.sources import Todo
from ingest.worker import Prepared, StageSink, WorkerOptions, init_worker, prepare_file

READY_AHEAD = 256  # partitioned files the worker pool may have waiting for the encoder
STARVED_S = 1.0  # the encoder waited this long for a partitioned file: start every worker

T = TypeVar("T")


def _batched(
    items: Iterator[T | None], size: Callable[[T], int], max_size: int, max_wait_s: float
) -> Iterator[list[T]]:
    """Group ``items`` into lists of up to ``max_size`` (summing ``size``; one big item stays whole).
    A None from ``items`` means "nothing more ready now" and ends the current list, as does an item
    arriving ``max_wait_s`` after the list's first one."""
    batch: list[T] = []
    total, first = 0, 0.0
    for item in items:
        if item is not None:
            if batch and total + size(item) > max_size:
                yield batch
                batch, total = [], 0
            if not batch:
                first = time.monotonic()
            batch.append(item)
            total += size(item)
        if batch and (item is None or total >= max_size or time.monotonic() - first >= max_wait_s):
            yield batch
            batch, total = [], 0
    if batch:
        yield batch


def _in_background(
    items: Generator[T, None, None], starved: threading.Event, ahead: int = READY_AHEAD
) -> Iterator[T | None]:
    """Run ``items`` in a thread, up to ``ahead`` items ahead of the consumer; yields them in order,
    and a None whenever the next one is not ready yet (then waits for it, setting ``starved`` when
    that takes over STARVED_S after the first item). The thread keeps a worker pool fed and watched
    (timeouts) while this one embeds. Its exceptions are raised here; when the consumer stops early,
    the thread closes ``items`` (a pool is stopped) before this returns."""
    ready: queue.Queue[tuple[str, object]] = queue.Queue(ahead)
    stop = threading.Event()

    def put(kind: str, value: object) -> bool:
        while not stop.is_set():
            try:
                ready.put((kind, value), timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
            put("end", None)
        except BaseException as exc:
            put("error", exc)
        finally:
            items.close()

    thread = threading.Thread(target=run, name="docqa-partition-feed", daemon=True)
    thread.start()
    started = False
    try:
        while True:
            try:
                kind, value = ready.get_nowait()
            except queue.Empty:
                yield None
                try:
                    kind, value = ready.get(timeout=STARVED_S if started else None)
                except queue.Empty:
                    starved.set()
                    kind, value = ready.get()
            started = True
            if kind == "end":
                return
            if kind == "error":
                raise cast(BaseException, value)
            yield cast(T, value)
    finally:
        stop.set()
        thread.join()


def _pool_map(
    todo: list[Todo],
    opts: WorkerOptions,
    workers: int,
    timeout_s: float,
    starved: threading.Event,
    on_stage: StageSink | None = None,
    work: Callable[[str, WorkerOptions], Prepared] = prepare_file,
) -> Generator[tuple[Todo, Prepared], None, None]:
    """Partition files in a process pool. A file that hangs past ``timeout_s`` or kills its worker
    fails alone: the pool is replaced and the other files carry on. One worker runs until the
    encoder is ``starved`` (a worker costs seconds of CPU to start, and on text files one keeps up
    with the encoder, whose cores the others would take); then all ``workers`` do, each with a
    second file queued. ``work`` (module level: it runs in the workers) does one file. A file's
    clock starts when a worker starts it (its "parse" event), not when it is queued behind another;
    ``on_stage`` hears every (file key, stage) the workers report."""
    ctx = multiprocessing.get_context("spawn")
    # put is synchronous: a file's events are in before its result. A new pool gets a new queue (a
    # killed worker may have held its lock).
    events: Any = None  # a multiprocessing SimpleQueue, made with each pool
    pending = deque(todo)
    retried: set[str] = set()
    running: dict[Future[Prepared], tuple[Todo, float | None]] = {}  # started: None while queued

    def new_pool() -> ProcessPoolExecutor:
        nonlocal events
        if events is not None:
            events.close()
        events = ctx.SimpleQueue()
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=init_worker, initargs=(events,))

    def drain() -> None:
        by_path = {str(item[0].path): fut for fut, (item, _) in running.items()}
        while not events.empty():
            path, stage = events.get()
            fut = by_path.get(path)
            if fut is None or fut not in running:  # a file the pool has given up on
                continue
            item = running[fut][0]
            if stage == "parse":
                running[fut] = (item, time.monotonic())
            if on_stage is not None:
                on_stage(item[0].key, stage)

    def kill(pool: ProcessPoolExecutor) -> None:
        for proc in list((pool._processes or {}).values()):  # no public API to stop a hung task
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    pool = new_pool()
    try:
        while pending or running:
            while pending and len(running) < (2 * workers if starved.is_set() else 1):
                item = pending.popleft()
                running[pool.submit(work, str(item[0].path), opts)] = (item, None)
            done, _ = wait(list(running), timeout=1.0, return_when=FIRST_COMPLETED)
            drain()
            restart = False
            for fut in done:
                item, _started = running.pop(fut)
                try:
                    yield item, fut.result()
                except BrokenProcessPool:
                    restart = True
                    if item[0].key in retried:
                        yield item, Prepared("failed", "the partitioner crashed on this file")
                    else:
                        retried.add(item[0].key)
                        pending.appendleft(item)
                except Exception as exc:
                    yield item, Prepared("failed", f"partitioning failed: {type(exc).__name__}: {exc}")
            now = time.monotonic()
            for fut, (item, started) in list(running.items()):
                if not fut.done() and started is not None and now - started > timeout_s:
                    running.pop(fut)
                    restart = True
                    yield item, Prepared("failed", f"timed out after {timeout_s:g} s (DOCQA_FILE_TIMEOUT_S)")
            if restart:
                pending.extendleft(item for item, _ in reversed(list(running.values())))
                running.clear()
                kill(pool)
                pool = new_pool()
    finally:
        kill(pool) if running else pool.shutdown(wait=True, cancel_futures=True)
        events.close()
