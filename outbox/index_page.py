"""The index page of each owner's folder (`<outbox>/<owner>/index.html`): what is current per
schooljaar and product, with links to its documents and the history of earlier versions."""
from __future__ import annotations

from pathlib import Path

from core.files import write_if_changed
from documents.templates import template_environment
from outbox.layout import CHANGES_XLSX, INDEX, OPENBAAR, Version, check_name, actueel_version, index_lock, scan_versions
from products import registry


def _title(product: str) -> str:
    """A product's short label; a folder of a product no longer made keeps its own name."""
    return registry.product(product).kort if product in registry.NAMES else product

def _version_view(owner_dir: Path, v: Version) -> dict:
    m = v.manifest
    rel = v.path.relative_to(owner_dir).as_posix()
    files = [e["path"] for e in m.get("files", [])]
    docs = [f for f in files if "/" not in f and f.endswith((".pdf", ".xlsx")) and f != CHANGES_XLSX]
    return {
        "version": v.name,
        "href": rel + "/",
        "documents": [{"name": f, "href": f"{rel}/{f}", "kind": f.rsplit(".", 1)[-1].upper()}
                      for f in sorted(docs, key=lambda f: (not f.endswith(".pdf"), f))],
        "wijzigingen": f"{rel}/{CHANGES_XLSX}" if CHANGES_XLSX in files else None,
        "data": f"{rel}/data/" if any(f.startswith("data/") for f in files) else None,
        "status": m.get("status"),
        "reason": m.get("reason"),
        "replaced_by": m.get("replaced_by"),
        "period": m.get("period"),
        "stand_per": m.get("stand_per"),
        "aanmaakdatum": m.get("aanmaakdatum"),
        "published_at": m.get("published_at"),
        "status_changed_at": m.get("status_changed_at"),
    }


def _index_context(outbox: Path, owner: str) -> dict:
    owner_dir = Path(outbox) / owner
    schooljaren = []
    naam = None
    for sdir in sorted((d for d in owner_dir.iterdir() if d.is_dir() and not d.name.startswith(".")),
                       key=lambda d: d.name, reverse=True):
        products = []
        for pdir in sorted(d for d in sdir.iterdir() if d.is_dir() and not d.name.startswith(".")):
            versions = [v for v in scan_versions(outbox, owner, sdir.name, pdir.name) if v.manifest]
            if not versions:
                continue
            naam = naam or next((v.manifest.get("swv_naam") for v in reversed(versions)
                                 if v.manifest.get("swv_naam")), None)
            cur = actueel_version(versions)
            products.append({
                "product": pdir.name,
                "title": _title(pdir.name),
                "current": _version_view(owner_dir, cur) if cur else None,
                "latest": _version_view(owner_dir, versions[-1]),
                "history": [_version_view(owner_dir, v) for v in reversed(versions) if v is not cur],
            })
        if products:
            schooljaren.append({"schooljaar": sdir.name, "products": products})
    return {"owner": owner, "naam": naam, "openbaar": owner == OPENBAAR, "schooljaren": schooljaren}


def render_index(outbox: Path, owner: str) -> str:
    return template_environment(keep_trailing_newline=True).get_template(INDEX).render(**_index_context(outbox, owner))


def write_index(outbox: Path, owner: str) -> bool:
    """(Re)write `<outbox>/<owner>/index.html` under the owner's lock; only when its bytes change.
    Returns True when written."""
    outbox = Path(outbox)
    check_name("owner", owner)
    owner_dir = outbox / owner
    if not owner_dir.is_dir():
        return False
    with index_lock(outbox, owner):
        for tmp in owner_dir.glob(f".{INDEX}.*.tmp"):
            tmp.unlink(missing_ok=True)
        return write_if_changed(owner_dir / INDEX, render_index(outbox, owner).encode("utf-8"))

