"""An SWV's dashboard, written into its own folder after every publication or withdrawal:

    <swv>/index.html                          overzicht: per product the current version and its key figures
    <swv>/dashboard/<schooljaar>/1a.html      Kijkglas 1 over the year (chart) and what changed in words
    <swv>/dashboard/<schooljaar>/1b.html      the registrations behind the count (sort, filter)
    <swv>/dashboard/<schooljaar>/2.html       Kijkglas 2: to-do lists and the validity periods
    <swv>/dashboard/<schooljaar>/groei.html   Kijkglas 3 per school and Kijkglas 4
    <swv>/dashboard/historie.html             every version with status, stand per and reason
    <swv>/dashboard/assets/                   the libraries and our stylesheet (offline)

Everything is read from the owner's own versions, so a page can hold no other SWV's pupil."""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Collection

import pandas as pd
from markupsafe import Markup, escape

from core.dates import format_datum
from documents.kijkglas_1 import CAPTIONS as K1_CAPTIONS
from documents.templates import template_environment
from outbox.dashboard import figures
from outbox.dashboard import vergelijking
from outbox.dashboard.assets import ASSETS_DIR
from outbox.dashboard.openbaar import school_copies
from outbox.dashboard.time_chart import time_chart_view
from outbox.dashboard.views import (ProductVersions, owner_products, read_tables, read_tables_at, stand_per, title,
                                   version_view)
from outbox.layout import INDEX, Version
from tasks import rules

DATE_COLUMNS = {"Begindatum inschrijving", "Einddatum inschrijving", "Begindatum TLV", "Einddatum TLV",
                "Begindatum geldigheid gegevens", "Einddatum geldigheid gegevens", "Zonder TLV sinds"}
FILTERS_1B = ["Vestiging", "Groep", "Bekostigingscategorie L/M/H", "<8 of 8+"]
FILTERS_2 = ["Vestiging", "Voldoet bekost. criteria", "Instroom", "Uitstroom", "Doorstroom", "TLV verloopt",
             "Resid. leerling", "Bekostigingscategorie L/M/H", "<8 of 8+"]
K2_BLOCKS = [("k2_tlv", "2.2 Leerlingen met een toelaatbaarheidsverklaring"),
             ("k2_cvi", "2.3 Leerlingen nog ingeschreven op basis van CvI-indicatie"),
             ("k2_overig", "2.4 Overige leerlingen (residentieel en zonder TLV)")]
PAGES = [("1a", "1a – telling over het jaar", ("kijkglas-1",)),
         ("1b", "1b – leerlingen achter de telling", ("kijkglas-1",)),
         ("2", "2 – inschrijvingen en actielijsten", ("kijkglas-2",)),
         ("groei", "Groei", ("kijkglas-3", "kijkglas-4"))]


# --- small views for the templates ----------------------------------------------------------------

# shown on demand (a column chooser above every wide table): so that a wide table fits 1366 px
HIDDEN_AT_FIRST = ["SWV vestiging", "Naam SWV", "SWV deelname", "Soort indicatie"]


def table_view(frame: pd.DataFrame, caption: str, filters: list[str] = (), table_id: str = "",
               hidden: list[str] = ()) -> dict:
    """A frame as an HTML table: dates shown dd-mm-jjjj (sortable as dates), with the distinct
    values of the filter columns for the filter menus. The body comes as finished, escaped rows
    (`table_body`): a national day has millions of cells, too many for a template loop."""
    columns = [{"name": c, "date": c in DATE_COLUMNS} for c in frame.columns]
    cells = [_shown_dates(frame[c]) if col["date"] else frame[c].tolist() for c, col in zip(frame.columns, columns)]
    menus = [{"column": list(frame.columns).index(c), "label": c,
              "values": sorted({str(v) for v in frame[c] if str(v) != ""})}
             for c in filters if c in frame.columns]
    for i, col in enumerate(columns):
        col.update(index=i, hidden=col["name"] in hidden)
    return {"id": table_id, "caption": caption, "columns": columns, "count": len(frame) if len(frame.columns) else 0,
            "body": table_body(list(zip(*cells))), "filters": menus, "choose": len(columns) > 8}


def _shown_dates(column: pd.Series) -> list:
    """A date column's values as dd-mm-jjjj ('' stays ''); each distinct value formatted once."""
    shown: dict = {}
    out = []
    for v in column:
        if v not in shown:
            shown[v] = format_datum(v) if v else v
        out.append(shown[v])
    return out


_CELL, _ROW = "\x1f", "\x1e"


def table_body(rows: list[tuple]) -> Markup:
    """`<tr><td>…</td>…</tr>` per row (rows of equal length), each cell's text escaped, one row
    per line: escaped in one pass, control characters marking cells and rows, unless a cell holds one."""
    if not rows or not rows[0]:
        return Markup("<tr></tr>\n" * len(rows))
    text = _ROW.join(_CELL.join(map(str, row)) for row in rows)
    if text.count(_ROW) != len(rows) - 1 or text.count(_CELL) != len(rows) * (len(rows[0]) - 1):
        return Markup("".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>\n" for row in rows))
    body = str(escape(text)).replace(_CELL, "</td><td>").replace(_ROW, "</td></tr>\n<tr><td>")
    return Markup(f"<tr><td>{body}</td></tr>\n")


def chart_view(chart_id: str, kind: str, title_text: str, labels: list[str], series: dict[str, list[int]]) -> dict:
    """A chart for dashboard.js (Chart.js draws it), with the same numbers as a table beside it."""
    return {"id": chart_id, "title": title_text,
            "spec": {"type": kind, "labels": labels,
                     "datasets": [{"label": k, "data": v} for k, v in series.items()]},
            "table": {"columns": ["", *series], "rows": [[lab, *(s[i] for s in series.values())]
                                                          for i, lab in enumerate(labels)]}}


def _rel_pages(products: dict[str, ProductVersions], schooljaar: str, prefix: str) -> list[dict]:
    return [{"key": key, "label": label, "href": f"{prefix}dashboard/{schooljaar}/{key}.html"}
            for key, label, needs in PAGES
            if any(p in products and products[p].current for p in needs)]


def navigation(prefix: str, page: str, schooljaar_pages: list[dict] = (), schooljaar: str = "",
               comparison: bool = False) -> list[dict]:
    """The menu of every page: Overzicht, the pages of the schooljaar shown, Vergelijking (when
    figures of the SWV are stored), Historie."""
    items = [{"key": "overzicht", "label": "Overzicht", "href": f"{prefix}index.html"}]
    items += [{**p, "label": f"{p['label']} {schooljaar}"} for p in schooljaar_pages]
    items.append({"key": "historie", "label": "Historie", "href": f"{prefix}dashboard/historie.html"})
    return vergelijking.menu([{**item, "current": item["key"] == page} for item in items], prefix, comparison)


def lower_menu(page: str, site: dict[str, dict[str, ProductVersions]], comparison: bool = False) -> list[dict]:
    """The menu of a page one folder down (dashboard/historie.html, dashboard/vergelijking.html): the
    same as the overview's, the newest schooljaar's pages included, so no page is a dead end."""
    newest = next(iter(site.items()), None)
    pages = _rel_pages(newest[1], newest[0], "../") if newest else []
    return navigation("../", page, pages, newest[0] if newest else "", comparison)


def owner_menu(outbox: Path, owner: str, page: str) -> list[dict]:
    """`lower_menu` of an owner's folder as it is now."""
    return lower_menu(page, owner_products(outbox, owner))


# --- the pages --------------------------------------------------------------------------------------

def key_figures(pv: ProductVersions, owner: str) -> dict | None:
    """The figures the overview shows for the current version of a product."""
    cur = pv.current
    if cur is None:
        return None
    return _key_figures(pv.product, str(cur.path), cur.manifest.get("content_key", ""), owner, stand_per(cur))


# A published version's CSVs never change (its content key names them), and the overview is made
# again after every publication of any product: its figures are worked out once per version.
@lru_cache(maxsize=1024)
def _key_figures(product: str, version_dir: str, content_key: str, owner: str, day) -> dict | None:
    tables = read_tables_at(Path(version_dir))
    if product == "kijkglas-1":
        return figures.k1_key_figures(tables)
    if product == "kijkglas-2":
        return figures.k2_key_figures(tables, day)
    if product == "kijkglas-3":
        schools = figures.k3_per_school(tables["k3a"], tables["k3b"], owner)
        return {"scholen": schools, **figures.k3_totals(schools)}
    if product == "kijkglas-4":
        rows, totaal = figures.k4_rows(tables["k4_sbao"])
        return {"vestigingen": len(rows), "totaal": totaal}
    if product == "kijkglas-5":
        return {"inkomend": len(tables["k5_inkomend"]), "uitgaand": len(tables["k5_uitgaand"])}
    return None


def overview_context(outbox: Path, owner: str, site: dict[str, dict[str, ProductVersions]]) -> dict:
    owner_dir = Path(outbox) / owner
    schooljaren = []
    for sj, products in site.items():
        cards = []
        for pv in products.values():
            cur = pv.current
            cards.append({"product": pv.product, "title": title(pv.product),
                          "current": {**version_view(owner_dir, cur, ""), "bevestigd": confirmed(pv, cur)}
                          if cur else None,
                          "latest": version_view(owner_dir, pv.versions[-1], ""),
                          "figures": key_figures(pv, owner),
                          # the schooljaar this count funds, apart from the latest fixed funding (bestand 1)
                          "bekostigd_schooljaar": rules.bekostigd_schooljaar(sj)})
        schooljaren.append({"schooljaar": sj, "products": cards, "pages": _rel_pages(products, sj, "")})
    return {"schooljaren": schooljaren}


def page_1a(owner_dir: Path, pv: ProductVersions) -> dict:
    shown = pv.shown
    points = [(v.name, stand_per(v), read_tables(v)) for v in shown]
    confirmations = [(c["version"], date.fromisoformat(c["stand_per"])) for v in shown for c in pv.confirmations_of(v)]
    series = figures.k1_series(points, confirmations)
    charts = [time_chart_view("k1-vso", "(V)SO: totaal per stand per", series["moments"], series["vso"])]
    if series["regulier"]:
        charts.append(time_chart_view("k1-regulier", "Regulier onderwijs: aantal per stand per",
                                      series["moments"], series["regulier"]))
    steps = []
    for (v_old, _, t_old), (v_new, sp_new, t_new) in zip(points, points[1:]):
        steps.append({"from": v_old, "to": v_new, "stand_per": sp_new.isoformat(),
                      "bestand_2": figures.b2_changes(t_old.get("k1_inschrijvingen"), t_new.get("k1_inschrijvingen")),
                      "tables": [{"caption": K1_CAPTIONS[stem], "changes": words}
                                 for stem, words in figures.k1_changes(t_old, t_new)],
                      "bekostiging": figures.k1_funding_changes(t_old, t_new)})
    return {"charts": charts, "steps": steps, "confirmed": bool(confirmations),
            "versions": [version_view(owner_dir, v, "../../") for v in pv.versions]}


def page_1b(owner_dir: Path, pv: ProductVersions) -> dict:
    cur = pv.current
    ins = read_tables(cur)["k1_inschrijvingen"]
    return {"version": version_view(owner_dir, cur, "../../"),
            "table": table_view(ins, "Inschrijvingen achter de telling (bestand 2)", FILTERS_1B, "t-1b",
                                HIDDEN_AT_FIRST)}


def page_2(owner_dir: Path, pv: ProductVersions) -> dict:
    cur = pv.current
    tables, day = read_tables(cur), stand_per(cur)
    todo = [table_view(figures.tlv_to_reassess(tables["k2_tlv"], tables["k2_overig"]),
                       "TLV's om opnieuw te beoordelen (TLV verloopt = J; blok 2.2 en residentiële leerlingen uit blok 2.4)",
                       ["Vestiging", "Blok"], "t-2-tlv"),
            table_view(figures.without_tlv(tables["k2_overig"], day),
                       f"Ingeschreven zonder TLV (tijdelijke plaatsing) op {day:%d-%m-%Y}", ["Vestiging"], "t-2-geen"),
            table_view(figures.on_cvi(tables["k2_cvi"], day), f"Nog op een CvI-indicatie op {day:%d-%m-%Y}",
                       ["Vestiging", "Soort indicatie"], "t-2-cvi")]
    blocks = [table_view(tables[stem], caption, FILTERS_2, f"t-{stem}", HIDDEN_AT_FIRST) for stem, caption in K2_BLOCKS]
    return {"version": version_view(owner_dir, cur, "../../"), "figures": key_figures(pv, owner_dir.name),
            "todo": todo, "blocks": blocks}


def school_page(brin: str) -> str:
    """A (v)so school's page in the SWV's own folder, beside the schooljaar's other pages."""
    return f"school-{brin}.html"


def page_groei(owner_dir: Path, owner: str, products: dict[str, ProductVersions]) -> dict:
    """Kijkglas 3 per school (growth = 3a; 3b beside it) and Kijkglas 4; `school_pages` holds the
    contexts of the school pages copied into the SWV's folder (openbaar.school_copies)."""
    out: dict = {"k3": None, "k4": None, "school_pages": {}}
    k3 = products.get("kijkglas-3")
    if k3 and k3.current:
        tables = read_tables(k3.current)
        schools = figures.k3_per_school(tables["k3a"], tables["k3b"], owner)
        k2 = products.get("kijkglas-2")
        names = figures.school_names(list(read_tables(k2.current).values())) if k2 and k2.current else {}
        for s in schools:
            s["naam"] = names.get(s["brin"], "")
        out["school_pages"] = {brin: {**school, "naam_school": names.get(brin, "")} for brin, school in
                               school_copies(owner_dir.parent, k3.schooljaar, [s["brin"] for s in schools]).items()}
        out["k3"] = {"version": version_view(owner_dir, k3.current, "../../"), "schools": schools,
                     "totals": figures.k3_totals(schools),
                     "school_pages": {b: school_page(b) for b in out["school_pages"]},
                     "cells": figures.k3_growth_cells(tables["k3a"]),
                     "per_category": figures.k3_growth_per_category(tables["k3a"], owner), "charts": [
            chart_view(f"k3-{s['brin']}", "bar", f"School {s['brin']}", ["3a instroom", "3a uitstroom",
                       "3b instroom", "3b uitstroom"], {"Aantal": [s["3a_in"], s["3a_uit"], s["3b_in"], s["3b_uit"]]})
            for s in schools]}
    k4 = products.get("kijkglas-4")
    if k4 and k4.current:
        rows, totaal = figures.k4_rows(read_tables(k4.current)["k4_sbao"])
        out["k4"] = {"version": version_view(owner_dir, k4.current, "../../"), "rows": rows, "totaal": totaal,
                     "chart": chart_view("k4", "bar", "Sbao: 1 oktober en 1 februari per vestiging",
                                         [f"{r['vestiging']} {r['naam']}".strip() for r in rows],
                                         {"1 oktober": [r["oktober"] for r in rows],
                                          "1 februari": [r["februari"] for r in rows]})}
    return out


def confirmed(pv: ProductVersions, v: Version) -> dict | None:
    """The newest later extract that found version `v` unchanged (None: none did)."""
    later = pv.confirmations_of(v)
    return later[-1] if later else None


def history_context(owner_dir: Path, site: dict[str, dict[str, ProductVersions]]) -> dict:
    """Every version, newest first, with the later extracts that found it unchanged between it and
    the next: a month whose data did not change leaves a trace."""
    rows = []
    for sj, products in site.items():
        for pv in products.values():
            for v in reversed(pv.versions):
                view = version_view(owner_dir, v, "../")
                base = {"schooljaar": sj, "title": title(pv.product)}
                rows += [{**base, "kind": "bevestiging", "version": v.name, "href": view["href"],
                          "status": "gecontroleerd", "stand_per": c["stand_per"], "published_at": c["recorded_at"],
                          "aanmaakdatum": c["aanmaakdatum"], "current": view["status"] == "actueel"}
                         for c in reversed(pv.confirmations_of(v))]
                rows.append({**base, "kind": "versie", **view})
    return {"rows": rows}


# --- writing ----------------------------------------------------------------------------------------

def render_page(template: str, **context) -> bytes:
    env = template_environment(keep_trailing_newline=True)
    return env.get_template(f"dashboard/{template}").render(**context).encode("utf-8")


def pages_to_make(sj_pages: list[dict], owner_dir: Path, schooljaar: str,
                  changed: Collection[tuple[str, str]] | None) -> list[str]:
    """The schooljaar pages to (re)make: all of them, unless only `changed` = [(schooljaar,
    product), …] were published and every page of the schooljaar exists already (the navigation of
    the others then stays as it is): then only the pages of those products."""
    keys = [p["key"] for p in sj_pages]
    if changed is None or any(not (owner_dir / "dashboard" / schooljaar / f"{k}.html").exists() for k in keys):
        return keys
    products_changed = {product for sj, product in changed if sj == schooljaar}
    return [key for key, _, products in PAGES if key in keys and products_changed.intersection(products)]


def owner_pages(outbox: Path, owner: str, naam: str | None,
                changed: Collection[tuple[str, str]] | None = None) -> dict[str, bytes]:
    """The pages of an SWV's dashboard: {path relative to the owner's folder: bytes}. All of them,
    or, after publications of `changed` = [(schooljaar, product), …], the overview, the history and
    the pages that show those products (a page of another product would come out the same)."""
    owner_dir = Path(outbox) / owner
    site = owner_products(outbox, owner)
    base = {"owner": owner, "naam": naam}
    newest = next(iter(site.items()), None)
    top_pages = _rel_pages(newest[1], newest[0], "") if newest else []
    comparison = comparison_files(outbox, owner, site)
    pages = {INDEX: render_page("overzicht.html", **base, prefix="", assets=f"{ASSETS_DIR}/",
                            nav=navigation("", "overzicht", top_pages, newest[0] if newest else "", bool(comparison)),
                            **overview_context(outbox, owner, site)),
             "dashboard/historie.html": render_page("historie.html", **base, prefix="../", assets="assets/",
                                                nav=lower_menu("historie", site, bool(comparison)),
                                                **history_context(owner_dir, site)),
             **comparison}
    for sj, products in site.items():
        sj_pages = _rel_pages(products, sj, "../../")
        for key in pages_to_make(sj_pages, owner_dir, sj, changed):
            context = _page_context(key, owner_dir, owner, products)
            nav = navigation("../../", key, sj_pages, sj, bool(comparison))
            pages[f"dashboard/{sj}/{key}.html"] = render_page(
                f"{key}.html", **base, schooljaar=sj, prefix="../../", assets="../assets/", nav=nav, **context)
            for brin, school in context.get("school_pages", {}).items():
                pages[f"dashboard/{sj}/{school_page(brin)}"] = render_page(
                    "school.html", **base, prefix="../../", assets="../assets/", nav=nav, **school)
    return pages


def comparison_files(outbox: Path, owner: str, site: dict[str, dict[str, ProductVersions]]) -> dict[str, bytes]:
    """The page Vergelijking and its data (outbox/dashboard/vergelijking.py) with the dashboard's menu;
    empty while no figure of the owner is stored."""
    return vergelijking.owner_files(outbox, owner, render_page, lower_menu("vergelijking", site))


def _page_context(key: str, owner_dir: Path, owner: str, products: dict[str, ProductVersions]) -> dict:
    if key == "1a":
        return page_1a(owner_dir, products["kijkglas-1"])
    if key == "1b":
        return page_1b(owner_dir, products["kijkglas-1"])
    if key == "2":
        return page_2(owner_dir, products["kijkglas-2"])
    return page_groei(owner_dir, owner, products)
