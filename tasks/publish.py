"""Publication of product versions into the outbox (outputs.md, "Distribution (the outbox)").

Plain functions, no Prefect. Layout::

    <outbox>/<owner>/<schooljaar>/<product>/<version>/   xlsx, pdf, data/*.csv, [wijzigingen.xlsx], manifest.json
    <outbox>/<owner>/index.html                          what is current for this owner, links and history
    <outbox>/.staging/<id>/  (+ <id>.lock)               versions being written (never part of the outbox proper)
    <outbox>/.locks/*.lock                               flock files (never deleted)
    <outbox>/.register.sqlite                            the register (unless Settings.register_path is set)

`owner` is an SWV code, or `openbaar` for the national Kijkglas 3 (same mechanism).

Versions are named ``v1``, ``v2``, … (no zero padding; ordered by their number, not as text).
Statuses: ``actueel`` (at most one per owner/schooljaar/product), ``vervangen`` (replaced by a newer
version, `replaced_by` names it) and ``ingetrokken`` (withdrawn, with a reason).

How the pipeline uses this module, per (owner, schooljaar, product)::

    report = change_report_for(outbox, owner, sj, product, result.tables)   # None: first version
    stage = start_version(outbox, owner, sj, product)                        # fresh folder, has data/
    ...render xlsx + pdf (with `report`) + data/<stem>.csv into `stage`...
    outcome = publish_version(outbox, owner, sj, product, stage, meta)       # -> PublishOutcome
    # on a rendering error: discard_version(stage)   (else the next run cleans it up)

`start_version` and `publish_version` of one stage must run in the same process (the stage is
kept alive by a lock that process holds).

Guarantees
- **Whole or nothing.** Every file and `manifest.json` are written into the staging folder, fsynced,
  verified, then moved into place with one ``os.rename``. A version folder never exists without a
  complete manifest.json. Manifests and index.html are rewritten with temp file + ``os.replace``.
- **Reruns are no-ops.** The *content key* is the SHA-256 over the ``data/*.csv`` files (names and
  bytes, sorted by name), not over xlsx/pdf which carry the aanmaakdatum. If it equals the content
  key of the actueel version, nothing is written: the staging folder is removed and the outcome is
  ``unchanged`` with the actueel version. (The actueel manifest keeps its original extract identity.)
- **Concurrency.** "Decide version number + rename + mark previous + register" runs under an
  exclusive ``fcntl.flock`` per (owner, schooljaar, product) in ``<outbox>/.locks/``; index.html is
  written under a lock per owner. The register is SQLite in WAL mode with a busy timeout; every
  publish/withdraw is one transaction.
- **Crash recovery.** The folders with a valid manifest.json are the truth. Under the lock, each
  publish/withdraw first reconciles: leftover manifest temp files are removed; if two versions are
  marked actueel (a crash between rename and marking the previous one) the older becomes
  ``vervangen``; register rows are rebuilt from the manifests. Staging folders whose owner process
  is gone (its lock is free) are removed by the next ``start_version``/``publish_version``.
  index.html is re-rendered on every publish (written only when its bytes change).
- **Withdrawal** (`withdraw_version`): the version becomes ``ingetrokken`` with its reason. If it
  was actueel, the product simply has no actueel version until a new one is published: the
  previous version is *not* made actueel again.
- **Change report basis**: the actueel version, or when there is none (it was withdrawn) the newest
  version that is not ``ingetrokken``.
"""
from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from tasks.register import COLUMNS as REGISTER_COLUMNS
from tasks.register import Register, register_path_for

OPENBAAR = "openbaar"
ACTUEEL, VERVANGEN, INGETROKKEN = "actueel", "vervangen", "ingetrokken"
STATUSES = (ACTUEEL, VERVANGEN, INGETROKKEN)

MANIFEST = "manifest.json"
CHANGES_XLSX = "wijzigingen.xlsx"
INDEX = "index.html"
STAGING = ".staging"
LOCKS = ".locks"
MANIFEST_FORMAT = 1

# A staging folder without its lock file is removed only when older than this.
STALE_UNLOCKED_STAGE_SECONDS = 3600
MAX_EXAMPLES = 5

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"

PRODUCT_TITLES = {
    "kijkglas-1": "Kijkglas 1 – onderbouwing bekostiging",
    "kijkglas-2": "Kijkglas 2 – inschrijvingen (v)so",
    "kijkglas-3": "Kijkglas 3 – groei (v)so",
    "kijkglas-4": "Kijkglas 4 – groei sbao",
    "kijkglas-5": "Kijkglas 5 – grensverkeer sbao",
}

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_VERSION_RE = re.compile(r"^v(\d+)$")
_TMP_RE = re.compile(r"^\..+\.[0-9a-f]{32}\.tmp$")

# Test seam: a callable invoked with the name of each checkpoint of publish/withdraw
# ("before_rename", "after_rename", "after_previous_manifest", "after_register",
# "withdraw_after_manifest"). Tests use it to kill the process at a precise point.
_fault_hook: Callable[[str], None] | None = None


class PublishError(RuntimeError):
    pass


@dataclass
class PublishOutcome:
    outcome: str                      # "published" | "unchanged"
    owner: str
    schooljaar: str
    product: str
    version: str                      # the new version, or the actueel one when unchanged
    path: Path                        # its folder in the outbox
    previous_version: str | None      # the version marked vervangen by this publish (None if none)
    content_key: str
    change_report: list[dict] | None  # None: nothing to compare with (or unchanged)
    manifest: dict = field(default_factory=dict)

    @property
    def published(self) -> bool:
        return self.outcome == "published"


# ---------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------
def _checkpoint(point: str) -> None:
    if _fault_hook is not None:
        _fault_hook(point)


def version_name(number: int) -> str:
    return f"v{int(number)}"


def version_number(name: str) -> int | None:
    m = _VERSION_RE.match(str(name))
    return int(m.group(1)) if m else None


def normalize_version(text: str) -> str:
    """'2', 'v2', 'V2', 'v002' -> 'v2'."""
    t = str(text).strip().lower()
    if t.isdigit():
        return version_name(int(t))
    n = version_number(t)
    if n is None:
        raise ValueError(f"not a version: {text!r} (expected v1, v2, …)")
    return version_name(n)


def _check_name(kind: str, value: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value) or ".." in value:
        raise ValueError(f"invalid {kind}: {value!r}")
    return value


def _check_key(owner: str, schooljaar: str, product: str) -> None:
    _check_name("owner", owner)
    _check_name("schooljaar", schooljaar)
    _check_name("product", product)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _jsonable(obj):
    """Make meta values JSON-serialisable and deterministic (str keys, ISO dates)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(_jsonable(v) for v in obj)
    if isinstance(obj, (datetime, date)):
        return _iso(obj)
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)


def _dump_json(obj: dict) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames:
            _fsync_file(Path(dirpath) / name)
        _fsync_dir(Path(dirpath))


def _tmp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"


def _atomic_write(path: Path, data: bytes) -> None:
    """Write temp file in the same folder, fsync, os.replace, fsync the folder."""
    tmp = _tmp_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    _atomic_write(path, data)
    return True


def _read_manifest(version_dir: Path) -> dict | None:
    """The manifest of a version folder, or None when missing or not a valid manifest."""
    try:
        m = json.loads((version_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(m, dict):
        return None
    if not {"version", "status", "files", "content_key"} <= m.keys() or m.get("status") not in STATUSES:
        return None
    return m


def _write_manifest(version_dir: Path, manifest: dict) -> None:
    _atomic_write(version_dir / MANIFEST, _dump_json(manifest))


# ---------------------------------------------------------------------------------------
# locks
# ---------------------------------------------------------------------------------------
@contextmanager
def _flock(path: Path, timeout: float | None = None) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
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


def _key_lock(outbox: Path, owner: str, schooljaar: str, product: str, timeout: float | None = None):
    return _flock(Path(outbox) / LOCKS / f"{owner}__{schooljaar}__{product}.lock", timeout)


def _index_lock(outbox: Path, owner: str):
    return _flock(Path(outbox) / LOCKS / f"{owner}__index.lock")


# ---------------------------------------------------------------------------------------
# staging
# ---------------------------------------------------------------------------------------
_STAGE_LOCKS: dict[str, int] = {}  # staging folder -> fd holding its flock (this process)


def start_version(outbox: Path, owner: str, schooljaar: str, product: str) -> Path:
    """A fresh, empty staging folder (with an empty `data/`) on the outbox's filesystem.

    The renderer writes every file of the new version into it; then call `publish_version`.
    The folder stays "alive" (not cleaned by other runs) while this process holds its lock.
    """
    _check_key(owner, schooljaar, product)
    outbox = Path(outbox)
    clean_staging(outbox)
    staging = outbox / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    sid = f"{owner}__{schooljaar}__{product}__{uuid.uuid4().hex}"
    lock_path = staging / f"{sid}.lock"
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    stage = staging / sid
    stage.mkdir()
    (stage / "data").mkdir()
    _STAGE_LOCKS[str(stage)] = fd
    return stage


def _release_stage(stage: Path) -> None:
    fd = _STAGE_LOCKS.pop(str(stage), None)
    (stage.parent / f"{stage.name}.lock").unlink(missing_ok=True)
    if fd is not None:
        os.close(fd)


def discard_version(stage_dir: Path) -> None:
    """Remove a staging folder that will not be published (e.g. rendering failed)."""
    stage = Path(stage_dir)
    shutil.rmtree(stage, ignore_errors=True)
    _release_stage(stage)


def _stage_state(stage: Path) -> str:
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
    if not staging.is_dir():
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
                if _stage_state(entry) == "stale":
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


# ---------------------------------------------------------------------------------------
# versions on disk
# ---------------------------------------------------------------------------------------
@dataclass
class _Version:
    number: int
    name: str
    path: Path
    manifest: dict | None


def _product_dir(outbox: Path, owner: str, schooljaar: str, product: str) -> Path:
    return Path(outbox) / owner / schooljaar / product


def _scan_versions(outbox: Path, owner: str, schooljaar: str, product: str) -> list[_Version]:
    pdir = _product_dir(outbox, owner, schooljaar, product)
    if not pdir.is_dir():
        return []
    out = []
    for d in pdir.iterdir():
        n = version_number(d.name)
        if n is not None and d.is_dir():
            out.append(_Version(n, d.name, d, _read_manifest(d)))
    return sorted(out, key=lambda v: v.number)


def _current(versions: list[_Version]) -> _Version | None:
    act = [v for v in versions if v.manifest and v.manifest["status"] == ACTUEEL]
    return act[-1] if act else None


def _comparison_basis(versions: list[_Version]) -> _Version | None:
    cur = _current(versions)
    if cur is not None:
        return cur
    rest = [v for v in versions if v.manifest and v.manifest["status"] != INGETROKKEN]
    return rest[-1] if rest else None


def _iter_keys(outbox: Path) -> list[tuple[str, str, str]]:
    """Every (owner, schooljaar, product) folder in the outbox."""
    outbox = Path(outbox)
    keys = []
    if not outbox.is_dir():
        return keys
    for odir in sorted(outbox.iterdir()):
        if odir.name.startswith(".") or not odir.is_dir():
            continue
        for sdir in sorted(odir.iterdir()):
            if sdir.name.startswith(".") or not sdir.is_dir():
                continue
            for pdir in sorted(sdir.iterdir()):
                if pdir.name.startswith(".") or not pdir.is_dir():
                    continue
                keys.append((odir.name, sdir.name, pdir.name))
    return keys


def _owners(outbox: Path) -> list[str]:
    outbox = Path(outbox)
    if not outbox.is_dir():
        return []
    return sorted(d.name for d in outbox.iterdir() if d.is_dir() and not d.name.startswith("."))


# ---------------------------------------------------------------------------------------
# register
# ---------------------------------------------------------------------------------------
def _outbox_id(outbox: Path) -> str:
    return str(Path(outbox).resolve())


def _open_register(outbox: Path) -> Register:
    return Register(register_path_for(Path(outbox)))


def _row_from_manifest(outbox: Path, v: _Version) -> dict:
    m = v.manifest or {}
    row = {
        "outbox": _outbox_id(outbox),
        "owner": v.path.parent.parent.parent.name,
        "schooljaar": v.path.parent.parent.name,
        "product": v.path.parent.name,
        "version": v.name,
        "version_no": v.number,
        "status": m.get("status"),
        "reason": m.get("reason"),
        "replaced_by": m.get("replaced_by"),
        "period": m.get("period"),
        "stand_per": m.get("stand_per"),
        "aanmaakdatum": m.get("aanmaakdatum"),
        "extract": m.get("extract"),
        "content_key": m.get("content_key"),
        "published_at": m.get("published_at"),
        "status_changed_at": m.get("status_changed_at"),
        "path": v.path.relative_to(Path(outbox)).as_posix(),
    }
    return {c: (None if row[c] is None else (row[c] if c == "version_no" else str(row[c])))
            for c in REGISTER_COLUMNS}


def _register_diff(outbox: Path, versions: list[_Version], reg_rows: list[dict]) -> tuple[list[dict], list[str]]:
    """(rows to upsert, versions to delete) that make the register equal to the manifests."""
    disk = {v.name: _row_from_manifest(outbox, v) for v in versions if v.manifest}
    have = {r["version"]: {c: r.get(c) for c in REGISTER_COLUMNS} for r in reg_rows}
    upserts = [row for name, row in sorted(disk.items()) if have.get(name) != row]
    deletes = sorted(name for name in have if name not in disk)
    return upserts, deletes


def _reconcile_key(outbox: Path, owner: str, schooljaar: str, product: str, reg: Register) -> list[str]:
    """Make disk and register agree for one key (call under its lock). Returns what was fixed."""
    fixes: list[str] = []
    versions = _scan_versions(outbox, owner, schooljaar, product)
    for v in versions:  # temp files of an interrupted manifest rewrite
        for tmp in v.path.iterdir():
            if _TMP_RE.match(tmp.name) and tmp.is_file():
                tmp.unlink(missing_ok=True)
                fixes.append(f"{owner}/{schooljaar}/{product}/{v.name}: removed leftover {tmp.name}")
    actueel = [v for v in versions if v.manifest and v.manifest["status"] == ACTUEEL]
    if len(actueel) > 1:  # crash between rename and marking the previous version
        top = actueel[-1]
        for v in actueel[:-1]:
            m = dict(v.manifest)
            m.update(status=VERVANGEN, replaced_by=top.name,
                     status_changed_at=top.manifest.get("published_at"))
            _write_manifest(v.path, m)
            v.manifest = m
            fixes.append(f"{owner}/{schooljaar}/{product}/{v.name}: actueel -> vervangen (door {top.name})")
    reg_rows = reg.rows(_outbox_id(outbox), owner, schooljaar, product)
    upserts, deletes = _register_diff(outbox, versions, reg_rows)
    if upserts or deletes:
        with reg.transaction():
            for row in upserts:
                reg.upsert(row)
            for name in deletes:
                reg.delete(_outbox_id(outbox), owner, schooljaar, product, name)
        fixes += [f"{owner}/{schooljaar}/{product}/{r['version']}: register row set from manifest" for r in upserts]
        fixes += [f"{owner}/{schooljaar}/{product}/{n}: register row without folder removed" for n in deletes]
    return fixes


def reconcile_register(outbox: Path) -> list[str]:
    """Rebuild the register from the manifests of the whole outbox (each key under its lock),
    repair crash leftovers, and re-render every owner's index.html. Returns the fixes made."""
    outbox = Path(outbox)
    fixes: list[str] = []
    with _open_register(outbox) as reg:
        keys = set(_iter_keys(outbox))
        keys |= {(r["owner"], r["schooljaar"], r["product"]) for r in reg.rows(_outbox_id(outbox))}
        for owner, sj, product in sorted(keys):
            with _key_lock(outbox, owner, sj, product):
                fixes += _reconcile_key(outbox, owner, sj, product, reg)
    for owner in _owners(outbox):
        if write_index(outbox, owner):
            fixes.append(f"{owner}/index.html re-rendered")
    return fixes


# ---------------------------------------------------------------------------------------
# content key and change report
# ---------------------------------------------------------------------------------------
def content_key_of_tables(tables: dict[str, pd.DataFrame]) -> str:
    """The content key the CSV tables will have once written (same bytes as `write_csv_tables`),
    so a rerun on unchanged data can stop before rendering anything."""
    from tasks.render import csv_bytes
    h = hashlib.sha256()
    for stem in sorted(tables, key=lambda s: f"{s}.csv"):
        b = csv_bytes(tables[stem])
        h.update(f"{stem}.csv".encode("utf-8") + b"\0" + str(len(b)).encode() + b"\0")
        h.update(b)
    return h.hexdigest()


def current_content_key(outbox: Path, owner: str, schooljaar: str, product: str) -> tuple[str, str] | None:
    """(version, content key) of the actueel version, if any (read from its manifest)."""
    current = _current(_scan_versions(Path(outbox), owner, schooljaar, product))
    return (current.name, current.manifest["content_key"]) if current is not None else None


def content_key(data_dir: Path) -> str:
    """SHA-256 over the `*.csv` files of `data_dir`, sorted by name (name, length and bytes)."""
    files = sorted(p for p in Path(data_dir).glob("*.csv") if p.is_file())
    if not files:
        raise PublishError(f"no CSV tables in {data_dir}")
    h = hashlib.sha256()
    for p in files:
        b = p.read_bytes()
        h.update(p.name.encode("utf-8") + b"\0" + str(len(b)).encode() + b"\0")
        h.update(b)
    return h.hexdigest()


# Explicit key columns per CSV stem (override the defaults of `table_key_columns`).
TABLE_KEY_OVERRIDES: dict[str, list[str]] = {}

# Id-like column groups of pupil-level tables: the first present group is the key.
_PUPIL_KEY_GROUPS = [
    ["DUO-nummer leerling", "Vestiging", "Begindatum inschrijving", "Begindatum geldigheid gegevens"],
    ["Laatste 4 cijfers bsn", "Sbao-vestiging", "Begindatum inschrijving"],
]


def table_key_columns(stem: str, columns: list[str]) -> list[str]:
    """The columns that identify a row of table `stem` for the change report.

    `TABLE_KEY_OVERRIDES[stem]` when set; Kijkglas 3 tables (`SWV`, `BRIN (v)so`): both; pupil-level
    tables: their id-like columns (DUO-nummer leerling + Vestiging + begin dates, or for Kijkglas 5
    the BSN digits + sbao-vestiging + begindatum); otherwise the first column (`Regel`, `Vestiging`…).
    Rows whose key repeats are matched in order of their content.
    """
    cols = list(columns)
    if stem in TABLE_KEY_OVERRIDES:
        key = [c for c in TABLE_KEY_OVERRIDES[stem] if c in cols]
        return key or cols[:1]
    if cols[:2] == ["SWV", "BRIN (v)so"]:
        return cols[:2]
    for group in _PUPIL_KEY_GROUPS:
        if group[0] in cols:
            return [c for c in group if c in cols]
    return cols[:1]


_INT_FLOAT_RE = re.compile(r"^-?\d+\.0+$")
_MIDNIGHT_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$")


def _norm(value: str) -> str:
    s = str(value).strip()
    if s.lower() in ("nan", "nat", "none", "<na>"):
        return ""
    if _INT_FLOAT_RE.match(s):
        return s.split(".")[0]
    m = _MIDNIGHT_RE.match(s)
    return m.group(1) if m else s


def _read_csv_str(source) -> pd.DataFrame:
    try:
        return pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:  # a zero-byte file: no columns, no rows
        return pd.DataFrame()


def _frame_as_csv_strings(df: pd.DataFrame) -> pd.DataFrame:
    """A frame as its data/*.csv would hold it: every cell a string. Uses the renderer's own CSV
    writer when available (so the report before rendering equals the one computed at publish);
    `_norm` evens out the remaining formatting differences (3.0 vs 3, midnight timestamps)."""
    try:
        from tasks.render import csv_bytes
    except ImportError:  # renderer not available: pandas' CSV
        return _read_csv_str(io.StringIO(df.to_csv(index=False)))
    return _read_csv_str(io.BytesIO(csv_bytes(df)))


def _records(df: pd.DataFrame) -> tuple[list[str], list[dict]]:
    cols = [str(c) for c in df.columns]
    rows = [{c: _norm(v) for c, v in zip(cols, vals)} for vals in df.itertuples(index=False, name=None)]
    return cols, rows


def _keyed(rows: list[dict], key_cols: list[str], all_cols: list[str]) -> dict[tuple, dict]:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(c, "") for c in key_cols), []).append(r)
    out = {}
    for k, rs in groups.items():
        rs = sorted(rs, key=lambda r: tuple(r.get(c, "") for c in all_cols)) if len(rs) > 1 else rs
        for i, r in enumerate(rs):
            out[(k, i)] = r
    return out


def _fmt_key(key_cols: list[str], key: tuple) -> str:
    (vals, occ) = key
    s = ", ".join(f"{c}={v}" for c, v in zip(key_cols, vals))
    return s + (f" (#{occ + 1})" if occ else "")


def _diff_table(stem: str, old: pd.DataFrame | None, new: pd.DataFrame | None, compared_to: str
                ) -> tuple[dict, list[str], list[dict]]:
    """(summary, key columns, detail rows) of one table."""
    old_cols, old_rows = _records(old) if old is not None else ([], [])
    new_cols, new_rows = _records(new) if new is not None else ([], [])
    if old is not None and new is not None:
        key_cols = [c for c in table_key_columns(stem, new_cols) if c in old_cols]
        if not key_cols:
            key_cols = [c for c in new_cols if c in old_cols]
    else:
        key_cols = table_key_columns(stem, new_cols or old_cols)
    common = [c for c in new_cols if c in old_cols and c not in key_cols]
    all_cols = [c for c in (new_cols or old_cols)]
    o = _keyed(old_rows, key_cols, all_cols)
    n = _keyed(new_rows, key_cols, all_cols)

    details: list[dict] = []
    changed_ex, added_ex, removed_ex = [], [], []
    added = removed = changed = 0

    def detail(key, kind, col, oldv, newv):
        d = {c: v for c, v in zip(key_cols, key[0])}
        d.update({"Wijziging": kind, "Kolom": col, "Oud": oldv, "Nieuw": newv})
        details.append(d)

    def compact(row):
        return "; ".join(f"{c}: {row[c]}" for c in row if c not in key_cols and row[c] != "")

    for key, nr in n.items():
        orow = o.get(key)
        if orow is None:
            added += 1
            detail(key, "toegevoegd", "(hele rij)", "", compact(nr))
            added_ex.append(f"toegevoegd: {_fmt_key(key_cols, key)}")
            continue
        diffs = [(c, orow.get(c, ""), nr.get(c, "")) for c in common if orow.get(c, "") != nr.get(c, "")]
        if diffs:
            changed += 1
            for c, a, b in diffs:
                detail(key, "gewijzigd", c, a, b)
            shown = "; ".join(f"{c} {a or '(leeg)'} → {b or '(leeg)'}" for c, a, b in diffs[:3])
            more = f"; … (+{len(diffs) - 3})" if len(diffs) > 3 else ""
            changed_ex.append(f"gewijzigd: {_fmt_key(key_cols, key)}: {shown}{more}")
    for key, orow in o.items():
        if key not in n:
            removed += 1
            detail(key, "verwijderd", "(hele rij)", compact(orow), "")
            removed_ex.append(f"verwijderd: {_fmt_key(key_cols, key)}")

    summary = {
        "table": stem,
        "added": added,
        "removed": removed,
        "changed": changed,
        "examples": (changed_ex + added_ex + removed_ex)[:MAX_EXAMPLES],
        "key_columns": key_cols,
        "columns_added": [c for c in new_cols if old is not None and c not in old_cols],
        "columns_removed": [c for c in old_cols if new is not None and c not in new_cols],
        "compared_to": compared_to,
    }
    if old is None:
        summary["note"] = "nieuwe tabel"
    elif new is None:
        summary["note"] = "tabel vervallen"
    return summary, key_cols, details


def _tables_of(data_dir: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: _read_csv_str(p) for p in sorted(Path(data_dir).glob("*.csv"))}


def _change_report(old_tables: dict[str, pd.DataFrame], new_tables: dict[str, pd.DataFrame],
                   compared_to: str) -> tuple[list[dict], dict[str, tuple[list[str], list[dict]]]]:
    stems = sorted(set(new_tables) | set(old_tables))  # one order for before-render and publish
    summaries, details = [], {}
    for stem in stems:
        s, keys, rows = _diff_table(stem, old_tables.get(stem), new_tables.get(stem), compared_to)
        summaries.append(s)
        details[stem] = (keys, rows)
    return summaries, details


def change_report_for(outbox: Path, owner: str, schooljaar: str, product: str,
                      new_tables: dict[str, pd.DataFrame]) -> list[dict] | None:
    """The change report of `new_tables` against the version a publish now would replace.

    Call before rendering (the PDF includes it). None when there is no version to compare with.
    One item per table (sorted by table name; tables new or dropped since the basis included):
    {table, added, removed, changed, examples: [str, ≤5], key_columns, columns_added,
    columns_removed, compared_to[, note]}. `publish_version` recomputes it from the staged CSVs under the
    lock (so a concurrent publish cannot make wijzigingen.xlsx/manifest wrong) and returns it.
    """
    _check_key(owner, schooljaar, product)
    basis = _comparison_basis(_scan_versions(Path(outbox), owner, schooljaar, product))
    if basis is None:
        return None
    new = {stem: _frame_as_csv_strings(df) for stem, df in new_tables.items()}
    summaries, _ = _change_report(_tables_of(basis.path / "data"), new, basis.name)
    return summaries


def _xlsx_value(v: str):
    if re.fullmatch(r"-?(0|[1-9]\d{0,14})", v or ""):
        return int(v)
    return v


def _write_changes_xlsx(path: Path, summaries: list[dict], details: dict, compared_to: str,
                        new_version: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Samenvatting"
    ws.append([f"Wijzigingen in versie {new_version} ten opzichte van versie {compared_to}"])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([])
    ws.append(["Tabel", "Toegevoegd", "Verwijderd", "Gewijzigd", "Sleutel"])
    for c in ws[3]:
        c.font = bold
    for s in summaries:
        ws.append([s["table"], s["added"], s["removed"], s["changed"], " + ".join(s["key_columns"])])
    ws.auto_filter.ref = f"A3:E{3 + len(summaries)}"
    ws.freeze_panes = "A4"
    for col, width in zip("ABCDE", (28, 12, 12, 12, 60)):
        ws.column_dimensions[col].width = width

    used = {"Samenvatting"}
    for s in summaries:
        keys, rows = details[s["table"]]
        title = re.sub(r"[\[\]:*?/\\]", "_", s["table"])[:31] or "tabel"
        base, i = title, 2
        while title in used:
            title = f"{base[:28]}_{i}"
            i += 1
        used.add(title)
        sh = wb.create_sheet(title)
        header = list(keys) + ["Wijziging", "Kolom", "Oud", "Nieuw"]
        sh.append(header)
        for c in sh[1]:
            c.font = bold
        for r in rows:
            sh.append([r.get(k, "") for k in keys] + [r["Wijziging"], r["Kolom"],
                                                       _xlsx_value(r["Oud"]), _xlsx_value(r["Nieuw"])])
        sh.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(1, len(rows) + 1)}"
        sh.freeze_panes = "A2"
        for j, h in enumerate(header, start=1):
            sh.column_dimensions[get_column_letter(j)].width = max(12, min(60, len(h) + 4))
        sh.column_dimensions[get_column_letter(len(header) - 1)].width = 40
        sh.column_dimensions[get_column_letter(len(header))].width = 40
    wb.save(path)


# ---------------------------------------------------------------------------------------
# manifest and verification
# ---------------------------------------------------------------------------------------
def _file_entries(root: Path) -> list[dict]:
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if rel == MANIFEST:
                continue
            if p.is_symlink():
                raise PublishError(f"symlink not allowed in a version: {rel}")
            entries.append({"path": rel, "size": p.stat().st_size, "sha256": _sha256_file(p)})
    return sorted(entries, key=lambda e: e["path"])


def _verify_version_dir(version_dir: Path, manifest: dict | None = None) -> list[str]:
    """Problems of one version folder: manifest present and its files (and only those) match."""
    m = manifest if manifest is not None else _read_manifest(version_dir)
    if m is None:
        return [f"{version_dir}: manifest.json missing or invalid"]
    problems = []
    listed = {}
    for e in m.get("files", []):
        listed[e["path"]] = e
        p = version_dir / e["path"]
        if not p.is_file():
            problems.append(f"{version_dir}: file {e['path']} listed in manifest is missing")
        elif p.stat().st_size != e["size"]:
            problems.append(f"{version_dir}: file {e['path']} has size {p.stat().st_size}, manifest says {e['size']}")
        elif _sha256_file(p) != e["sha256"]:
            problems.append(f"{version_dir}: file {e['path']} SHA-256 differs from manifest")
    for dirpath, _d, filenames in os.walk(version_dir):
        for name in filenames:
            rel = (Path(dirpath) / name).relative_to(version_dir).as_posix()
            if rel != MANIFEST and rel not in listed:
                problems.append(f"{version_dir}: file {rel} not listed in manifest")
    if m.get("status") == INGETROKKEN and not m.get("reason"):
        problems.append(f"{version_dir}: ingetrokken without a reason")
    return problems


_META_KNOWN = ("period", "stand_per", "aanmaakdatum", "extract", "counts", "swv_naam")


def _manifest_for(owner: str, schooljaar: str, product: str, version: str, meta: dict, ckey: str,
                  now: str, previous: str | None, changes: dict | None) -> dict:
    meta = dict(meta or {})
    if "extract" not in meta and "extract_id" in meta:
        meta["extract"] = meta.pop("extract_id")
    missing = [k for k in ("period", "stand_per", "aanmaakdatum") if meta.get(k) in (None, "")]
    if missing:
        raise PublishError(f"meta lacks {', '.join(missing)}")
    extra = {k: v for k, v in meta.items() if k not in _META_KNOWN}
    m = {
        "manifest_format": MANIFEST_FORMAT,
        "product": product,
        "swv": owner,
        "schooljaar": schooljaar,
        "period": _iso(meta["period"]),
        "stand_per": _iso(meta["stand_per"]),
        "aanmaakdatum": _iso(meta["aanmaakdatum"]),
        "extract": meta.get("extract"),
        "counts": _jsonable(meta.get("counts") or {}),
        "version": version,
        "status": ACTUEEL,
        "reason": None,
        "replaces": previous,
        "replaced_by": None,
        "published_at": now,
        "status_changed_at": now,
        "content_key": ckey,
        "wijzigingen": changes,
    }
    if meta.get("swv_naam"):
        m["swv_naam"] = str(meta["swv_naam"])
    if extra:
        m["extra"] = _jsonable(extra)
    return m


# ---------------------------------------------------------------------------------------
# publish
# ---------------------------------------------------------------------------------------
def _is_staging_folder(outbox: Path, stage: Path) -> bool:
    return stage.resolve().parent == (Path(outbox) / STAGING).resolve()


def _check_stage(outbox: Path, stage: Path) -> None:
    if not _is_staging_folder(outbox, stage):
        raise PublishError(f"{stage} is not a staging folder of {outbox} (use start_version)")
    if not stage.is_dir():
        raise PublishError(f"staging folder {stage} does not exist")
    csvs = sorted((stage / "data").glob("*.csv"))
    if not csvs:
        raise PublishError(f"{stage}/data holds no CSV tables")
    for p in csvs:
        try:
            p.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PublishError(f"{p.name} is not UTF-8: {exc}") from None
    for name in (MANIFEST, CHANGES_XLSX):
        if (stage / name).exists():
            raise PublishError(f"{name} is written by publish_version; the renderer must not write it")


def publish_version(outbox: Path, owner: str, schooljaar: str, product: str, stage_dir: Path,
                    meta: dict) -> PublishOutcome:
    """Publish the files in `stage_dir` (from `start_version`) as the next version, or do nothing
    when its CSV content equals the actueel version.

    meta: period (teldatum or schooljaar), stand_per, aanmaakdatum (dates or ISO strings),
    extract (the extract's sha256 identity), counts (dict summary); optional swv_naam; any other
    keys go to manifest["extra"].
    """
    outbox = Path(outbox)
    stage = Path(stage_dir)
    _check_key(owner, schooljaar, product)
    renamed = False
    try:
        _check_stage(outbox, stage)
        clean_staging(outbox)
        ckey = content_key(stage / "data")
        with _key_lock(outbox, owner, schooljaar, product):
            with _open_register(outbox) as reg:
                _reconcile_key(outbox, owner, schooljaar, product, reg)
                versions = _scan_versions(outbox, owner, schooljaar, product)
                current = _current(versions)
                if current is not None and current.manifest["content_key"] == ckey:
                    discard_version(stage)
                    write_index(outbox, owner)
                    return PublishOutcome("unchanged", owner, schooljaar, product, current.name,
                                          current.path, None, ckey, None, current.manifest)

                name = version_name(max((v.number for v in versions), default=0) + 1)
                basis = _comparison_basis(versions)
                report = changes = None
                if basis is not None:
                    report, details = _change_report(_tables_of(basis.path / "data"),
                                                     _tables_of(stage / "data"), basis.name)
                    _write_changes_xlsx(stage / CHANGES_XLSX, report, details, basis.name, name)
                    changes = {"vergeleken_met": basis.name, "bestand": CHANGES_XLSX, "tabellen": report}
                now = _now()
                manifest = _manifest_for(owner, schooljaar, product, name, meta, ckey, now,
                                         current.name if current else None, changes)
                manifest["files"] = _file_entries(stage)
                (stage / MANIFEST).write_bytes(_dump_json(manifest))
                _fsync_tree(stage)
                problems = _verify_version_dir(stage)
                if problems:
                    raise PublishError("staged version failed verification: " + "; ".join(problems))

                pdir = _product_dir(outbox, owner, schooljaar, product)
                pdir.mkdir(parents=True, exist_ok=True)
                for d in (outbox, outbox / owner, pdir.parent):
                    _fsync_dir(d)
                final = pdir / name
                if final.exists():  # cannot happen under the lock; never merge into a folder
                    raise PublishError(f"{final} already exists")
                _checkpoint("before_rename")
                os.rename(stage, final)
                renamed = True
                _fsync_dir(pdir)
                _release_stage(stage)
                _checkpoint("after_rename")

                if current is not None:
                    pm = dict(current.manifest)
                    pm.update(status=VERVANGEN, replaced_by=name, status_changed_at=now)
                    _write_manifest(current.path, pm)
                    current.manifest = pm
                    _checkpoint("after_previous_manifest")
                new_v = _Version(version_number(name), name, final, manifest)
                with reg.transaction():
                    reg.upsert(_row_from_manifest(outbox, new_v))
                    if current is not None:
                        reg.upsert(_row_from_manifest(outbox, current))
                _checkpoint("after_register")
            write_index(outbox, owner)
        return PublishOutcome("published", owner, schooljaar, product, name, final,
                              current.name if current else None, ckey, report, manifest)
    except BaseException:
        if not renamed and _is_staging_folder(outbox, stage):
            discard_version(stage)
        raise


# ---------------------------------------------------------------------------------------
# withdraw
# ---------------------------------------------------------------------------------------
def withdraw_version(outbox: Path, owner: str, schooljaar: str, product: str, version: str,
                     reason: str) -> dict:
    """Mark a version `ingetrokken` with `reason` (manifest, register, index.html).

    A withdrawn actueel version leaves the product without an actueel version until a new one is
    published; earlier versions stay `vervangen`. Withdrawing again updates the reason.
    Raises FileNotFoundError when the version does not exist. Returns the new manifest.
    """
    outbox = Path(outbox)
    _check_key(owner, schooljaar, product)
    version = normalize_version(version)
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a withdrawal needs a reason")
    with _key_lock(outbox, owner, schooljaar, product):
        with _open_register(outbox) as reg:
            _reconcile_key(outbox, owner, schooljaar, product, reg)
            found = [v for v in _scan_versions(outbox, owner, schooljaar, product)
                     if v.name == version and v.manifest]
            if not found:
                raise FileNotFoundError(f"{owner}/{schooljaar}/{product}/{version} is not published")
            v = found[0]
            if v.manifest["status"] != INGETROKKEN or v.manifest.get("reason") != reason:
                m = dict(v.manifest)
                m.update(status=INGETROKKEN, reason=reason, status_changed_at=_now())
                _write_manifest(v.path, m)
                v.manifest = m
                _checkpoint("withdraw_after_manifest")
                with reg.transaction():
                    reg.upsert(_row_from_manifest(outbox, v))
        write_index(outbox, owner)
    return v.manifest


# ---------------------------------------------------------------------------------------
# index.html
# ---------------------------------------------------------------------------------------
def _version_view(owner_dir: Path, v: _Version) -> dict:
    m = v.manifest
    rel = v.path.relative_to(owner_dir).as_posix()
    files = [e["path"] for e in m.get("files", [])]
    docs = [f for f in files if "/" not in f and f.endswith((".pdf", ".xlsx")) and f != CHANGES_XLSX]
    return {
        "version": v.name,
        "href": rel + "/",
        "documents": [{"name": f, "href": f"{rel}/{f}", "kind": f.rsplit(".", 1)[-1].upper()}
                      for f in sorted(docs, key=lambda f: (not f.endswith(".pdf"), f))],
        "wijzigingen": f"{rel}/{CHANGES_XLSX}" if CHANGES_XLSX in files else None,
        "data": f"{rel}/data/" if any(f.startswith("data/") for f in files) else None,
        "status": m.get("status"),
        "reason": m.get("reason"),
        "replaced_by": m.get("replaced_by"),
        "period": m.get("period"),
        "stand_per": m.get("stand_per"),
        "aanmaakdatum": m.get("aanmaakdatum"),
        "published_at": m.get("published_at"),
        "status_changed_at": m.get("status_changed_at"),
    }


def _index_context(outbox: Path, owner: str) -> dict:
    owner_dir = Path(outbox) / owner
    schooljaren = []
    naam = None
    for sdir in sorted((d for d in owner_dir.iterdir() if d.is_dir() and not d.name.startswith(".")),
                       key=lambda d: d.name, reverse=True):
        products = []
        for pdir in sorted(d for d in sdir.iterdir() if d.is_dir() and not d.name.startswith(".")):
            versions = [v for v in _scan_versions(outbox, owner, sdir.name, pdir.name) if v.manifest]
            if not versions:
                continue
            naam = naam or next((v.manifest.get("swv_naam") for v in reversed(versions)
                                 if v.manifest.get("swv_naam")), None)
            cur = _current(versions)
            products.append({
                "product": pdir.name,
                "title": PRODUCT_TITLES.get(pdir.name, pdir.name),
                "current": _version_view(owner_dir, cur) if cur else None,
                "latest": _version_view(owner_dir, versions[-1]),
                "history": [_version_view(owner_dir, v) for v in reversed(versions) if v is not cur],
            })
        if products:
            schooljaren.append({"schooljaar": sdir.name, "products": products})
    return {"owner": owner, "naam": naam, "openbaar": owner == OPENBAAR, "schooljaren": schooljaren}


def render_index(outbox: Path, owner: str) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                             autoescape=jinja2.select_autoescape(["html"]),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["datum"] = _fmt_datum
    env.filters["tijdstip"] = _fmt_tijdstip
    return env.get_template(INDEX).render(**_index_context(outbox, owner))


def _fmt_datum(value) -> str:
    """'2024-10-01' -> '01-10-2024' (dd-mm-jjjj); other text unchanged (e.g. a schooljaar)."""
    if not value:
        return ""
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%d-%m-%Y") if len(str(value)) == 10 else str(value)
    except ValueError:
        return str(value)


def _fmt_tijdstip(value) -> str:
    """ISO timestamp -> 'dd-mm-jjjj hh:mm' (local time as recorded)."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value)).strftime("%d-%m-%Y %H:%M")
    except ValueError:
        return str(value)


def write_index(outbox: Path, owner: str) -> bool:
    """(Re)write `<outbox>/<owner>/index.html` under the owner's lock; only when its bytes change.
    Returns True when written."""
    outbox = Path(outbox)
    _check_name("owner", owner)
    owner_dir = outbox / owner
    if not owner_dir.is_dir():
        return False
    with _index_lock(outbox, owner):
        for tmp in owner_dir.glob(f".{INDEX}.*.tmp"):
            tmp.unlink(missing_ok=True)
        return _write_if_changed(owner_dir / INDEX, render_index(outbox, owner).encode("utf-8"))


# ---------------------------------------------------------------------------------------
# status, integrity
# ---------------------------------------------------------------------------------------
STATUS_COLUMNS = ["swv", "product", "schooljaar", "version", "stand_per", "status", "published_at",
                  "period", "reason", "path"]


def current_versions(outbox: Path, owners: list[str] | None = None, reconcile: bool = True) -> pd.DataFrame:
    """Per (swv, schooljaar, product): the actueel version, or when there is none the newest
    version (then with status ingetrokken/vervangen). From the register, after reconciling it
    with the manifests (reconcile=False: the register as it is)."""
    outbox = Path(outbox)
    if reconcile and outbox.is_dir():
        reconcile_register(outbox)
    with _open_register(outbox) as reg:
        rows = reg.rows(_outbox_id(outbox))
    if owners:
        rows = [r for r in rows if r["owner"] in set(owners)]
    chosen: dict[tuple, dict] = {}
    for r in rows:  # ordered by version_no
        k = (r["owner"], r["schooljaar"], r["product"])
        prev = chosen.get(k)
        if prev is None or prev["status"] != ACTUEEL or r["status"] == ACTUEEL:
            chosen[k] = r
    out = [{**{c: r.get(c) for c in STATUS_COLUMNS if c != "swv"}, "swv": r["owner"]} for r in chosen.values()]
    df = pd.DataFrame(out, columns=STATUS_COLUMNS)
    if not df.empty:
        df = df.sort_values(["swv", "schooljaar", "product"], kind="stable").reset_index(drop=True)
    return df


def check_outbox_integrity(outbox: Path) -> list[str]:
    """Problems found in the outbox (empty list = fine). Read-only.

    Every version folder has a valid manifest whose files (and only those) match by size and
    SHA-256; path and manifest agree; at most one actueel per product; the register agrees with
    the manifests; index.html is up to date; no staging leftovers of dead processes.
    """
    outbox = Path(outbox)
    problems: list[str] = []
    if not outbox.is_dir():
        return [f"{outbox}: outbox does not exist"]
    all_versions: dict[tuple, list[_Version]] = {}
    for owner, sj, product in _iter_keys(outbox):
        pdir = _product_dir(outbox, owner, sj, product)
        for d in sorted(pdir.iterdir()):
            if version_number(d.name) is None:
                problems.append(f"{d}: unexpected entry (not a version folder)")
        versions = _scan_versions(outbox, owner, sj, product)
        all_versions[(owner, sj, product)] = versions
        for v in versions:
            problems += _verify_version_dir(v.path, v.manifest) if v.manifest else \
                [f"{v.path}: version folder without a valid manifest.json"]
            if v.manifest:
                m = v.manifest
                for fld, want in (("version", v.name), ("product", product), ("swv", owner), ("schooljaar", sj)):
                    if m.get(fld) != want:
                        problems.append(f"{v.path}: manifest {fld} = {m.get(fld)!r}, folder says {want!r}")
        act = [v.name for v in versions if v.manifest and v.manifest["status"] == ACTUEEL]
        if len(act) > 1:
            problems.append(f"{outbox / owner / sj / product}: more than one actueel version: {', '.join(act)}")
    reg_path = register_path_for(outbox)
    if all_versions and not reg_path.exists():
        problems.append(f"{reg_path}: register missing")
    elif reg_path.exists():
        with _open_register(outbox) as reg:
            rows = reg.rows(_outbox_id(outbox))
        by_key: dict[tuple, list[dict]] = {}
        for r in rows:
            by_key.setdefault((r["owner"], r["schooljaar"], r["product"]), []).append(r)
        for key in sorted(set(by_key) | set(all_versions)):
            upserts, deletes = _register_diff(outbox, all_versions.get(key, []), by_key.get(key, []))
            for r in upserts:
                problems.append(f"register: {'/'.join(key)}/{r['version']} disagrees with its manifest")
            for n in deletes:
                problems.append(f"register: {'/'.join(key)}/{n} has no version folder")
    for owner in _owners(outbox):
        idx = outbox / owner / INDEX
        if any(all_versions.get(k) for k in all_versions if k[0] == owner):
            if not idx.exists():
                problems.append(f"{idx}: missing")
            elif idx.read_text(encoding="utf-8") != render_index(outbox, owner):
                problems.append(f"{idx}: out of date")
    staging = outbox / STAGING
    if staging.is_dir():
        for entry in sorted(staging.iterdir()):
            if entry.is_dir() and _stage_state(entry) == "stale":
                problems.append(f"{entry}: staging leftover")
    return problems


# ---------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------
_STATUS_LABELS = {"product": "product", "schooljaar": "schooljaar", "version": "versie",
                  "stand_per": "stand per", "status": "status", "published_at": "gepubliceerd op",
                  "reason": "reden"}


def cli_status(args) -> int:
    outbox = Path(args.outbox)
    if not outbox.is_dir():
        print(f"Outbox {outbox} bestaat niet.", file=sys.stderr)
        return 1
    df = current_versions(outbox, getattr(args, "swv", None) or None)
    if df.empty:
        print(f"Geen gepubliceerde versies in {outbox}.")
        return 0
    for swv, g in df.groupby("swv", sort=True):
        cols = ["product", "schooljaar", "version", "stand_per", "status", "published_at"]
        if g["reason"].notna().any():
            cols.append("reason")
        view = g[cols].fillna("").copy()
        view["stand_per"] = view["stand_per"].map(_fmt_datum)
        view["published_at"] = view["published_at"].map(_fmt_tijdstip)
        view = view.rename(columns=_STATUS_LABELS)
        print(f"== {swv} ==")
        print(view.to_string(index=False))
        print()
    return 0


def cli_withdraw(args) -> int:
    outbox = Path(args.outbox)
    version = normalize_version(args.version)
    owners = args.swv or _owners(outbox)
    done = 0
    for owner in owners:
        vdir = _product_dir(outbox, owner, args.schooljaar, args.product) / version
        if _read_manifest(vdir) is None:
            if args.swv:
                print(f"{owner}: {args.product} {args.schooljaar} {version} niet gevonden")
            continue
        m = withdraw_version(outbox, owner, args.schooljaar, args.product, version, args.reason)
        print(f"{owner}: {args.product} {args.schooljaar} {version} ingetrokken ({m['reason']})")
        done += 1
    if not done:
        print(f"Geen versie {version} van {args.product} {args.schooljaar} gevonden in {outbox}.")
        return 1
    print(f"{done} versie(s) ingetrokken.")
    return 0
