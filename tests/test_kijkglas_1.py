"""Kijkglas 1 from hand-made extracts: the handleiding's example tables come out exactly."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from core.settings import Settings
from tasks import kijkglas_1 as k1
from tasks.model import AlgemeneGegevens
from tasks.compute import check_swv_codes
from tests import handleiding_k1 as h
from tests.builder import ExtractBuilder


@pytest.fixture(scope="module")
def handleiding(tmp_path_factory):
    extract = h.build().extract(tmp_path_factory.mktemp("handleiding"))
    results, basis = k1.kijkglas_1(extract, "2024-2025", date(2024, 12, 10), Settings())
    return {r.swv.swv_code: r for r in results}, basis, extract


def rows(df):
    return df.astype(object).values.tolist()


def test_handleiding_vso_totalen(handleiding):
    t = handleiding[0][h.S].tables["k1_vso_totalen"]
    assert list(t.columns) == ["Regel", "Laag <8", "Laag 8+", "Midden <8", "Midden 8+", "Hoog <8", "Hoog 8+", "Totaal"]
    assert rows(t) == h.EXPECTED_VSO_TOTALEN


def test_handleiding_bao_sbao(handleiding):
    assert rows(handleiding[0][h.S].tables["k1_bao_sbao"]) == h.EXPECTED_BAO_SBAO


def test_handleiding_per_vestiging(handleiding):
    t = handleiding[0][h.S].tables["k1_per_vestiging"]
    assert list(t.columns) == ["Vestiging"] + k1.VESTIGING_COLUMNS + ["Totaal"]
    assert t.columns[1:4].tolist() == ["TLV SWV L <8", "TLV SWV L 8+", "TLV SWV M <8"]
    assert t.columns[-2] == "Geen TLV niet RP SWV H 8+"
    assert rows(t) == h.EXPECTED_PER_VESTIGING


def test_tlv_table_splits_own_and_other_issuers(handleiding):
    # at S's own so-schools: 10 TLVs of S (5 L<8, 5 L8+) and the noise pupil's TLV of PO9902 (M <8)
    assert rows(handleiding[0][h.S].tables["k1_tlv"]) == [
        ["TLV eigen SWV", 5, 5, 0, 0, 0, 0, 10],
        ["TLV ander SWV", 0, 0, 1, 0, 0, 0, 1],
        ["Totaal", 5, 5, 1, 0, 0, 0, 11],
    ]


def test_bestand_2_groups_and_first_column(handleiding):
    b2 = handleiding[0][h.S].tables["k1_inschrijvingen"]
    assert list(b2.columns) == k1.INSCHRIJVING_COLUMNS
    assert len(b2) == 196
    # CvI: every third older pupil of the four schools (7+4+13+5) plus 4 MG → 33
    assert b2["Groep"].value_counts().to_dict() == {"Tijdelijke plaatsing": 119, "RP": 26, "TLV": 18, "CvI": 33}
    assert list(dict.fromkeys(b2["Groep"])) == ["TLV", "RP", "Tijdelijke plaatsing", "CvI"]
    tlv = b2[b2["Groep"] == "TLV"]
    assert tlv["TLV-nummer / CvI-nummer / BSN"].str.startswith("T").all()
    assert tlv["Begindatum TLV"].notna().all()
    cvi = b2[b2["Groep"] == "CvI"]
    assert cvi["TLV-nummer / CvI-nummer / BSN"].str.startswith("C").all()
    assert set(cvi["Soort indicatie"]) == {"LZ", "MG"}
    assert (b2.loc[b2["Groep"].isin(["RP", "Tijdelijke plaatsing"]), "TLV-nummer / CvI-nummer / BSN"] == "1234").all()
    assert (b2.loc[b2["Groep"] == "RP", "Residentiële leerling"] == "J").all()


def test_noise_is_not_counted(handleiding):
    results, basis, extract = handleiding
    b2 = results[h.S].tables["k1_inschrijvingen"]
    # pupils that must stay out: not bekostigd, outside the teldatum, vso, other SWV's
    ins = extract.inschrijvingen
    noise = ins[(ins["bekostigd"] == "N") | (ins["begindatum"] > "2024-10-01") | (ins["einddatum"] < "2024-10-01")]
    key = ["leerling_id", "vestiging_code", "begindatum"]
    listed = set(map(tuple, b2[["DUO-nummer leerling", "Vestiging", "Begindatum inschrijving"]].values.tolist()))
    assert len(noise) >= 15 and not set(map(tuple, noise[key].values.tolist())) & listed
    # the neighbour gets its own: the expired-TLV pupil, the other-SWV TLV, the SBAO-TLV pupil,
    # 4 pupils living there, and the RP pupil who came from its bao
    other = results[h.OTHER].tables["k1_vso_totalen"]
    assert other.loc[other["Regel"] == "Totaal", "Totaal"].item() == 8
    assert other.loc[other["Regel"] == "Deelnemende (V)SO", "Totaal"].item() == 0


def test_vo_swv_gets_vo_table_and_vso(handleiding):
    t = handleiding[0][h.VO].tables
    assert "k1_vo" in t and "k1_bao_sbao" not in t
    assert rows(t["k1_vso_totalen"])[-1][-1] == 1   # the vso pupil living in S's region


def test_data_quality_list_names_pupils_without_swv(handleiding):
    kw = handleiding[1].kwaliteit
    geen = kw[kw["melding"] == "geen verantwoordelijk SWV"]
    assert len(geen) == 2 and set(geen["vestiging_code"]) == {"99AB00", "99AC00"}


def test_algemene_gegevens_and_bekostiging(handleiding):
    r = handleiding[0][h.S]
    assert r.algemene_gegevens == AlgemeneGegevens(teldatum=date(2024, 10, 1))
    assert r.swv.swv_code == h.S and r.stand_per == date(2024, 12, 6)
    assert r.teldatum == date(2024, 10, 1) and r.tables["k1_bekostiging"].empty
    assert list(r.tables["k1_bekostiging"].columns) == ["Onderdeel", "Bedrag", "Vastgesteld op"]


def test_vo_table_counts_flags(tmp_path):
    b = ExtractBuilder()
    b.swv("VO0101")
    b.pc4("1000", swv_vo="VO0101")
    b.vestiging("11VO00", "VO", "VO0101")
    for kw in [dict(vavo="J"), dict(lwoo="J"), dict(lwoo="J"), dict(pro="J"), {}, dict(bekostigd="N", pro="J")]:
        b.inschrijving(b.leerling(pc4="1000"), "11VO00", **kw)
    b.bekostiging("VO0101", "Lichte ondersteuning", "1234.50")
    res, _ = k1.kijkglas_1(b.extract(tmp_path), "2024-2025", date(2024, 12, 10), Settings())
    assert rows(res[0].tables["k1_vo"]) == [["Totaal vo", 5], ["waarvan vavo", 1], ["waarvan lwoo", 2], ["waarvan pro", 1]]
    assert rows(res[0].tables["k1_bekostiging"]) == [["Lichte ondersteuning", Decimal("1234.50"), date(2024, 11, 1)]]


@pytest.mark.parametrize("stand_per, expected", [
    ("2024-12-06", ("2024-10-17", ["119805.90", "2401000.00"])),   # after both fixings: the latest only
    ("2024-10-16", ("2023-11-25", ["123401.64", "2350000.00"])),   # between them: the older one only
    ("2023-11-24", None),                                          # before both: none yet
])
def test_bekostiging_is_the_latest_fixing_on_or_before_the_stand_per(tmp_path, stand_per, expected):
    b = ExtractBuilder(stand_per=stand_per)
    b.swv("PO0101")
    b.swv("PO0202")
    for op, licht, zwaar in (("2023-11-25", "123401.64", "2350000.00"), ("2024-10-17", "119805.90", "2401000.00")):
        b.bekostiging("PO0101", "Lichte ondersteuning", licht, vastgesteld_op=op)
        b.bekostiging("PO0101", "Zware ondersteuning", zwaar, vastgesteld_op=op)
    b.bekostiging("PO0202", "Lichte ondersteuning", "1.00", vastgesteld_op="2024-10-01")  # another SWV's
    bek = k1.laatste_vaststelling(b.extract(tmp_path).bekostiging, "PO0101", date.fromisoformat(stand_per))
    if expected is None:
        assert bek.empty
        return
    op, bedragen = expected
    assert bek["onderdeel"].tolist() == ["Lichte ondersteuning", "Zware ondersteuning"]
    assert [f"{float(x):.2f}" for x in bek["bedrag"]] == bedragen
    assert {pd.Timestamp(v).date().isoformat() for v in bek["vastgesteld_op"]} == {op}


def test_bestand_1_and_pdf_show_only_the_latest_fixing_apart_from_the_funded_schooljaar(tmp_path):
    import openpyxl

    from documents import kijkglas_1 as d1
    b = ExtractBuilder(stand_per="2024-12-06")
    b.swv("PO0101")
    b.pc4("1000", swv_po="PO0101")
    b.vestiging("11BA00", "BAO", "PO0101")
    b.inschrijving(b.leerling(pc4="1000", geboortedatum="2017-03-03"), "11BA00")
    for op, licht in (("2023-11-25", "123401.64"), ("2024-10-17", "119805.90")):
        b.bekostiging("PO0101", "Lichte ondersteuning", licht, vastgesteld_op=op)
    res, _ = k1.kijkglas_1(b.extract(tmp_path / "x"), "2024-2025", date(2024, 12, 10), Settings())
    written, job = d1.write_documents(res[0], tmp_path / "v1")
    wb = openpyxl.load_workbook(tmp_path / "v1" / "kijkglas-1_bestand-1_PO0101.xlsx")
    for sheet in wb.worksheets:  # printed one page wide: fitToWidth counts only with fitToPage
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
        assert sheet.page_setup.fitToHeight == 0
    ws = wb["Totalen"]
    col_a = [ws.cell(r, 1).value for r in range(1, 40)]
    assert col_a.count("Lichte ondersteuning") == 1
    row = col_a.index("Lichte ondersteuning") + 1
    assert ws.cell(row, 2).value == 119805.9 and ws.cell(row, 3).value.date() == date(2024, 10, 17)
    assert "Meest recent vastgestelde bekostiging (vastgesteld op 17-10-2024)" in col_a
    # which schooljaar the count funds sits with the teldatum, not above the amounts
    funded = col_a.index(d1.FUNDED_LABEL)
    assert col_a[funded - 1] == "Teldatum" and ws.cell(funded + 1, 2).value == "schooljaar 2025-2026"
    assert funded < row - 4  # a blank row and the block's title lie between
    assert [x["bedrag"] for x in job.context["bekostiging"]] == ["€ 119.805,90"]
    assert job.context["bekostiging_titel"].endswith("(vastgesteld op 17-10-2024)")


def test_reconciliation_detects_a_tampered_bestand_2(handleiding):
    r = handleiding[0][h.S]
    tables = {k: v.copy() for k, v in r.tables.items()}
    assert k1.reconcile_bestand_2({h.S: tables}) == []
    tables["k1_inschrijvingen"].loc[0, "Bekostigingscategorie L/M/H"] = "H"
    diffs = k1.reconcile_bestand_2({h.S: tables})
    assert any("k1_vso_totalen[Deelnemende (V)SO, Laag <8]" in d for d in diffs)
    assert any("k1_per_vestiging[99AD00, TLV SWV L <8]: bestand 1 = 5, bestand 2 = 4" in d for d in diffs)


def test_national_reconciliation(handleiding):
    results, basis, _ = handleiding
    totals = {c: r.tables["k1_vso_totalen"] for c, r in results.items()}
    assert k1.reconcile_national(totals, basis.vso) == []
    assert k1.reconcile_national({h.S: totals[h.S]}, basis.vso)  # the neighbour's pupils are missing


def test_unknown_swv_is_refused(handleiding):
    # refused once, in Dutch, before any product is counted (tasks/compute.py)
    with pytest.raises(ValueError, match="onbekende SWV-code\\(s\\): PO0000"):
        check_swv_codes(handleiding[2], ["PO0000"], "kijkglas-1")


def _funding_extract(folder, stand_per: str, fixings) -> "Path":
    """One PO SWV with one bao pupil (the counts never change) and the given fixings."""
    b = ExtractBuilder(stand_per=stand_per)
    b.swv("PO0101")
    b.pc4("1000", swv_po="PO0101")
    b.vestiging("11BA00", "BAO", "PO0101")
    b.inschrijving(b.leerling(pc4="1000", geboortedatum="2017-03-03", leerling_id="300000001"), "11BA00")
    for op, licht, zwaar in fixings:
        b.bekostiging("PO0101", "Zware ondersteuning", zwaar, vastgesteld_op=op)  # rows in no particular order
        b.bekostiging("PO0101", "Lichte ondersteuning", licht, vastgesteld_op=op)
    return b.write(folder)


def test_a_new_fixing_with_the_same_counts_makes_a_new_version_that_says_the_funding_changed(tmp_path):
    """Hand-worked: the counts stay the same in November and December; a fixing of 17-10-2024 is in
    both extracts of November, a new one of 02-12-2024 arrives in December (the CSV k1_bekostiging
    holds the latest fixing on or before the stand per, so the content key changes)."""
    from production.steps import run_production
    from tests.readback import read_csv_rows
    oktober = ("2024-10-17", "119805.90", "2401000.00")
    december = ("2024-12-02", "120000.00", "2401000.00")  # Lichte ondersteuning changed, Zware not
    outbox, sj = tmp_path / "outbox", "2024-2025"
    run = lambda extract, day: {o.owner: o for o in run_production(  # noqa: E731
        "kijkglas-1", extract, outbox, sj, day, settings=Settings(), processes=1)}["PO0101"]
    first = run(_funding_extract(tmp_path / "x" / "2024-11-06", "2024-11-06", [oktober, december]), date(2024, 11, 10))
    assert (first.outcome, first.version) == ("gepubliceerd", "v1")
    v1 = outbox / "PO0101" / sj / "kijkglas-1" / "v1"
    assert read_csv_rows(v1 / "data" / "k1_bekostiging.csv") == [
        ["Onderdeel", "Bedrag", "Vastgesteld op"],
        ["Lichte ondersteuning", "119805.90", "2024-10-17"], ["Zware ondersteuning", "2401000.00", "2024-10-17"]]
    # the same fixing a month later, the counts the same: nothing to publish
    same = run(_funding_extract(tmp_path / "x" / "2024-11-20", "2024-11-20", [oktober, december]), date(2024, 11, 21))
    assert same.outcome == "ongewijzigd"
    # December: the new fixing is on or before the stand per
    new = run(_funding_extract(tmp_path / "x" / "2024-12-06", "2024-12-06", [oktober, december]), date(2024, 12, 10))
    assert (new.outcome, new.version) == ("gepubliceerd", "v2")
    v2 = outbox / "PO0101" / sj / "kijkglas-1" / "v2"
    manifest = json.loads((v2 / "manifest.json").read_text())
    report = manifest["wijzigingen"]["tabellen"]
    changed = {e["table"]: e for e in report if e["added"] or e["removed"] or e["changed"]}
    assert set(changed) == {"k1_bekostiging"} and changed["k1_bekostiging"]["changed"] == 2
    words = manifest["wijzigingen_samenvatting"]  # as the PDF and wijzigingen.xlsx say it
    assert words[0] == "Ten opzichte van versie v1 is 1 van de 6 tabellen gewijzigd."
    assert words[1].startswith("Vastgestelde bekostiging – Gewijzigd: 2 regels.")
    assert "leg de bedragen dan naast uw beschikking" in words[-1]
    example = changed["k1_bekostiging"]["examples"][0]
    assert "Lichte ondersteuning" in example and "Vastgesteld op 17-10-2024 → 02-12-2024" in example
    assert read_csv_rows(v2 / "data" / "k1_bekostiging.csv")[1] == ["Lichte ondersteuning", "120000.00", "2024-12-02"]
    # and the same extract again: ongewijzigd
    assert run(_funding_extract(tmp_path / "x" / "2024-12-09", "2024-12-09", [oktober, december]),
               date(2024, 12, 11)).outcome == "ongewijzigd"
