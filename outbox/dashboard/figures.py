"""The dashboard's figures, as pure functions of a version's CSV tables as outbox/tables.py reads
them for the pages (text as published, counts as ints): key figures per product, Kijkglas 1 over
the year and its changes in words, and the lists an SWV acts on (TLVs to re-assess, pupils without
TLV, pupils on a CvI)."""
from __future__ import annotations

from datetime import date

import pandas as pd

from core.dates import format_datum
from documents.values import format_euro

TOTAAL = "Totaal"
K1_SUMMARY_TABLES = ["k1_vso_totalen", "k1_bao_sbao", "k1_vo", "k1_tlv"]


def nl_number(n: int) -> str:
    """A count as the tables and axes show it: 1.398."""
    return f"{n:,}".replace(",", ".")


def rows_by_first_column(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """{first-column label: {count column: value}} of a totals table."""
    first, *counts = list(frame.columns)
    return {str(r[first]): {c: r[c] for c in counts} for _, r in frame.iterrows()}


# --- Kijkglas 1 -----------------------------------------------------------------------------------

def k1_key_figures(tables: dict[str, pd.DataFrame]) -> dict:
    """(V)SO per category and age (deelnemend / niet deelnemend / totaal), and bao+sbao or vo."""
    vso = rows_by_first_column(tables["k1_vso_totalen"])
    out = {"vso": vso, "vso_cells": list(tables["k1_vso_totalen"].columns[1:])}
    if "k1_bao_sbao" in tables:
        out["regulier"] = {k: v["Aantal"] for k, v in rows_by_first_column(tables["k1_bao_sbao"]).items()}
    if "k1_vo" in tables:
        out["regulier"] = {k: v["Aantal"] for k, v in rows_by_first_column(tables["k1_vo"]).items()}
    return out


VERSIE, BEVESTIGING = "versie", "bevestiging"


def k1_series(points: list[tuple[str, date, dict[str, pd.DataFrame]]],
              confirmations: list[tuple[str, date]] = ()) -> dict:
    """Kijkglas 1's totals over the schooljaar by stand per, for a chart on a time axis and the table
    behind it.

    `points`: (version, stand per, tables) in version order; `confirmations`: (version, stand per) of
    the later extracts that found that version unchanged, so its figures held on that day too (a
    version not in `points` is left out). `moments`: one per version and per confirmation, in stand
    per order: {day, kind (versie | bevestiging), version, label}; `labels` their labels; the series
    are named by their row label and hold a value per moment."""
    figures_of: dict[str, tuple[dict, dict]] = {}
    for version, _, tables in points:
        vso = {label: cells.get(TOTAAL, sum(cells.values()))
               for label, cells in rows_by_first_column(tables["k1_vso_totalen"]).items()}
        regulier = {label: cells["Aantal"] for stem in ("k1_bao_sbao", "k1_vo") if stem in tables
                    for label, cells in rows_by_first_column(tables[stem]).items()}
        figures_of[version] = (vso, regulier)
    moments = [{"day": sp, "kind": VERSIE, "version": v, "label": f"{v} ({sp:%d-%m-%Y})"} for v, sp, _ in points]
    moments += [{"day": sp, "kind": BEVESTIGING, "version": v, "label": f"gecontroleerd {sp:%d-%m-%Y} ({v} ongewijzigd)"}
                for v, sp in confirmations if v in figures_of]
    moments.sort(key=lambda m: (m["day"], m["kind"] != VERSIE))
    vso: dict[str, list[int]] = {}
    regulier: dict[str, list[int]] = {}
    for m in moments:
        for series, values in zip((vso, regulier), figures_of[m["version"]]):
            for label, value in values.items():
                series.setdefault(label, []).append(value)
    return {"moments": moments, "labels": [m["label"] for m in moments], "vso": vso, "regulier": regulier}


def table_changes(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """Every cell of a totals table whose count differs, as 'Rij, kolom: oud → nieuw'."""
    before, after = rows_by_first_column(old), rows_by_first_column(new)
    out = []
    for label in list(after) + [k for k in before if k not in after]:
        a, b = before.get(label, {}), after.get(label, {})
        for column in list(b) + [c for c in a if c not in b]:
            if a.get(column, 0) != b.get(column, 0):
                out.append(f"{label}, {column}: {nl_number(a.get(column, 0))} → {nl_number(b.get(column, 0))}")
    return out


def k1_changes(old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> list[tuple[str, list[str]]]:
    """What changed in Kijkglas 1's totals tables from one version to the next, in words, per table
    (stem, changes); a table without a change is left out."""
    out = []
    for stem in K1_SUMMARY_TABLES:
        if stem in old or stem in new:
            empty = pd.DataFrame(columns=list((new.get(stem) if stem in new else old[stem]).columns))
            words = table_changes(old.get(stem, empty), new.get(stem, empty))
            if words:
                out.append((stem, words))
    return out


def k1_funding_changes(old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> list[str]:
    """How the latest fixed funding (k1_bekostiging) changed from one version to the next, in words:
    the day of the fixing, then each onderdeel whose amount changed; [] when it did not, or when a
    version was published before Kijkglas 1 carried the table."""
    if "k1_bekostiging" not in old or "k1_bekostiging" not in new:
        return []
    a, b = ({r["Onderdeel"]: (r["Bedrag"], r["Vastgesteld op"]) for _, r in t["k1_bekostiging"].iterrows()}
            for t in (old, new))

    def days(fixing: dict) -> str:
        return ", ".join(format_datum(d) for d in sorted({d for _, d in fixing.values() if d})) or "geen vaststelling"

    def euro(fixing: dict, onderdeel: str) -> str:
        bedrag = fixing.get(onderdeel, ("", ""))[0]
        return format_euro(bedrag) if bedrag else "geen bedrag"

    out = [f"Vastgesteld op: {days(a)} → {days(b)}"] if days(a) != days(b) else []
    return out + [f"{o}: {euro(a, o)} → {euro(b, o)}" for o in list(b) + [o for o in a if o not in b]
                  if euro(a, o) != euro(b, o)]


B2_KEY = ["Groep", "TLV-nummer / CvI-nummer / BSN", "DUO-nummer leerling", "Vestiging", "Begindatum inschrijving"]


def b2_changes(old: pd.DataFrame | None, new: pd.DataFrame | None) -> dict[str, int]:
    """How bestand 2 (the registrations behind the count) changed between two versions, by
    registration: {nieuw, vervallen, gewijzigd}; all zero when it did not."""
    if old is None or new is None:
        return {"nieuw": 0, "vervallen": 0, "gewijzigd": 0}
    key = [c for c in B2_KEY if c in old.columns and c in new.columns]
    a, b = old.drop_duplicates(key).set_index(key), new.drop_duplicates(key).set_index(key)
    both = a.index.intersection(b.index)
    cols = [c for c in a.columns if c in b.columns]
    changed = (a.loc[both, cols].sort_index() != b.loc[both, cols].sort_index()).any(axis=1).sum() if len(both) else 0
    return {"nieuw": int((~b.index.isin(a.index)).sum()), "vervallen": int((~a.index.isin(b.index)).sum()),
            "gewijzigd": int(changed)}


# --- Kijkglas 2 -----------------------------------------------------------------------------------

def _current(frame: pd.DataFrame, stand_per: date) -> pd.DataFrame:
    """The validity periods in force on the stand per (a period ends on its einddatum, inclusive)."""
    day = stand_per.isoformat()
    return frame[(frame["Begindatum geldigheid gegevens"] <= day) & (frame["Einddatum geldigheid gegevens"] >= day)]


def tlv_to_reassess(k2_tlv: pd.DataFrame, k2_overig: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every TLV with `TLV verloopt = J`, once, soonest einddatum first: those of block 2.2 and those of
    pupils on a residential place (block 2.4, whose TLV decides their category; a version published
    before block 2.4 carried the TLV has none). `Blok` says where the TLV's periods are."""
    cols = ["TLV nummer", "DUO-nummer leerling", "Vestiging", "Naam vestiging", "Einddatum TLV",
            "Bekostigingscategorie L/M/H", "Blok"]
    frames = [k2_tlv.assign(Blok="2.2")]
    if k2_overig is not None and "TLV verloopt" in k2_overig.columns:
        frames.append(k2_overig.assign(Blok="2.4 (residentieel)"))
    due = pd.concat([f[f["TLV verloopt"] == "J"] for f in frames], ignore_index=True)
    due = due.sort_values(["Einddatum TLV", "TLV nummer", "Begindatum geldigheid gegevens"], kind="stable")
    return due.drop_duplicates("TLV nummer", keep="last")[cols].reset_index(drop=True)


def without_tlv(k2_overig: pd.DataFrame, stand_per: date) -> pd.DataFrame:
    """Pupils enrolled without TLV (tijdelijke plaatsing: situation GEEN_TLV, not residential) on the
    stand per, with the first day of that situation at that vestiging this schooljaar."""
    cols = ["DUO-nummer leerling", "Vestiging", "Naam vestiging", "Begindatum inschrijving"]
    geen = k2_overig[k2_overig["Resid. leerling"] == "N"]
    now = _current(geen, stand_per)[cols].drop_duplicates()
    # the earliest begindatum per pupil and vestiging (ISO dates: the first in text order); sorting
    # is vectorised, a groupby minimum of text is not
    key = ["DUO-nummer leerling", "Vestiging"]
    since = (geen.sort_values("Begindatum geldigheid gegevens", kind="stable")
             .drop_duplicates(key)[key + ["Begindatum geldigheid gegevens"]])
    out = now.merge(since, on=["DUO-nummer leerling", "Vestiging"], how="left")
    out = out.rename(columns={"Begindatum geldigheid gegevens": "Zonder TLV sinds"})
    return out.sort_values(["Zonder TLV sinds", "DUO-nummer leerling"]).reset_index(drop=True)


def on_cvi(k2_cvi: pd.DataFrame, stand_per: date) -> pd.DataFrame:
    """Pupils still enrolled on a CvI indication on the stand per."""
    cols = ["DUO-nummer leerling", "Vestiging", "Naam vestiging", "CvI-nummer", "Soort indicatie",
            "Bekostigingscategorie L/M/H"]
    return _current(k2_cvi, stand_per)[cols].drop_duplicates().sort_values(cols[:2]).reset_index(drop=True)


def k2_key_figures(tables: dict[str, pd.DataFrame], stand_per: date) -> dict:
    blocks = [tables[s] for s in ("k2_tlv", "k2_cvi", "k2_overig")]
    registrations = pd.concat([b[["DUO-nummer leerling", "Vestiging", "Begindatum inschrijving"]] for b in blocks])
    overig = tables["k2_overig"]
    return {
        "inschrijvingen": len(registrations.drop_duplicates()),
        "perioden": sum(len(b) for b in blocks),
        "tlv_verloopt": len(tlv_to_reassess(tables["k2_tlv"], overig)),
        "zonder_tlv": without_tlv(overig, stand_per)["DUO-nummer leerling"].nunique(),
        "cvi": on_cvi(tables["k2_cvi"], stand_per)["DUO-nummer leerling"].nunique(),
        "residentieel": _current(overig[overig["Resid. leerling"] == "J"], stand_per)["DUO-nummer leerling"].nunique(),
    }


# --- Kijkglas 3, 4, 5 -------------------------------------------------------------------------------

def _flow_totals(frame: pd.DataFrame, direction: str) -> pd.Series:
    """Per row the total of `direction` (Instroom / Uitstroom) over the age groups."""
    cols = [c for c in frame.columns if c.startswith(direction) and c.endswith(TOTAAL)]
    return frame[cols].sum(axis=1) if cols else pd.Series(0, index=frame.index)


def k3_per_school(k3a: pd.DataFrame, k3b: pd.DataFrame, owner: str) -> list[dict]:
    """Per (v)so school (BRIN) of this SWV's rows: 3a in/uit and the growth (3a instroom minus
    uitstroom: the only part that counts for growth, handleiding 4.2), and 3b in/uit beside it,
    the moves between (v)so schools of the same sector that the schools settle among themselves."""
    schools: dict[str, dict] = {}
    for part, frame in (("3a", k3a), ("3b", k3b)):
        own = frame[frame["SWV"] == owner]
        for brin, inn, out in zip(own["BRIN (v)so"], _flow_totals(own, "Instroom"), _flow_totals(own, "Uitstroom")):
            s = schools.setdefault(str(brin), {"brin": str(brin), "3a_in": 0, "3a_uit": 0, "3b_in": 0, "3b_uit": 0})
            s[f"{part}_in"] += inn
            s[f"{part}_uit"] += out
    rows = sorted(schools.values(), key=lambda s: s["brin"])
    for s in rows:
        s["groei"] = s["3a_in"] - s["3a_uit"]
    return rows


def school_names(frames: list[pd.DataFrame]) -> dict[str, str]:
    """BRIN → a name for the school, from the vestigingen in the SWV's own tables (`Vestiging`,
    `Naam vestiging`): the name of the school's lowest vestiging code."""
    rows = [f[["Vestiging", "Naam vestiging"]] for f in frames if {"Vestiging", "Naam vestiging"} <= set(f.columns)]
    if not rows:
        return {}
    v = pd.concat(rows).drop_duplicates("Vestiging").sort_values("Vestiging")
    names: dict[str, str] = {}
    for code, naam in zip(v["Vestiging"], v["Naam vestiging"]):
        if str(naam):
            names.setdefault(str(code)[:4], str(naam))
    return names


def k3_growth_cells(k3a: pd.DataFrame) -> list[str]:
    """The cells Kijkglas 3a splits its flows into: `L`, `M`, `H` (vso) or `<8 L` … `8+ H` (so)."""
    return [c[len("Instroom "):] for c in k3a.columns
            if c.startswith("Instroom ") and not c.endswith(TOTAAL)]


def k3_growth_per_category(k3a: pd.DataFrame, owner: str) -> list[dict]:
    """Per school of this SWV's 3a rows the growth (instroom minus uitstroom) per category, and for
    the so per age group too: {brin, cells: {cell: growth}, groei}."""
    own = k3a[k3a["SWV"] == owner]
    cells = k3_growth_cells(k3a)
    out: dict[str, dict] = {}
    for _, r in own.iterrows():
        s = out.setdefault(str(r["BRIN (v)so"]), {"brin": str(r["BRIN (v)so"]), "cells": dict.fromkeys(cells, 0)})
        for c in cells:
            s["cells"][c] += r[f"Instroom {c}"] - r[f"Uitstroom {c}"]
    rows = sorted(out.values(), key=lambda s: s["brin"])
    for s in rows:
        s["groei"] = sum(s["cells"].values())
    return rows


def k3_totals(schools: list[dict]) -> dict:
    """The sums over an SWV's schools of k3_per_school's figures."""
    keys = ("3a_in", "3a_uit", "groei", "3b_in", "3b_uit")
    return {k: sum(s[k] for s in schools) for k in keys}


def k4_rows(k4_sbao: pd.DataFrame) -> tuple[list[dict], dict | None]:
    """The sbao vestigingen (oktober, februari, verschil) and the Totaal row."""
    rows = [{"vestiging": r["Vestiging"], "naam": r["Naam vestiging"], "oktober": r["Aantal 1 oktober"],
             "februari": r["Aantal 1 februari"], "verschil": r["Verschil"]}
            for _, r in k4_sbao.iterrows()]
    totaal = next((r for r in rows if r["vestiging"] == TOTAAL), None)
    return [r for r in rows if r["vestiging"] != TOTAAL], totaal


CATEGORIES = ("L", "M", "H")


def k3_school_rows(frame: pd.DataFrame, brin: str) -> list[dict]:
    """A (v)so school's rows of one national Kijkglas 3 table: per SWV the instroom and uitstroom
    per category (the age groups added up) and the saldo."""
    own = frame[frame["BRIN (v)so"] == brin]
    rows = []
    for _, r in own.iterrows():
        row = {"swv": r["SWV"]}
        for direction in ("Instroom", "Uitstroom"):
            for cat in CATEGORIES:
                row[f"{direction} {cat}"] = sum(r[c] for c in frame.columns
                                                if c.startswith(direction) and c.endswith(f" {cat}"))
            row[f"{direction} Totaal"] = sum(row[f"{direction} {cat}"] for cat in CATEGORIES)
        row["Saldo"] = row["Instroom Totaal"] - row["Uitstroom Totaal"]
        rows.append(row)
    return rows


def brins(frames: list[pd.DataFrame]) -> list[str]:
    """Every (v)so school (BRIN) in the national Kijkglas 3 tables, sorted."""
    return sorted({str(b) for f in frames for b in f["BRIN (v)so"]})
