"""Privacy audit of the whole outbox: no SWV folder may hold a pupil row that the rules do not
give to that SWV. For every published version (any status) the audit finds the extract it was
made from (by the identity in manifest.json), derives from the rules which pupils belong to
each SWV, and checks every pupil-level CSV row against that."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

from core.settings import Settings
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


def audit_outbox(outbox: Path, extracts: Path, settings: Settings) -> list[str]:
    """Problems found (empty = every pupil row is where the rules put it)."""
    known = find_extracts(extracts)

    @lru_cache(maxsize=None)
    def expected(product: str, schooljaar: str, identity: str) -> dict[str, set[tuple]]:
        return pupils_per_swv(product, read_extract(known[identity]), schooljaar, settings)

    problems = []
    for manifest_path in sorted(Path(outbox).glob("*/*/*/*/manifest.json")):
        m = json.loads(manifest_path.read_text(encoding="utf-8"))
        owner, product, schooljaar = manifest_path.parts[-5], m["product"], m["schooljaar"]
        identity = m.get("extract")
        version_dir = manifest_path.parent
        for csv in sorted((version_dir / "data").glob("*.csv")):
            t = pd.read_csv(csv, dtype=str, keep_default_na=False)
            if set(PUPIL_KEY) <= set(t.columns):
                rows = set(map(tuple, t[PUPIL_KEY].values.tolist()))
            elif set(K5_KEY) <= set(t.columns):
                rows = set(map(tuple, t[K5_KEY].values.tolist()))
            else:
                continue
            if not rows:
                continue
            if owner == "openbaar":
                problems.append(f"{csv}: the public part holds {len(rows)} pupil rows")
                continue
            if identity not in known:
                problems.append(f"{csv}: made from an extract not found in {extracts} ({identity})")
                continue
            allowed = expected(product, schooljaar, identity).get(owner, set())
            leaked = rows - allowed
            if leaked:
                problems.append(f"{csv}: {len(leaked)} pupil row(s) the rules do not give to {owner}, "
                                f"e.g. {sorted(leaked)[:3]}")
    return problems
