"""The synthetic extract generator (`kijkglas generate`): determinism, the situations the counting
rules need, the stand-per cut, the monthly series with its correction, and the input contract.

Fast (small profile only, a few seconds in all); no Prefect.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kijkglas.cli import main as kijkglas_main
from kijkglas.synthetic import PROFILES, generate_extract, generate_series, series_stand_pers
from schemas.extract import TABLES, read_extract

try:
    from schemas.validate import validate_extract
except ImportError:  # the validator is written alongside; until then these checks are skipped
    validate_extract = None

STAND_PER = date(2024, 12, 6)
T = 2024
REGIO = Path(__file__).resolve().parents[2] / "shared" / "data" / "regio-indeling-swv-pc4.csv"
needs_validator = pytest.mark.skipif(validate_extract is None, reason="schemas.validate not available yet")


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small") / "extract"
    generate_extract("small", STAND_PER, out, seed=1)
    return out


@pytest.fixture(scope="module")
def small(small_dir):
    return read_extract(small_dir)


@pytest.fixture(scope="module")
def series_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("series")
    generate_series("small", "2024-2025", out, seed=5)
    return out


@pytest.fixture(scope="module")
def series_meta(series_dir) -> dict:
    return json.loads((series_dir / "series.json").read_text(encoding="utf-8"))


def with_vestiging(ex) -> pd.DataFrame:
    """inschrijvingen + the vestiging's soort and swv_code."""
    v = ex.vestigingen.set_index("vestiging_code")
    ins = ex.inschrijvingen
    return ins.assign(soort=ins.vestiging_code.map(v.soort), vest_swv=ins.vestiging_code.map(v.swv_code))


def active_on(ins: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    return (ins.begindatum <= day) & (ins.einddatum.isna() | (ins.einddatum >= day))


def counted_per_soort(ex, day: pd.Timestamp) -> dict:
    ins = with_vestiging(ex)
    return ins[active_on(ins, day) & (ins.bekostigd == "J")].soort.value_counts().to_dict()


def assert_valid(folder: Path):
    failures = validate_extract(read_extract(folder))
    assert failures.empty, f"{folder}:\n{failures.head(20).to_string()}"


# --- determinism ---------------------------------------------------------------------------------

def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_same_bytes_other_seed_differs(tmp_path, fmt):
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        generate_extract("small", STAND_PER, tmp_path / name, seed=seed, fmt=fmt)
    a, b, c = (_files(tmp_path / n) for n in "abc")
    assert sorted(a) == sorted(["extract.json"] + [f"{t}.{fmt}" for t in TABLES])
    assert a == b
    assert a[f"inschrijvingen.{fmt}"] != c[f"inschrijvingen.{fmt}"]
    assert a[f"leerlingen.{fmt}"] != c[f"leerlingen.{fmt}"]


def test_extract_json_and_default_csv(small_dir):
    assert json.loads((small_dir / "extract.json").read_text()) == {"stand_per": "2024-12-06", "bron": "ROD"}
    assert {p.suffix for p in small_dir.iterdir() if p.stem in TABLES} == {".csv"}
    header = (small_dir / "inschrijvingen.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(TABLES["inschrijvingen"])


# --- the contract, as far as the generator is responsible -----------------------------------------

@needs_validator
def test_small_validates(small_dir):
    assert_valid(small_dir)


def test_small_shape(small):
    assert 2000 <= len(small.leerlingen) <= 10000
    swv = small.samenwerkingsverbanden
    assert sorted(swv.sector.value_counts().to_dict().items()) == [("PO", 3), ("VO", 3)]
    assert swv.swv_code.str.fullmatch(r"(PO|VO)\d{4}").all()
    v = small.vestigingen
    assert v.vestiging_code.str.fullmatch(r"\d{2}[A-Z]{2}\d{2}").all() and v.vestiging_code.is_unique
    assert set(v.soort) == {"BAO", "SBAO", "SO", "VSO", "VO"}
    assert (v.vestiging_code.str[:4].value_counts() > 1).any(), "some BRIN with several vestigingen"
    ll = small.leerlingen
    assert ll.leerling_id.str.fullmatch(r"\d{9}").all() and ll.leerling_id.is_unique
    for table, key in (("inschrijvingen", "inschrijving_id"), ("tlv", "tlv_nummer"), ("cvi_indicaties", "cvi_nummer")):
        assert small.table(table)[key].is_unique
    ins = with_vestiging(small)
    vo = ins.soort == "VO"
    vso = ins.soort.isin(["SO", "VSO"])
    for c in ("lwoo", "pro", "vavo"):
        assert ins.loc[vo, c].isin(["J", "N"]).all() and ins.loc[~vo, c].isna().all()
        assert (ins.loc[vo, c] == "J").any()
    assert ins.loc[vso, "residentieel"].isin(["J", "N"]).all() and ins.loc[~vso, "residentieel"].isna().all()
    assert small.vestigingen.loc[small.vestigingen.soort.isin(["SO", "VSO"]), "kernsoort"].notna().all()


def test_cut_at_stand_per(small):
    sp = pd.Timestamp(STAND_PER)
    ins = small.inschrijvingen
    assert (ins.begindatum <= sp).all(), "no registration begins after the stand per"
    assert (ins.einddatum.isna() | (ins.einddatum <= sp)).all(), "the register knows no future end dates"
    assert ins.einddatum.isna().any() and ins.einddatum.notna().any()
    assert (small.tlv.afgiftedatum <= sp).all()
    assert (small.tlv.einddatum > sp).any(), "a TLV's end date is known at issue"
    assert (small.cvi_indicaties.begindatum <= sp).all()
    assert (small.leerlingen.geboortedatum <= sp).all()
    assert (small.bekostiging.vastgesteld_op <= sp).all()
    # two schooljaren of history: registrations active in 2023-2024 are there
    assert (ins.einddatum < pd.Timestamp(T, 8, 1)).any()
    assert (ins.begindatum.between(pd.Timestamp(T - 1, 8, 1), pd.Timestamp(T, 7, 31))).any()


def test_no_overlapping_registrations(small):
    s = small.inschrijvingen.sort_values(["leerling_id", "begindatum"])
    same = s.leerling_id.to_numpy()[1:] == s.leerling_id.to_numpy()[:-1]
    prev_end = s.einddatum.to_numpy()[:-1]
    nxt = s.begindatum.to_numpy()[1:]
    assert not (same & (pd.isna(prev_end) | (prev_end >= nxt))).any()


@pytest.mark.parametrize("year", [T - 1, T])
def test_ages_on_1_october(small, year):
    day = pd.Timestamp(year, 10, 1)
    ins = with_vestiging(small)
    act = ins[active_on(ins, day)]
    birth = act.leerling_id.map(small.leerlingen.set_index("leerling_id").geboortedatum)
    age = year - birth.dt.year - ((birth.dt.month > 10) | ((birth.dt.month == 10) & (birth.dt.day > 1)))
    bounds = {"BAO": (4, 12), "SBAO": (6, 13), "SO": (4, 13), "VSO": (12, 20), "VO": (12, 18)}
    for soort, (lo, hi) in bounds.items():
        a = age[act.soort == soort]
        assert len(a) and a.min() >= lo and a.max() <= hi, (soort, a.min(), a.max())


# --- every situation the counting rules need --------------------------------------------------------

def test_small_contains_every_situation(small):
    ins = with_vestiging(small)
    tlv, cvi, ll = small.tlv, small.cvi_indicaties, small.leerlingen
    vso = ins[ins.soort.isin(["SO", "VSO"])]

    # residential, also after a registration elsewhere
    rp = ins[ins.residentieel == "J"]
    assert len(rp)
    first_begin = ins.groupby("leerling_id").begindatum.min()
    assert (rp.begindatum > rp.leerling_id.map(first_begin)).any()

    # TLVs of every soort and category; renewals adjacent and overlapping; expired; open-ended
    for soort in ("SO", "VSO"):
        assert set(tlv.loc[tlv.soort == soort, "categorie"]) == {"L", "M", "H"}
    assert (tlv.soort == "SBAO").any() and tlv.loc[tlv.soort == "SBAO", "categorie"].isna().all()
    t = tlv.sort_values(["leerling_id", "soort", "begindatum"])
    same = (t.leerling_id.to_numpy()[1:] == t.leerling_id.to_numpy()[:-1]) & \
           (t.soort.to_numpy()[1:] == t.soort.to_numpy()[:-1])
    prev_end, nxt = t.einddatum.to_numpy()[:-1], t.begindatum.to_numpy()[1:]
    assert (same & (prev_end + np.timedelta64(1, "D") == nxt)).any(), "adjacent renewal"
    assert (same & (prev_end >= nxt)).any(), "overlapping renewal"
    assert (same & (prev_end + np.timedelta64(1, "D") == nxt) & (pd.DatetimeIndex(nxt).month != 8)).any(), \
        "a renewal mid-year"
    assert (tlv.einddatum < pd.Timestamp(STAND_PER)).any() and tlv.einddatum.isna().any()

    # old CvI indications, some followed by a TLV
    assert len(cvi)
    after = cvi.merge(tlv, on="leerling_id", suffixes=("_cvi", "_tlv"))
    assert (after.begindatum_tlv > after.einddatum_cvi).any()
    assert cvi.einddatum.isna().any()

    # (v)so without TLV or CvI at all (tijdelijke plaatsing), not residential
    covered = vso.leerling_id.isin(tlv.leerling_id) | vso.leerling_id.isin(cvi.leerling_id)
    assert (~covered & (vso.residentieel == "N")).any()
    # (v)so whose TLV was issued by another SWV than the vestiging's
    vt = vso.merge(tlv, on="leerling_id", suffixes=("", "_tlv"))
    assert (vt.soort == vt.soort_tlv).any() and ((vt.soort == vt.soort_tlv) & (vt.swv_code != vt.vest_swv)).any()

    # not funded
    assert (ins.bekostigd == "N").any() and (vso.bekostigd == "N").any()

    # pupils without, or with an unknown, home postcode
    assert ll.pc4_woonadres.isna().any()
    assert (ll.pc4_woonadres.notna() & ~ll.pc4_woonadres.isin(small.regio_indeling.pc4)).any()

    # so -> vso
    so_vso = ins[ins.soort == "SO"].merge(ins[ins.soort == "VSO"], on="leerling_id", suffixes=("_so", "_vso"))
    assert (so_vso.einddatum_so < so_vso.begindatum_vso).any()

    # moves within and across SWVs (same soort, other vestiging)
    s = ins.sort_values(["leerling_id", "begindatum"])
    nxt = s.groupby("leerling_id").shift(-1)
    moved = (nxt.soort == s.soort) & nxt.vestiging_code.notna() & (nxt.vestiging_code != s.vestiging_code)
    assert (moved & (nxt.vest_swv == s.vest_swv)).any() and (moved & (nxt.vest_swv != s.vest_swv)).any()

    # (v)so registrations beginning, and ending, between 1 October and 1 February
    for y in (T - 1, T):
        oct1, feb1 = pd.Timestamp(y, 10, 1), pd.Timestamp(y + 1, 2, 1)
        if feb1 <= pd.Timestamp(STAND_PER):
            assert ((vso.begindatum > oct1) & (vso.begindatum < feb1)).any()
            assert ((vso.einddatum >= oct1) & (vso.einddatum < feb1)).any()


def test_sbao_across_swv_border_with_tlv_of_the_bao_swv(small):
    """Kijkglas 5 cases: bao in SWV A, then sbao in SWV B, holding an SBAO TLV issued by A."""
    ins = with_vestiging(small)
    tlv = small.tlv
    bao = ins[ins.soort == "BAO"][["leerling_id", "vest_swv", "einddatum"]]
    sb = ins[ins.soort == "SBAO"].merge(bao, on="leerling_id", suffixes=("", "_bao"))
    sb = sb[(sb.einddatum_bao < sb.begindatum) & (sb.vest_swv_bao != sb.vest_swv)]
    cases = sb.merge(tlv[tlv.soort == "SBAO"], on="leerling_id", suffixes=("", "_tlv"))
    cases = cases[(cases.swv_code == cases.vest_swv_bao) & (cases.begindatum_tlv <= cases.begindatum)
                  & (cases.einddatum_tlv.isna() | (cases.einddatum_tlv >= cases.begindatum))
                  & (cases.afgiftedatum >= pd.Timestamp(2014, 8, 1))]
    assert cases.leerling_id.nunique() >= 2
    assert (tlv.afgiftedatum >= pd.Timestamp(2014, 8, 1)).all()


def test_bekostiging_for_some_swvs(small):
    b = small.bekostiging
    assert 0 < b.swv_code.nunique() < len(small.samenwerkingsverbanden)
    assert np.allclose((b.bedrag * 100).round(), b.bedrag * 100), "euros with 2 decimals"


# --- the monthly series ----------------------------------------------------------------------------

def test_series_folders_and_meta(series_dir, series_meta):
    monthly = [d.isoformat() for d in series_stand_pers(T)]
    assert monthly[0] == "2024-08-06" and monthly[-1] == "2025-07-06" and len(monthly) == 12
    folders = sorted(p.name for p in series_dir.iterdir() if p.is_dir())
    assert folders == sorted(monthly + ["2024-11-11"])
    assert [e["stand_per"] for e in series_meta["extracts"]] == folders
    corr = [e for e in series_meta["extracts"] if e["correctie_van"]]
    assert [(e["stand_per"], e["correctie_van"]) for e in corr] == [("2024-11-11", "2024-11-06")]
    assert series_meta["correctie"]["vervangt"] == "2024-11-06"
    assert len(series_meta["correctie"]["wijzigingen"]) >= 3
    for f in folders:
        assert json.loads((series_dir / f / "extract.json").read_text())["stand_per"] == f


@needs_validator
def test_every_series_extract_validates(series_dir, series_meta):
    for e in series_meta["extracts"]:
        assert_valid(series_dir / e["folder"])


def test_later_extracts_extend_the_history(series_dir, series_meta):
    """Each later stand per knows everything an earlier one knew (same ids, same begin dates, same
    known end dates), apart from the listed corrections."""
    corrected = {(w["table"], w["id"]) for w in series_meta["correctie"]["wijzigingen"]}
    keys = {"inschrijvingen": "inschrijving_id", "tlv": "tlv_nummer", "cvi_indicaties": "cvi_nummer",
            "leerlingen": "leerling_id"}
    previous = None
    for e in series_meta["extracts"]:
        ex = read_extract(series_dir / e["folder"])
        if previous is not None:
            for table, key in keys.items():
                old, new = previous.table(table), ex.table(table)
                assert old[key].isin(new[key]).all(), (e["stand_per"], table)
                assert len(new) >= len(old)
            old = previous.inschrijvingen.set_index("inschrijving_id")
            new = ex.inschrijvingen.set_index("inschrijving_id").loc[old.index]
            assert (old.begindatum == new.begindatum).all()
            known = old.einddatum.notna() & ~old.index.isin([i for t, i in corrected if t == "inschrijvingen"])
            assert (old.einddatum[known] == new.einddatum[known]).all()
            assert (old.leerling_id == new.leerling_id).all() and (old.vestiging_code == new.vestiging_code).all()
        previous = ex


def test_correction_changes_kijkglas_1_a_little(series_dir, series_meta):
    before = read_extract(series_dir / "2024-11-06")
    after = read_extract(series_dir / "2024-11-11")
    tel = pd.Timestamp(T, 10, 1)
    for w in series_meta["correctie"]["wijzigingen"]:
        key = {"inschrijvingen": "inschrijving_id", "tlv": "tlv_nummer"}[w["table"]]
        b = before.table(w["table"]).set_index(key).loc[w["id"], w["column"]]
        a = after.table(w["table"]).set_index(key).loc[w["id"], w["column"]]
        fmt = lambda v: None if pd.isna(v) else (v.date().isoformat() if isinstance(v, pd.Timestamp) else v)  # noqa: E731
        assert (fmt(b), fmt(a)) == (w["before"], w["after"]), w
    cb, ca = counted_per_soort(before, tel), counted_per_soort(after, tel)
    assert cb != ca
    assert sum(abs(ca.get(k, 0) - cb.get(k, 0)) for k in set(ca) | set(cb)) <= 10
    assert {w["column"] for w in series_meta["correctie"]["wijzigingen"]} >= {"bekostigd", "categorie", "einddatum"}


def test_series_extract_equals_single_extract(tmp_path, series_dir):
    """A single extract is the same history cut at its stand per: same bytes as the series member."""
    generate_extract("small", date(2024, 11, 6), tmp_path / "one", seed=5)
    assert _files(tmp_path / "one") == _files(series_dir / "2024-11-06")


# --- command line and reference data ----------------------------------------------------------------

def test_cli_generate(tmp_path, capsys):
    assert kijkglas_main(["generate", "--profile", "small", "--stand-per", "2025-02-06", "--out",
                          str(tmp_path / "x"), "--seed", "3", "--format", "parquet"]) == 0
    assert (tmp_path / "x" / "inschrijvingen.parquet").exists()
    assert json.loads((tmp_path / "x" / "extract.json").read_text())["stand_per"] == "2025-02-06"
    assert kijkglas_main(["generate", "--out", str(tmp_path / "y")]) == 2
    assert kijkglas_main(["generate", "--stand-per", "2024-10-06", "--series", "2024-2025",
                          "--out", str(tmp_path / "y")]) == 2
    assert kijkglas_main(["generate", "--series", "2024-2026", "--out", str(tmp_path / "y")]) == 2
    assert "precies één" in capsys.readouterr().err


def test_national_profile_is_the_country():
    p = PROFILES["national"]
    assert (p.n_po, p.n_vo) == (76, 74)
    assert sum(p.vestigingen.values()) == 6500 + 270 + 330 + 330 + 1500


@pytest.mark.skipif(not REGIO.exists(), reason="reference regio-indeling not present")
def test_small_with_the_real_regio_indeling(tmp_path):
    generate_extract("small", STAND_PER, tmp_path / "r", seed=2, regio_indeling=REGIO)
    ex = read_extract(tmp_path / "r")
    real = pd.read_csv(REGIO, dtype=str)
    assert ex.samenwerkingsverbanden.swv_code.isin(set(real.PO_SWV) | set(real.VO_SWV)).all()
    assert ex.regio_indeling.pc4.isin(real.PC4).all()
    assert len(ex.samenwerkingsverbanden) == 6
    if validate_extract is not None:
        assert_valid(tmp_path / "r")
