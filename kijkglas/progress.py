"""Progress on the terminal while a production makes its documents (rich): SWVs done of total, elapsed time.
Shown only on a terminal; in a pipe or a log file nothing is drawn."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def owners_progress(product: str) -> Iterator[Callable]:
    """A `progress(owner, total)` callback for run_production, drawing one bar for `product`."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda owner, total: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("SWV's"),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = None

        def progress(owner: str, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task(product, total=total)
            bar.advance(task)
        yield progress
