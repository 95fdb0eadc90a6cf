"""What the dashboard pages read from an owner's folder: its schooljaren and products with their
versions, a version's CSV tables (through outbox/tables.py, the one reader), and a version as the
pages show it (links relative to the page)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from outbox.layout import (CHANGES_XLSX, INGETROKKEN, SCHOOLJAAR_RE, Version, actueel_version, product_dir,
                           read_confirmations, scan_versions)
from outbox.tables import DATA, read_typed_tables
from products import registry


@dataclass
class ProductVersions:
    """One product of one schooljaar in an owner's folder."""
    product: str
    schooljaar: str
    versions: list[Version]  # with a manifest, in version order
    confirmations: list[dict] = field(default_factory=list)  # bevestigingen.json, oldest stand per first

    @property
    def current(self) -> Version | None:
        return actueel_version(self.versions)

    def confirmations_of(self, version: Version) -> list[dict]:
        """The later extracts that found `version` unchanged, oldest first."""
        return [c for c in self.confirmations
                if c["version"] == version.name and c["stand_per"] > str(version.manifest.get("stand_per"))]

    @property
    def shown(self) -> list[Version]:
        """The versions a chart over the year shows: every one not withdrawn."""
        return [v for v in self.versions if v.manifest["status"] != INGETROKKEN]


def title(product: str) -> str:
    """A product's short label; a folder of a product no longer made keeps its own name."""
    return registry.product(product).kort if product in registry.NAMES else product


def owner_products(outbox: Path, owner: str) -> dict[str, dict[str, ProductVersions]]:
    """{schooljaar: {product: ProductVersions}}, newest schooljaar first, products in order."""
    owner_dir = Path(outbox) / owner
    out: dict[str, dict[str, ProductVersions]] = {}
    schooljaren = sorted((d.name for d in owner_dir.iterdir() if d.is_dir() and SCHOOLJAAR_RE.match(d.name)),
                         reverse=True)
    for sj in schooljaren:
        products = {}
        for pdir in sorted(d for d in (owner_dir / sj).iterdir() if d.is_dir() and not d.name.startswith(".")):
            versions = [v for v in scan_versions(outbox, owner, sj, pdir.name) if v.manifest]
            if versions:
                confirmations = read_confirmations(product_dir(outbox, owner, sj, pdir.name)) or []
                products[pdir.name] = ProductVersions(pdir.name, sj, versions, confirmations)
        if products:
            out[sj] = products
    return out


def read_tables(version: Version) -> dict[str, pd.DataFrame]:
    """A version's data/*.csv as the pages read them (outbox/tables.py): text exactly as published
    ('' for empty), counts as ints."""
    return read_tables_at(version.path)


def read_tables_at(version_dir: Path) -> dict[str, pd.DataFrame]:
    return read_typed_tables(Path(version_dir) / DATA)


def stand_per(version: Version) -> date:
    return date.fromisoformat(version.manifest["stand_per"])


def change_words(manifest: dict) -> list[str]:
    """The change report in words: the sentences the change report wrote, else a line per table."""
    changes = manifest.get("wijzigingen") or {}
    if manifest.get("wijzigingen_samenvatting"):
        return list(manifest["wijzigingen_samenvatting"])
    out = []
    for t in changes.get("tabellen", []):
        if t.get("added") or t.get("removed") or t.get("changed"):
            out.append(f"{t['table']}: {t.get('added', 0)} nieuw, {t.get('removed', 0)} vervallen, "
                       f"{t.get('changed', 0)} gewijzigd")
    return out


def version_view(owner_dir: Path, v: Version, prefix: str) -> dict:
    """A version for a page `prefix` ('', '../', '../../') below the owner's folder."""
    m = v.manifest
    rel = prefix + v.path.relative_to(owner_dir).as_posix()
    files = [e["path"] for e in m.get("files", [])]
    docs = [f for f in files if "/" not in f and f.endswith((".pdf", ".xlsx")) and f != CHANGES_XLSX]
    return {
        "version": v.name,
        "href": f"{rel}/manifest.json",
        "documents": [{"name": f, "href": f"{rel}/{f}", "kind": f.rsplit(".", 1)[-1].upper()}
                      for f in sorted(docs, key=lambda f: (not f.endswith(".pdf"), f))],
        "data": [{"name": f.split("/", 1)[1], "href": f"{rel}/{f}"} for f in sorted(files)
                 if f.startswith("data/") and f.endswith(".csv")],
        "wijzigingen": f"{rel}/{CHANGES_XLSX}" if CHANGES_XLSX in files else None,
        "change_words": change_words(m),
        "replaces": m.get("replaces"),
        "status": m.get("status"),
        "reason": m.get("reason"),
        "replaced_by": m.get("replaced_by"),
        "period": m.get("period"),
        "stand_per": m.get("stand_per"),
        "aanmaakdatum": m.get("aanmaakdatum"),
        "published_at": m.get("published_at"),
        "status_changed_at": m.get("status_changed_at"),
    }
