"""What a process keeps between productions, in one place: the render pool and the last validated
extract. Nothing else below the flows keeps state across productions (production/compute_turns.py
keeps only the running day's order).

- The render pools (weasyprint and openpyxl are CPU-bound; threads do not help): `shared_render_pool()`
  keeps one pool per process, made on first use and shut down when the process exits (atexit); the
  flows' product runs of one worker share it. `render_pool()` keeps nothing: its caller owns the pool
  it returns (`with render_pool() as pool:`).
- The validated extract: one slot per process, `_LAST_VALID`, the last extract validated, keyed by
  its folder and every file's name, size and modification time (a cheap stand-in for its identity,
  the SHA-256 over its files, which costs seconds on the national extract). It lives until a
  different extract (or a changed folder) is loaded, which first empties the slot and trims the heap
  (`release_memory`), or until the process ends. One slot only: the national extract is ~2 GB in memory."""
from __future__ import annotations

import atexit
import ctypes
import gc
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from schemas.validate import load_valid_extract


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


_LAST_VALID: tuple[tuple, object] | None = None
_VALIDATING = threading.Lock()  # the products of a day run side by side: they wait for one validation


def _fingerprint(extract_dir: Path) -> tuple:
    """Cheap identity of an extract folder: every file's name, size and modification time."""
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in Path(extract_dir).iterdir() if p.is_file()))


def load_extract_once(extract_dir: Path, report_dir: Path):
    """Read and validate an extract, reusing the last one validated in this process when the
    folder is unchanged: a production day runs several products on the same extract, and
    validating the national extract costs ~12 s."""
    global _LAST_VALID
    key = (str(Path(extract_dir).resolve()), _fingerprint(extract_dir))
    with _VALIDATING:
        if _LAST_VALID is not None and _LAST_VALID[0] == key:
            return _LAST_VALID[1]
        _LAST_VALID = None
        release_memory()  # the previous extract's ~2 GB back to the system before the next is read
        extract = load_valid_extract(Path(extract_dir), report_dir)
        _LAST_VALID = (key, extract)
        return extract


def release_memory() -> None:
    """Collect garbage and hand freed heap back to the system (glibc keeps it otherwise), so that a
    backfill of many production days does not grow: each day's extract and results are ~2 GB."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass
