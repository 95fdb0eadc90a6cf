"""Kijkglas 2 (validity periods, marks) and Kijkglas 3 (growth), worked out by hand.

Schooljaar 2014-2015, stand per 10-4-2015 (after 1 February, so the marks are shown).
Pupils 1–7 are the handleiding's example of section 3.3 (the seven DUO numbers 307861096 …
306675317), built from its description; pupils 8–14 are the cuts and marks the spec names.
Ages are measured on 31-12-2014: born 2008 → <8, born 2004 or 2002 → 8+.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from core.settings import Settings
from tasks import kijkglas_2 as k2
from tasks import kijkglas_3 as k3
from tasks import rules
from tests.builder import ExtractBuilder

S, OTHER, VO = "PO0101", "PO0202", "VO0101"
JONG, OUD, OUDST = "2008-03-03", "2004-06-06", "2002-02-02"


def build(stand_per="2015-04-10") -> ExtractBuilder:
    b = ExtractBuilder(stand_per=stand_per)
    for code in (S, OTHER, VO):
        b.swv(code)
    b.pc4("1000", swv_po=S, swv_vo=VO)
    b.pc4("2000", swv_po=OTHER, swv_vo=VO)
    b.vestiging("10AA00", "SO", S, kernsoort="ZMLK")
    b.vestiging("10AB00", "SO", S, kernsoort="ZMLK")
    b.vestiging("10AC00", "SO", S, kernsoort="MG")
    b.vestiging("20AA00", "SO", OTHER, kernsoort="LG")
    b.vestiging("30AA00", "VSO", VO, kernsoort="ZMLK")

    def pupil(lid, born=JONG, pc4="1000"):
        return b.leerling(born, pc4=pc4, leerling_id=lid, bsn=lid[-4:])

    # 1. 307861096: enrols on 10-8-2014, nothing changes
    p = pupil("307861096")
    b.tlv(p, S, "SO", "L", begindatum="2014-08-01", einddatum="2016-07-31", tlv_nummer="TLV1")
    b.inschrijving(p, "10AA00", begindatum="2014-08-10")
    # 2. 306678243: 4-9-2014 until 20-2-2015
    p = pupil("306678243")
    b.tlv(p, S, "SO", "L", begindatum="2014-09-01", einddatum="2016-07-31", tlv_nummer="TLV2")
    b.inschrijving(p, "10AA00", begindatum="2014-09-04", einddatum="2015-02-20")
    # 3. 306667637: changes school per 22-9-2014
    p = pupil("306667637")
    b.tlv(p, S, "SO", "M", begindatum="2013-08-01", einddatum="2017-07-31", tlv_nummer="TLV3")
    b.inschrijving(p, "10AA00", begindatum="2013-08-19", einddatum="2014-09-21")
    b.inschrijving(p, "10AB00", begindatum="2014-09-22")
    # 4. 306756253: back from a residential place per 5-10-2014, with a TLV at another school
    p = pupil("306756253")
    b.inschrijving(p, "10AC00", begindatum="2013-08-19", einddatum="2014-10-04", residentieel="J")
    b.tlv(p, S, "SO", "L", begindatum="2014-10-05", einddatum="2016-07-31", tlv_nummer="TLV4")
    b.inschrijving(p, "10AA00", begindatum="2014-10-05")
    # 5. 307166093: leaves per 15-11-2014
    p = pupil("307166093", born=OUD)
    b.tlv(p, S, "SO", "L", begindatum="2012-08-01", einddatum="2016-07-31", tlv_nummer="TLV5")
    b.inschrijving(p, "10AB00", begindatum="2012-08-20", einddatum="2014-11-15")
    # 6. 306821382: CvI until the TLV of 14-3-2015
    p = pupil("306821382", born=OUD)
    b.cvi(p, "LG", begindatum="2010-08-01", cvi_nummer="CVI6")
    b.tlv(p, S, "SO", "M", begindatum="2015-03-14", einddatum="2017-07-31", tlv_nummer="TLV6")
    b.inschrijving(p, "10AB00", begindatum="2013-08-19")
    # 7. 306675317: tijdelijke plaatsing until the TLV of 1-3-2015
    p = pupil("306675317")
    b.tlv(p, S, "SO", "H", begindatum="2015-03-01", einddatum="2017-07-31", tlv_nummer="TLV7")
    b.inschrijving(p, "10AA00", begindatum="2014-08-18")

    # 8. a TLV ending the day before 1 October; then the home SWV (OTHER) is responsible
    p = pupil("300000008", pc4="2000")
    b.tlv(p, S, "SO", "L", begindatum="2014-08-01", einddatum="2014-09-30", tlv_nummer="TLV8")
    b.inschrijving(p, "10AA00", begindatum="2014-08-18")
    # 9. a TLV starting on 1 February, unknown home postcode before it: instroom on 1-2
    p = pupil("300000009", pc4="9999")
    b.tlv(p, S, "SO", "L", begindatum="2015-02-01", tlv_nummer="TLV9")
    b.inschrijving(p, "10AB00", begindatum="2014-08-18")
    # 10. a renewal overlapping the old TLV (M until 31-7-2015, H from 1-1-2015)
    p = pupil("300000010")
    b.tlv(p, S, "SO", "M", begindatum="2013-08-01", einddatum="2015-07-31", tlv_nummer="TLV10a")
    b.tlv(p, S, "SO", "H", begindatum="2015-01-01", einddatum="2017-07-31", tlv_nummer="TLV10b")
    b.inschrijving(p, "10AA00", begindatum="2013-08-19")
    # 12. so → vso: uitstroom in PO, instroom in VO (each sector separately)
    p = pupil("300000012", born=OUDST)
    b.tlv(p, S, "SO", "L", begindatum="2013-08-01", einddatum="2016-07-31", tlv_nummer="TLV12a")
    b.inschrijving(p, "10AA00", begindatum="2008-08-18", einddatum="2014-12-19")
    b.tlv(p, VO, "VSO", "M", begindatum="2014-12-22", einddatum="2018-07-31", tlv_nummer="TLV12b")
    b.inschrijving(p, "30AA00", begindatum="2014-12-22")
    # 14. not bekostigd: listed in Kijkglas 2, never counted
    p = pupil("300000014")
    b.inschrijving(p, "10AB00", begindatum="2014-08-18", bekostigd="N")
    return b


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    return build().extract(tmp_path_factory.mktemp("k2"))


@pytest.fixture(scope="module")
def k2_results(extract):
    results, kwaliteit = k2.kijkglas_2(extract, "2014-2015", date(2015, 4, 15), Settings())
    return {r.swv.swv_code: r for r in results}, kwaliteit


def periods(result):
    """(leerling, vestiging, begin, eind, block) of every row of an SWV's Kijkglas 2."""
    out = set()
    for stem, t in result.tables.items():
        for r in t.itertuples(index=False):
            out.add((r[0], r[1], r[8].date().isoformat(), r[9].date().isoformat(), stem))
    return out


def marks(result):
    out = set()
    for stem, t in result.tables.items():
        for r in t.itertuples(index=False):
            m = tuple(x for x in (r[10], r[11], r[12]) if isinstance(x, str))
            if m:
                out.add((r[0], r[1], r[8].date().isoformat(), m))
    return out


def test_handleiding_seven_pupils_periods(k2_results):
    got = {p for p in periods(k2_results[0][S]) if p[0].startswith("30") and not p[0].startswith("3000000")}
    assert got == {
        ("307861096", "10AA00", "2014-08-10", "2015-07-31", "k2_tlv"),
        ("306678243", "10AA00", "2014-09-04", "2015-02-20", "k2_tlv"),
        ("306667637", "10AA00", "2014-08-01", "2014-09-21", "k2_tlv"),
        ("306667637", "10AB00", "2014-09-22", "2015-07-31", "k2_tlv"),
        ("306756253", "10AC00", "2014-08-01", "2014-10-04", "k2_overig"),
        ("306756253", "10AA00", "2014-10-05", "2015-07-31", "k2_tlv"),
        ("307166093", "10AB00", "2014-08-01", "2014-11-15", "k2_tlv"),
        ("306821382", "10AB00", "2014-08-01", "2015-03-13", "k2_cvi"),
        ("306821382", "10AB00", "2015-03-14", "2015-07-31", "k2_tlv"),
        ("306675317", "10AA00", "2014-08-18", "2015-02-28", "k2_overig"),
        ("306675317", "10AA00", "2015-03-01", "2015-07-31", "k2_tlv"),
    }


def test_edge_periods(k2_results):
    res, kwaliteit = k2_results
    s = periods(res[S])
    # 8: TLV until 30-9 in S's Kijkglas; from 1-10 the home SWV's
    assert ("300000008", "10AA00", "2014-08-18", "2014-09-30", "k2_tlv") in s
    assert periods(res[OTHER]) == {("300000008", "10AA00", "2014-10-01", "2015-07-31", "k2_overig")}
    # 9: no SWV before the TLV of 1-2 → data-quality list; from 1-2 in S's block 2.2
    assert ("300000009", "10AB00", "2015-02-01", "2015-07-31", "k2_tlv") in s
    assert kwaliteit["leerling_id"].tolist() == ["300000009"]
    # 10: the renewal cuts on its begindatum
    assert {p for p in s if p[0] == "300000010"} == {
        ("300000010", "10AA00", "2014-08-01", "2014-12-31", "k2_tlv"),
        ("300000010", "10AA00", "2015-01-01", "2015-07-31", "k2_tlv")}
    # 12: so part in S (PO), vso part in VO0101
    assert ("300000012", "10AA00", "2014-08-01", "2014-12-19", "k2_tlv") in s
    assert periods(res[VO]) == {("300000012", "30AA00", "2014-12-22", "2015-07-31", "k2_tlv")}
    # 14: listed, not bekostigd
    t = res[S].tables["k2_overig"]
    assert t.loc[t["DUO-nummer leerling"] == "300000014", "Voldoet bekost. criteria"].tolist() == ["N"]


def test_marks(k2_results):
    assert marks(k2_results[0][S]) == {
        ("306756253", "10AC00", "2014-08-01", ("Uitstroom naar andere (v)so",)),
        ("306756253", "10AA00", "2014-10-05", ("Instroom van andere (v)so",)),
        ("307166093", "10AB00", "2014-08-01", ("J",)),            # Uitstroom
        ("300000009", "10AB00", "2015-02-01", ("J",)),            # Instroom
        ("300000012", "10AA00", "2014-08-01", ("J",)),            # Uitstroom (to vso)
    }
    t = k2_results[0][S].tables["k2_tlv"]
    assert t.loc[t["DUO-nummer leerling"] == "307166093", "Uitstroom"].tolist() == ["J"]
    assert t.loc[t["DUO-nummer leerling"] == "300000009", "Instroom"].tolist() == ["J"]
    assert marks(k2_results[0][VO]) == {("300000012", "30AA00", "2014-12-22", ("J",))}


def test_tlv_verloopt(k2_results):
    t = k2_results[0][S].tables["k2_tlv"].set_index(["DUO-nummer leerling", "Begindatum geldigheid gegevens"])
    assert t.loc[("300000008", pd.Timestamp("2014-08-18")), "TLV verloopt"] == "J"    # ended 30-9-2014
    assert t.loc[("300000010", pd.Timestamp("2014-08-01")), "TLV verloopt"] == "J"    # ends 31-7-2015
    assert pd.isna(t.loc[("300000010", pd.Timestamp("2015-01-01")), "TLV verloopt"])  # runs to 2017
    assert pd.isna(t.loc[("300000009", pd.Timestamp("2015-02-01")), "TLV verloopt"])  # no end


def test_categories_over_periods(k2_results):
    t = k2_results[0][S].tables
    cvi = t["k2_cvi"].set_index("DUO-nummer leerling")
    assert cvi.loc["306821382", "Bekostigingscategorie L/M/H"] == "M"      # LG indication
    o = t["k2_overig"].set_index("DUO-nummer leerling")
    assert o.loc["306756253", "Bekostigingscategorie L/M/H"] == "H"        # RP at an MG school
    assert o.loc["306756253", "Resid. leerling"] == "J"
    assert o.loc["306675317", "BSN (laatste 4)"] == "5317"


def test_kijkglas_3_tables(extract):
    openbaar, per_swv, _, kwaliteit = k3.kijkglas_3(extract, "2014-2015", date(2015, 4, 15), Settings())
    t = openbaar.tables
    # pupil 9 is counted on 1-10 without any responsible SWV: no position, on the data-quality list
    assert kwaliteit[["leerling_id", "toelichting"]].values.tolist() == [["300000009", "geteld op 01-10-2014, BRIN 10AB"]]

    def nonzero(df):
        return {(r["SWV"], r["BRIN (v)so"], c): r[c] for _, r in df.iterrows() for c in df.columns[2:] if r[c]}
    assert list(t["k3a_po"].columns[:6]) == ["SWV", "BRIN (v)so", "Instroom <8 L", "Instroom <8 M", "Instroom <8 H",
                                             "Instroom <8 Totaal"]
    assert list(t["k3a_po"].columns[-4:]) == ["Uitstroom 8+ L", "Uitstroom 8+ M", "Uitstroom 8+ H", "Uitstroom 8+ Totaal"]
    assert len(t["k3a_po"].columns) == 18 and len(t["k3a_vo"].columns) == 10
    assert nonzero(t["k3a_po"]) == {
        (S, "10AA", "Uitstroom 8+ L"): 1, (S, "10AA", "Uitstroom 8+ Totaal"): 1,
        (S, "10AB", "Instroom <8 L"): 1, (S, "10AB", "Instroom <8 Totaal"): 1,
        (S, "10AB", "Uitstroom 8+ L"): 1, (S, "10AB", "Uitstroom 8+ Totaal"): 1}
    assert nonzero(t["k3b_po"]) == {
        (S, "10AA", "Instroom <8 L"): 1, (S, "10AA", "Instroom <8 Totaal"): 1,
        (S, "10AC", "Uitstroom <8 H"): 1, (S, "10AC", "Uitstroom <8 Totaal"): 1}
    assert nonzero(t["k3a_vo"]) == {(VO, "30AA", "Instroom M"): 1, (VO, "30AA", "Instroom Totaal"): 1}
    assert t["k3b_vo"].empty
    own = {r.swv.swv_code: r for r in per_swv}
    assert own[S].tables["k3a"].equals(t["k3a_po"])
    assert own[OTHER].tables["k3a"].empty and own[VO].tables["k3a"].equals(t["k3a_vo"])


def test_no_marks_before_1_february(tmp_path):
    ex = build(stand_per="2015-01-31").extract(tmp_path)
    results, _ = k2.kijkglas_2(ex, "2014-2015", date(2015, 2, 2), Settings())
    for r in results:
        for t in r.tables.values():
            assert t[["Instroom", "Uitstroom", "Doorstroom"]].isna().all().all()


def test_marks_reconciliation_names_cells(k2_results, extract):
    res = k2_results[0]
    blocks = {S: {k: v.copy() for k, v in res[S].tables.items()}}
    t = blocks[S]["k2_tlv"]
    t.loc[t["DUO-nummer leerling"] == "300000009", "Instroom"] = None   # lose one mark
    flows = k3.k3_stromen(extract, "2014-2015", Settings())
    national = k3.national_tables(flows)
    k3_s = {"k3a": national["k3a_po"][national["k3a_po"]["SWV"] == S], "k3b": national["k3b_po"][national["k3b_po"]["SWV"] == S]}
    problems = k2.reconcile_marks(blocks, {S: k3_s}, {S: "PO"})
    assert "PO0101 k3a[10AB, Instroom <8 L]: Kijkglas 3 = 1, Kijkglas 2 = 0" in problems
    # the age column takes part: a marked pupil put in the other age group is named too
    blocks = {S: {k: v.copy() for k, v in res[S].tables.items()}}
    t = blocks[S]["k2_tlv"]
    t.loc[t["DUO-nummer leerling"] == "300000009", "<8 of 8+"] = "8+"
    problems = k2.reconcile_marks(blocks, {S: k3_s}, {S: "PO"})
    assert "PO0101 k3a[10AB, Instroom <8 L]: Kijkglas 3 = 1, Kijkglas 2 = 0" in problems
    assert "PO0101 k3a[10AB, Instroom 8+ L]: Kijkglas 3 = 0, Kijkglas 2 = 1" in problems


def test_merge_periods_joins_equal_neighbours():
    seg = pd.DataFrame({"_row": [0, 0, 0, 1], "dag": pd.to_datetime(["2014-08-01", "2014-09-01", "2014-10-01", "2014-08-01"]),
                        "segment_eind": pd.to_datetime(["2014-08-31", "2014-09-30", "2015-07-31", "2015-07-31"]),
                        "k": ["a", "a", "b", None]})
    out = rules.merge_periods(seg, ["k"])
    assert out[["_row", "dag", "segment_eind", "k"]].astype(str).values.tolist() == [
        ["0", "2014-08-01", "2014-09-30", "a"], ["0", "2014-10-01", "2015-07-31", "b"], ["1", "2014-08-01", "2015-07-31", "None"]]
