"""The process pools that render documents (weasyprint and openpyxl are CPU-bound; threads do not help).

State: `shared_render_pool()` keeps one pool per process, made on first use and shut down when the
process exits (atexit); the flows' product runs of one worker share it. `render_pool()` keeps
nothing: its caller owns the pool it returns (`with render_pool() as pool:`)."""
from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor


def _warm() -> None:
    import weasyprint  # noqa: F401  (the slow import a render worker needs first)


def render_pool(processes: int | None = None) -> ProcessPoolExecutor:
    """A process pool for the documents, started right away so that its workers import their
    libraries while the main process validates and computes. Spawn, not fork: forking a process
    that runs threads (Prefect, thread pools) can deadlock."""
    procs = processes or os.cpu_count() or 2
    pool = ProcessPoolExecutor(procs, mp_context=multiprocessing.get_context("spawn"))
    for _ in range(procs):
        pool.submit(_warm)
    return pool


_SHARED_POOL: ProcessPoolExecutor | None = None
_SHARED_POOL_LOCK = threading.Lock()


def shared_render_pool() -> ProcessPoolExecutor:
    """The render pool of this process, made on first use and shut down at exit."""
    global _SHARED_POOL
    with _SHARED_POOL_LOCK:
        if _SHARED_POOL is None:
            _SHARED_POOL = render_pool()
            atexit.register(_SHARED_POOL.shutdown)
        return _SHARED_POOL
