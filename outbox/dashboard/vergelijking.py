"""The page "Vergelijking": where an SWV stands among all SWVs of its sector, per indicator
(tasks/indicators.py), from the stored figures (outbox/vergelijking.py):

    <swv>/dashboard/vergelijking.html   this SWV beside the national figure and every SWV of the sector
                                        (ranked, this SWV highlighted), and its course over the schooljaren
    <swv>/dashboard/vergelijking.csv    the figures of its sector, copied in: the folder stands alone
    openbaar/vergelijking/index.html    the national table of every SWV (public), beside the CSVs

Every chart has its table beside it; aggregates only."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.dates import format_datum
from core.files import write_below
from outbox import vergelijking as store
from outbox.dashboard.assets import ASSETS_DIR, write_assets
from outbox.layout import OPENBAAR, index_lock
from tasks.indicators import COLUMNS, INDICATORS, LANDELIJK

PAGE = "dashboard/vergelijking.html"
DATA = "dashboard/vergelijking.csv"
PUBLIC_PAGE = "index.html"  # in openbaar/vergelijking/
MAANDEN = ["aug", "sep", "okt", "nov", "dec", "jan", "feb", "mrt", "apr", "mei", "jun", "jul"]
OWN, OTHERS, NATIONAL = "#e17000", "#154273", "#39870c"  # the SWV's bar, the others', the national line


def shown(value, eenheid: str) -> str:
    """A figure as the page shows it: 1,23 % · 0,45 · 12 (a count); '–' when there is none."""
    if value is None or pd.isna(value):
        return "–"
    if eenheid == "leerlingen":
        return f"{int(round(value)):,}".replace(",", ".")
    text = f"{value:.2f}".replace(".", ",")
    return f"{text} %" if eenheid == "%" else text


def _maand_label(maand: str) -> str:
    return MAANDEN[(int(maand[5:7]) - 8) % 12]


def _value(v):
    return None if pd.isna(v) else float(v)


def _split(rows: pd.DataFrame, cache: dict) -> tuple[dict, dict]:
    """The rows per indicator and per SWV, split once for all the owners a caller makes pages for."""
    if "split" not in cache:
        cache["split"] = ({k: g for k, g in rows.groupby("indicator")}, {k: g for k, g in rows.groupby("swv")})
    return cache["split"]


def _snapshot(rows: pd.DataFrame, ind, sector: str, sj: str, sp: str, cache: dict) -> dict:
    """What every SWV's page shows alike for one indicator, sector and stand per: the SWVs ranked,
    the national row, the spread (made once per caller, not once per owner)."""
    key = (ind.key, sector, sj, sp)
    if key not in cache:
        by_ind, _ = _split(rows, cache)
        r = by_ind[ind.key]
        now = r[(r["sector"] == sector) & (r["schooljaar"] == sj) & (r["stand_per"] == sp)]
        swvs = now[now["swv"] != LANDELIJK].sort_values(["waarde", "swv"], na_position="first")
        values = swvs["waarde"].dropna()
        cache[key] = {
            "nat": now[now["swv"] == LANDELIJK].iloc[0],
            "ranked": [{"swv": x.swv, "naam": x.naam, "waarde": shown(x.waarde, ind.eenheid), "teller": int(x.teller),
                        "noemer": None if pd.isna(x.noemer) else int(x.noemer)} for x in swvs.itertuples()],
            "codes": list(swvs["swv"]), "values": [_value(v) for v in swvs["waarde"]],
            "laagste": shown(values.min() if len(values) else None, ind.eenheid),
            "mediaan": shown(values.median() if len(values) else None, ind.eenheid),
            "hoogste": shown(values.max() if len(values) else None, ind.eenheid)}
    return cache[key]


def indicator_section(rows: pd.DataFrame, ind, owner: str, cache: dict | None = None) -> dict | None:
    """One indicator for `owner`: its newest figure beside the national one, the ranking of the
    sector's SWVs on that stand per, and the course over every schooljaar and month stored."""
    cache = {} if cache is None else cache
    _, by_owner = _split(rows, cache)
    mine = by_owner.get(owner)
    own_rows = mine[mine["indicator"] == ind.key] if mine is not None else None
    if own_rows is None or own_rows.empty:
        return None
    newest = own_rows.sort_values(["schooljaar", "stand_per"]).iloc[-1]
    sector, sj, sp = newest["sector"], newest["schooljaar"], newest["stand_per"]
    snap = _snapshot(rows, ind, sector, sj, sp, cache)
    nat = snap["nat"]
    ranked = [{**r, "eigen": r["swv"] == owner} for r in snap["ranked"]]
    rank = next((i for i, r in enumerate(reversed(ranked), start=1) if r["eigen"]), None)
    colours = [OWN if c == owner else OTHERS for c in snap["codes"]]
    ranking = {"id": f"v-{ind.key}-spreiding",
               "title": f"{ind.titel} per samenwerkingsverband {sector}, {sj} (stand per {format_datum(sp)}): {owner} in oranje, "
                        "de groene lijn is het landelijke cijfer",
               "spec": {"type": "bar", "labels": snap["codes"], "datasets": [
                   {"label": ind.titel, "data": snap["values"], "backgroundColor": colours, "borderColor": colours},
                   {"type": "line", "label": f"Landelijk {sector}", "data": [_value(nat["waarde"])] * len(ranked),
                    "pointRadius": 0, "borderWidth": 2, "borderColor": NATIONAL, "backgroundColor": NATIONAL}]}}
    nat_rows = _split(rows, cache)[0][ind.key]
    nat_rows = nat_rows[(nat_rows["swv"] == LANDELIJK) & (nat_rows["sector"] == sector)]
    return {"key": ind.key, "titel": ind.titel, "definitie": ind.definitie, "eenheid": ind.eenheid,
            "sector": sector, "schooljaar": sj, "stand_per": sp, "peildatum": newest["peildatum"],
            "eigen": shown(newest["waarde"], ind.eenheid), "landelijk": shown(nat["waarde"], ind.eenheid),
            "eigen_teller": int(newest["teller"]), "eigen_noemer": None if pd.isna(newest["noemer"]) else int(newest["noemer"]),
            "norm": ind.norm, "norm_shown": shown(ind.norm, "%") if ind.norm is not None else None,
            "boven_norm": None if pd.isna(newest["boven_norm"]) else str(newest["boven_norm"]).replace(".", ","),
            "boven_norm_landelijk": None if pd.isna(nat["boven_norm"]) else str(nat["boven_norm"]).replace(".", ","),
            "rank": rank, "count": len(ranked), "laagste": snap["laagste"], "mediaan": snap["mediaan"],
            "hoogste": snap["hoogste"], "ranking": ranking, "ranked": ranked,
            "trend": trend(pd.concat([own_rows, nat_rows]), ind, owner, sector)}


def trend(rows: pd.DataFrame, ind, owner: str, sector: str) -> dict:
    """The course over the schooljaren: one line per schooljaar over the months of production, so
    that a month lies above the same month of the year before; this SWV and the national figure."""
    r = rows[(rows["indicator"] == ind.key) & (rows["sector"] == sector) & rows["swv"].isin([owner, LANDELIJK])]
    months = sorted(set(r["maand"]), key=lambda m: (int(m[5:7]) - 8) % 12)
    labels = list(dict.fromkeys(_maand_label(m) for m in months))
    series: dict[str, list] = {}
    for sj in sorted(set(r["schooljaar"])):
        for who, name in ((owner, owner), (LANDELIJK, f"landelijk {sector}")):
            per_month = {_maand_label(m): v for m, v in zip(r.loc[(r["schooljaar"] == sj) & (r["swv"] == who), "maand"],
                                                            r.loc[(r["schooljaar"] == sj) & (r["swv"] == who), "waarde"])}
            series[f"{name} {sj}"] = [_value(per_month[m]) if m in per_month else None for m in labels]
    return {"id": f"v-{ind.key}-verloop", "title": f"{ind.titel}: verloop per schooljaar ({owner} en landelijk)",
            "spec": {"type": "line", "labels": labels,
                     "datasets": [{"label": k, "data": v, "spanGaps": True} for k, v in series.items()]},
            "table": {"columns": ["Maand", *series],
                      "rows": [[lab, *(shown(s[i], ind.eenheid) for s in series.values())]
                               for i, lab in enumerate(labels)]}}


def owner_context(rows: pd.DataFrame, owner: str, cache: dict | None = None) -> dict | None:
    """The page's context for `owner`; None when no figure of it is stored. `cache`: one dict for all
    the owners a caller makes pages for (what their pages share is worked out once)."""
    cache = {} if cache is None else cache
    sections = [s for ind in INDICATORS if (s := indicator_section(rows, ind, owner, cache)) is not None]
    return {"sections": sections} if sections else None


def sector_rows(rows: pd.DataFrame, owner: str) -> pd.DataFrame:
    """The stored rows of the owner's sector (every SWV's: the spread needs them), sorted."""
    sectors = set(rows.loc[rows["swv"] == owner, "sector"])
    out = rows[rows["sector"].isin(sectors)][COLUMNS]
    return out.sort_values(["schooljaar", "stand_per", "indicator", "sector", "swv"]).reset_index(drop=True)


def menu(nav: list[dict], prefix: str, shown: bool = True) -> list[dict]:
    """A dashboard menu (pages.navigation) with Vergelijking before Historie, current on its own page."""
    if not shown:
        return nav
    item = {"key": "vergelijking", "label": "Vergelijking", "href": f"{prefix}{PAGE}",
            "current": not any(i["current"] for i in nav)}
    at = next((i for i, x in enumerate(nav) if x["key"] == "historie"), len(nav))
    return [*nav[:at], item, *nav[at:]]


def owner_files(outbox: Path, owner: str, render, nav: list[dict], rows: pd.DataFrame | None = None,
                cache: dict | None = None) -> dict[str, bytes]:
    """{path relative to the owner's folder: bytes}: the page and its data, or nothing when no
    figure of the owner is stored. `nav`: the dashboard's menu of a page one level down; `rows`:
    the stored figures when the caller read them already."""
    rows = store.read_all(outbox) if rows is None else rows
    cache = {} if cache is None else cache
    context = owner_context(rows, owner, cache)
    if context is None:
        return {}
    nav = menu([{**i, "current": False} for i in nav if i["key"] != "vergelijking"], "../")
    naam = next(iter(rows.loc[rows["swv"] == owner, "naam"]), None)
    page = render("vergelijking.html", owner=owner, naam=naam, prefix="../", assets="assets/", nav=nav,
                  data="vergelijking.csv", **context)
    cache = {} if cache is None else cache
    key = ("csv", tuple(sorted(set(rows.loc[rows["swv"] == owner, "sector"]))))
    if key not in cache:  # the same file for every SWV of the sector
        cache[key] = store.csv_bytes(sector_rows(rows, owner))
    return {PAGE: page, DATA: cache[key]}


def public_context(rows: pd.DataFrame) -> dict:
    """Per indicator and sector: the national figure over the schooljaren and months, and every SWV
    of the newest stand per (the table the public CSVs hold)."""
    sections = []
    for ind in INDICATORS:
        r = rows[rows["indicator"] == ind.key]
        if r.empty:
            continue
        nat = r[r["swv"] == LANDELIJK].sort_values(["sector", "schooljaar", "stand_per"])
        newest = r[(r["schooljaar"] == r["schooljaar"].max())]
        newest = newest[newest["stand_per"] == newest["stand_per"].max()]
        sections.append({"key": ind.key, "titel": ind.titel, "definitie": ind.definitie, "eenheid": ind.eenheid,
                         "landelijk": [{"sector": x.sector, "schooljaar": x.schooljaar, "stand_per": x.stand_per,
                                        "teller": int(x.teller), "noemer": None if pd.isna(x.noemer) else int(x.noemer),
                                        "waarde": shown(x.waarde, ind.eenheid)} for x in nat.itertuples()],
                         "swvs": [{"sector": x.sector, "swv": x.swv, "naam": x.naam, "teller": int(x.teller),
                                   "noemer": None if pd.isna(x.noemer) else int(x.noemer),
                                   "waarde": shown(x.waarde, ind.eenheid)}
                                  for x in newest[newest["swv"] != LANDELIJK].sort_values(["sector", "swv"]).itertuples()],
                         "schooljaar": newest["schooljaar"].iloc[0], "stand_per": newest["stand_per"].iloc[0]})
    return {"sections": sections}


def write_public_page(outbox: Path, render) -> bool:
    """`openbaar/vergelijking/index.html` from every stored file, with links to them."""
    folder = store.folder(outbox)
    if not folder.is_dir():
        return False
    rows = store.read_all(outbox)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.glob("*/*.csv"))
    nav = [{"key": "overzicht", "label": "Openbaar", "href": "../index.html", "current": False},
           {"key": "vergelijking", "label": "Vergelijking", "href": PUBLIC_PAGE, "current": True}]
    page = render("vergelijking_openbaar.html", owner=OPENBAAR, naam=None, assets=f"../{ASSETS_DIR}/", nav=nav,
                  **{**public_context(rows), "files": files})
    with index_lock(outbox, OPENBAAR):
        write_assets(Path(outbox) / OPENBAAR)
        return write_below(Path(outbox), (folder.relative_to(outbox) / PUBLIC_PAGE).as_posix(), page)


def write_owner_files(outbox: Path, owner: str, files: dict[str, bytes]) -> bool:
    """Only the comparison page and its data of an owner's folder, under its lock (after the figures
    changed: the spread changes every SWV's page, also of those that got no new version)."""
    owner_dir = Path(outbox) / owner
    if not owner_dir.is_dir() or not files:
        return False
    changed = False
    with index_lock(outbox, owner):
        write_assets(owner_dir)  # the page's scripts, also in a folder whose other pages are not made yet
        for rel, data in files.items():
            changed |= write_below(owner_dir, rel, data)
    return changed
