"""File safety: atomic writes, fsync, and exclusive file locks. Everything that publishes or
renders writes through here, so that a crash never leaves half a file behind."""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# The name `atomic_write` gives its temp file: `.<name>.<32 hex>.tmp` beside the target.
TMP_NAME = re.compile(r"^\..+\.[0-9a-f]{32}\.tmp$")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames:
            fsync_file(Path(dirpath) / name)
        fsync_dir(Path(dirpath))


def tmp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write a temp file in the same folder, fsync, os.replace, fsync the folder: readers see
    the old bytes or the new ones, never a mix. `durable=False` skips both fsyncs, for files that are
    compared and rewritten on every use (the dashboard's assets): still all or nothing, only not yet on disk."""
    path = Path(path)
    tmp = tmp_name(path)
    try:
        # a new file of our own (never through a link planted under its name); os.replace then
        # replaces a link at `path` itself instead of writing where it points
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666), "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def write_if_changed(path: Path, data: bytes, durable: bool = True) -> bool:
    """`atomic_write` only when the bytes differ from the file's; True when written."""
    try:
        if not path.is_symlink() and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write(path, data, durable)
    return True


class LinkRefused(ValueError):
    """A folder that is a symbolic link where the project writes: writing through it would put files
    wherever the link points."""


def linked_part(root: Path, *parts: str) -> Path | None:
    """The first of root/parts[0], root/parts[0]/parts[1], … that is a symbolic link (None: none is)."""
    path = Path(root)
    for part in parts:
        path = path / part
        if path.is_symlink():
            return path
    return None


def no_links(root: Path, *parts: str) -> Path:
    """root/parts…; LinkRefused when any part below `root` is a symbolic link (the project never
    writes through one)."""
    link = linked_part(root, *parts)
    if link is not None:
        raise LinkRefused(f"{link} is een symbolische link; er wordt niet doorheen geschreven. "
                          "Vervang de link door een gewone map.")
    return Path(root).joinpath(*parts)


def real_folder(root: Path, *parts: str) -> Path:
    """`no_links(root, *parts)` as a folder, made where missing."""
    folder = no_links(root, *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_below(root: Path, rel: str, data: bytes, durable: bool = True) -> bool:
    """`write_if_changed(root/rel)` where no folder from `root` down to the file is a link (made where
    missing; LinkRefused otherwise) and a file that is a link is replaced, not written through."""
    parts = Path(rel).parts
    return write_if_changed(real_folder(root, *parts[:-1]) / parts[-1], data, durable)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def flock(path: Path, timeout: float | None = None) -> Iterator[None]:
    """An exclusive lock on `path` (created when missing, never deleted) for the `with` block. Its
    folder is never a link and the lock file is never opened through one (LinkRefused, ELOOP): a
    lock file planted elsewhere would be written wherever the link points."""
    path = Path(path)
    if path.parent.is_symlink():
        raise LinkRefused(f"{path.parent} is een symbolische link; er wordt niet doorheen geschreven. "
                          "Vervang de link door een gewone map.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o644)
    try:
        if timeout is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"lock {path} not acquired within {timeout}s")
                    time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the flock


_ERRNO_WORDS = {errno.ENOSPC: "de schijf is vol", errno.EDQUOT: "het schijfquotum is op",
                errno.EROFS: "het bestandssysteem is alleen-lezen", errno.EACCES: "geen toestemming",
                errno.EPERM: "geen toestemming", errno.EIO: "een lees- of schrijffout van de schijf",
                errno.ELOOP: "een symbolische link (die wordt niet gevolgd)", errno.ENOENT: "bestaat niet",
                errno.ENOTDIR: "is geen map"}
# SQLite's own words (sqlite3.OperationalError) for the same troubles
_SQLITE_WORDS = (("disk is full", "de schijf is vol"), ("disk i/o error", "een lees- of schrijffout van de schijf"),
                 ("readonly", "het register is alleen-lezen"), ("unable to open", "het register kan niet worden geopend "
                                                                   "(alleen-lezen of geen toestemming?)"),
                 ("locked", "het register is bezet door een ander proces"))


def io_error_words(exc: BaseException) -> str:
    """A failed read or write (OSError, sqlite3.OperationalError) as the Dutch words of one line:
    what went wrong and where."""
    number = getattr(exc, "errno", None)
    if isinstance(exc, OSError) and number in _ERRNO_WORDS:
        where = exc.filename or ""
        return f"{where}: {_ERRNO_WORDS[number]}" if where else _ERRNO_WORDS[number]
    text = str(exc)
    for pattern, words in _SQLITE_WORDS:
        if pattern in text.lower():
            return f"{words} ({text})"
    return text
