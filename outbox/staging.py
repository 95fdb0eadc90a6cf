"""Staging: the private folder a new version is written into before `publish_version` moves it
into place with one rename. A stage stays alive while the process that started it holds its
lock; leftovers of processes that are gone are removed by the next start or publish.

The process that starts a stage keeps it alive until it is published or discarded; others (render
workers) may write the documents into it and publish it meanwhile. The starting process lets go of
it with `discard_version`, which after a publication only closes its lock."""
from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from pathlib import Path

from core.files import real_folder
from outbox.layout import STAGING, check_key

# A staging folder without its lock file is removed only when older than this.
STALE_UNLOCKED_STAGE_SECONDS = 3600

_STAGE_LOCKS: dict[str, int] = {}  # staging folder -> fd holding its flock (this process)


def start_version(outbox: Path, owner: str, schooljaar: str, product: str) -> Path:
    """A fresh, empty staging folder (with an empty `data/`) on the outbox's filesystem.

    The renderer writes every file of the new version into it; then call `publish_version`.
    The folder stays "alive" (not cleaned by other runs) while this process holds its lock, until
    this process calls `discard_version` (also after the stage was published).
    """
    check_key(owner, schooljaar, product)
    outbox = Path(outbox)
    clean_staging(outbox)
    staging = real_folder(outbox, STAGING)  # a stage is never written through a link
    sid = f"{owner}__{schooljaar}__{product}__{uuid.uuid4().hex}"
    lock_path = staging / f"{sid}.lock"
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    stage = staging / sid
    stage.mkdir()
    (stage / "data").mkdir()
    _STAGE_LOCKS[str(stage)] = fd
    return stage


def empty_stage(stage: Path) -> None:
    """A stage emptied to how `start_version` made it (an empty `data/`): a retried preparation
    never publishes a file its failed try left."""
    stage = Path(stage)
    if not stage.is_dir() or stage.is_symlink():
        raise FileNotFoundError(f"staging folder {stage} does not exist")
    for entry in stage.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (stage / "data").mkdir()


def release_stage(stage: Path) -> None:
    fd = _STAGE_LOCKS.pop(str(stage), None)
    (stage.parent / f"{stage.name}.lock").unlink(missing_ok=True)
    if fd is not None:
        os.close(fd)


def discard_version(stage_dir: Path) -> None:
    """Remove a staging folder that will not be published (e.g. rendering failed)."""
    stage = Path(stage_dir)
    shutil.rmtree(stage, ignore_errors=True)
    release_stage(stage)


def stage_state(stage: Path) -> str:
    """'live' (its process holds the lock), 'stale', or 'young' (no lock file, recent)."""
    lock_path = stage.parent / f"{stage.name}.lock"
    try:
        fd = os.open(lock_path, os.O_RDWR)
    except FileNotFoundError:
        try:
            age = time.time() - stage.stat().st_mtime
        except FileNotFoundError:
            return "gone"
        return "stale" if age > STALE_UNLOCKED_STAGE_SECONDS else "young"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return "live"
    finally:
        os.close(fd)
    return "stale"


def clean_staging(outbox: Path) -> list[str]:
    """Remove staging leftovers of processes that are gone. Returns the names removed."""
    staging = Path(outbox) / STAGING
    if not staging.is_dir() or staging.is_symlink():  # never remove what a link points to
        return []
    removed = []
    for entry in sorted(staging.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            if str(entry) in _STAGE_LOCKS:
                continue
            lock_path = staging / f"{entry.name}.lock"
            try:
                fd = os.open(lock_path, os.O_RDWR)
            except FileNotFoundError:
                if stage_state(entry) == "stale":
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry.name)
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a running production owns it
                shutil.rmtree(entry, ignore_errors=True)
                lock_path.unlink(missing_ok=True)
                removed.append(entry.name)
            finally:
                os.close(fd)
        elif entry.suffix == ".lock" and not (staging / entry.stem).exists():
            # lock file of a stage already gone; remove when nobody holds it and it is not brand new
            try:
                if time.time() - entry.stat().st_mtime < 60:
                    continue
                fd = os.open(entry, os.O_RDWR)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                entry.unlink(missing_ok=True)
            except BlockingIOError:
                pass
            finally:
                os.close(fd)
    return removed

