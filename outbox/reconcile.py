"""Disk and register in agreement: the manifests (and each product folder's bevestigingen.json) are
the truth, the register is rebuilt from them (after a crash between the rename of a version folder
and the register update), and crash leftovers are repaired (temp files of a manifest or
confirmations rewrite; two versions marked actueel)."""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from core.files import TMP_NAME, LinkRefused, flock
from outbox.index_page import write_index
from outbox.layout import (ACTUEEL, LOCKS, VERVANGEN, Version, key_lock, owner_names, product_dir, product_keys,
                           read_confirmations, scan_versions, timestamp_now, write_manifest)
from outbox.register import COLUMNS as REGISTER_COLUMNS
from outbox.register import CONFIRMATION_COLUMNS, Register, is_corrupt, register_path_for, set_aside

log = logging.getLogger(__name__)


def outbox_id(outbox: Path) -> str:
    return str(Path(outbox).resolve())


def open_register(outbox: Path, register: Path | None = None) -> Register:
    """The register of `outbox`: the file `register` (Settings.register_path), else the outbox's own.
    A register that has just been given its confirmations table gets this outbox's confirmations
    from the folders at once (read only: the files are written atomically), so that no production
    judges against an empty table."""
    path = register_path_for(Path(outbox), register)
    try:
        reg = Register(path)
    except sqlite3.DatabaseError as exc:
        if not is_corrupt(exc):
            raise
        return rebuilt_register(outbox, path, exc)
    if reg.migrated and Path(outbox).is_dir():
        with reg.transaction():
            for owner, sj, product in product_keys(Path(outbox)):
                for row in confirmation_rows(outbox, owner, sj, product):
                    reg.add_confirmation(row)
    return reg


def rebuilt_register(outbox: Path, path: Path, exc: BaseException) -> Register:
    """A register that is no database (overwritten, truncated) is set aside and made again from the
    manifests and bevestigingen.json of `outbox`, with one line in the log. Under the register's own
    lock, not the keys' (a publisher holding its key's lock may be waiting for the register): the
    manifests are written atomically, and a publisher that renamed its version meanwhile writes its
    row itself. A register shared with other outboxes gets their rows back at their next status."""
    outbox = Path(outbox)
    with flock(outbox / LOCKS / "register.lock"):
        try:
            return Register(path)  # another process rebuilt it meanwhile
        except sqlite3.DatabaseError as again:
            if not is_corrupt(again):
                raise
        kept = set_aside(path, timestamp_now().replace(":", ""))
        reg = Register(path)
        try:
            with reg.transaction():
                for owner, sj, product in product_keys(outbox):
                    for v in scan_versions(outbox, owner, sj, product):
                        if v.manifest:
                            reg.upsert(row_from_manifest(outbox, v))
                    for row in confirmation_rows(outbox, owner, sj, product):
                        reg.add_confirmation(row)
        except BaseException:
            reg.close()
            raise
    log.warning("register %s was beschadigd (%s): opnieuw opgebouwd uit de manifesten; het oude bestand staat in %s",
                path, exc, kept.name)
    return reg


def confirmation_rows(outbox: Path, owner: str, schooljaar: str, product: str) -> list[dict]:
    """The register rows of a product folder's bevestigingen.json (none when it is missing or invalid)."""
    entries = read_confirmations(product_dir(outbox, owner, schooljaar, product)) or []
    key = {"outbox": outbox_id(outbox), "owner": owner, "schooljaar": schooljaar, "product": product}
    return [{**key, **{c: e[c] for c in CONFIRMATION_COLUMNS if c in e}} for e in entries]


def confirmations_diff(outbox: Path, owner: str, schooljaar: str, product: str,
                       reg_rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(rows to add, rows to delete) that make the register's confirmations equal to the folder's."""
    def as_key(row: dict) -> tuple:
        return tuple(row.get(c) for c in CONFIRMATION_COLUMNS)
    disk = {as_key(r): r for r in confirmation_rows(outbox, owner, schooljaar, product)}
    have = {as_key(r): r for r in reg_rows}
    return [disk[k] for k in sorted(disk.keys() - have.keys())], [have[k] for k in sorted(have.keys() - disk.keys())]


def row_from_manifest(outbox: Path, v: Version) -> dict:
    m = v.manifest or {}
    row = {
        "outbox": outbox_id(outbox),
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


def register_diff(outbox: Path, versions: list[Version], reg_rows: list[dict]) -> tuple[list[dict], list[str]]:
    """(rows to upsert, versions to delete) that make the register equal to the manifests."""
    disk = {v.name: row_from_manifest(outbox, v) for v in versions if v.manifest}
    have = {r["version"]: {c: r.get(c) for c in REGISTER_COLUMNS} for r in reg_rows}
    upserts = [row for name, row in sorted(disk.items()) if have.get(name) != row]
    deletes = sorted(name for name in have if name not in disk)
    return upserts, deletes


def reconcile_key(outbox: Path, owner: str, schooljaar: str, product: str, reg: Register) -> list[str]:
    """Make disk and register agree for one key (call under its lock). Returns what was fixed."""
    fixes: list[str] = []
    versions = scan_versions(outbox, owner, schooljaar, product)
    for v in versions:  # temp files of an interrupted manifest rewrite
        for tmp in v.path.iterdir():
            if TMP_NAME.match(tmp.name) and tmp.is_file():
                tmp.unlink(missing_ok=True)
                fixes.append(f"{owner}/{schooljaar}/{product}/{v.name}: removed leftover {tmp.name}")
    pdir = product_dir(outbox, owner, schooljaar, product)
    for tmp in pdir.iterdir() if pdir.is_dir() else ():  # of an interrupted confirmations rewrite
        if TMP_NAME.match(tmp.name) and tmp.is_file():
            tmp.unlink(missing_ok=True)
            fixes.append(f"{owner}/{schooljaar}/{product}: removed leftover {tmp.name}")
    actueel = [v for v in versions if v.manifest and v.manifest["status"] == ACTUEEL]
    if len(actueel) > 1:  # crash between rename and marking the previous version
        top = actueel[-1]
        for v in actueel[:-1]:
            m = dict(v.manifest)
            m.update(status=VERVANGEN, replaced_by=top.name,
                     status_changed_at=top.manifest.get("published_at"))
            write_manifest(v.path, m)
            v.manifest = m
            fixes.append(f"{owner}/{schooljaar}/{product}/{v.name}: actueel -> vervangen (door {top.name})")
    reg_rows = reg.rows(outbox_id(outbox), owner, schooljaar, product)
    upserts, deletes = register_diff(outbox, versions, reg_rows)
    if upserts or deletes:
        with reg.transaction():
            for row in upserts:
                reg.upsert(row)
            for name in deletes:
                reg.delete(outbox_id(outbox), owner, schooljaar, product, name)
        fixes += [f"{owner}/{schooljaar}/{product}/{r['version']}: register row set from manifest" for r in upserts]
        fixes += [f"{owner}/{schooljaar}/{product}/{n}: register row without folder removed" for n in deletes]
    adds, removes = confirmations_diff(outbox, owner, schooljaar, product,
                                       reg.confirmation_rows(outbox_id(outbox), owner, schooljaar, product))
    if adds or removes:
        with reg.transaction():
            for row in adds:
                reg.add_confirmation(row)
            for row in removes:
                reg.delete_confirmation(row)
        fixes += [f"{owner}/{schooljaar}/{product}/{r['version']}: register confirmation {r['stand_per']} set "
                  "from bevestigingen.json" for r in adds]
        fixes += [f"{owner}/{schooljaar}/{product}/{r['version']}: register confirmation {r['stand_per']} "
                  "without a file entry removed" for r in removes]
    return fixes


def reconcile_register(outbox: Path, register: Path | None = None) -> list[str]:
    """Rebuild the register from the manifests of the whole outbox (each key under its lock),
    repair crash leftovers, and re-render every owner's index.html. Returns the fixes made."""
    outbox = Path(outbox)
    fixes: list[str] = []
    with open_register(outbox, register) as reg:
        keys = set(product_keys(outbox))
        keys |= {(r["owner"], r["schooljaar"], r["product"]) for r in reg.rows(outbox_id(outbox))}
        keys |= {(r["owner"], r["schooljaar"], r["product"]) for r in reg.confirmation_rows(outbox_id(outbox))}
        for owner, sj, product in sorted(keys):
            with key_lock(outbox, owner, sj, product):
                fixes += reconcile_key(outbox, owner, sj, product, reg)
    for owner in owner_names(outbox):
        try:
            if write_index(outbox, owner):
                fixes.append(f"{owner}/index.html re-rendered")
        except LinkRefused:  # its pages are never written through a link; the integrity check names it
            fixes.append(f"{owner}: pages not made (a folder is a link)")
    return fixes

