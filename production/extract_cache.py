"""The validated extract a process reuses, and handing its memory back.

State: one slot per process, `_LAST_VALID`: the last extract validated, keyed by its folder and every
file's name, size and modification time. It lives until a different extract (or a changed folder) is
loaded, which first empties the slot and trims the heap (`release_memory`), or until the process ends.
One slot only: the national extract is ~2 GB in memory."""
from __future__ import annotations

import ctypes
import gc
import threading
from pathlib import Path

from schemas.validate import load_valid_extract

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
