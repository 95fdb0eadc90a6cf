"""Privacy audit of the whole outbox: no SWV folder may hold a pupil row that the rules do not
give to that SWV. For every published version (any status) the audit finds the extract it was
made from (by the identity in manifest.json), derives from the rules which pupils belong to
each SWV, and checks every pupil-level CSV row, every pupil number in a workbook and on the
owner's pages against that."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import openpyxl

from core.settings import Settings
from outbox.layout import OPENBAAR, read_manifest
from outbox.tables import DATA, read_table
from schemas.extract import extract_identity, read_extract
from tasks import kijkglas_5, rules

PUPIL_KEY = ["DUO-nummer leerling", "Vestiging"]
K5_KEY = ["Laatste 4 cijfers bsn", "Sbao-vestiging", "Begindatum inschrijving"]


def find_extracts(folder: Path) -> dict[str, Path]:
    """identity → extract folder, for the folder itself and every sub-folder holding extract.json."""
    folder = Path(folder)
    candidates = [folder] if (folder / "extract.json").exists() else []
    candidates += sorted(p.parent for p in folder.glob("*/extract.json"))
    return {extract_identity(p): p for p in candidates}


def pupils_per_swv(product: str, extract, schooljaar: str, settings: Settings) -> dict[str, set[tuple]]:
    """Which pupil rows each SWV may receive, straight from the rules."""
    if product == "kijkglas-1":
        c = rules.counted_vso_on(extract, rules.teldatum(schooljaar), settings)
        return {k: set(zip(g["leerling_id"], g["vestiging_code"])) for k, g in c.groupby("verantwoordelijk_swv")}
    if product == "kijkglas-2":
        p = rules.geldigheidsperioden(extract, schooljaar, settings)
        return {k: set(zip(g["leerling_id"], g["vestiging_code"])) for k, g in p.groupby("verantwoordelijk_swv")}
    if product == "kijkglas-5":
        cases = kijkglas_5.grensverkeer(extract, schooljaar)
        keys = list(zip(cases["bsn_laatste4"], cases["vestiging_code"], cases["begindatum"].dt.strftime("%Y-%m-%d")))
        out: dict[str, set[tuple]] = {}
        for key, a, b in zip(keys, cases["vestiging_swv"], cases["bao_swv"]):
            out.setdefault(a, set()).add(key)
            out.setdefault(b, set()).add(key)
        return out
    return {}  # Kijkglas 3 and 4 hold counts only


def count_versions(outbox: Path) -> int:
    """How many version folders (any status) the audit reads."""
    return len(list(Path(outbox).glob("*/*/*/*/manifest.json")))


# a DUO-nummer leerling (schemas/models.py LEERLING_ID) standing on its own in a cell or a page's text
PUPIL_ID = re.compile(r"(?<!\d)\d{9}(?!\d)")


def workbook_pupil_ids(path: Path) -> set[str]:
    """Every pupil number in a workbook: in any text cell, or a whole-number cell of nine digits."""
    ids: set[str] = set()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for value in row:
                    if isinstance(value, str):
                        ids.update(PUPIL_ID.findall(value))
                    elif isinstance(value, int) and 100_000_000 <= value <= 999_999_999:
                        ids.add(str(value))
    finally:
        wb.close()
    return ids


def page_pupil_ids(path: Path) -> set[str]:
    """Every pupil number on a page (its text and its attributes alike)."""
    return set(PUPIL_ID.findall(path.read_text(encoding="utf-8", errors="replace")))


def csv_pupil_rows(csv: Path) -> set[tuple]:
    """The pupil rows of a published table, by their key as the CSV writes it (text)."""
    t = read_table(csv)
    if set(PUPIL_KEY) <= set(t.columns):
        return set(map(tuple, t[PUPIL_KEY].values.tolist()))
    if set(K5_KEY) <= set(t.columns):
        return set(map(tuple, t[K5_KEY].values.tolist()))
    return set()


def audit_outbox(outbox: Path, extracts: Path, settings: Settings) -> list[str]:
    """Problems found, in Dutch (empty = every pupil is where the rules put it): pupil rows in the
    CSVs, pupil numbers in the workbooks (a version's wijzigingen.xlsx may name the pupils of the
    versions it replaced: those of its product folder) and on the owner's pages (those of all its
    versions); a version whose manifest cannot be read is named, not skipped silently."""
    known = find_extracts(extracts)

    @lru_cache(maxsize=None)
    def expected(product: str, schooljaar: str, identity: str) -> dict[str, set[tuple]]:
        return pupils_per_swv(product, read_extract(known[identity]), schooljaar, settings)

    problems: list[str] = []
    # per owner: {(schooljaar, product): [(version dir, extract identity)]}
    versions: dict[str, dict[tuple[str, str], list[tuple[Path, str | None]]]] = {}
    for manifest_path in sorted(Path(outbox).glob("*/*/*/*/manifest.json")):
        version_dir = manifest_path.parent
        owner, schooljaar, product = manifest_path.parts[-5], manifest_path.parts[-4], manifest_path.parts[-3]
        m = read_manifest(version_dir)
        if m is None:
            problems.append(f"{manifest_path}: onleesbaar of geen geldig manifest; deze versie is niet gecontroleerd")
            continue
        versions.setdefault(owner, {}).setdefault((schooljaar, product), []).append((version_dir, m.get("extract")))
        for csv in sorted((version_dir / DATA).glob("*.csv")):
            rows = csv_pupil_rows(csv)
            if not rows:
                continue
            if owner == OPENBAAR:
                problems.append(f"{csv}: het openbare deel bevat {len(rows)} leerlingregel(s)")
                continue
            if m.get("extract") not in known:
                problems.append(f"{csv}: gemaakt op een extract dat niet in {extracts} staat ({m.get('extract')})")
                continue
            leaked = rows - expected(product, schooljaar, m["extract"]).get(owner, set())
            if leaked:
                problems.append(f"{csv}: {len(leaked)} leerlingregel(s) die de regels niet aan {owner} geven, "
                                f"bv. {sorted(leaked)[:3]}")

    def allowed_ids(owner: str, keys) -> set[str] | None:
        """The pupil numbers the rules give `owner` in the versions of `keys`; None when an extract is missing."""
        ids: set[str] = set()
        for key in keys:
            sj, product = key
            for _version_dir, identity in versions[owner][key]:
                if owner == OPENBAAR or product not in PUPIL_ID_PRODUCTS:
                    continue
                if identity not in known:
                    return None
                ids |= {row[0] for row in expected(product, sj, identity).get(owner, set())}
        return ids

    for owner, keys in versions.items():
        for key, found in keys.items():
            allowed = allowed_ids(owner, [key])
            for version_dir, _identity in found:
                for workbook in sorted(version_dir.glob("*.xlsx")):
                    problems += _leaks(workbook, workbook_pupil_ids(workbook), allowed, owner, extracts)
        allowed = allowed_ids(owner, list(keys))
        for page in sorted((Path(outbox) / owner).rglob("*.html")):
            problems += _leaks(page, page_pupil_ids(page), allowed, owner, extracts)
    return problems


# the products whose documents name pupils by their DUO-nummer (Kijkglas 5 by the last digits of the BSN)
PUPIL_ID_PRODUCTS = ("kijkglas-1", "kijkglas-2")


def _leaks(path: Path, found: set[str], allowed: set[str] | None, owner: str, extracts: Path) -> list[str]:
    if not found:
        return []
    if allowed is None:
        return [f"{path}: niet gecontroleerd, een extract van deze versies staat niet in {extracts}"]
    leaked = sorted(found - allowed)
    return [f"{path}: {len(leaked)} leerlingnummer(s) die de regels niet aan {owner} geven, bv. {leaked[:3]}"] \
        if leaked else []
