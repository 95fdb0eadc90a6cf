"""The public pages (`<outbox>/openbaar/`): the index of the national Kijkglas 3 with every version,
and a page per (v)so school (`scholen/<brin>.html`, handleiding 4.4): its flows from every SWV in
3a and 3b and its absolute growth, from the current national Kijkglas 3 of the newest schooljaar."""
from __future__ import annotations

from pathlib import Path

from outbox.dashboard import figures
from outbox.dashboard.assets import ASSETS_DIR
from outbox.dashboard.views import owner_products, read_tables, title, version_view
from outbox.layout import INDEX, OPENBAAR

SCHOLEN = "scholen"
PARTS = [("k3a_po", "3a – in- en uitstroom (v)so, po (so)"), ("k3a_vo", "3a – in- en uitstroom (v)so, vo (vso)"),
         ("k3b_po", "3b – instroom van en uitstroom naar andere (v)so, po (so)"),
         ("k3b_vo", "3b – instroom van en uitstroom naar andere (v)so, vo (vso)")]
FLOW_COLUMNS = [f"{d} {c}" for d in ("Instroom", "Uitstroom") for c in (*figures.CATEGORIES, "Totaal")] + ["Saldo"]


def school_context(tables: dict, brin: str) -> dict:
    """One school's rows per part, with the totals over every SWV and the absolute growth."""
    parts = []
    for stem, caption in PARTS:
        if stem not in tables:
            continue
        rows = figures.k3_school_rows(tables[stem], brin)
        if rows:
            totals = {c: sum(r[c] for r in rows) for c in FLOW_COLUMNS}
            parts.append({"stem": stem, "caption": caption, "rows": rows, "totals": totals})
    return {"brin": brin, "parts": parts, "columns": FLOW_COLUMNS,
            "groei_3a": sum(p["totals"]["Saldo"] for p in parts if p["stem"].startswith("k3a")),
            "groei": sum(p["totals"]["Saldo"] for p in parts)}


def school_copies(outbox: Path, schooljaar: str, brins: list[str]) -> dict[str, dict]:
    """{brin: school.html context} from the current national Kijkglas 3 of `schooljaar`, for the
    schools an SWV has rows of: copied into the SWV's own folder, so that its dashboard stands alone
    (the version is named, its files are not linked: they lie outside the folder). Empty when there
    is no current national version."""
    current = owner_products(outbox, OPENBAAR).get(schooljaar, {}).get("kijkglas-3")
    if current is None or current.current is None:
        return {}
    tables = read_tables(current.current)
    version = {**version_view(Path(outbox) / OPENBAAR, current.current, ""),
               "href": None, "documents": [], "data": [], "wijzigingen": None}
    known = set(figures.brins([tables[s] for s, _ in PARTS if s in tables]))
    return {brin: {"schooljaar": schooljaar, "version": version, "landelijk": True, **school_context(tables, brin)}
            for brin in brins if brin in known}


def openbaar_pages(outbox: Path, render) -> dict[str, bytes]:
    """{path relative to openbaar/: bytes} — the index and every school page."""
    owner_dir = Path(outbox) / OPENBAAR
    site = owner_products(outbox, OPENBAAR)
    products = [{"schooljaar": sj, "title": title(pv.product),
                 "current": version_view(owner_dir, pv.current, "") if pv.current else None,
                 "versions": [version_view(owner_dir, v, "") for v in reversed(pv.versions)]}
                for sj, prods in site.items() for pv in prods.values()]
    current = next((pv for prods in site.values() for pv in prods.values() if pv.current), None)
    tables = read_tables(current.current) if current else {}
    schools = figures.brins([tables[s] for s, _ in PARTS if s in tables])
    nav = [{"key": "overzicht", "label": "Landelijk Kijkglas 3", "href": "", "current": False}]
    pages = {INDEX: render("openbaar.html", owner=OPENBAAR, naam=None, assets=f"{ASSETS_DIR}/",
                           nav=[{**nav[0], "href": INDEX, "current": True}], products=products,
                           schools=schools, schooljaar=current.schooljaar if current else None)}
    for brin in schools:
        pages[f"{SCHOLEN}/{brin}.html"] = render(
            "school.html", owner=OPENBAAR, naam=None, assets=f"../{ASSETS_DIR}/",
            nav=[{**nav[0], "href": f"../{INDEX}"}], schooljaar=current.schooljaar, landelijk=False,
            version=version_view(owner_dir, current.current, "../"), **school_context(tables, brin))
    return pages
