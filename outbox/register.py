"""The register of published versions: a small SQLite database.

The register is an *index*, not the truth: every published version folder in the outbox holds a
`manifest.json`, and `outbox.reconcile.reconcile_register` rebuilds the register rows from those
manifests whenever they disagree (e.g. after a crash between the rename of a version folder and
the register update).

Location: `Settings.register_path` (env `KIJKGLAS_REGISTER`) or `<outbox>/.register.sqlite`.
Opened in WAL mode with a busy timeout; every write is one `BEGIN IMMEDIATE … COMMIT` transaction.
Rows carry the (resolved) outbox path, so one register file may serve several outboxes.
Table `confirmations` indexes each product folder's bevestigingen.json (a later extract that found a
version's tables unchanged); a register made before it existed gets the table when opened
(`Register.migrated`), and `outbox.reconcile.open_register` fills it from the folders.
"""
from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from outbox.layout import REGISTER_FILE

BUSY_TIMEOUT_MS = 60_000

# Columns of a register row, in table order (the primary key is the first five).
COLUMNS = (
    "outbox", "owner", "schooljaar", "product", "version",
    "version_no", "status", "reason", "replaced_by",
    "period", "stand_per", "aanmaakdatum", "extract", "content_key",
    "published_at", "status_changed_at", "path",
)
KEY_COLUMNS = COLUMNS[:5]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    outbox            TEXT NOT NULL,
    owner             TEXT NOT NULL,
    schooljaar        TEXT NOT NULL,
    product           TEXT NOT NULL,
    version           TEXT NOT NULL,
    version_no        INTEGER NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('actueel', 'vervangen', 'ingetrokken')),
    reason            TEXT,
    replaced_by       TEXT,
    period            TEXT,
    stand_per         TEXT,
    aanmaakdatum      TEXT,
    extract           TEXT,
    content_key       TEXT NOT NULL,
    published_at      TEXT,
    status_changed_at TEXT,
    path              TEXT NOT NULL,
    PRIMARY KEY (outbox, owner, schooljaar, product, version)
);
CREATE INDEX IF NOT EXISTS versions_status ON versions (outbox, owner, status);
"""
# Columns of a confirmation row; all of them are the key (a confirmation is recorded once).
CONFIRMATION_COLUMNS = ("outbox", "owner", "schooljaar", "product", "version",
                        "stand_per", "extract", "aanmaakdatum", "recorded_at")
_CONFIRMATIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS confirmations (
    outbox       TEXT NOT NULL,
    owner        TEXT NOT NULL,
    schooljaar   TEXT NOT NULL,
    product      TEXT NOT NULL,
    version      TEXT NOT NULL,
    stand_per    TEXT NOT NULL,
    extract      TEXT NOT NULL,
    aanmaakdatum TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (outbox, owner, schooljaar, product, version, stand_per, extract)
)
"""


def is_corrupt(exc: BaseException) -> bool:
    """A register file that is not (or no longer) an SQLite database: overwritten, truncated or
    malformed. Not a locked register, a read-only or full disk (OperationalError): rebuilding does
    not help those."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


def set_aside(path: Path, stamp: str) -> Path:
    """Move a corrupt register file out of the way (kept for inspection, with its -wal and -shm
    files, which belong to it); returns its new name."""
    path = Path(path)
    kept = path.with_name(f"{path.name}.beschadigd-{stamp}")
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(kept.with_name(kept.name + suffix))
    path.replace(kept)
    return kept


def register_path_for(outbox: Path, register: Path | None = None) -> Path:
    """`register` (Settings.register_path) when set, else `<outbox>/.register.sqlite`."""
    return Path(register) if register else Path(outbox) / REGISTER_FILE


class Register:
    """Thin wrapper around one SQLite connection. Use as a context manager (closes on exit)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a writer takes the
        # write lock up front instead of failing on a read->write upgrade.
        self.conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            self._open()
        except BaseException:
            self.conn.close()
            raise

    def _open(self) -> None:
        self.conn.row_factory = sqlite3.Row
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._ensure_wal()
        self.conn.execute("PRAGMA synchronous = FULL")
        have = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # True when this opening added the confirmations table to an existing register
        self.migrated = "versions" in have and "confirmations" not in have
        if not {"versions", "confirmations"} <= have:
            with self.transaction():
                for stmt in [*_SCHEMA.strip().split(";"), _CONFIRMATIONS_SCHEMA]:
                    if stmt.strip():
                        self.conn.execute(stmt)

    def _ensure_wal(self) -> None:
        # Switching to WAL needs a moment of exclusive access; another process creating the
        # register at the same time can make it report "locked" at once, so retry briefly.
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                mode = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() != "wal":
                    self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    # -- context management -------------------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Register":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on error)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # -- reads ----------------------------------------------------------------------------
    def rows(self, outbox: str, owner: str | None = None, schooljaar: str | None = None,
             product: str | None = None) -> list[dict]:
        return self._select("versions", "version_no", outbox, owner, schooljaar, product)

    def _select(self, table: str, order: str, outbox: str, owner: str | None, schooljaar: str | None,
                product: str | None) -> list[dict]:
        sql = f"SELECT * FROM {table} WHERE outbox = ?"
        params: list = [outbox]
        for col, val in (("owner", owner), ("schooljaar", schooljaar), ("product", product)):
            if val is not None:
                sql += f" AND {col} = ?"
                params.append(val)
        sql += f" ORDER BY owner, schooljaar, product, {order}"
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    # -- writes (call inside `transaction()`) ----------------------------------------------
    def upsert(self, row: dict) -> None:
        cols = ", ".join(COLUMNS)
        marks = ", ".join("?" for _ in COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in KEY_COLUMNS)
        self.conn.execute(
            f"INSERT INTO versions ({cols}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {updates}",
            [row.get(c) for c in COLUMNS],
        )

    def delete(self, outbox: str, owner: str, schooljaar: str, product: str, version: str) -> None:
        self.conn.execute(
            "DELETE FROM versions WHERE outbox = ? AND owner = ? AND schooljaar = ? AND product = ? AND version = ?",
            (outbox, owner, schooljaar, product, version),
        )

    # -- confirmations ----------------------------------------------------------------------
    def confirmation_rows(self, outbox: str, owner: str | None = None, schooljaar: str | None = None,
                          product: str | None = None) -> list[dict]:
        return self._select("confirmations", "stand_per, recorded_at, version", outbox, owner, schooljaar, product)

    def add_confirmation(self, row: dict) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO confirmations ({', '.join(CONFIRMATION_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in CONFIRMATION_COLUMNS)})", [row.get(c) for c in CONFIRMATION_COLUMNS])

    def delete_confirmation(self, row: dict) -> None:
        self.conn.execute(
            f"DELETE FROM confirmations WHERE {' AND '.join(f'{c} = ?' for c in CONFIRMATION_COLUMNS)}",
            [row.get(c) for c in CONFIRMATION_COLUMNS])
