"""Publishing and withdrawing versions: the outbox's write path (outputs.md, "Distribution (the outbox)").

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
  ``ongewijzigd`` with the actueel version. (The actueel manifest keeps its original extract identity.)
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
- **Restore** (`restore_version`): only on request, an earlier ``vervangen`` version becomes
  ``actueel`` again, with the reason and time in its manifest (``reason``, ``status_changed_at``,
  ``herstellingen``), when no version is actueel. Every later production then reads it as the
  actueel version, as it reads any (change report basis, superseded check, next number max + 1).
- **Change report basis**: the actueel version, or when there is none (it was withdrawn) the newest
  version that is not ``ingetrokken``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core.files import fsync_dir, fsync_tree, no_links
from documents.changes import change_summary
from documents.values import as_date
from outbox.change_report import compare_tables, content_key, tables_of
from outbox.changes_workbook import general_rows, words_of, write_changes_workbook
from outbox.index_page import write_index
from outbox.layout import (ACTUEEL, CHANGES_XLSX, GEPUBLICEERD, INGETROKKEN, MANIFEST, MANIFEST_FORMAT, ONGEWIJZIGD,
                           STAGING, VERVANGEN, PublishError, Version, check_key, comparison_basis, actueel_version, dump_json,
                           file_entries, iso, jsonable, key_lock, normalize_version, timestamp_now, product_dir, scan_versions,
                           verify_version_dir, version_name, version_number, write_manifest)
from outbox.reconcile import open_register, reconcile_key, row_from_manifest
from outbox.staging import clean_staging, discard_version, release_stage

# Test seam: a callable invoked with the name of each checkpoint of publish/withdraw
# ("before_rename", "after_rename", "after_previous_manifest", "after_register",
# "withdraw_after_manifest", "restore_after_manifest"). Tests use it to kill the process at a precise point.
fault_hook: Callable[[str], None] | None = None


class StatusChangeRefused(ValueError):
    """A withdrawal or restore the outbox's state or the request does not allow (a user's
    mistake); the message is Dutch, one line per SWV."""


@dataclass
class PublishOutcome:
    outcome: str                      # GEPUBLICEERD | ONGEWIJZIGD
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
        return self.outcome == GEPUBLICEERD



def checkpoint(point: str) -> None:
    if fault_hook is not None:
        fault_hook(point)



_META_KNOWN = ("period", "stand_per", "aanmaakdatum", "extract", "counts", "swv_naam")


def manifest_for(owner: str, schooljaar: str, product: str, version: str, meta: dict, ckey: str,
                  now: str, previous: str | None, changes: dict | None, summary: list[str] | None = None) -> dict:
    """The new version's manifest. `changes` (key "wijzigingen"): {vergeleken_met, bestand,
    tabellen (the change report), vorige_versie, vorige_stand_per, nieuwe_versie, nieuwe_stand_per};
    `summary` (key "wijzigingen_samenvatting"): the report in words, as the PDF and
    wijzigingen.xlsx say it. Both None for a first version."""
    meta = dict(meta or {})
    missing = [k for k in ("period", "stand_per", "aanmaakdatum") if meta.get(k) in (None, "")]
    if missing:
        raise PublishError(f"meta lacks {', '.join(missing)}")
    extra = {k: v for k, v in meta.items() if k not in _META_KNOWN}
    m = {
        "manifest_format": MANIFEST_FORMAT,
        "product": product,
        "swv": owner,
        "schooljaar": schooljaar,
        "period": iso(meta["period"]),
        "stand_per": iso(meta["stand_per"]),
        "aanmaakdatum": iso(meta["aanmaakdatum"]),
        "extract": meta.get("extract"),
        "counts": jsonable(meta.get("counts") or {}),
        "version": version,
        "status": ACTUEEL,
        "reason": None,
        "replaces": previous,
        "replaced_by": None,
        "published_at": now,
        "status_changed_at": now,
        "content_key": ckey,
        "wijzigingen": changes,
        "wijzigingen_samenvatting": summary,
    }
    if meta.get("swv_naam"):
        m["swv_naam"] = str(meta["swv_naam"])
    if extra:
        m["extra"] = jsonable(extra)
    return m


def write_changes(stage: Path, basis: Version, name: str, owner: str, product: str,
                  meta: dict) -> tuple[list[dict], dict, list[str]]:
    """Compare the staged CSVs with `basis` and write wijzigingen.xlsx into the stage:
    (the change report, manifest["wijzigingen"], the report in words)."""
    meta = meta or {}
    report, details = compare_tables(tables_of(basis.path / "data"), tables_of(stage / "data"), basis.name)
    changes = {"vergeleken_met": basis.name, "bestand": CHANGES_XLSX, "tabellen": report,
               "vorige_versie": basis.name, "vorige_stand_per": (basis.manifest or {}).get("stand_per"),
               "nieuwe_versie": name, "nieuwe_stand_per": iso(meta.get("stand_per"))}
    summary = change_summary(report, words_of(product))
    general = general_rows(product, owner, meta.get("swv_naam"), (basis.name, changes["vorige_stand_per"]),
                           (name, changes["nieuwe_stand_per"]))
    write_changes_workbook(stage / CHANGES_XLSX, report, details, product=product, general=general,
                           summary=summary, timestamp=as_date(meta.get("aanmaakdatum")))
    return report, changes, summary


# ---------------------------------------------------------------------------------------
# publish
# ---------------------------------------------------------------------------------------
def is_staging_folder(outbox: Path, stage: Path) -> bool:
    return stage.resolve().parent == (Path(outbox) / STAGING).resolve()


def check_stage(outbox: Path, stage: Path) -> None:
    if not is_staging_folder(outbox, stage):
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
                    meta: dict, register: Path | None = None, expected_version: str | None = None,
                    pages: bool = True) -> PublishOutcome:
    """Publish the files in `stage_dir` (from `start_version`) as the next version, or do nothing
    when its CSV content equals the actueel version.

    meta: period (teldatum or schooljaar), stand_per, aanmaakdatum (dates or ISO strings),
    extract (the extract's sha256 identity), counts (dict summary); optional swv_naam; any other
    keys go to manifest["extra"]. `pages=False`: the owner's pages are left to the caller, who makes
    them once after several publications (index_page.write_index).
    """
    outbox = Path(outbox)
    stage = Path(stage_dir)
    check_key(owner, schooljaar, product)
    renamed = False
    try:
        check_stage(outbox, stage)
        clean_staging(outbox)
        ckey = content_key(stage / "data")
        with key_lock(outbox, owner, schooljaar, product):
            with open_register(outbox, register) as reg:
                reconcile_key(outbox, owner, schooljaar, product, reg)
                versions = scan_versions(outbox, owner, schooljaar, product)
                current = actueel_version(versions)
                if current is not None and current.manifest["content_key"] == ckey:
                    discard_version(stage)
                    if pages:
                        write_index(outbox, owner, [(schooljaar, product)])
                    return PublishOutcome(ONGEWIJZIGD, owner, schooljaar, product, current.name,
                                          current.path, None, ckey, None, current.manifest)

                name = version_name(max((v.number for v in versions), default=0) + 1)
                if expected_version is not None and name != expected_version:
                    # the documents say another version: render them again (the task is retried)
                    raise PublishError(f"{owner}/{schooljaar}/{product}: the documents name {expected_version}, "
                                       f"but the next version is now {name}")
                basis = comparison_basis(versions)
                report = changes = summary = None
                if basis is not None:
                    report, changes, summary = write_changes(stage, basis, name, owner, product, meta)
                now = timestamp_now()
                manifest = manifest_for(owner, schooljaar, product, name, meta, ckey, now,
                                         current.name if current else None, changes, summary)
                manifest["files"] = file_entries(stage)
                (stage / MANIFEST).write_bytes(dump_json(manifest))
                fsync_tree(stage)
                problems = verify_version_dir(stage)
                if problems:
                    raise PublishError("staged version failed verification: " + "; ".join(problems))

                pdir = product_dir(outbox, owner, schooljaar, product)
                pdir.mkdir(parents=True, exist_ok=True)
                for d in (outbox, outbox / owner, pdir.parent):
                    fsync_dir(d)
                final = pdir / name
                if final.exists():  # cannot happen under the lock; never merge into a folder
                    raise PublishError(f"{final} already exists")
                checkpoint("before_rename")
                os.rename(stage, final)
                renamed = True
                fsync_dir(pdir)
                release_stage(stage)
                checkpoint("after_rename")

                if current is not None:
                    pm = dict(current.manifest)
                    pm.update(status=VERVANGEN, replaced_by=name, status_changed_at=now)
                    write_manifest(current.path, pm)
                    current.manifest = pm
                    checkpoint("after_previous_manifest")
                new_v = Version(version_number(name), name, final, manifest)
                with reg.transaction():
                    reg.upsert(row_from_manifest(outbox, new_v))
                    if current is not None:
                        reg.upsert(row_from_manifest(outbox, current))
                checkpoint("after_register")
            if pages:
                write_index(outbox, owner, [(schooljaar, product)])
        return PublishOutcome(GEPUBLICEERD, owner, schooljaar, product, name, final,
                              current.name if current else None, ckey, report, manifest)
    except BaseException:
        if not renamed and is_staging_folder(outbox, stage):
            discard_version(stage)
        raise


# ---------------------------------------------------------------------------------------
# withdraw
# ---------------------------------------------------------------------------------------
def _change_status(outbox: Path, owner: str, schooljaar: str, product: str, version: str, reason: str,
                   register: Path | None, kind: str, change) -> tuple[Version, bool]:
    """Under the key's lock: `change(versions, version, reason)` gives (the version, its new
    manifest or None when nothing changes); the manifest is written, the register follows it and
    the owner's pages are remade. `kind` ("withdraw", "restore") names the checkpoint."""
    outbox = Path(outbox)
    check_key(owner, schooljaar, product)
    no_links(outbox, owner, schooljaar, product)  # never written through a link (LinkRefused)
    version = normalize_version(version)
    reason = (reason or "").strip()
    if not reason:
        raise StatusChangeRefused("een reden is verplicht")
    with key_lock(outbox, owner, schooljaar, product):
        with open_register(outbox, register) as reg:
            reconcile_key(outbox, owner, schooljaar, product, reg)
            v, m = change(scan_versions(outbox, owner, schooljaar, product), version, reason)
            if m is not None:
                write_manifest(v.path, m)
                v.manifest = m
                checkpoint(f"{kind}_after_manifest")
                with reg.transaction():
                    reg.upsert(row_from_manifest(outbox, v))
        write_index(outbox, owner)
    return v, m is not None


def withdraw_version(outbox: Path, owner: str, schooljaar: str, product: str, version: str,
                     reason: str, register: Path | None = None) -> dict:
    """Mark a version `ingetrokken` with `reason` (manifest, register, index.html).

    A withdrawn actueel version leaves the product without an actueel version until a new one is
    published; earlier versions stay `vervangen`. Withdrawing again updates the reason.
    Raises FileNotFoundError when the version does not exist. Returns the new manifest.
    """
    def withdrawn(versions: list[Version], version: str, reason: str) -> tuple[Version, dict | None]:
        found = [v for v in versions if v.name == version and v.manifest]
        if not found:
            raise FileNotFoundError(f"{owner}/{schooljaar}/{product}/{version} is niet gepubliceerd")
        v = found[0]
        if v.manifest["status"] == INGETROKKEN and v.manifest.get("reason") == reason:
            return v, None
        return v, {**v.manifest, "status": INGETROKKEN, "reason": reason, "status_changed_at": timestamp_now()}

    v, _ = _change_status(outbox, owner, schooljaar, product, version, reason, register, "withdraw", withdrawn)
    return v.manifest


# ---------------------------------------------------------------------------------------
# restore
# ---------------------------------------------------------------------------------------
def restore_refusal(versions: list[Version], version: str) -> str | None:
    """Why `version` cannot become actueel again among `versions` (None: it can, or it already is).
    Only a `vervangen` version, and only while no version is actueel: a restore never replaces
    figures that are current, and a withdrawn version stays withdrawn."""
    found = next((v for v in versions if v.name == version and v.manifest), None)
    if found is None:
        return f"{version} is niet gepubliceerd"
    current = actueel_version(versions)
    if current is not None and current.name != version:
        return (f"{current.name} is actueel; trek die eerst in (kijkglas withdraw … --version {current.name}), "
                f"dan kan {version} terugkomen")
    if found.manifest["status"] == INGETROKKEN:
        return (f"{version} is ingetrokken en komt niet terug; herstel een vervangen versie "
                "of draai de productie opnieuw")
    return None


def restore_version(outbox: Path, owner: str, schooljaar: str, product: str, version: str,
                    reason: str, register: Path | None = None) -> dict | None:
    """Make the earlier `vervangen` version `version` actueel again (manifest, register,
    index.html), with `reason`. Raises StatusChangeRefused when `restore_refusal` says no.
    Returns the new manifest, or None when the version already was actueel (nothing written)."""
    def restored(versions: list[Version], version: str, reason: str) -> tuple[Version, dict | None]:
        refusal = restore_refusal(versions, version)
        if refusal is not None:
            raise StatusChangeRefused(f"{owner}: {product} {schooljaar} {refusal}")
        v = next(v for v in versions if v.name == version)
        if v.manifest["status"] == ACTUEEL:
            return v, None
        now = timestamp_now()
        withdrawn = [w.name for w in versions if w.number > v.number and w.manifest
                     and w.manifest["status"] == INGETROKKEN]
        return v, {**v.manifest, "status": ACTUEEL, "replaced_by": None, "reason": reason, "status_changed_at": now,
                   "herstellingen": [*v.manifest.get("herstellingen", []),
                                     {"op": now, "reden": reason, "na_intrekking_van": withdrawn}]}

    v, changed = _change_status(outbox, owner, schooljaar, product, version, reason, register, "restore", restored)
    return v.manifest if changed else None
