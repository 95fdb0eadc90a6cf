"""Hand-worked tests for every rule of rules.md ("Time", "A (v)so registration on day d").

Each case is small enough to work out by hand; the expected value is written next to it.
No Prefect here.
"""
from __future__ import annotations

import pandas as pd
import pytest

from core.settings import Settings
from tasks import rules

D = pd.Timestamp
NAT = pd.NaT
SETTINGS = Settings()


def dates(*xs):
    return pd.Series([D(x) if x else NAT for x in xs], dtype="datetime64[ns]")


# --- Time ---------------------------------------------------------------------------------

def test_schooljaar_bounds_and_days():
    assert rules.schooljaar_bounds("2024-2025") == (D("2024-08-01"), D("2025-07-31"))
    assert rules.teldatum("2024-2025") == D("2024-10-01")
    assert rules.peildatum_groei("2024-2025") == D("2025-02-01")
    assert rules.schooljaar_of(D("2025-07-31")) == "2024-2025"
    assert rules.schooljaar_of(D("2025-08-01")) == "2025-2026"
    with pytest.raises(ValueError):
        rules.schooljaar_start_year("2024-2026")


def test_is_active_edges():
    # begins on d, ends on d, ended the day before, begins the day after, open
    b = dates("2024-10-01", "2024-08-01", "2024-08-01", "2024-10-02", "2020-01-01")
    e = dates("2024-12-31", "2024-10-01", "2024-09-30", None, None)
    assert rules.is_active(b, e, D("2024-10-01")).tolist() == [True, True, False, False, True]


def test_is_counted_needs_bekostigd():
    regs = pd.DataFrame({"begindatum": dates("2024-08-01", "2024-08-01"), "einddatum": dates(None, None),
                         "bekostigd": ["J", "N"]})
    assert rules.is_counted(regs, D("2024-10-01")).tolist() == [True, False]


def test_leeftijdscategorie_on_31_december():
    # teldatum 1-10-2024 → age on 31-12-2024. Born 31-12-2016 turns 8 on the peildatum → 8+;
    # born 1-1-2017 is 7 → <8; born 2-10-2016 is 7 on the teldatum but 8 on 31-12 → 8+.
    geb = dates("2016-12-31", "2017-01-01", "2016-10-02", "2010-05-05")
    assert rules.leeftijdscategorie(geb, 2024, SETTINGS).tolist() == ["8+", "<8", "8+", "8+"]


def test_leeftijd_peildatum_is_a_setting():
    # with the peildatum on 1 October itself, a child born 2-10-2016 is still 7
    s = Settings(leeftijd_peildatum_maand=10, leeftijd_peildatum_dag=1)
    assert rules.leeftijdscategorie(dates("2016-10-02", "2016-10-01"), 2024, s).tolist() == ["<8", "8+"]


# --- TLV / CvI in force -----------------------------------------------------------------------

def _tlv(rows):
    cols = ["tlv_nummer", "leerling_id", "swv_code", "soort", "categorie", "begindatum", "einddatum"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("begindatum", "einddatum"):
        df[c] = pd.to_datetime(df[c])
    return df


def _rows(*items):
    return pd.DataFrame([{"leerling_id": lid, "soort": soort, "dag": D(dag)} for lid, soort, dag in items])


def test_tlv_in_force_validity_soort_and_choice():
    tlv = _tlv([
        ("T1", "a", "PO01", "SO", "L", "2023-08-01", "2024-09-30"),   # ends the day before the teldatum
        ("T2", "b", "PO01", "SO", "M", "2024-10-01", None),           # starts on the teldatum
        ("T3", "c", "PO01", "SBAO", None, "2024-08-01", None),        # other soort: not for SO
        ("T4", "d", "PO01", "SO", "L", "2023-08-01", "2025-07-31"),   # renewal overlapping the old one:
        ("T5", "d", "PO02", "SO", "H", "2024-09-01", "2026-07-31"),   #   the latest begindatum wins
        ("T7", "e", "PO01", "SO", "L", "2024-08-01", None),           # same begindatum: highest number
        ("T8", "e", "PO02", "SO", "M", "2024-08-01", None),
    ])
    rows = _rows(("a", "SO", "2024-10-01"), ("b", "SO", "2024-10-01"), ("c", "SO", "2024-10-01"),
                 ("d", "SO", "2024-10-01"), ("e", "SO", "2024-10-01"), ("a", "SO", "2024-09-30"))
    got = rules.tlv_in_force(rows, tlv)
    assert got["tlv_nummer"].where(got["tlv_nummer"].notna(), None).tolist() == [None, "T2", None, "T5", "T8", "T1"]
    assert got.loc[3, "tlv_swv"] == "PO02" and got.loc[3, "tlv_categorie"] == "H"


def test_cvi_in_force():
    cvi = pd.DataFrame({"cvi_nummer": ["C1", "C2"], "leerling_id": ["a", "b"], "soort_indicatie": ["LG", "MG"],
                        "begindatum": dates("2012-08-01", "2012-08-01"), "einddatum": dates(None, "2024-09-30")})
    got = rules.cvi_in_force(_rows(("a", "SO", "2024-10-01"), ("b", "SO", "2024-10-01")), cvi)
    assert got["cvi_nummer"].tolist()[0] == "C1" and pd.isna(got["cvi_nummer"].tolist()[1])


# --- situation, category ----------------------------------------------------------------------

def test_situatie_first_that_applies():
    res = pd.Series(["J", "J", "N", "N", "N", None])
    tlv = pd.Series(["T", None, "T", None, None, None])
    cvi = pd.Series([None, "C", "C", "C", None, None])
    assert rules.situatie(res, tlv, cvi).tolist() == ["RP", "RP", "TLV", "CVI", "GEEN_TLV", "GEEN_TLV"]


def test_categorie():
    sit = pd.Series(["TLV", "RP", "RP", "CVI", "GEEN_TLV", "GEEN_TLV", "GEEN_TLV"])
    tlv_cat = pd.Series(["H", "M", None, None, None, None, None])
    ind = pd.Series([None, None, "MG", "MG", None, None, None])
    kern = pd.Series(["ZMLK", "ZMLK", "LG", "ZMLK", "PI", "LZ-LG", "MG"])
    # TLV → H; RP with TLV → TLV's M; RP with only a CvI → kernsoort LG → M; CVI → MG → H;
    # PI → L; LZ-LG → M; MG → H
    assert rules.categorie(sit, tlv_cat, ind, kern, SETTINGS).tolist() == ["H", "M", "M", "H", "L", "M", "H"]


def test_categorie_map_is_a_setting():
    s = Settings(categorie_map={**SETTINGS.categorie_map, "PI": "M"})
    assert rules.categorie(pd.Series(["GEEN_TLV"]), pd.Series([None]), pd.Series([None]),
                           pd.Series(["PI"]), s).tolist() == ["M"]


# --- responsible SWV -------------------------------------------------------------------------

def _vest():
    return pd.DataFrame({"vestiging_code": ["11AA00", "22AA00", "33AA00", "44AA00", "55AA00"],
                         "soort": ["BAO", "SO", "SO", "VO", "VSO"],
                         "swv_code": ["PO0101", "PO0202", "PO0303", "VO0101", "VO0202"]})


def test_vorige_inschrijving_swv_rp_after_registration_elsewhere():
    ins = pd.DataFrame({
        "leerling_id": ["a", "a", "a", "b", "b", "c", "d", "d"],
        "vestiging_code": ["11AA00", "22AA00", "33AA00", "44AA00", "55AA00", "33AA00", "11AA00", "33AA00"],
        "begindatum": dates("2020-08-01", "2023-08-01", "2024-03-01", "2020-08-01", "2024-08-01", "2024-08-01",
                            "2023-08-01", "2024-06-01"),
        "einddatum": dates("2023-07-31", "2024-02-29", None, "2024-07-31", None, None, "2024-06-01", None),
    })
    regs = ins.iloc[[2, 4, 5, 7]].assign(sector=["PO", "VO", "PO", "PO"])
    got = rules.vorige_inschrijving_swv(regs, ins, _vest())
    # a: the most recent ended registration before 1-3-2024 is 22AA00 (PO0202), not the older bao;
    # b: previous is a VO school → VO0101 (same sector VO);
    # c: no earlier registration → none;
    # d: the bao registration ended ON the begindatum → not "before" it (overlap) → none
    assert got.tolist()[:2] == ["PO0202", "VO0101"]
    assert pd.isna(got.iloc[2]) and pd.isna(got.iloc[3])


def test_vorige_inschrijving_swv_other_sector_is_ignored():
    ins = pd.DataFrame({"leerling_id": ["a", "a"], "vestiging_code": ["22AA00", "55AA00"],
                        "begindatum": dates("2020-08-01", "2024-08-01"), "einddatum": dates("2024-07-31", None)})
    regs = ins.iloc[[1]].assign(sector=["VO"])   # so → vso: the so's SWV is PO, not VO
    assert pd.isna(rules.vorige_inschrijving_swv(regs, ins, _vest()).iloc[0])


def test_woon_swv_by_sector_and_unknown_postcode():
    regio = pd.DataFrame({"pc4": ["1000", "2000"], "gemeente": ["A", "B"], "swv_po": ["PO0101", None],
                          "swv_vo": ["VO0101", "VO0202"]})
    got = rules.woon_swv(pd.Series(["1000", "1000", "2000", "9999", None]),
                         pd.Series(["PO", "VO", "PO", "PO", "VO"]), regio)
    assert got.tolist()[:2] == ["PO0101", "VO0101"]
    assert got.iloc[2:].isna().all()   # no PO SWV for 2000; unknown 9999; no postcode


def test_verantwoordelijk_swv_order():
    tlv_swv = pd.Series(["PO0202", None, None, None, None])
    sit = pd.Series(["RP", "RP", "RP", "GEEN_TLV", "GEEN_TLV"])
    vorige = pd.Series(["PO0303", "PO0303", None, "PO0303", None])
    woon = pd.Series(["PO0101", "PO0101", "PO0101", "PO0101", None])
    # TLV beats all (also for RP); RP → previous; RP without previous → home; non-RP → home
    # even with a previous registration; nothing → none
    got = rules.verantwoordelijk_swv(tlv_swv, sit, vorige, woon)
    assert got.tolist()[:4] == ["PO0202", "PO0303", "PO0101", "PO0101"] and pd.isna(got.iloc[4])


def test_deelnemend():
    assert rules.deelnemend(pd.Series(["PO01", "PO02"]), "PO01").tolist() == [True, False]


def test_bekostigd_schooljaar_is_the_next_one():
    """t-1: the count of 1 October 2024 funds schooljaar 2025-2026."""
    assert rules.bekostigd_schooljaar("2024-2025") == "2025-2026"
    assert rules.bekostigd_schooljaar("2014-2015") == "2015-2016"
