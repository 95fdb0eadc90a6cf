"""Whether an owner's pages show what its folder holds. `<owner>/.paginas.json` names, per schooljaar
and product, the versions (with their status) and the confirmations the pages were last made from.
Pages whose stamp lags behind the folder — a production killed or failed after its version landed and
before its pages were made — are made again by the next production that meets the owner, also when
it publishes nothing itself (`index_page.write_index` extends what it makes by what lags behind)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Collection

from core.files import write_if_changed
from outbox.layout import SCHOOLJAAR_RE, dump_json, read_confirmations, scan_versions

STAMP = ".paginas.json"


@dataclass
class Freshness:
    state: dict          # what the folder holds now: {"schooljaar/product": {"versies": …, "bevestigingen": …}}
    stamp: dict | None   # what the pages were made from (None: no stamp, or not a valid one)
    # the (schooljaar, product)s whose pages lag behind; None: every page (no stamp, or a product is gone)
    behind: list[tuple[str, str]] | None

    @property
    def fresh(self) -> bool:
        return self.stamp == self.state


def folder_state(outbox: Path, owner: str) -> dict[str, dict]:
    """Per schooljaar and product of the owner's folder: its versions with their status, and the
    confirmations (what the pages show of it)."""
    owner_dir = Path(outbox) / owner
    state: dict[str, dict] = {}
    if not owner_dir.is_dir():
        return state
    for sdir in sorted(d for d in owner_dir.iterdir() if SCHOOLJAAR_RE.match(d.name) and d.is_dir()):
        for pdir in sorted(d for d in sdir.iterdir() if not d.name.startswith(".") and d.is_dir()):
            versions = [[v.name, v.manifest["status"]] for v in scan_versions(outbox, owner, sdir.name, pdir.name)
                        if v.manifest]
            if versions:
                state[f"{sdir.name}/{pdir.name}"] = {
                    "versies": versions,
                    "bevestigingen": [[c["version"], c["stand_per"]] for c in read_confirmations(pdir) or []]}
    return state


def read_stamp(outbox: Path, owner: str) -> dict | None:
    try:
        data = json.loads((Path(outbox) / owner / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("producten") if isinstance(data, dict) and isinstance(data.get("producten"), dict) else None


def freshness(outbox: Path, owner: str) -> Freshness:
    state, stamp = folder_state(outbox, owner), read_stamp(outbox, owner)
    if stamp == state:
        return Freshness(state, stamp, [])
    if stamp is None or set(stamp) - set(state):  # a page no longer made is removed only when every page is made
        return Freshness(state, stamp, None)
    behind = [tuple(k.split("/", 1)) for k in state if (stamp.get(k) or {}).get("versies") != state[k]["versies"]]
    return Freshness(state, stamp, behind)


def write_stamp(outbox: Path, owner: str, was: Freshness, made: Collection[tuple[str, str]] | None) -> None:
    """After the pages were made from `was.state`: every page (`made` None), or the overview, the
    history and the pages of `made`. A product whose pages were not made keeps what its stamp said,
    unless only its confirmations differ (the overview and history, made each time, show those)."""
    old = was.stamp or {}
    new = {}
    for key, now in was.state.items():
        if made is None or tuple(key.split("/", 1)) in set(made) or (old.get(key) or {}).get("versies") == now["versies"]:
            new[key] = now
        elif key in old:
            new[key] = old[key]
    write_if_changed(Path(outbox) / owner / STAMP, dump_json({"format": 1, "producten": new}))
