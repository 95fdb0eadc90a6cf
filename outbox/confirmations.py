"""Confirmations: a production whose tables equal the actueel version's records that a newer extract
confirmed that version (its stand per, the extract, the production date), in the product folder's
bevestigingen.json and the register. A correction extract is then judged against the newest stand
per that made or confirmed the actueel version, so it lands the same way for every SWV.

The version's own folder is never touched: its files are hashed and SWVs may already hold copies."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from outbox.layout import (ACTUEEL, actueel_version, check_key, confirmed_through, iso, key_lock, product_dir,
                           read_confirmations, scan_versions, timestamp_now, write_confirmations)
from outbox.reconcile import open_register, outbox_id, reconcile_key

log = logging.getLogger(__name__)


@dataclass
class Confirmation:
    version: str | None     # the actueel version (None: there is none)
    through: str | None     # the newest stand per that made or confirmed it (ISO)
    recorded: bool          # this call added a confirmation


def record_confirmation(outbox: Path, owner: str, schooljaar: str, product: str, version: str, stand_per,
                        extract: str, aanmaakdatum, register: Path | None = None) -> Confirmation:
    """Record that the extract of `stand_per` found `version` unchanged, when it is still the actueel
    version and the stand per is newer than every one that made or confirmed it (so a rerun, or an
    older extract, records nothing). Under the key lock: file first, then the register."""
    outbox = Path(outbox)
    check_key(owner, schooljaar, product)
    known = _already_confirmed(outbox, owner, schooljaar, product, version, stand_per)
    if known is not None:  # a rerun: no lock, no register (confirmations only ever grow)
        return Confirmation(version, known, False)
    with key_lock(outbox, owner, schooljaar, product):
        with open_register(outbox, register) as reg:
            reconcile_key(outbox, owner, schooljaar, product, reg)
            current = actueel_version(scan_versions(outbox, owner, schooljaar, product))
            if current is None or current.name != version:  # another version came in meanwhile
                return Confirmation(current.name if current else None, None, False)
            pdir = product_dir(outbox, owner, schooljaar, product)
            entries = read_confirmations(pdir)
            if entries is None:  # never overwrite what cannot be read; the integrity check names it
                log.warning("%s is onleesbaar; bevestiging van %s niet vastgelegd", pdir / "bevestigingen.json",
                            version)
                return Confirmation(version, confirmed_through(current.manifest, version, []), False)
            through = confirmed_through(current.manifest, version, entries)
            if iso(stand_per) <= through:
                return Confirmation(version, through, False)
            entry = {"version": version, "stand_per": iso(stand_per), "extract": str(extract or ""),
                     "aanmaakdatum": iso(aanmaakdatum), "recorded_at": timestamp_now()}
            write_confirmations(pdir, owner, schooljaar, product, [*entries, entry])
            with reg.transaction():
                reg.add_confirmation({"outbox": outbox_id(outbox), "owner": owner, "schooljaar": schooljaar,
                                      "product": product, **entry})
    return Confirmation(version, entry["stand_per"], True)


def _already_confirmed(outbox: Path, owner: str, schooljaar: str, product: str, version: str,
                       stand_per) -> str | None:
    """How far `version` is confirmed, when that already covers `stand_per` (read without the lock).
    None also when a crash left two versions actueel: the locked path reconciles the key first."""
    versions = scan_versions(outbox, owner, schooljaar, product)
    if sum(1 for v in versions if v.manifest and v.manifest["status"] == ACTUEEL) > 1:
        return None
    current = actueel_version(versions)
    entries = read_confirmations(product_dir(outbox, owner, schooljaar, product))
    if current is None or current.name != version or entries is None:
        return None
    through = confirmed_through(current.manifest, version, entries)
    return through if iso(stand_per) <= through else None
