"""Whose turn it is to compute, among the products of a production day.

State: `COMPUTE_TURNS`, one per process: the day's order of (product, schooljaar) and whether one
computes now. A day's flow sets the order when it starts (`plan`); each product leaves it when done
or refused (`done`); the order lives until the next day's `plan` replaces it."""
from __future__ import annotations

import threading
from contextlib import contextmanager


class ComputeTurns:
    """The products of a production day run side by side (flows/kalender.py) but compute one at a
    time, in the day's order (kalender.compute_order: the quick ones first): a computation holds
    national frames in memory, and while one product computes, the documents of the one before keep
    the render pool busy. A product outside the order computes when the slot is free;
    `done` takes a product out of the order whether or not it came to compute (a refusal), so no
    product waits for one that will never come."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._order: list[tuple[str, str]] = []
        self._busy = False

    def plan(self, keys: list[tuple[str, str]]) -> None:
        with self._cond:
            self._order = list(keys)
            self._cond.notify_all()

    def done(self, key: tuple[str, str]) -> None:
        with self._cond:
            if key in self._order:
                self._order.remove(key)
            self._cond.notify_all()

    @contextmanager
    def turn(self, key: tuple[str, str]):
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
