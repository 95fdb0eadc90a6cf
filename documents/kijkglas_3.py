"""The documents of Kijkglas 3 in the berekeningsmodule layout of outputs.md (header on row 10:
`SWV`, `BRIN (v)so`, C–R / C–J; data from row 11). National (openbaar): four workbooks
`kijkglas-3a-po.xlsx` … `kijkglas-3b-vo.xlsx` and `kijkglas-3.pdf`; per SWV: `kijkglas-3_<swv>.xlsx`
with sheets 3a and 3b, and its PDF."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from documents.changes import ChangeWords, FlowWords
from documents.context import algemene_gegevens_context, table_context
from documents.csv_tables import write_csv_tables
from documents.pdf import PdfJob
from documents.shared import (DOORSTROOM_IN, DOORSTROOM_UIT, base_context, distinct_of, frame_of,
                              prepare_dir, require_swv, schooljaar_dates, version_footer, version_rows)
from documents.values import format_nl
from documents.workbook import Sheet, write_workbook
from tasks import rules

TITLE = "Kijkglas 3 – Groei (v)so"
DELEN = {
    "a": "In-uitstroom in het (v)so",
    "b": "Doorstroom van en naar andere (v)so, zelfde sector",
}
CAPTIONS = {
    **{f"k3{p}_{s.lower()}": f"Kijkglas-3{p}-{s.lower()}: {DELEN[p]}" for p in "ab" for s in ("PO", "VO")},
    **{f"k3{p}": f"Kijkglas-3{p}: {DELEN[p]}" for p in "ab"},
}
KEY = ["SWV", "BRIN (v)so"]
_SHORT = {"a": "In-uitstroom (v)so", "b": "Doorstroom (v)so"}  # DELEN, short enough for a tab
CHANGES = ChangeWords(
    names=CAPTIONS,
    sheets={**{f"k3{p}_{s}": f"3{p}-{s} {_SHORT[p]}" for p in "ab" for s in ("po", "vo")},
            **{f"k3{p}": f"3{p} {_SHORT[p]}" for p in "ab"}},
    advice="Wat te doen: plak de nieuwe aantallen opnieuw in het tabblad ‘1 februari’ van de "
           "berekeningsmodule van de PO-Raad en VO-raad; de aantallen van de vorige versie kloppen niet meer.",
    # 3a: instroom − uitstroom is the growth; 3b: moves between (v)so schools, no growth (handleiding 4.2)
    flows={stem: (FlowWords(difference="Groei") if stem[2] == "a" else
                  FlowWords(DOORSTROOM_IN.lower(), DOORSTROOM_UIT.lower(), None, "Dit telt niet mee voor de groei."))
           for stem in CAPTIONS})

def openbaar_filenames() -> dict[str, str]:
    return {**{f"k3{p}_{s}": f"kijkglas-3{p}-{s}.xlsx" for p in "ab" for s in ("po", "vo")},
            "pdf": "kijkglas-3.pdf"}


def filenames(swv_code: str) -> dict[str, str]:
    return {"xlsx": f"kijkglas-3_{swv_code}.xlsx", "pdf": f"kijkglas-3_{swv_code}.pdf"}




K3_HEADER_ROW = 10
STAND_PER_LABEL = "Bijgewerkt tot"  # the handleiding's name for the stand per in Kijkglas 3


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
            groups.append((f"{DELEN['a']}{suffix}", block[0], block[7]))
        else:
            groups.append((f"{DOORSTROOM_IN}{suffix}", block[0], block[3]))
            groups.append((f"{DOORSTROOM_UIT}{suffix}", block[4], block[7]))
    return groups


def k3_check_table(frame: pd.DataFrame, sector: str, name: str = "") -> pd.DataFrame:
    """The table in contract form: exact columns, sorted by SWV then BRIN, each Totaal column the
    sum of its three cells (a mismatch is an error, not something to print)."""
    expected = KEY + k3_count_columns(sector)
    if [str(c) for c in frame.columns] != expected:
        raise ValueError(f"Kijkglas 3 {name}: columns {list(frame.columns)} are not {expected}")
    t = frame.sort_values(KEY, kind="stable").reset_index(drop=True)
    counts = t[expected[2:]].fillna(0).astype("int64")
    for total in [c for c in expected[2:] if c.endswith("Totaal")]:
        parts = [total[: -len("Totaal")] + x for x in "LMH"]
        bad = counts[total] != counts[parts].sum(axis=1)
        if bad.any():
            i = int(bad.idxmax())
            raise ValueError(f"Kijkglas 3 {name}: {total} is not the sum of {parts} "
                             f"for {t.at[i, 'SWV']} {t.at[i, 'BRIN (v)so']}")
    return pd.concat([t[KEY], counts], axis=1)


def k3_algemene_gegevens(result) -> list[tuple[str, Any]]:
    """Rows 4–7 of every Kijkglas 3 sheet (the handleiding's four labels), so that the group
    labels land on row 9 and the header on row 10."""
    return [("Schooljaar", result.schooljaar), ("Peildatum", result.algemene_gegevens.peildatum),
            (STAND_PER_LABEL, result.stand_per), ("Aanmaakdatum", result.aanmaakdatum)]


def k3_headers(part: str, sector: str) -> dict[str, str]:
    """The workbook and PDF header of each count column: in 3b the handleiding's "Instroom van
    andere (v)so …" / "Uitstroom naar andere (v)so …"; the CSV keeps the contract's short names."""
    if part != "b":
        return {}
    return {c: c.replace("Instroom", DOORSTROOM_IN, 1) if c.startswith("Instroom")
            else c.replace("Uitstroom", DOORSTROOM_UIT, 1) for c in k3_count_columns(sector)}


def _k3_sheet(name: str, frame: pd.DataFrame, part: str, sector: str) -> Sheet:
    headers = k3_headers(part, sector)
    groups = [(label, headers.get(first, first), headers.get(last, last))
              for label, first, last in k3_column_groups(part, sector)]
    return Sheet(name, [(None, frame.rename(columns=headers))], detail=True, header_row=K3_HEADER_ROW,
                 column_groups=groups)


def _k3_sector_title(part: str, sector: str) -> str:
    return f"Kijkglas-3{part}-{sector.lower()}: {DELEN[part]} ({'so' if sector == 'PO' else 'vso'})"


def _k3_totals(frame: pd.DataFrame, part: str, sector: str) -> dict:
    """Sums per group and category: a small table, the in/out totals and the number of rows."""
    ages = ["<8", "8+"] if sector == "PO" else [""]
    words = {"Instroom": DOORSTROOM_IN, "Uitstroom": DOORSTROOM_UIT} if part == "b" else {}
    rows, tot = [], {"Instroom": 0, "Uitstroom": 0}
    for age in ages:
        for r in ("Instroom", "Uitstroom"):
            prefix = f"{r} {age} " if age else f"{r} "
            vals = [int(frame[prefix + c].sum()) if len(frame) else 0 for c in ("L", "M", "H", "Totaal")]
            rows.append([f"{words.get(r, r)} {age}".strip()] + vals)
            tot[r] += vals[3]
    return {
        "tabel": table_context(frame_of(rows, ["Groep", "L", "M", "H", "Totaal"])),
        "instroom": tot["Instroom"], "uitstroom": tot["Uitstroom"],
        "saldo": tot["Instroom"] - tot["Uitstroom"],
        "regels": int(len(frame)),
        "swvs": distinct_of(frame, "SWV"),
        "scholen": distinct_of(frame, "BRIN (v)so"),
    }


def version_title(result) -> str:
    """The version on the workbook's title row (` · Versie v2 (actueel bij publicatie) · Vervangt v1: …`):
    rows 4–7 and the header on row 10 are fixed by the berekeningsmodule, so it cannot be a row of its own."""
    return "".join(f" · {label} {value}" for label, value in version_rows(result))


SALDO_KOP = {"a": "Groei (saldo 3a)", "b": "Saldo 3b (geen groei)"}


def _k3_per_school(frame: pd.DataFrame, part: str, sector: str) -> dict:
    """Per BRIN: the Totaal columns and the saldo (instroom minus uitstroom), with a Totaal row. In 3a
    the saldo is the growth; in 3b it is headed as what it is: moves that do not count for growth."""
    tot_cols = [c for c in k3_count_columns(sector) if c.endswith("Totaal")]
    t = frame.groupby("BRIN (v)so", sort=True)[tot_cols].sum().reset_index() if len(frame) \
        else pd.DataFrame(columns=["BRIN (v)so"] + tot_cols)
    ins = [c for c in tot_cols if c.startswith("Instroom")]
    uit = [c for c in tot_cols if c.startswith("Uitstroom")]
    t["Saldo"] = t[ins].sum(axis=1) - t[uit].sum(axis=1) if len(t) else pd.Series(dtype="int64")
    total = ["Totaal"] + [int(t[c].sum()) if len(t) else 0 for c in tot_cols + ["Saldo"]]
    t = pd.concat([t, frame_of([total], ["BRIN (v)so"] + tot_cols + ["Saldo"])], ignore_index=True)
    headers = k3_headers(part, sector)
    t = t.rename(columns={c: headers.get(c, c).replace(" Totaal", "") for c in tot_cols})
    return table_context(t.rename(columns={"Saldo": SALDO_KOP[part]}))


def openbaar_pdf_context(result, tables: dict[str, pd.DataFrame],
                                change_report: list[dict] | None = None) -> dict:
    """Template context for templates/kijkglas-3.html, national version."""
    names = openbaar_filenames()
    ctx = base_context(result, TITLE, "Kijkglas 3", names, CHANGES, change_report)
    d = schooljaar_dates(result.schooljaar)
    delen = []
    for stem, frame in tables.items():
        part, sector = stem[2], stem.split("_")[1].upper()
        delen.append({"stem": stem, "deel": part, "sector": sector, "titel": _k3_sector_title(part, sector),
                      "bestand": names.get(stem, ""), "csv": f"{stem}.csv",
                      "laatste_kolom": "R" if sector == "PO" else "J",
                      **_k3_totals(frame, part, sector)})
    ctx.update({
        "openbaar": True,
        "document_title": f"{TITLE} – landelijk overzicht",
        "footer": f"Kijkglas 3 · landelijk · schooljaar {result.schooljaar} · "
                  f"bijgewerkt tot {format_nl(result.stand_per)}{version_footer(result)}",
        "delen": delen,
        "teldatum": format_nl(d["teldatum"]),
        "peildatum": format_nl(d["peildatum"]),
        "volgend_schooljaar": rules.bekostigd_schooljaar(result.schooljaar),
        # the PDF names the version; the workbooks keep the berekeningsmodule's fixed rows 4–7
        "algemene_gegevens": algemene_gegevens_context(k3_algemene_gegevens(result) + version_rows(result)),
    })
    return ctx


def write_openbaar_documents(result, version_dir: str | os.PathLike,
                                  change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """The national Kijkglas 3: four workbooks (3a/3b × PO/VO) in the berekeningsmodule layout,
    data/k3a_po.csv … k3b_vo.csv and the PDF job of kijkglas-3.pdf."""
    if result.swv is not None:
        raise ValueError("the national Kijkglas 3 has no SWV; use documents")
    version_dir = prepare_dir(version_dir)
    names = openbaar_filenames()
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
            version_dir / names[stem], f"{TITLE} – {_k3_sector_title(part, sector)}{version_title(result)}", general,
            [_k3_sheet(f"3{part}-{sector.lower()}", t, part, sector)], timestamp=result.aanmaakdatum))
    written += write_csv_tables(tables, version_dir / "data")
    job = PdfJob("kijkglas-3.html", openbaar_pdf_context(result, tables, change_report),
                 version_dir / names["pdf"])
    return written, job


def pdf_context(result, tables: dict[str, pd.DataFrame],
                       change_report: list[dict] | None = None) -> dict:
    """Template context for templates/kijkglas-3.html, one SWV's own rows."""
    code = result.swv.swv_code
    sector = result.swv.sector
    names = filenames(code)
    ctx = base_context(result, TITLE, "Kijkglas 3", names, CHANGES, change_report, stand_per_label=STAND_PER_LABEL)
    d = schooljaar_dates(result.schooljaar)
    delen = []
    for stem, frame in tables.items():
        part = stem[2]
        delen.append({"stem": stem, "deel": part, "sector": sector, "titel": f"Kijkglas-3{part}: {DELEN[part]}",
                      "tabblad": f"3{part}", "csv": f"{stem}.csv",
                      "laatste_kolom": "R" if sector == "PO" else "J",
                      "per_school": _k3_per_school(frame, part, sector),
                      "scholen_brin": sorted(str(b) for b in frame["BRIN (v)so"].dropna().unique()),
                      **_k3_totals(frame, part, sector)})
    ctx.update({
        "openbaar": False,
        "delen": delen,
        "teldatum": format_nl(d["teldatum"]),
        "peildatum": format_nl(d["peildatum"]),
        "volgend_schooljaar": rules.bekostigd_schooljaar(result.schooljaar),
        "openbaar_bestanden": openbaar_filenames(),
    })
    return ctx


def write_documents(result, version_dir: str | os.PathLike,
                         change_report: list[dict] | None = None) -> tuple[list[Path], PdfJob]:
    """One SWV's Kijkglas 3: its own rows on sheets "3a" and "3b" in the national layout (so the
    berekeningsmodule steps are the same), data/k3a.csv and k3b.csv, and the PDF job."""
    require_swv(result, "Kijkglas 3 (per SWV)")
    version_dir = prepare_dir(version_dir)
    code, sector = result.swv.swv_code, result.swv.sector
    names = filenames(code)
    tables = {stem: k3_check_table(frame, sector, stem) for stem, frame in result.tables.items()}
    sheets = [_k3_sheet(f"3{stem[2]}", t, stem[2], sector) for stem, t in tables.items()]
    written = [write_workbook(version_dir / names["xlsx"],
                              f"{TITLE} – {code} {result.swv.naam} ({'so' if sector == 'PO' else 'vso'})"
                              f"{version_title(result)}",
                              k3_algemene_gegevens(result), sheets, timestamp=result.aanmaakdatum)]
    written += write_csv_tables(tables, version_dir / "data")
    job = PdfJob("kijkglas-3.html", pdf_context(result, tables, change_report), version_dir / names["pdf"])
    return written, job


