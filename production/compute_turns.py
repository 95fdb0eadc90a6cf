"""The products of a production day side by side, and whose turn it is to compute among them.

State: `COMPUTE_TURNS`, one per process: the day's order of (product, schooljaar) and whether one
computes now. `run_in_turns` sets the order when a day starts (`plan`); each product leaves it when
done or refused (`done`); the order lives until the next day's `plan` replaces it."""
from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

Key = tuple[str, str]  # (product, schooljaar)
T = TypeVar("T")


class ComputeTurns:
    """The products of a production day run side by side (`run_in_turns`) but compute one at a
    time, in the day's order (kalender.compute_order: the quick ones first): a computation holds
    national frames in memory, and while one product computes, the documents of the one before keep
    the render pool busy. A product outside the order computes when the slot is free;
    `done` takes a product out of the order whether or not it came to compute (a refusal), so no
    product waits for one that will never come."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._order: list[Key] = []
        self._busy = False

    def plan(self, keys: list[Key]) -> None:
        with self._cond:
            self._order = list(keys)
            self._cond.notify_all()

    def done(self, key: Key) -> None:
        with self._cond:
            if key in self._order:
                self._order.remove(key)
            self._cond.notify_all()

    @contextmanager
    def turn(self, key: Key):
        with self._cond:
            self._cond.wait_for(lambda: not self._busy and (key not in self._order or self._order[0] == key))
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
            self.done(key)


COMPUTE_TURNS = ComputeTurns()


def run_in_turns(jobs: list[tuple[Key, Callable[[], T]]], compute_order: list[Key],
                 side_by_side: bool = True) -> list[T]:
    """Run the day's products, each `(key, job)`, and return what each returned, in the jobs' order.
    Side by side, each in a thread of its own, computing one at a time in `compute_order` (a job
    computes inside `COMPUTE_TURNS.turn(key)`): the next product computes while the documents of
    the one before are rendered. Each thread runs in a copy of the caller's context, so what the
    caller's context holds (a Prefect flow run: the products become its subflows) holds there too.
    `side_by_side=False`: one after another in this thread (a Dask client lives in its thread)."""
    def job_done(key: Key, job: Callable[[], T]) -> T:
        try:
            return job()
        finally:  # also when refused before its turn: the next in the order need not wait for it
            COMPUTE_TURNS.done(key)

    if not side_by_side:
        return [job_done(key, job) for key, job in jobs]
    COMPUTE_TURNS.plan(list(compute_order))
    with ThreadPoolExecutor(max(1, len(jobs))) as threads:
        futures = [threads.submit(contextvars.copy_context().run, job_done, key, job) for key, job in jobs]
        return [f.result() for f in futures]
