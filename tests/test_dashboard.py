"""The dashboard's figures, worked by hand on small tables as the pages read them (outbox/tables.py:
text as published, counts as ints). No Prefect, no browser."""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd

from outbox.dashboard import figures
from outbox.tables import read_table, with_counts


def frame(columns: str, *rows: str) -> pd.DataFrame:
    return pd.DataFrame([r.split("|") for r in rows], columns=columns.split("|"))


def published(stem: str, columns: str, *rows: str) -> pd.DataFrame:
    """Table `stem` written as its data/<stem>.csv and read back as the pages read it."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([columns.split("|"), *(r.split("|") for r in rows)])
    return with_counts(stem, read_table(io.BytesIO(buf.getvalue().encode("utf-8"))))


VSO = "Regel|Laag <8|Laag 8+|Midden <8|Midden 8+|Hoog <8|Hoog 8+|Totaal"


def vso(*rows: str) -> pd.DataFrame:
    return published("k1_vso_totalen", VSO, *rows)


def regels(stem: str, *rows: str) -> pd.DataFrame:
    return published(stem, "Regel|Aantal", *rows)


def test_kijkglas_1_changes_name_row_column_and_both_values_per_table():
    old = {"k1_vso_totalen": vso("Deelnemende (V)SO|1|12|0|0|0|0|13", "Totaal|1|12|0|0|0|0|13"),
           "k1_bao_sbao": regels("k1_bao_sbao", "Deelnemende bao|100", "Totaal|100")}
    new = {"k1_vso_totalen": vso("Deelnemende (V)SO|1|14|0|0|0|0|15", "Totaal|1|14|0|0|0|0|15"),
           "k1_bao_sbao": regels("k1_bao_sbao", "Deelnemende bao|100", "Totaal|100")}
    assert figures.k1_changes(old, new) == [("k1_vso_totalen", [
        "Deelnemende (V)SO, Laag 8+: 12 → 14", "Deelnemende (V)SO, Totaal: 13 → 15",
        "Totaal, Laag 8+: 12 → 14", "Totaal, Totaal: 13 → 15"])]  # bao/sbao unchanged: left out


def test_a_row_that_appears_counts_from_zero():
    old = regels("k1_vo", "Totaal|3")
    new = regels("k1_vo", "waarvan lwoo|2", "Totaal|3")
    assert figures.table_changes(old, new) == ["waarvan lwoo, Aantal: 0 → 2"]
    assert figures.table_changes(regels("k1_vo", "Totaal|1251"), regels("k1_vo", "Totaal|1252")) == [
        "Totaal, Aantal: 1.251 → 1.252"]  # counts formatted as the tables show them


def test_kijkglas_1_series_takes_the_totaal_of_each_row_per_version():
    t1 = {"k1_vso_totalen": vso("Deelnemende (V)SO|1|2|0|0|0|0|3"), "k1_vo": regels("k1_vo", "Totaal vo|50")}
    t2 = {"k1_vso_totalen": vso("Deelnemende (V)SO|1|3|0|0|0|0|4"), "k1_vo": regels("k1_vo", "Totaal vo|52")}
    s = figures.k1_series([("v1", date(2024, 8, 6), t1), ("v2", date(2024, 9, 6), t2)])
    assert {k: v for k, v in s.items() if k != "moments"} == {
        "labels": ["v1 (06-08-2024)", "v2 (06-09-2024)"], "vso": {"Deelnemende (V)SO": [3, 4]},
        "regulier": {"Totaal vo": [50, 52]}}


def test_kijkglas_1_over_time_puts_each_version_and_confirmation_on_its_stand_per():
    """Hand-worked: v1 06-08, v2 06-11, v3 06-12 (not evenly apart), v2 confirmed by the extract of
    20-11 (same figures); a confirmation of a version not shown (withdrawn) is left out."""
    from outbox.dashboard.time_chart import CONFIRMED, time_chart_view
    t = {n: {"k1_vso_totalen": vso(f"Totaal|0|{n}|0|0|0|0|{n}")} for n in (3, 5, 6)}
    points = [("v1", date(2024, 8, 6), t[3]), ("v2", date(2024, 11, 6), t[5]), ("v3", date(2024, 12, 6), t[6])]
    s = figures.k1_series(points, [("v2", date(2024, 11, 20)), ("v0", date(2024, 9, 1))])
    assert s["labels"] == ["v1 (06-08-2024)", "v2 (06-11-2024)", "gecontroleerd 20-11-2024 (v2 ongewijzigd)",
                           "v3 (06-12-2024)"]
    assert s["vso"] == {"Totaal": [3, 5, 5, 6]}  # the confirmed version's figures held on 20-11
    chart = time_chart_view("c", "titel", s["moments"], s["vso"])
    x = chart["spec"]["x"]
    days = [p["x"] for p in chart["spec"]["datasets"][0]["data"]]
    assert [b - a for a, b in zip(days, days[1:])] == [92, 14, 16]  # days apart, not evenly spaced
    assert days[0] == (date(2024, 8, 6) - date(1970, 1, 1)).days
    assert [label for _, label in x["ticks"]] == ["01-08", "01-09", "01-10", "01-11", "01-12", "01-01"]
    assert x["min"] == x["ticks"][0][0] and x["max"] == x["ticks"][-1][0]
    assert chart["spec"]["datasets"][0]["pointRadius"] == [3, 3, 0, 3]  # a point per version
    marks = chart["spec"]["datasets"][-1]
    assert marks["label"] == CONFIRMED and marks["showLine"] is False
    assert marks["data"] == [{"x": days[2], "y": 5, "t": "gecontroleerd 20-11-2024 (v2 ongewijzigd)"}]
    assert chart["table"]["rows"][2] == ["gecontroleerd 20-11-2024 (v2 ongewijzigd)", 5]


def test_kijkglas_1_funding_changes_in_words():
    cols = "Onderdeel|Bedrag|Vastgesteld op"
    old = {"k1_bekostiging": frame(cols, "Lichte ondersteuning|119805.90|2024-10-17",
                                   "Zware ondersteuning|2401000.00|2024-10-17")}
    new = {"k1_bekostiging": frame(cols, "Lichte ondersteuning|120000.00|2024-12-02",
                                   "Zware ondersteuning|2401000.00|2024-12-02")}
    assert figures.k1_funding_changes(old, new) == [
        "Vastgesteld op: 17-10-2024 → 02-12-2024", "Lichte ondersteuning: € 119.805,90 → € 120.000,00"]
    assert figures.k1_funding_changes(new, new) == []
    none = {"k1_bekostiging": frame(cols)}
    assert figures.k1_funding_changes(none, old) == [
        "Vastgesteld op: geen vaststelling → 17-10-2024", "Lichte ondersteuning: geen bedrag → € 119.805,90",
        "Zware ondersteuning: geen bedrag → € 2.401.000,00"]
    assert figures.k1_funding_changes({}, new) == []  # a version from before the table: nothing to say


K2_COMMON = "DUO-nummer leerling|Vestiging|Naam vestiging|Begindatum inschrijving|Begindatum geldigheid gegevens|Einddatum geldigheid gegevens"


def test_each_tlv_to_reassess_once_soonest_first():
    tlv = frame(K2_COMMON + "|TLV nummer|Einddatum TLV|Bekostigingscategorie L/M/H|TLV verloopt",
                "1|01AA00|A|2024-08-01|2024-08-01|2024-12-31|T2|2025-07-31|L|J",
                "1|01AA00|A|2024-08-01|2025-01-01|2025-07-31|T2|2025-07-31|M|J",   # same TLV, later period
                "2|01AA00|A|2024-08-01|2024-08-01|2025-07-31|T1|2025-03-01|L|J",
                "3|01AA00|A|2024-08-01|2024-08-01|2025-07-31|T3|2027-07-31|H|")
    due = figures.tlv_to_reassess(tlv)
    assert due["TLV nummer"].tolist() == ["T1", "T2"]
    assert due["Bekostigingscategorie L/M/H"].tolist() == ["L", "M"]  # the newest period's category


def test_pupils_without_tlv_on_the_stand_per_with_the_first_day_of_that_situation():
    overig = frame(K2_COMMON + "|Resid. leerling",
                   "1|01AA00|A|2024-09-01|2024-09-01|2024-10-31|N",
                   "1|01AA00|A|2024-09-01|2024-11-01|2025-07-31|N",   # still without TLV on 6-12
                   "2|01AA00|A|2024-08-01|2024-08-01|2024-11-30|N",   # ended before the stand per
                   "3|01AA00|A|2024-08-01|2024-08-01|2025-07-31|J")   # residential: not tijdelijke plaatsing
    out = figures.without_tlv(overig, date(2024, 12, 6))
    assert out[["DUO-nummer leerling", "Zonder TLV sinds"]].values.tolist() == [["1", "2024-09-01"]]


def test_key_figures_of_kijkglas_2_count_pupils_once():
    tlv = frame(K2_COMMON + "|TLV nummer|Einddatum TLV|Bekostigingscategorie L/M/H|TLV verloopt",
                "1|01AA00|A|2024-08-01|2024-08-01|2024-12-31|T1|2025-07-31|L|J",
                "1|01AA00|A|2024-08-01|2025-01-01|2025-07-31|T1|2025-07-31|M|J")
    cvi = frame(K2_COMMON + "|CvI-nummer|Soort indicatie|Bekostigingscategorie L/M/H",
                "2|01AA00|A|2024-08-01|2024-08-01|2025-07-31|C1|ZMLK|L")
    overig = frame(K2_COMMON + "|Resid. leerling", "3|01AA00|A|2024-08-01|2024-08-01|2025-07-31|J")
    k = figures.k2_key_figures({"k2_tlv": tlv, "k2_cvi": cvi, "k2_overig": overig}, date(2024, 12, 6))
    assert k == {"inschrijvingen": 3, "perioden": 4, "tlv_verloopt": 1, "zonder_tlv": 0, "cvi": 1, "residentieel": 1}


K3_VO = "SWV|BRIN (v)so|Instroom L|Instroom M|Instroom H|Instroom Totaal|Uitstroom L|Uitstroom M|Uitstroom H|Uitstroom Totaal"


def test_kijkglas_3_per_school_of_the_swvs_own_rows_and_the_school_over_every_swv():
    k3a = published("k3a", K3_VO, "VO2001|11AA|1|0|0|1|0|0|0|0", "VO2002|11AA|0|2|0|2|1|0|0|1",
                    "VO2001|22BB|0|0|0|0|0|1|0|1")
    k3b = published("k3b", K3_VO, "VO2001|11AA|0|0|0|0|0|0|1|1")
    assert figures.k3_per_school(k3a, k3b, "VO2001") == [
        {"brin": "11AA", "3a_in": 1, "3a_uit": 0, "3b_in": 0, "3b_uit": 1, "groei": 1},
        {"brin": "22BB", "3a_in": 0, "3a_uit": 1, "3b_in": 0, "3b_uit": 0, "groei": -1}]
    rows = figures.k3_school_rows(k3a, "11AA")
    assert [(r["swv"], r["Instroom Totaal"], r["Uitstroom Totaal"], r["Saldo"]) for r in rows] == [
        ("VO2001", 1, 0, 1), ("VO2002", 2, 1, 1)]
    assert figures.brins([k3a, k3b]) == ["11AA", "22BB"]


def test_growth_is_3a_only_and_3b_moves_stand_beside_it():
    # worked by hand (issue 24, VO2401 / 90UO): at 90UO one pupil came in new (3a) and one came from
    # another vso school of the same sector (3b); at 91XX one left to another vso school (3b).
    # Growth counts 3a only (handleiding 4.2): 90UO +1, 91XX 0; the SWV's growth is 1, not 2 or 0.
    k3a = published("k3a", K3_VO, "VO2401|90UO|0|1|0|1|0|0|0|0", "VO9999|90UO|5|0|0|5|0|0|0|0")
    k3b = published("k3b", K3_VO, "VO2401|90UO|1|0|0|1|0|0|0|0", "VO2401|91XX|0|0|0|0|0|0|1|1")
    schools = figures.k3_per_school(k3a, k3b, "VO2401")
    assert [(s["brin"], s["groei"], s["3b_in"], s["3b_uit"]) for s in schools] == [("90UO", 1, 1, 0), ("91XX", 0, 0, 1)]
    assert figures.k3_totals(schools) == {"3a_in": 1, "3a_uit": 0, "groei": 1, "3b_in": 1, "3b_uit": 1}
    assert figures.k3_growth_cells(k3a) == ["L", "M", "H"]
    assert figures.k3_growth_per_category(k3a, "VO2401") == [
        {"brin": "90UO", "cells": {"L": 0, "M": 1, "H": 0}, "groei": 1}]


def test_kijkglas_3_po_adds_the_age_groups_per_category():
    cols = "SWV|BRIN (v)so|" + "|".join(f"{d} {a} {c}" for d, a in (("Instroom", "<8"), ("Uitstroom", "<8"),
                                                                      ("Instroom", "8+"), ("Uitstroom", "8+"))
                                         for c in ("L", "M", "H", "Totaal"))
    k3a = published("k3a_po", cols, "PO2001|11AA|1|0|0|1|0|0|0|0|2|0|0|2|0|0|1|1")
    (row,) = figures.k3_school_rows(k3a, "11AA")
    assert (row["Instroom L"], row["Instroom Totaal"], row["Uitstroom H"], row["Saldo"]) == (3, 3, 1, 2)
    # growth per category and age group: <8 L +1, 8+ L +2, 8+ H -1
    (g,) = figures.k3_growth_per_category(k3a, "PO2001")
    assert g["cells"] == {"<8 L": 1, "<8 M": 0, "<8 H": 0, "8+ L": 2, "8+ M": 0, "8+ H": -1} and g["groei"] == 2


def test_kijkglas_4_rows_and_the_totaal_apart():
    k4 = published("k4_sbao", "Vestiging|Naam vestiging|Aantal 1 oktober|Aantal 1 februari|Verschil",
                   "01AA00|A|10|12|2", "Totaal||10|12|2")
    rows, totaal = figures.k4_rows(k4)
    assert rows == [{"vestiging": "01AA00", "naam": "A", "oktober": 10, "februari": 12, "verschil": 2}]
    assert totaal["verschil"] == 2


# --- the one reader of published tables (outbox/tables.py) ---------------------------------------

def test_the_reader_gives_text_as_published_and_for_the_pages_as_the_register_has_it(tmp_path):
    from outbox.tables import read_tables, read_typed_tables
    data = tmp_path / "data"
    data.mkdir()
    (data / "k4_sbao.csv").write_bytes("Vestiging,Naam vestiging,Aantal 1 oktober,Aantal 1 februari,Verschil\n"
                                       "01AA00,'=SOM(A1),10,12,2\nTotaal,,10,,-2\n".encode())
    (data / "k1_inschrijvingen.csv").write_bytes(b"DUO-nummer leerling,Laatste 4 cijfers bsn,Einddatum\n"
                                                 b"012345678,0042,\n")
    (data / "k1_tlv.csv").write_bytes(b"")  # damaged: no header, no rows
    text = read_tables(data)
    assert list(text) == ["k1_inschrijvingen", "k1_tlv", "k4_sbao"]  # in name order
    assert text["k4_sbao"].values.tolist() == [["01AA00", "'=SOM(A1)", "10", "12", "2"], ["Totaal", "", "10", "", "-2"]]
    assert text["k1_inschrijvingen"].values.tolist() == [["012345678", "0042", ""]]  # leading zeros are text
    assert text["k1_tlv"].empty
    typed = read_typed_tables(data)
    # for the pages: the text as the register has it (the CSV's formula quote off), the counts as ints
    assert typed["k4_sbao"].values.tolist() == [["01AA00", "=SOM(A1)", 10, 12, 2], ["Totaal", "", 10, 0, -2]]
    assert [str(t) for t in typed["k4_sbao"].dtypes] == ["object", "object", "int64", "int64", "int64"]
    json.dumps(figures.k4_rows(typed["k4_sbao"]))  # the figures are plain ints: ready for the charts
    assert typed["k1_inschrijvingen"].equals(text["k1_inschrijvingen"])  # no counts: text as published


def test_one_reader_of_published_tables():
    """Only outbox/tables.py reads a version's CSVs (outbox/vergelijking.py reads the indicator store
    it writes itself)."""
    root = Path(__file__).resolve().parents[1]
    readers = sorted(str(p.relative_to(root)) for pkg in ("outbox", "production", "flows", "kijkglas")
                     for p in (root / pkg).rglob("*.py") if "read_csv(" in p.read_text(encoding="utf-8")
                     and "synthetic" not in p.parts)
    assert readers == ["outbox/tables.py", "outbox/vergelijking.py"]


# --- the tables' rows, escaped in one pass (outbox/dashboard/pages.py) ------------------------------

def _one_cell_at_a_time(rows):
    from markupsafe import escape
    return "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>\n" for row in rows)


def test_table_body_escapes_every_cell_as_a_template_would():
    from outbox.dashboard.pages import table_body
    rows = [("a & b", "<x>", ""), ('"q"', "'s'", "3")]
    assert str(table_body(rows)) == _one_cell_at_a_time(rows)
    assert "<td>a &amp; b</td><td>&lt;x&gt;</td><td></td>" in table_body(rows)


def test_table_body_of_no_rows_and_of_a_cell_holding_a_marker():
    from outbox.dashboard.pages import table_body
    assert str(table_body([])) == ""
    rows = [("a\x1fb", "c"), ("d", "e\x1e")]  # the markers themselves: escaped one cell at a time
    assert str(table_body(rows)) == _one_cell_at_a_time(rows)


def test_table_view_shows_dates_as_dd_mm_jjjj_and_counts_rows():
    from outbox.dashboard.pages import table_view
    t = table_view(frame("DUO-nummer leerling|Begindatum inschrijving", "1|2024-08-01", "2|"), "c", table_id="t")
    assert t["count"] == 2
    assert str(t["body"]) == "<tr><td>1</td><td>01-08-2024</td></tr>\n<tr><td>2</td><td></td></tr>\n"


# --- Kijkglas 2 from a hand-made extract: the residential TLV and the age column ------------------

def _k2(tmp_path, stand_per="2025-04-10"):
    from core.settings import Settings
    from tasks import kijkglas_2 as k2
    from tests.builder import ExtractBuilder
    b = ExtractBuilder(stand_per=stand_per)
    b.swv("PO0101")
    b.pc4("1000", swv_po="PO0101")
    b.vestiging("10AA00", "SO", "PO0101", kernsoort="ZMLK")
    # a pupil on a residential place whose TLV ends this schooljaar (the 807906332 / TLV00000214)
    rp = b.leerling("2012-05-05", pc4="1000", leerling_id="807906332")
    b.tlv(rp, "PO0101", "SO", "M", begindatum="2023-08-01", einddatum="2025-07-31", tlv_nummer="TLV00000214")
    b.inschrijving(rp, "10AA00", begindatum="2023-08-01", residentieel="J")
    # a block 2.2 TLV running on: not to re-assess
    p = b.leerling("2012-05-05", pc4="1000", leerling_id="300000002")
    b.tlv(p, "PO0101", "SO", "L", begindatum="2023-08-01", einddatum="2027-07-31", tlv_nummer="TLV2")
    b.inschrijving(p, "10AA00", begindatum="2023-08-01")
    # two pupils coming in between 1 October and 1 February: one under 8 on 31-12-2024, one 8+
    for lid, born in (("300000003", "2018-03-03"), ("300000004", "2012-03-03")):
        q = b.leerling(born, pc4="1000", leerling_id=lid)
        b.tlv(q, "PO0101", "SO", "L", begindatum="2024-11-01", einddatum="2027-07-31", tlv_nummer=f"T{lid[-1]}")
        b.inschrijving(q, "10AA00", begindatum="2024-11-01")
    results, _ = k2.kijkglas_2(b.extract(tmp_path), "2024-2025", date(2025, 4, 10), Settings())
    return results[0]


def test_tlv_to_reassess_includes_the_residential_pupils_tlv(tmp_path):
    r = _k2(tmp_path)
    overig = r.tables["k2_overig"]
    row = overig[overig["DUO-nummer leerling"] == "807906332"].iloc[0]
    assert (row["Resid. leerling"], row["TLV nummer"], row["TLV verloopt"]) == ("J", "TLV00000214", "J")
    # the dashboard reads the published text
    text = {k: v.astype(object).where(v.notna(), "").astype(str) for k, v in r.tables.items()}
    for k in text:
        text[k] = text[k].apply(lambda col: col.str.slice(0, 10) if col.name.startswith(("Begin", "Eind")) else col)
    due = figures.tlv_to_reassess(text["k2_tlv"], text["k2_overig"])
    assert due[["TLV nummer", "DUO-nummer leerling", "Einddatum TLV", "Blok"]].values.tolist() == [
        ["TLV00000214", "807906332", "2025-07-31", "2.4 (residentieel)"]]
    assert figures.k2_key_figures(text, date(2025, 4, 10))["tlv_verloopt"] == 1
    # a version published before block 2.4 carried the TLV: block 2.2 only, no error
    old = text["k2_overig"].drop(columns=["TLV nummer", "Einddatum TLV", "TLV verloopt"])
    assert figures.tlv_to_reassess(text["k2_tlv"], old).empty


def test_kijkglas_2_age_column_rebuilds_kijkglas_3s_split(tmp_path):
    from tasks import kijkglas_2 as k2
    r = _k2(tmp_path)
    for stem, t in r.tables.items():
        assert list(t.columns)[-1] == "<8 of 8+" and list(t.columns)[:len(k2.COMMON)] == k2.COMMON
    tlv = r.tables["k2_tlv"]
    marked = tlv[tlv["Instroom"] == "J"].set_index("DUO-nummer leerling")["<8 of 8+"].to_dict()
    assert marked == {"300000003": "<8", "300000004": "8+"}  # age on 31-12-2024
    # rebuilt by hand from K2's columns: 10AA instroom <8 L = 1, 8+ L = 1, as Kijkglas 3a has it
    flows = k2.marks_as_flows({"PO0101": r.tables}, {"PO0101": "PO"})
    got = flows.groupby(["deel", "richting", "leeftijdscategorie", "categorie"]).size().to_dict()
    assert got == {("3a", "instroom", "<8", "L"): 1, ("3a", "instroom", "8+", "L"): 1}


def test_bestand_2_changes_by_registration():
    cols = "Groep|TLV-nummer / CvI-nummer / BSN|DUO-nummer leerling|Vestiging|Begindatum inschrijving|Bekostigingscategorie L/M/H"
    old = frame(cols, "TLV|T1|1|01AA00|2024-08-01|L", "TLV|T2|2|01AA00|2024-08-01|L", "RP|1234|3|01AA00|2024-08-01|M")
    new = frame(cols, "TLV|T1|1|01AA00|2024-08-01|M", "RP|1234|3|01AA00|2024-08-01|M", "TLV|T4|4|01AA00|2024-09-01|H")
    assert figures.b2_changes(old, new) == {"nieuw": 1, "vervallen": 1, "gewijzigd": 1}
    assert figures.b2_changes(old, old) == {"nieuw": 0, "vervallen": 0, "gewijzigd": 0}


def test_school_names_from_the_swvs_own_vestigingen():
    k2 = frame("Vestiging|Naam vestiging", "26VV01|SO De Brug, loc. Oost", "26VV00|SO De Brug", "41RF00|VSO Het Anker")
    assert figures.school_names([k2, frame("SWV|BRIN (v)so", "VO2401|26VV")]) == {"26VV": "SO De Brug", "41RF": "VSO Het Anker"}
