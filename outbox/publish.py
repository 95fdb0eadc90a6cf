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

    stage = start_version(outbox, owner, sj, product)                  # in the production's own process
    report = change_report_for(outbox, owner, sj, product, tables)     # None: first version
    plan = next_version(outbox, owner, sj, product, stand_per)         # the version the documents name
    ...render xlsx + pdf (with `report`) + data/<stem>.csv into `stage` (any process)...
    changes = stage_changes(stage, report, plan["versie"], owner, product, meta)   # wijzigingen.xlsx
    outcome = publish_version(outbox, owner, sj, product, stage, meta, planned=plan, changes=changes)
    discard_version(stage)   # by the starting process: removes it unless published, lets go of its lock

A production makes every owner's stage first and publishes none until all are made
(production/steps.py). The starting process keeps a stage alive (its lock) until it discards it.

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
from outbox.change_report import ChangeReport, compare_tables, content_key
from outbox.changes_workbook import general_rows, words_of, write_changes_workbook
from outbox.index_page import write_index
from outbox.layout import (ACTUEEL, CHANGES_XLSX, GEPUBLICEERD, INGETROKKEN, MANIFEST, MANIFEST_FORMAT, ONGEWIJZIGD,
                           STAGING, VERVANGEN, PublishError, Version, check_key, comparison_basis, actueel_version, dump_json,
                           file_entries, iso, jsonable, key_lock, normalize_version, timestamp_now, product_dir, scan_versions,
                           verify_version_dir, version_number, version_plan, write_manifest)
from outbox.reconcile import open_register, reconcile_key, row_from_manifest
from outbox.staging import clean_staging, discard_version, release_stage
from outbox.tables import DATA, read_tables

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


class StaleStage(PublishError):
    """A stage whose documents were made for another state of the outbox (a version published,
    withdrawn or restored since): they would name the wrong version or compare with the wrong one.
    Make them again."""


@dataclass(frozen=True)
class StagedChanges:
    """The change report a stage carries, written with its documents: the version it was worked out
    against (None: a first version, nothing to compare with), the manifest's `wijzigingen` and the
    report in words (`wijzigingen_samenvatting`)."""
    basis: str | None
    wijzigingen: dict | None = None
    summary: list[str] | None = None

    @property
    def report(self) -> list[dict] | None:
        return self.wijzigingen["tabellen"] if self.wijzigingen else None


def stage_changes(stage: Path, report: ChangeReport | None, name: str, owner: str, product: str,
                  meta: dict) -> StagedChanges:
    """wijzigingen.xlsx written into the stage of version `name` from `report` (None: a first version,
    nothing written), and what its manifest will say about the changes."""
    if report is None:
        return StagedChanges(None)
    meta = meta or {}
    changes = {"vergeleken_met": report.basis, "bestand": CHANGES_XLSX, "tabellen": report.tables,
               "vorige_versie": report.basis, "vorige_stand_per": report.basis_stand_per,
               "nieuwe_versie": name, "nieuwe_stand_per": iso(meta.get("stand_per"))}
    summary = change_summary(report.tables, words_of(product))
    general = general_rows(product, owner, meta.get("swv_naam"), (report.basis, report.basis_stand_per),
                           (name, changes["nieuwe_stand_per"]))
    write_changes_workbook(stage / CHANGES_XLSX, report.tables, report.details, product=product, general=general,
                           summary=summary, timestamp=as_date(meta.get("aanmaakdatum")))
    return StagedChanges(report.basis, changes, summary)


def changes_of_stage(stage: Path, basis: Version | None, name: str, owner: str, product: str,
                     meta: dict) -> StagedChanges:
    """For a stage whose maker left the change report to publishing: worked out from its CSVs."""
    if basis is None:
        return StagedChanges(None)
    report = ChangeReport(basis.name, (basis.manifest or {}).get("stand_per"),
                          *compare_tables(read_tables(basis.path / DATA), read_tables(stage / DATA), basis.name))
    return stage_changes(stage, report, name, owner, product, meta)


# ---------------------------------------------------------------------------------------
# publish
# ---------------------------------------------------------------------------------------
def is_staging_folder(outbox: Path, stage: Path) -> bool:
    return stage.resolve().parent == (Path(outbox) / STAGING).resolve()


def check_stage(outbox: Path, stage: Path, changes_staged: bool = False) -> None:
    """A stage ready to publish: a staging folder of this outbox, with its CSV tables in UTF-8, and
    no manifest (publishing writes it)."""
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
    if (stage / MANIFEST).exists():
        raise PublishError(f"{MANIFEST} is written by publish_version; the renderer must not write it")
    if (stage / CHANGES_XLSX).exists() and not changes_staged:
        raise PublishError(f"{CHANGES_XLSX} is written with the change report (stage_changes), not by the renderer")


def publish_version(outbox: Path, owner: str, schooljaar: str, product: str, stage_dir: Path,
                    meta: dict, register: Path | None = None, planned: dict | None = None,
                    changes: StagedChanges | None = None, pages: bool = True) -> PublishOutcome:
    """Publish the files in `stage_dir` (from `start_version`) as the next version, or do nothing
    when its CSV content equals the actueel version.

    meta: period (teldatum or schooljaar), stand_per, aanmaakdatum (dates or ISO strings),
    extract (the extract's sha256 identity), counts (dict summary); optional swv_naam; any other
    keys go to manifest["extra"]. `planned`: the version the documents name (`next_version` when
    they were made) and `changes`: the change report staged with them (`stage_changes`); both are
    checked under the lock against the outbox as it is now (StaleStage when it moved on). Without
    `changes` the change report is worked out here from the staged CSVs. `pages=False`: the owner's
    pages are left to the caller, who makes them once after several publications (index_page.write_index).
    """
    outbox = Path(outbox)
    stage = Path(stage_dir)
    check_key(owner, schooljaar, product)
    renamed = False
    try:
        check_stage(outbox, stage, changes_staged=changes is not None)
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

                plan = version_plan(versions, meta.get("stand_per"))
                name = plan["versie"]
                basis = comparison_basis(versions)
                if planned is not None and planned != plan:
                    raise StaleStage(f"{owner}/{schooljaar}/{product}: the documents name {planned['versie']} "
                                     f"(vervangt {planned['vervangt']}), the outbox now gives {name} "
                                     f"(vervangt {plan['vervangt']})")
                if changes is None:
                    changes = changes_of_stage(stage, basis, name, owner, product, meta)
                elif changes.basis != (basis.name if basis else None):
                    raise StaleStage(f"{owner}/{schooljaar}/{product}: the change report compares with "
                                     f"{changes.basis}, the outbox now with {basis.name if basis else 'nothing'}")
                report, summary = changes.report, changes.summary
                now = timestamp_now()
                manifest = manifest_for(owner, schooljaar, product, name, meta, ckey, now,
                                         current.name if current else None, changes.wijzigingen, summary)
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
