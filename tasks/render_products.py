"""Documents of Kijkglas 2, 3, 4 and 5: workbooks, data/*.csv and the PDF job, per product.

Same pattern as `tasks.render.kijkglas_1_documents`: each `kijkglas_<n>_documents(result,
version_dir, change_report=None)` writes the Excel workbook(s) and `data/<stem>.csv` for every
table into `version_dir` and returns `(written paths, PdfJob)`; the caller renders the PDF (alone
or many together with `render_pdfs_parallel`). The PDF contexts hold plain Python types only.

- Kijkglas 2  `kijkglas-2_<swv>.xlsx`: "Algemene gegevens" sheet + one detail sheet per blok
              (2.2 TLV, 2.3 CvI, 2.4 RP en zonder TLV); `kijkglas-2_<swv>.pdf`.
- Kijkglas 3  national (`kijkglas_3_openbaar_documents`, result.swv is None): four workbooks
              `kijkglas-3a-po.xlsx` … `kijkglas-3b-vo.xlsx` in the berekeningsmodule layout of
              outputs.md (header on row 10: `SWV`, `BRIN (v)so`, C–R / C–J; data from row 11),
              and `kijkglas-3.pdf`. Per SWV (`kijkglas_3_documents`): `kijkglas-3_<swv>.xlsx` with
              sheets "3a" and "3b" in that same layout, and `kijkglas-3_<swv>.pdf`.
- Kijkglas 4  `kijkglas-4_<swv>.xlsx` (groei sbao per vestiging, with Totaal) and PDF.
- Kijkglas 5  `kijkglas-5_<swv>.xlsx` (two blocks, two sheets) and PDF.

tasks/render.py re-exports the five `*_documents` functions at its end; the names this module
needs from tasks/render.py are imported at the bottom of this file, so that importing either
module first works (see the note there).
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

# --------------------------------------------------------------------------------------------
# Labels (as the handleiding spells them) and file names
# --------------------------------------------------------------------------------------------

K2_TITLE = "Kijkglas 2 – Inschrijvingen (v)so"
K3_TITLE = "Kijkglas 3 – Groei (v)so"
K4_TITLE = "Kijkglas 4 – Groei speciale school voor basisonderwijs (sbao)"
K5_TITLE = "Kijkglas 5 – Overzicht voor verrekening grensverkeer sbao door samenwerkingsverbanden"

# stem -> (blok, caption, sheet name)
K2_BLOCKS = {
    "k2_tlv": ("2.2", "Leerlingen met een toelaatbaarheidsverklaring", "2.2 TLV"),
    "k2_cvi": ("2.3", "Leerlingen nog ingeschreven op basis van CvI-indicatie", "2.3 CvI"),
    "k2_overig": ("2.4", "Leerlingen ingeschreven op een residentiële instelling of ingeschreven zonder "
                         "toelaatbaarheidsverklaring, toegewezen aan een samenwerkingsverband",
                  "2.4 RP en zonder TLV"),
}
K2_CAPTIONS = {stem: f"Blok {nr} – {caption}" for stem, (nr, caption, _) in K2_BLOCKS.items()}
K2_VERLOOPT_MAX = 15
DOORSTROOM_IN = "Instroom van andere (v)so"
DOORSTROOM_UIT = "Uitstroom naar andere (v)so"

K3_DELEN = {
    "a": "In-uitstroom in het (v)so",
    "b": "Doorstroom van en naar andere (v)so, zelfde sector",
}
K3_CAPTIONS = {
    **{f"k3{p}_{s.lower()}": f"Kijkglas-3{p}-{s.lower()}: {K3_DELEN[p]}" for p in "ab" for s in ("PO", "VO")},
    **{f"k3{p}": f"Kijkglas-3{p}: {K3_DELEN[p]}" for p in "ab"},
}
K3_KEY = ["SWV", "BRIN (v)so"]

K4_CAPTIONS = {"k4_sbao": "Aantallen per vestiging"}

K5_CAPTIONS = {
    "k5_inkomend": "Leerlingen op sbao gestart in voorgaand schooljaar afkomstig uit een ander samenwerkingsverband",
    "k5_uitgaand": "Leerlingen in voorgaand schooljaar overgestapt naar sbao buiten het samenwerkingsverband",
}
K5_SHEETS = {"k5_inkomend": "Gestart op sbao uit ander SWV", "k5_uitgaand": "Overgestapt naar sbao elders"}


def k2_filenames(swv_code: str) -> dict[str, str]:
    return {"xlsx": f"kijkglas-2_{swv_code}.xlsx", "pdf": f"kijkglas-2_{swv_code}.pdf"}


def k3_openbaar_filenames() -> dict[str, str]:
    return {**{f"k3{p}_{s}": f"kijkglas-3{p}-{s}.xlsx" for p in "ab" for s in ("po", "vo")},
            "pdf": "kijkglas-3.pdf"}


def k3_filenames(swv_code: str) -> dict[str, str]:
    return {"xlsx": f"kijkglas-3_{swv_code}.xlsx", "pdf": f"kijkglas-3_{swv_code}.pdf"}


def k4_filenames(swv_code: str) -> dict[str, str]:
    return {"xlsx": f"kijkglas-4_{swv_code}.xlsx", "pdf": f"kijkglas-4_{swv_code}.pdf"}


def k5_filenames(swv_code: str) -> dict[str, str]:
    return {"xlsx": f"kijkglas-5_{swv_code}.xlsx", "pdf": f"kijkglas-5_{swv_code}.pdf"}


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def _schooljaar_dates(schooljaar: str) -> dict[str, date]:
    """Teldatum 1-10-T, peildatum 1-2-(T+1) and the end of the schooljaar 31-7-(T+1)."""
    t = int(str(schooljaar).split("-")[0])
    return {"teldatum": date(t, 10, 1), "peildatum": date(t + 1, 2, 1), "einde": date(t + 1, 7, 31)}


def _einde_schooljaar_van(d: date) -> date:
    """31 July of the schooljaar that contains `d`."""
    return date(d.year + 1 if d.month >= 8 else d.year, 7, 31)


def _ag_value(result, label: str) -> Any:
    for row in result.algemene_gegevens:
        if row and str(row[0]).strip().lower() == label.lower() and len(row) > 1:
            return row[1]
    return None


def _int(v: Any) -> int:
    v = _cell_value(v, as_int=True)
    return int(v) if v is not None else 0


def _count(frame: pd.DataFrame | None, column: str, value: str) -> int:
    if frame is None or column not in frame.columns:
        return 0
    return int((frame[column] == value).sum())


def _distinct(frame: pd.DataFrame | None, column: str) -> int:
    if frame is None or column not in frame.columns:
        return 0
    return int(frame[column].dropna().nunique())


def _base_context(result, titel: str, product_kort: str, names: dict[str, str],
                  captions: dict[str, str], change_report: list[dict] | None) -> dict:
    """What every Kijkglas 2–5 template uses (see base.html and kijkglas-1_context)."""
    swv = result.swv
    code = swv.swv_code if swv else "openbaar"
    return {
        "document_title": f"{titel} – {code}",
        "product": result.product,
        "product_titel": titel,
        "swv_code": code,
        "swv_naam": swv.naam if swv else "",
        "sector": swv.sector if swv else "",
        "schooljaar": result.schooljaar,
        "stand_per": format_nl(result.stand_per),
        "aanmaakdatum": result.aanmaakdatum.isoformat(),
        "aanmaakdatum_nl": format_nl(result.aanmaakdatum),
        "algemene_gegevens": algemene_gegevens_context(_general_rows(result)),
        "bestanden": names,
        "footer": f"{code} · {product_kort} · schooljaar {result.schooljaar} · "
                  f"stand per {format_nl(result.stand_per)}",
        "change_report": change_report_context(
            change_report if change_report is not None else result.extra.get("change_report"),
            captions),
    }


def _require_swv(result, product: str) -> None:
    if result.swv is None:
        raise ValueError(f"{product} is made per SWV")


def _prepare_dir(version_dir: str | os.PathLike) -> Path:
    version_dir = Path(version_dir)
    version_dir.mkdir(parents=True, exist_ok=True)
    return version_dir


def _frame(rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=list(columns))


# --------------------------------------------------------------------------------------------
# Kijkglas 2
# --------------------------------------------------------------------------------------------

def _k2_numbers(result) -> dict:
    tables = result.tables
    blocks = []
    for stem, (nr, caption, sheet) in K2_BLOCKS.items():
        t = tables.get(stem)
        blocks.append({
            "stem": stem, "blok": nr, "caption": caption, "sheet": sheet,
            "regels": 0 if t is None else int(len(t)),
            "leerlingen": _distinct(t, "DUO-nummer leerling"),
            "bekostigd_j": _count(t, "Voldoet bekost. criteria", "J"),
            "bekostigd_n": _count(t, "Voldoet bekost. criteria", "N"),
        })
    frames = [tables[s] for s in K2_BLOCKS if s in tables]
    common = ["DUO-nummer leerling", "Instroom", "Uitstroom", "Doorstroom"]
    alle = (pd.concat([f[[c for c in common if c in f.columns]] for f in frames], ignore_index=True)
            if frames else pd.DataFrame(columns=common))
    per_leerling = alle["DUO-nummer leerling"].value_counts() if len(alle) else pd.Series(dtype=int)
    n: dict[str, Any] = {
        "blokken": blocks,
        "regels": int(len(alle)),
        "leerlingen": _distinct(alle, "DUO-nummer leerling"),
        "bekostigd_j": sum(b["bekostigd_j"] for b in blocks),
        "bekostigd_n": sum(b["bekostigd_n"] for b in blocks),
        "meer_regels": int((per_leerling > 1).sum()),
        "instroom": _count(alle, "Instroom", "J"),
        "uitstroom": _count(alle, "Uitstroom", "J"),
        "doorstroom_in": _count(alle, "Doorstroom", DOORSTROOM_IN),
        "doorstroom_uit": _count(alle, "Doorstroom", DOORSTROOM_UIT),
    }

    # TLVs to re-assess: one line per (pupil, TLV), the school of its latest period
    tlv = tables.get("k2_tlv")
    peil = _as_date(result.stand_per) or result.stand_per
    n["einde_schooljaar"] = format_nl(_einde_schooljaar_van(peil))
    n["verloopt"] = 0
    n["verloopt_verlopen"] = 0
    n["verloopt_leerlingen"] = 0
    n["verloopt_rijen"] = []
    if tlv is not None and "TLV verloopt" in tlv.columns and len(tlv):
        v = tlv[tlv["TLV verloopt"] == "J"]
        if len(v):
            v = (v.sort_values(["DUO-nummer leerling", "TLV nummer", "Begindatum geldigheid gegevens"],
                               kind="stable")
                 .drop_duplicates(["DUO-nummer leerling", "TLV nummer"], keep="last")
                 .sort_values(["Einddatum TLV", "DUO-nummer leerling", "TLV nummer"], kind="stable"))
            eind = [_as_date(x) for x in v["Einddatum TLV"]]
            n["verloopt"] = int(len(v))
            n["verloopt_verlopen"] = sum(1 for d in eind if d is not None and d < peil)
            n["verloopt_leerlingen"] = _distinct(v, "DUO-nummer leerling")
            cols = ["DUO-nummer leerling", "Vestiging", "TLV nummer", "Einddatum TLV"]
            n["verloopt_rijen"] = [[format_nl(x) for x in r]
                                   for r in frame_rows(v[cols].head(K2_VERLOOPT_MAX))]

    overig = tables.get("k2_overig")
    if overig is not None and "Resid. leerling" in overig.columns:
        zonder = overig[overig["Resid. leerling"] == "N"]
        rp = overig[overig["Resid. leerling"] == "J"]
    else:
        zonder = rp = None
    n["zonder_tlv"] = _distinct(zonder, "DUO-nummer leerling")
    n["zonder_tlv_regels"] = 0 if zonder is None else int(len(zonder))
    n["zonder_tlv_bekostigd"] = _distinct(
        None if zonder is None else zonder[zonder["Voldoet bekost. criteria"] == "J"], "DUO-nummer leerling")
    n["rp"] = _distinct(rp, "DUO-nummer leerling")
    cvi = tables.get("k2_cvi")
    n["cvi"] = _distinct(cvi, "DUO-nummer leerling")
    n["cvi_soorten"] = ([(str(k), int(c)) for k, c in
                         cvi.drop_duplicates("DUO-nummer leerling")["Soort indicatie"].value_counts()
                         .sort_index().items()]
                        if cvi is not None and len(cvi) and "Soort indicatie" in cvi.columns else [])
    return n


def _k2_overview(n: dict) -> dict:
    rows = [[f"Blok {b['blok']}", b["sheet"], b["regels"], b["leerlingen"], b["bekostigd_j"], b["bekostigd_n"]]
            for b in n["blokken"]]
    rows.append(["Totaal", "", n["regels"], n["leerlingen"], n["bekostigd_j"], n["bekostigd_n"]])
    return table_context(_frame(rows, ["Blok", "Tabblad", "Regels", "Leerlingen",
                                       "Voldoet bekost. criteria J", "Voldoet bekost. criteria N"]))


def kijkglas_2_context(result, change_report: list[dict] | None = None) -> dict:
    """Template context (plain types) for templates/kijkglas-2.html."""
    code = result.swv.swv_code if result.swv else "openbaar"
    ctx = _base_context(result, K2_TITLE, "Kijkglas 2", k2_filenames(code), K2_CAPTIONS, change_report)
    d = _schooljaar_dates(result.schooljaar)
    n = _k2_numbers(result)
    ctx.update({
        "n": n,
        "overzicht": _k2_overview(n),
        "marks_visible": bool(result.extra.get("marks_visible")),
        "teldatum": format_nl(d["teldatum"]),
        "peildatum": format_nl(d["peildatum"]),
        "begin_schooljaar": format_nl(date(d["teldatum"].year, 8, 1)),
        "einde_schooljaar": format_nl(d["einde"]),
        "kalenderjaar": d["teldatum"].year,
        "verloopt_max": K2_VERLOOPT_MAX,
    })
    return ctx


def kijkglas_2_documents(result, version_dir: str | os.PathLike,
                         change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """Kijkglas 2 for one SWV: the workbook (Algemene gegevens + blok 2.2, 2.3, 2.4), data/*.csv
    and the PDF job."""
    _require_swv(result, "Kijkglas 2")
    version_dir = _prepare_dir(version_dir)
    code = result.swv.swv_code
    names = k2_filenames(code)
    sheets = [Sheet("Algemene gegevens", [])]
    for stem, (nr, caption, sheet) in K2_BLOCKS.items():
        if stem in result.tables:
            sheets.append(Sheet(sheet, [(f"Blok {nr} – {caption}", result.tables[stem])], detail=True,
                                algemene_gegevens=False))
    written = [write_workbook(version_dir / names["xlsx"], f"{K2_TITLE} – {code} {result.swv.naam}",
                              _general_rows(result), sheets, timestamp=result.aanmaakdatum)]
    written += write_csv_tables(result.tables, version_dir / "data")
    job = PdfJob("kijkglas-2.html", kijkglas_2_context(result, change_report), version_dir / names["pdf"])
    return written, job


# --------------------------------------------------------------------------------------------
# Kijkglas 3: the berekeningsmodule layout
# --------------------------------------------------------------------------------------------

K3_HEADER_ROW = 10


def k3_count_columns(sector: str) -> list[str]:
    """Columns C–R (PO: <8 and 8+) or C–J (VO) of the berekeningsmodule contract, in order."""
    ages = ["<8 ", "8+ "] if sector == "PO" else [""]
    return [f"{r} {a}{c}" for a in ages for r in ("Instroom", "Uitstroom") for c in ("L", "M", "H", "Totaal")]


def k3_column_groups(part: str, sector: str) -> list[tuple[str, str, str]]:
    """The group labels on row 9, as (label, first column, last column) of the frame."""
    cols = k3_count_columns(sector)
    ages = ["<8", "8+"] if sector == "PO" else [""]
    groups = []
    for i, age in enumerate(ages):
        block = cols[8 * i: 8 * i + 8]
        suffix = f" {age}" if age else ""
        if part == "a":
            groups.append((f"{K3_DELEN['a']}{suffix}", block[0], block[7]))
        else:
            groups.append((f"{DOORSTROOM_IN}{suffix}", block[0], block[3]))
            groups.append((f"{DOORSTROOM_UIT}{suffix}", block[4], block[7]))
    return groups


def k3_check_table(frame: pd.DataFrame, sector: str, name: str = "") -> pd.DataFrame:
    """The table in contract form: exact columns, sorted by SWV then BRIN, each Totaal column the
    sum of its three cells (a mismatch is an error, not something to print)."""
    expected = K3_KEY + k3_count_columns(sector)
    if [str(c) for c in frame.columns] != expected:
        raise ValueError(f"Kijkglas 3 {name}: columns {list(frame.columns)} are not {expected}")
    t = frame.sort_values(K3_KEY, kind="stable").reset_index(drop=True)
    counts = t[expected[2:]].fillna(0).astype("int64")
    for total in [c for c in expected[2:] if c.endswith("Totaal")]:
        parts = [total[: -len("Totaal")] + x for x in "LMH"]
        bad = counts[total] != counts[parts].sum(axis=1)
        if bad.any():
            i = int(bad.idxmax())
            raise ValueError(f"Kijkglas 3 {name}: {total} is not the sum of {parts} "
                             f"for {t.at[i, 'SWV']} {t.at[i, 'BRIN (v)so']}")
    return pd.concat([t[K3_KEY], counts], axis=1)


def k3_algemene_gegevens(result) -> list[tuple[str, Any]]:
    """Rows 4–7 of every Kijkglas 3 sheet (the handleiding's four labels), so that the group
    labels land on row 9 and the header on row 10."""
    d = _schooljaar_dates(result.schooljaar)
    peil = _as_date(_ag_value(result, "Peildatum")) or d["peildatum"]
    return [("Schooljaar", result.schooljaar), ("Peildatum", peil),
            ("Bijgewerkt tot", result.stand_per), ("Aanmaakdatum", result.aanmaakdatum)]


def _k3_sheet(name: str, frame: pd.DataFrame, part: str, sector: str) -> Sheet:
    return Sheet(name, [(None, frame)], detail=True, header_row=K3_HEADER_ROW,
                 column_groups=k3_column_groups(part, sector))


def _k3_sector_title(part: str, sector: str) -> str:
    return f"Kijkglas-3{part}-{sector.lower()}: {K3_DELEN[part]} ({'so' if sector == 'PO' else 'vso'})"


def _k3_totals(frame: pd.DataFrame, sector: str) -> dict:
    """Sums per group and category: a small table, the in/out totals and the number of rows."""
    ages = ["<8", "8+"] if sector == "PO" else [""]
    rows, tot = [], {"Instroom": 0, "Uitstroom": 0}
    for age in ages:
        for r in ("Instroom", "Uitstroom"):
            prefix = f"{r} {age} " if age else f"{r} "
            vals = [int(frame[prefix + c].sum()) if len(frame) else 0 for c in ("L", "M", "H", "Totaal")]
            rows.append([f"{r} {age}".strip()] + vals)
            tot[r] += vals[3]
    return {
        "tabel": table_context(_frame(rows, ["Groep", "L", "M", "H", "Totaal"])),
        "instroom": tot["Instroom"], "uitstroom": tot["Uitstroom"],
        "saldo": tot["Instroom"] - tot["Uitstroom"],
        "regels": int(len(frame)),
        "swvs": _distinct(frame, "SWV"),
        "scholen": _distinct(frame, "BRIN (v)so"),
    }


def _k3_per_school(frame: pd.DataFrame, sector: str) -> dict:
    """Per BRIN: the Totaal columns and the saldo (instroom minus uitstroom), with a Totaal row."""
    tot_cols = [c for c in k3_count_columns(sector) if c.endswith("Totaal")]
    t = frame.groupby("BRIN (v)so", sort=True)[tot_cols].sum().reset_index() if len(frame) \
        else pd.DataFrame(columns=["BRIN (v)so"] + tot_cols)
    ins = [c for c in tot_cols if c.startswith("Instroom")]
    uit = [c for c in tot_cols if c.startswith("Uitstroom")]
    t["Saldo"] = t[ins].sum(axis=1) - t[uit].sum(axis=1) if len(t) else pd.Series(dtype="int64")
    total = ["Totaal"] + [int(t[c].sum()) if len(t) else 0 for c in tot_cols + ["Saldo"]]
    t = pd.concat([t, _frame([total], ["BRIN (v)so"] + tot_cols + ["Saldo"])], ignore_index=True)
    t = t.rename(columns={c: c.replace(" Totaal", "") for c in tot_cols})
    return table_context(t)


def kijkglas_3_openbaar_context(result, tables: dict[str, pd.DataFrame],
                                change_report: list[dict] | None = None) -> dict:
    """Template context for templates/kijkglas-3.html, national version."""
    names = k3_openbaar_filenames()
    ctx = _base_context(result, K3_TITLE, "Kijkglas 3", names, K3_CAPTIONS, change_report)
    d = _schooljaar_dates(result.schooljaar)
    delen = []
    for stem, frame in tables.items():
        part, sector = stem[2], stem.split("_")[1].upper()
        delen.append({"stem": stem, "deel": part, "sector": sector, "titel": _k3_sector_title(part, sector),
                      "bestand": names.get(stem, ""), "csv": f"{stem}.csv",
                      "laatste_kolom": "R" if sector == "PO" else "J",
                      **_k3_totals(frame, sector)})
    ctx.update({
        "openbaar": True,
        "document_title": f"{K3_TITLE} – landelijk overzicht",
        "footer": f"Kijkglas 3 · landelijk · schooljaar {result.schooljaar} · "
                  f"bijgewerkt tot {format_nl(result.stand_per)}",
        "delen": delen,
        "teldatum": format_nl(d["teldatum"]),
        "peildatum": format_nl(d["peildatum"]),
        "volgend_schooljaar": f"{d['teldatum'].year + 1}-{d['teldatum'].year + 2}",
        "algemene_gegevens": algemene_gegevens_context(k3_algemene_gegevens(result)),
    })
    return ctx


def kijkglas_3_openbaar_documents(result, version_dir: str | os.PathLike,
                                  change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """The national Kijkglas 3: four workbooks (3a/3b × PO/VO) in the berekeningsmodule layout,
    data/k3a_po.csv … k3b_vo.csv and the PDF job of kijkglas-3.pdf."""
    if result.swv is not None:
        raise ValueError("the national Kijkglas 3 has no SWV; use kijkglas_3_documents")
    version_dir = _prepare_dir(version_dir)
    names = k3_openbaar_filenames()
    general = k3_algemene_gegevens(result)
    tables: dict[str, pd.DataFrame] = {}
    written: list[Path] = []
    for stem, frame in result.tables.items():
        if stem not in names:
            raise ValueError(f"unknown national Kijkglas 3 table {stem!r}")
        part, sector = stem[2], stem.split("_")[1].upper()
        t = k3_check_table(frame, sector, stem)
        tables[stem] = t
        written.append(write_workbook(
            version_dir / names[stem], f"{K3_TITLE} – {_k3_sector_title(part, sector)}", general,
            [_k3_sheet(f"3{part}-{sector.lower()}", t, part, sector)], timestamp=result.aanmaakdatum))
    written += write_csv_tables(tables, version_dir / "data")
    job = PdfJob("kijkglas-3.html", kijkglas_3_openbaar_context(result, tables, change_report),
                 version_dir / names["pdf"])
    return written, job


def kijkglas_3_context(result, tables: dict[str, pd.DataFrame],
                       change_report: list[dict] | None = None) -> dict:
    """Template context for templates/kijkglas-3.html, one SWV's own rows."""
    code = result.swv.swv_code
    sector = result.swv.sector
    names = k3_filenames(code)
    ctx = _base_context(result, K3_TITLE, "Kijkglas 3", names, K3_CAPTIONS, change_report)
    d = _schooljaar_dates(result.schooljaar)
    delen = []
    for stem, frame in tables.items():
        part = stem[2]
        delen.append({"stem": stem, "deel": part, "sector": sector, "titel": f"Kijkglas-3{part}: {K3_DELEN[part]}",
                      "tabblad": f"3{part}", "csv": f"{stem}.csv",
                      "laatste_kolom": "R" if sector == "PO" else "J",
                      "per_school": _k3_per_school(frame, sector),
                      **_k3_totals(frame, sector)})
    ctx.update({
        "openbaar": False,
        "delen": delen,
        "teldatum": format_nl(d["teldatum"]),
        "peildatum": format_nl(d["peildatum"]),
        "volgend_schooljaar": f"{d['teldatum'].year + 1}-{d['teldatum'].year + 2}",
        "openbaar_bestanden": k3_openbaar_filenames(),
    })
    return ctx


def kijkglas_3_documents(result, version_dir: str | os.PathLike,
                         change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """One SWV's Kijkglas 3: its own rows on sheets "3a" and "3b" in the national layout (so the
    berekeningsmodule steps are the same), data/k3a.csv and k3b.csv, and the PDF job."""
    _require_swv(result, "Kijkglas 3 (per SWV)")
    version_dir = _prepare_dir(version_dir)
    code, sector = result.swv.swv_code, result.swv.sector
    names = k3_filenames(code)
    tables = {stem: k3_check_table(frame, sector, stem) for stem, frame in result.tables.items()}
    sheets = [_k3_sheet(f"3{stem[2]}", t, stem[2], sector) for stem, t in tables.items()]
    written = [write_workbook(version_dir / names["xlsx"],
                              f"{K3_TITLE} – {code} {result.swv.naam} ({'so' if sector == 'PO' else 'vso'})",
                              k3_algemene_gegevens(result), sheets, timestamp=result.aanmaakdatum)]
    written += write_csv_tables(tables, version_dir / "data")
    job = PdfJob("kijkglas-3.html", kijkglas_3_context(result, tables, change_report), version_dir / names["pdf"])
    return written, job


# --------------------------------------------------------------------------------------------
# Kijkglas 4
# --------------------------------------------------------------------------------------------

def kijkglas_4_context(result, change_report: list[dict] | None = None) -> dict:
    code = result.swv.swv_code
    ctx = _base_context(result, K4_TITLE, "Kijkglas 4", k4_filenames(code), K4_CAPTIONS, change_report)
    d = _schooljaar_dates(result.schooljaar)
    t = result.tables.get("k4_sbao")
    if t is None:
        t = pd.DataFrame(columns=["Vestiging", "Naam vestiging", "Aantal 1 oktober", "Aantal 1 februari", "Verschil"])
    body = t[t["Vestiging"] != "Totaal"]
    totaal = t[t["Vestiging"] == "Totaal"]

    def tot(col: str) -> int:
        return _int(totaal[col].iloc[0]) if len(totaal) else int(body[col].sum()) if len(body) else 0
    verschil = [_int(v) for v in body["Verschil"]]
    groei = body[[v > 0 for v in verschil]] if len(body) else body
    ctx.update({
        "k4": table_context(t, K4_CAPTIONS["k4_sbao"]),
        "n": {"vestigingen": int(len(body)), "oktober": tot("Aantal 1 oktober"),
              "februari": tot("Aantal 1 februari"), "verschil": tot("Verschil"),
              "groei_vestigingen": int(len(groei)),
              "groei_som": int(sum(v for v in verschil if v > 0)),
              "krimp_vestigingen": sum(1 for v in verschil if v < 0),
              "gelijk_vestigingen": sum(1 for v in verschil if v == 0),
              "groei_lijst": [{"vestiging": str(r["Vestiging"]), "naam": format_nl(r["Naam vestiging"]),
                               "verschil": _int(r["Verschil"])} for _, r in groei.iterrows()]},
        "teldatum": format_nl(d["teldatum"]),
        "peildatum": format_nl(d["peildatum"]),
        "volgend_schooljaar": f"{d['teldatum'].year + 1}-{d['teldatum'].year + 2}",
    })
    return ctx


def kijkglas_4_documents(result, version_dir: str | os.PathLike,
                         change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """Kijkglas 4 for one PO SWV: the workbook (groei sbao per vestiging), data/k4_sbao.csv, PDF job."""
    _require_swv(result, "Kijkglas 4")
    version_dir = _prepare_dir(version_dir)
    code = result.swv.swv_code
    names = k4_filenames(code)
    sheets = [Sheet("Groei sbao", [(K4_CAPTIONS[stem], frame)], detail=True)
              for stem, frame in result.tables.items()]
    written = [write_workbook(version_dir / names["xlsx"], f"{K4_TITLE} – {code}", _general_rows(result),
                              sheets, timestamp=result.aanmaakdatum)]
    written += write_csv_tables(result.tables, version_dir / "data")
    job = PdfJob("kijkglas-4.html", kijkglas_4_context(result, change_report), version_dir / names["pdf"])
    return written, job


# --------------------------------------------------------------------------------------------
# Kijkglas 5
# --------------------------------------------------------------------------------------------

def _k5_block(frame: pd.DataFrame | None, partner_col: str, partner_label: str) -> dict:
    if frame is None:
        frame = pd.DataFrame(columns=[partner_col, "Bek 1/10"])
    per = (frame.groupby(partner_col, dropna=False)["Bek 1/10"]
           .agg(leerlingen="size", bek=lambda s: int((s == "J").sum())).reset_index()
           if len(frame) else pd.DataFrame(columns=[partner_col, "leerlingen", "bek"]))
    rows = [[format_nl(r[partner_col]) or "onbekend", int(r["leerlingen"]), int(r["bek"])]
            for _, r in per.iterrows()]
    rows.append(["Totaal", int(len(frame)), _count(frame, "Bek 1/10", "J")])
    return {
        "leerlingen": int(len(frame)),
        "bek_j": _count(frame, "Bek 1/10", "J"),
        "bek_n": _count(frame, "Bek 1/10", "N"),
        "swvs": _distinct(frame, partner_col),
        "per_swv": table_context(_frame(rows, [partner_label, "Leerlingen", "Bek 1/10 = J"])),
    }


def kijkglas_5_context(result, change_report: list[dict] | None = None) -> dict:
    code = result.swv.swv_code
    ctx = _base_context(result, K5_TITLE, "Kijkglas 5", k5_filenames(code), K5_CAPTIONS, change_report)
    d = _schooljaar_dates(result.schooljaar)
    ctx.update({
        "captions": K5_CAPTIONS,
        "tabbladen": K5_SHEETS,
        "inkomend": _k5_block(result.tables.get("k5_inkomend"), "SWV bao vestiging", "SWV bao vestiging"),
        "uitgaand": _k5_block(result.tables.get("k5_uitgaand"), "SWV sbao vestiging", "SWV sbao vestiging"),
        "teldatum": format_nl(d["teldatum"]),
        "begin_schooljaar": format_nl(date(d["teldatum"].year, 8, 1)),
        "einde_schooljaar": format_nl(d["einde"]),
    })
    return ctx


def kijkglas_5_documents(result, version_dir: str | os.PathLike,
                         change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """Kijkglas 5 for one PO SWV: the workbook (the two blocks on two sheets), data/*.csv, PDF job."""
    _require_swv(result, "Kijkglas 5")
    version_dir = _prepare_dir(version_dir)
    code = result.swv.swv_code
    names = k5_filenames(code)
    sheets = [Sheet(K5_SHEETS.get(stem, stem), [(K5_CAPTIONS.get(stem, stem), frame)], detail=True)
              for stem, frame in result.tables.items()]
    written = [write_workbook(version_dir / names["xlsx"], f"{K5_TITLE} – {code}", _general_rows(result),
                              sheets, timestamp=result.aanmaakdatum)]
    written += write_csv_tables(result.tables, version_dir / "data")
    job = PdfJob("kijkglas-5.html", kijkglas_5_context(result, change_report), version_dir / names["pdf"])
    return written, job


# --------------------------------------------------------------------------------------------
# Names from tasks/render.py. Imported last on purpose: tasks/render.py re-exports this module's
# `*_documents` at its own end, so whichever of the two modules is imported first, the other finds
# everything it needs already defined (the functions above only look these names up when called).
# --------------------------------------------------------------------------------------------
from tasks.render import (  # noqa: E402
    PdfJob, Sheet, _as_date, _cell_value, _general_rows, algemene_gegevens_context, change_report_context,
    format_nl, frame_rows, table_context, write_csv_tables, write_workbook,
)
