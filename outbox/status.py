"""What the outbox holds and whether it is sound: the current version per owner and product (from
the register), and a read-only integrity check of every version, the register, the index pages
and the staging area."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from outbox.index_page import render_index
from core.files import TMP_NAME, linked_part
from outbox.layout import (ACTUEEL, CONFIRMATIONS, DASHBOARD_DIR, INDEX, STAGING, Version, comparison_basis, owner_names, product_dir,
                           product_keys, read_confirmations, scan_versions, version_damage, version_number)
from outbox.reconcile import confirmations_diff, open_register, outbox_id, reconcile_register, register_diff
from outbox.register import register_path_for
from outbox.staging import stage_state

STATUS_COLUMNS = ["swv", "product", "schooljaar", "version", "stand_per", "bevestigd_tot", "status", "published_at",
                  "period", "reason", "path"]


def current_versions(outbox: Path, owners: list[str] | None = None, reconcile: bool = True,
                     register: Path | None = None) -> pd.DataFrame:
    """Per (swv, schooljaar, product): the actueel version, or when there is none the newest
    version (then with status ingetrokken/vervangen). From the register, after reconciling it
    with the manifests (reconcile=False: the register as it is). `bevestigd_tot`: the newest stand
    per of a later extract that found the version unchanged (None when none did)."""
    outbox = Path(outbox)
    if reconcile and outbox.is_dir():
        reconcile_register(outbox, register)
    with open_register(outbox, register) as reg:
        rows = reg.rows(outbox_id(outbox))
        confirmed: dict[tuple, str] = {}
        for c in reg.confirmation_rows(outbox_id(outbox)):
            k = (c["owner"], c["schooljaar"], c["product"], c["version"])
            confirmed[k] = max(confirmed.get(k, ""), c["stand_per"])
    if owners:
        rows = [r for r in rows if r["owner"] in set(owners)]
    chosen: dict[tuple, dict] = {}
    for r in rows:  # ordered by version_no
        k = (r["owner"], r["schooljaar"], r["product"])
        prev = chosen.get(k)
        if prev is None or prev["status"] != ACTUEEL or r["status"] == ACTUEEL:
            chosen[k] = r
    out = [{**{c: r.get(c) for c in STATUS_COLUMNS if c != "swv"}, "swv": r["owner"],
            "bevestigd_tot": _newer(confirmed.get((r["owner"], r["schooljaar"], r["product"], r["version"])),
                                    r["stand_per"])} for r in chosen.values()]
    df = pd.DataFrame(out, columns=STATUS_COLUMNS)
    if not df.empty:
        df = df.sort_values(["swv", "schooljaar", "product"], kind="stable").reset_index(drop=True)
    return df


def _newer(confirmed: str | None, stand_per: str | None) -> str | None:
    return confirmed if confirmed and confirmed > str(stand_per or "") else None


def check_outbox_integrity(outbox: Path, register: Path | None = None) -> list[str]:
    """Problems found in the outbox (empty list = fine), in Dutch, each naming its path. Read-only.

    The damage of `damaged_versions`; and the register agrees with the manifests; index.html is up
    to date; no staging leftovers of dead processes.
    """
    outbox = Path(outbox)
    if not outbox.is_dir():
        return [f"{outbox}: de outbox bestaat niet"]
    return damaged_versions(outbox) + housekeeping_problems(outbox, register)


def damaged_versions(outbox: Path) -> list[str]:
    """What is damaged in what the outbox publishes (empty: nothing), in Dutch, by path. Read-only.

    Every version folder has a valid manifest whose files (and only those) match by size and
    SHA-256; path and manifest agree; at most one actueel per product; a product folder holds
    version folders and its bevestigingen.json only, and that file is valid; no SWV, schooljaar or
    product folder, nor an SWV's dashboard folder, is a symbolic link."""
    outbox = Path(outbox)
    problems = [f"{link}: is een symbolische link; een SWV-, schooljaar- of productmap moet een gewone map zijn"
                for link in sorted({linked_part(outbox, *key) for key in product_keys(outbox)} - {None})]
    problems += [f"{link}: is een symbolische link; de map met de pagina's van een SWV moet een gewone map zijn"
                 for link in sorted({linked_part(outbox, owner, DASHBOARD_DIR) for owner in owner_names(outbox)} - {None})]
    for owner, sj, product in product_keys(outbox):
        pdir = product_dir(outbox, owner, sj, product)
        for d in sorted(pdir.iterdir()):
            if version_number(d.name) is None and not (d.name == CONFIRMATIONS and d.is_file()):
                problems.append(f"{d}: hoort niet in een productmap (geen versiemap)"
                                + (" (tijdelijk bestand van een onderbroken schrijfactie)" if TMP_NAME.match(d.name)
                                   else ""))
        versions = scan_versions(outbox, owner, sj, product)
        problems += _confirmation_problems(pdir, versions)
        for v in versions:
            problems += version_damage(v, owner, sj, product)
        act = [v.name for v in versions if v.manifest and v.manifest["status"] == ACTUEEL]
        if len(act) > 1:
            problems.append(f"{pdir}: meer dan één actuele versie: {', '.join(act)}")
    return problems


def basis_damage(outbox: Path, owner: str, schooljaar: str, product: str) -> list[str]:
    """What is damaged in the versions a production of this key relies on (empty: nothing): a version
    folder without a valid manifest (its status is unknown), and the version the next one is compared
    with and replaces (the actueel one, else the newest not withdrawn) — its manifest, files and key.
    One key's versions only, so that a national production stays cheap."""
    versions = scan_versions(Path(outbox), owner, schooljaar, product)
    problems = [f"{v.path}: manifest.json ontbreekt of is geen geldig manifest" for v in versions if v.manifest is None]
    basis = comparison_basis(versions)
    if basis is not None:
        problems += version_damage(basis, owner, schooljaar, product)
    return problems


def housekeeping_problems(outbox: Path, register: Path | None = None) -> list[str]:
    """What a reconciliation or the next production repairs (nothing published is damaged): the
    register against the manifests and bevestigingen.json, the owners' index pages, staging leftovers."""
    outbox = Path(outbox)
    problems: list[str] = []
    all_versions = {key: scan_versions(outbox, *key) for key in product_keys(outbox)}
    reg_path = register_path_for(outbox, register)
    if any(all_versions.values()) and not reg_path.exists():
        problems.append(f"{reg_path}: het register ontbreekt")
    elif reg_path.exists():
        with open_register(outbox, register) as reg:
            rows = reg.rows(outbox_id(outbox))
            confirmations = reg.confirmation_rows(outbox_id(outbox))
        by_key = _by_key(rows)
        for key in sorted(set(by_key) | set(all_versions)):
            upserts, deletes = register_diff(outbox, all_versions.get(key, []), by_key.get(key, []))
            for r in upserts:
                problems.append(f"register: {'/'.join(key)}/{r['version']} wijkt af van zijn manifest")
            for n in deletes:
                problems.append(f"register: {'/'.join(key)}/{n} heeft geen versiemap")
        confirmed_keys = _by_key(confirmations)
        for key in sorted(set(confirmed_keys) | set(all_versions)):
            adds, removes = confirmations_diff(outbox, *key, confirmed_keys.get(key, []))
            problems += [f"register: {'/'.join(key)}: bevestiging {r['stand_per']} van {r['version']} ontbreekt"
                         for r in adds]
            problems += [f"register: {'/'.join(key)}: bevestiging {r['stand_per']} van {r['version']} "
                         f"staat niet in {CONFIRMATIONS}" for r in removes]
    for owner in owner_names(outbox):
        idx = outbox / owner / INDEX
        if any(all_versions.get(k) for k in all_versions if k[0] == owner):
            if not idx.exists():
                problems.append(f"{idx}: ontbreekt")
            elif idx.read_text(encoding="utf-8") != render_index(outbox, owner):
                problems.append(f"{idx}: verouderd")
    staging = outbox / STAGING
    if staging.is_dir():
        for entry in sorted(staging.iterdir()):
            if entry.is_dir() and stage_state(entry) == "stale":
                problems.append(f"{entry}: restant in de staging van een afgebroken productie")
    return problems


def _by_key(rows: list[dict]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = {}
    for r in rows:
        out.setdefault((r["owner"], r["schooljaar"], r["product"]), []).append(r)
    return out


def _confirmation_problems(pdir: Path, versions: list[Version]) -> list[str]:
    entries = read_confirmations(pdir)
    if entries is None:
        return [f"{pdir / CONFIRMATIONS}: geen geldig bevestigingenbestand"]
    names = {v.name for v in versions if v.manifest}
    return [f"{pdir / CONFIRMATIONS}: bevestiging {e['stand_per']} noemt {e['version']}, die niet gepubliceerd is"
            for e in entries if e["version"] not in names]
