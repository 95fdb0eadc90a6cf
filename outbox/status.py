"""What the outbox holds and whether it is sound: the current version per owner and product (from
the register), and a read-only integrity check of every version, the register, the index pages
and the staging area."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from outbox.index_page import render_index
from core.files import TMP_NAME
from outbox.layout import (ACTUEEL, CONFIRMATIONS, INDEX, STAGING, Version, owner_names, product_dir, product_keys,
                           read_confirmations, scan_versions, verify_version_dir, version_number)
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
    """Problems found in the outbox (empty list = fine). Read-only.

    Every version folder has a valid manifest whose files (and only those) match by size and
    SHA-256; path and manifest agree; at most one actueel per product; the register agrees with
    the manifests; index.html is up to date; no staging leftovers of dead processes.
    """
    outbox = Path(outbox)
    problems: list[str] = []
    if not outbox.is_dir():
        return [f"{outbox}: outbox does not exist"]
    all_versions: dict[tuple, list[Version]] = {}
    for owner, sj, product in product_keys(outbox):
        pdir = product_dir(outbox, owner, sj, product)
        for d in sorted(pdir.iterdir()):
            if version_number(d.name) is None and not (d.name == CONFIRMATIONS and d.is_file()):
                problems.append(f"{d}: unexpected entry (not a version folder)"
                                + (" (leftover temp file)" if TMP_NAME.match(d.name) else ""))
        versions = scan_versions(outbox, owner, sj, product)
        all_versions[(owner, sj, product)] = versions
        problems += _confirmation_problems(pdir, versions)
        for v in versions:
            problems += verify_version_dir(v.path, v.manifest) if v.manifest else \
                [f"{v.path}: version folder without a valid manifest.json"]
            if v.manifest:
                m = v.manifest
                for fld, want in (("version", v.name), ("product", product), ("swv", owner), ("schooljaar", sj)):
                    if m.get(fld) != want:
                        problems.append(f"{v.path}: manifest {fld} = {m.get(fld)!r}, folder says {want!r}")
        act = [v.name for v in versions if v.manifest and v.manifest["status"] == ACTUEEL]
        if len(act) > 1:
            problems.append(f"{outbox / owner / sj / product}: more than one actueel version: {', '.join(act)}")
    reg_path = register_path_for(outbox, register)
    if all_versions and not reg_path.exists():
        problems.append(f"{reg_path}: register missing")
    elif reg_path.exists():
        with open_register(outbox, register) as reg:
            rows = reg.rows(outbox_id(outbox))
            confirmations = reg.confirmation_rows(outbox_id(outbox))
        by_key = _by_key(rows)
        for key in sorted(set(by_key) | set(all_versions)):
            upserts, deletes = register_diff(outbox, all_versions.get(key, []), by_key.get(key, []))
            for r in upserts:
                problems.append(f"register: {'/'.join(key)}/{r['version']} disagrees with its manifest")
            for n in deletes:
                problems.append(f"register: {'/'.join(key)}/{n} has no version folder")
        confirmed_keys = _by_key(confirmations)
        for key in sorted(set(confirmed_keys) | set(all_versions)):
            adds, removes = confirmations_diff(outbox, *key, confirmed_keys.get(key, []))
            problems += [f"register: {'/'.join(key)}: confirmation {r['stand_per']} of {r['version']} missing"
                         for r in adds]
            problems += [f"register: {'/'.join(key)}: confirmation {r['stand_per']} of {r['version']} "
                         f"not in {CONFIRMATIONS}" for r in removes]
    for owner in owner_names(outbox):
        idx = outbox / owner / INDEX
        if any(all_versions.get(k) for k in all_versions if k[0] == owner):
            if not idx.exists():
                problems.append(f"{idx}: missing")
            elif idx.read_text(encoding="utf-8") != render_index(outbox, owner):
                problems.append(f"{idx}: out of date")
    staging = outbox / STAGING
    if staging.is_dir():
        for entry in sorted(staging.iterdir()):
            if entry.is_dir() and stage_state(entry) == "stale":
                problems.append(f"{entry}: staging leftover")
    return problems


def _by_key(rows: list[dict]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = {}
    for r in rows:
        out.setdefault((r["owner"], r["schooljaar"], r["product"]), []).append(r)
    return out


def _confirmation_problems(pdir: Path, versions: list[Version]) -> list[str]:
    entries = read_confirmations(pdir)
    if entries is None:
        return [f"{pdir / CONFIRMATIONS}: not a valid confirmations file"]
    names = {v.name for v in versions if v.manifest}
    return [f"{pdir / CONFIRMATIONS}: confirmation {e['stand_per']} names {e['version']}, which is not published"
            for e in entries if e["version"] not in names]
