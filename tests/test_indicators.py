"""The indicators of the page Vergelijking (issue 26): each definition on a hand-worked example, the
national figure reconciled with the sum of the SWVs, the stored public CSV (whole, an older extract
never over a newer), and the page in Chromium (axe) in the outbox and in an SWV's folder copied alone."""
from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from outbox import vergelijking as store
from tasks import indicators
from tasks import kijkglas_1 as k1
from tasks import kijkglas_3 as k3
from tasks import kijkglas_4 as k4
from tasks.common import ReconciliationError
from tasks.model import Production, ProductResult, SwvInfo
from tests.test_dashboard_browser import SJ, browser, check_page, outbox  # noqa: F401 (fixtures)
from tests.test_swv_folder import local_refs

SWVS = {"PO2001": "PO", "PO2002": "PO", "VO2001": "VO"}
ALL = {"PO": ["PO2001", "PO2002"], "VO": ["VO2001"]}
STAND_PER = date(2024, 12, 6)


def result(product: str, code: str, tables: dict, schooljaar: str = SJ) -> ProductResult:
    return ProductResult(product=product, swv=SwvInfo(code, f"SWV {code}", SWVS[code]), schooljaar=schooljaar,
                         stand_per=STAND_PER, aanmaakdatum=STAND_PER, tables=tables)


def vso_table(deelnemend: int, niet: int) -> pd.DataFrame:
    """Kijkglas 1's (v)so table with the counts in one cell each (Laag <8), totals as counting adds them."""
    wide = pd.DataFrame(0, index=pd.MultiIndex.from_tuples([("X", k1.DEELNEMEND), ("X", k1.NIET_DEELNEMEND)],
                                                           names=["swv", "row"]), columns=k1.COUNT_COLUMNS)
    wide.iloc[0, 0], wide.iloc[1, 0] = deelnemend, niet
    return k1.swv_tables(wide, "Regel")["X"]


def k1_production() -> Production:
    """PO2001: (v)so 8 + 2, bao 460, sbao 30 · PO2002: (v)so 5, bao 190, sbao 5 · VO2001: (v)so 20, vo 380."""
    return Production("kijkglas-1", SJ, [
        result("kijkglas-1", "PO2001", {"k1_vso_totalen": vso_table(8, 2),
                                        "k1_bao_sbao": k1.bao_sbao_tabel(pd.Series({"bao": 460, "sbao": 30}))}),
        result("kijkglas-1", "PO2002", {"k1_vso_totalen": vso_table(5, 0),
                                        "k1_bao_sbao": k1.bao_sbao_tabel(pd.Series({"bao": 190, "sbao": 5}))}),
        result("kijkglas-1", "VO2001", {"k1_vso_totalen": vso_table(20, 0),
                                        "k1_vo": k1.vo_table(pd.Series({"vo": 380}))})])


def figures(rows: pd.DataFrame, key: str) -> dict[str, tuple]:
    r = rows[rows["indicator"] == key]
    return {s: (t, None if pd.isna(n) else int(n), w, None if pd.isna(b) else b)
            for s, t, n, w, b in zip(r["swv"], r["teller"], r["noemer"], r["waarde"], r["boven_norm"])}


def test_deelname_vso_by_hand():
    rows = indicators.indicator_rows(k1_production(), ALL)
    got = figures(rows, "deelname_vso")
    assert got["PO2001"][:3] == (10, 500, 2.0)      # 10 / (460 + 30 + 10)
    assert got["PO2002"][:3] == (5, 200, 2.5)       # 5 / (190 + 5 + 5)
    assert got["VO2001"][:3] == (20, 400, 5.0)      # 20 / (380 + 20)
    landelijk = rows[(rows["indicator"] == "deelname_vso") & (rows["swv"] == "landelijk")]
    assert list(zip(landelijk["sector"], landelijk["teller"], landelijk["noemer"], landelijk["waarde"])) == [
        ("PO", 15, 700, 2.14), ("VO", 20, 400, 5.0)]  # Σ teller / Σ noemer, not a mean of the SWVs' figures


def test_deelname_sbao_by_hand_with_the_pupils_above_2_percent():
    got = figures(indicators.indicator_rows(k1_production(), ALL), "deelname_sbao")
    assert got["PO2001"] == (30, 490, 6.12, 20.2)   # 30 / 490; 30 − 0.02 × 490 = 20.2 above 2 %
    assert got["PO2002"] == (5, 195, 2.56, 1.1)     # 5 − 3.9
    assert got["landelijk"] == (35, 685, 5.11, 21.3)
    assert "VO2001" not in got                      # PO only


def leerlingen() -> dict:
    return indicators.leerlingen_of(indicators.indicator_rows(k1_production(), ALL))


def flows() -> pd.DataFrame:
    rows = []
    for deel, richting, sector, swv, cat, age, n in [
            ("3a", "instroom", "PO", "PO2001", "L", "<8", 3), ("3a", "uitstroom", "PO", "PO2001", "M", "8+", 1),
            ("3b", "instroom", "PO", "PO2001", "H", "8+", 4),  # a move between (v)so schools: not growth
            ("3a", "uitstroom", "PO", "PO2002", "L", "<8", 2), ("3a", "instroom", "VO", "VO2001", "H", "8+", 1)]:
        rows += [{"deel": deel, "richting": richting, "sector": sector, "swv": swv, "brin": f"{swv[-2:]}SO",
                  "categorie": cat, "leeftijdscategorie": age, "leerling_id": "x", "inschrijving_id": "y",
                  "dag": pd.Timestamp("2025-02-01")}] * n
    return pd.DataFrame(rows, columns=k3.FLOW_COLUMNS)


def k3_production() -> Production:
    national = k3.national_tables(flows())
    per_swv = [result("kijkglas-3", c, {f"k3{p}": national[f"k3{p}_{s.lower()}"].loc[
        national[f"k3{p}_{s.lower()}"]["SWV"] == c].reset_index(drop=True) for p in "ab"}) for c, s in SWVS.items()]
    openbaar = ProductResult("kijkglas-3", None, SJ, SJ, STAND_PER, STAND_PER, tables=national)
    return Production("kijkglas-3", SJ, per_swv, openbaar=[openbaar])


def test_groei_vso_per_100_leerlingen_by_hand():
    rows = indicators.indicator_rows(k3_production(), ALL, leerlingen())
    got = figures(rows, "groei_vso")
    assert got["PO2001"][:3] == (2, 500, 0.4)       # 3 in − 1 out (3b left out), per 100 of 500
    assert got["PO2002"][:3] == (-2, 200, -1.0)
    assert got["landelijk"][:3] == (1, 400, 0.25)   # the last row read is VO's
    po = rows[(rows["indicator"] == "groei_vso") & (rows["swv"] == "landelijk") & (rows["sector"] == "PO")]
    assert (int(po["teller"].iloc[0]), int(po["noemer"].iloc[0]), po["waarde"].iloc[0]) == (0, 700, 0.0)
    assert set(rows["peildatum"]) == {"2025-02-01"}


def test_groei_needs_a_kijkglas_1_of_the_schooljaar():
    assert indicators.indicator_rows(k3_production(), ALL, None).empty


def test_groei_sbao_per_100_leerlingen_by_hand():
    groei = pd.DataFrame({"swv_code": ["PO2001", "PO2001", "PO2002"], "Vestiging": ["01AA00", "01BB00", "02CC00"],
                          "Naam vestiging": ["A", "B", "C"], "Aantal 1 oktober": [20, 10, 5],
                          "Aantal 1 februari": [23, 9, 5]})
    groei["Verschil"] = groei["Aantal 1 februari"] - groei["Aantal 1 oktober"]
    production = Production("kijkglas-4", SJ, [result("kijkglas-4", c, {"k4_sbao": k4.k4_tabel(groei[groei["swv_code"] == c])})
                                               for c in ("PO2001", "PO2002")])
    got = figures(indicators.indicator_rows(production, ALL, leerlingen()), "groei_sbao")
    assert got["PO2001"][:3] == (2, 500, 0.4)       # +3 − 1
    assert got["PO2002"][:3] == (0, 200, 0.0)
    assert got["landelijk"][:3] == (2, 700, 0.29)


def k5_production(uit_po2002: int = 3) -> Production:
    def cases(n: int) -> pd.DataFrame:
        return pd.DataFrame({"Sbao-vestiging": ["01AA00"] * n})
    return Production("kijkglas-5", "2023-2024", [
        result("kijkglas-5", "PO2001", {"k5_inkomend": cases(3), "k5_uitgaand": cases(1)}, "2023-2024"),
        result("kijkglas-5", "PO2002", {"k5_inkomend": cases(1), "k5_uitgaand": cases(uit_po2002)}, "2023-2024")])


def test_grensverkeer_sbao_by_hand_and_zero_nationally():
    rows = indicators.indicator_rows(k5_production(), ALL)
    got = figures(rows, "grensverkeer_sbao")
    assert got["PO2001"] == (2, None, 2.0, None)    # 3 incoming − 1 outgoing
    assert got["PO2002"] == (-2, None, -2.0, None)
    assert got["landelijk"] == (0, None, 0.0, None)
    assert set(rows["peildatum"]) == {"2024-07-31"}


def test_grensverkeer_reconciles_incoming_with_outgoing():
    with pytest.raises(ReconciliationError, match="inkomend = 4, Σ uitgaand = 5"):
        indicators.indicator_rows(k5_production(uit_po2002=4), ALL)


def test_the_national_figure_must_equal_the_sum_of_the_parts():
    production = k1_production()
    t = production.per_swv[0].tables["k1_vso_totalen"]
    t.loc[t["Regel"] == "Totaal", "Totaal"] += 1  # a Totaal that the cells do not add up to
    with pytest.raises(ReconciliationError, match="deelname_vso PO: landelijk teller/noemer = 15/700, "
                                                  "som over de SWV's = 16/701"):
        indicators.indicator_rows(production, ALL)


def test_a_production_for_chosen_swvs_adds_no_national_figure():
    production = k1_production()
    production.per_swv = [r for r in production.per_swv if r.swv.swv_code != "PO2002"]
    rows = indicators.indicator_rows(production, ALL)
    assert set(rows["sector"]) == {"VO"}  # PO incomplete: left out; VO whole


def test_every_indicator_has_its_definition_once_and_in_the_readme():
    readme = (indicators.__file__.rsplit("/tasks/", 1)[0] + "/README.md")
    text = open(readme, encoding="utf-8").read()
    assert len({i.key for i in indicators.INDICATORS}) == len(indicators.INDICATORS)
    for ind in indicators.INDICATORS:
        assert ind.definitie in text, f"README: the definition of {ind.key} differs from tasks/indicators.py"


# --- stored figures ---------------------------------------------------------------------------------

def test_stored_whole_and_an_older_extract_never_replaces_a_newer(tmp_path):
    rows = indicators.indicator_rows(k1_production(), ALL)
    path = store.write(tmp_path, "kijkglas-1", rows)
    assert path == tmp_path / "openbaar" / "vergelijking" / SJ / "2024-12-kijkglas-1.csv"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(indicators.COLUMNS)
    assert "deelname_sbao,2024-2025,2024-10-01,2024-12-06,PO,PO2001,SWV PO2001,30,490,6.12,20.2" in text
    older = rows.assign(stand_per="2024-12-01", teller=rows["teller"] + 1)
    assert store.write(tmp_path, "kijkglas-1", older) is None
    assert path.read_text(encoding="utf-8") == text
    back = store.read_all(tmp_path)
    assert len(back) == len(rows) and set(back["maand"]) == {"2024-12"}
    assert list(back.loc[back["swv"] == "PO2001", "teller"]) == [10, 30]
    assert not list(path.parent.glob("*.tmp"))


# --- in the outbox and in the browser ---------------------------------------------------------------

def test_every_production_stores_its_figures_and_they_reconcile(outbox):  # noqa: F811
    rows = store.read_all(outbox)
    assert {"deelname_vso", "deelname_sbao", "groei_vso", "groei_sbao", "grensverkeer_sbao"} <= set(rows["indicator"])
    for (ind, sj, sp, sector), part in rows.groupby(["indicator", "schooljaar", "stand_per", "sector"]):
        nat = part[part["swv"] == "landelijk"].iloc[0]
        swvs = part[part["swv"] != "landelijk"]
        assert nat["teller"] == swvs["teller"].sum(), (ind, sp, sector)
        if not pd.isna(nat["noemer"]):
            assert nat["noemer"] == swvs["noemer"].sum(), (ind, sp, sector)
    # Kijkglas 1 in August, October and December: a figure per month
    assert sorted(set(rows.loc[rows["indicator"] == "deelname_vso", "maand"])) == ["2024-08", "2024-10", "2024-12"]


@pytest.mark.parametrize("owner", ["PO2001", "VO2001"])
def test_the_page_is_accessible_and_linked_from_the_others(browser, outbox, owner):  # noqa: F811
    page = outbox / owner / "dashboard" / "vergelijking.html"
    check_page(browser, page).close()
    text = page.read_text(encoding="utf-8")
    assert "Landelijk " + owner[:2] in text and "vergelijking.csv" in text
    expected = {"PO": ["Deelname (v)so", "Deelname sbao", "Groei (v)so", "Groei sbao", "Grensverkeer sbao"],
                "VO": ["Deelname (v)so", "Groei (v)so"]}[owner[:2]]
    assert all(t in text for t in expected)
    if owner.startswith("VO"):
        assert 'id="deelname_sbao"' not in text and 'id="grensverkeer_sbao"' not in text
    for other in ("index.html", "dashboard/historie.html", f"dashboard/{SJ}/1a.html"):
        assert "dashboard/vergelijking.html" in (outbox / owner / other).read_text(encoding="utf-8"), other


def test_the_public_page_and_csvs(browser, outbox):  # noqa: F811
    page = outbox / "openbaar" / "vergelijking" / "index.html"
    check_page(browser, page).close()
    text = page.read_text(encoding="utf-8")
    assert "2024-2025/2024-12-kijkglas-1.csv" in text and "PO2001" in text and "VO2001" in text


def test_the_page_stands_alone_in_a_copied_folder(browser, outbox, tmp_path):  # noqa: F811
    copy = tmp_path / "PO2001"
    shutil.copytree(outbox / "PO2001", copy)
    page = copy / "dashboard" / "vergelijking.html"
    for ref in local_refs(page):
        assert (page.parent / ref).resolve().is_relative_to(copy.resolve()), ref
        assert (page.parent / ref).resolve().is_file(), ref
    check_page(browser, page).close()
    data = pd.read_csv(copy / "dashboard" / "vergelijking.csv", dtype=str)
    assert set(data["sector"]) == {"PO"} and "landelijk" in set(data["swv"])
