"""The operator's overview `<outbox>/index.html`: every owner's current version per schooljaar and
product, and the outcome of the last production of each product. Read from the manifests only, so
it holds no pupil data."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from core.files import atomic_write, flock, real_folder, write_if_changed
from outbox.dashboard.assets import OWN
from outbox.dashboard.views import owner_products, title
from outbox.layout import INDEX, LOCKS, OPERATOR_DIR, OPENBAAR, owner_names
from products import registry

LAST_PRODUCTIONS = "laatste-producties.json"


def overview_context(outbox: Path, last: dict) -> dict:
    outbox = Path(outbox)
    rows = []
    for owner in owner_names(outbox):
        site = owner_products(outbox, owner)
        cells = {}
        for sj, products in site.items():  # newest schooljaar first: the first one seen is shown
            for product, pv in products.items():
                if product not in cells:
                    v = pv.current or pv.versions[-1]
                    cells[product] = {"schooljaar": sj, "version": v.name, "status": v.manifest["status"],
                                      "stand_per": v.manifest["stand_per"],
                                      "href": f"{owner}/{v.path.relative_to(outbox / owner).as_posix()}/manifest.json"}
        naam = next((pv.versions[-1].manifest.get("swv_naam") for products in site.values()
                     for pv in products.values() if pv.versions[-1].manifest.get("swv_naam")), None)
        rows.append({"owner": owner, "naam": naam, "openbaar": owner == OPENBAAR, "cells": cells,
                     "href": f"{owner}/{INDEX}"})
    productions = [{"product": p, "title": title(p), **last[p]} for p in registry.NAMES if p in last]
    return {"rows": rows, "products": [(p, title(p)) for p in registry.NAMES], "productions": productions}


def write_operator_overview(outbox: Path, render) -> bool:
    """(Re)write `<outbox>/index.html` (only when its bytes change)."""
    outbox = Path(outbox)
    last_path = outbox / OPERATOR_DIR / LAST_PRODUCTIONS
    last = json.loads(last_path.read_text(encoding="utf-8")) if last_path.exists() else {}
    # no asset folder beside the owners' folders: the page carries its stylesheet and needs no script
    page = render("operator.html", owner="operator", naam=None, assets=None,
                  inline_css=(OWN / "dashboard.css").read_text(encoding="utf-8"),
                  nav=[{"key": "overzicht", "label": "Outbox", "href": INDEX, "current": True}],
                  **overview_context(outbox, last))
    return write_if_changed(outbox / INDEX, page)


def record_production(outbox: Path, product: str, schooljaar: str, stand_per: str, at: str,
                      outcomes: list[tuple[str, str]], render) -> None:
    """Note the outcome of a production ((owner, outcome) per owner) and rewrite the overview."""
    outbox = Path(outbox)
    with flock(outbox / LOCKS / "operator.lock"):
        path = outbox / OPERATOR_DIR / LAST_PRODUCTIONS
        last = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        last[product] = {"schooljaar": schooljaar, "stand_per": stand_per, "at": at,
                         "outcomes": dict(Counter(outcome for _, outcome in outcomes)),
                         "owners": len(outcomes)}
        atomic_write(real_folder(outbox, OPERATOR_DIR) / LAST_PRODUCTIONS,
                     json.dumps(last, indent=1, sort_keys=True).encode("utf-8"))
        write_operator_overview(outbox, render)
