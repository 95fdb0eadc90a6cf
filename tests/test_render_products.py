"""Documents of Kijkglas 2–5 (documents/kijkglas_2.py … kijkglas_5.py), rendered from the hand-made extracts of
tests/test_kijkglas_2_3.py and tests/test_kijkglas_4_5.py and read back (fast, no Prefect)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from openpyxl.utils import column_index_from_string, get_column_letter
from pypdf import PdfReader

from core.settings import Settings
from tasks import kijkglas_2 as k2
from tasks import kijkglas_3 as k3
from tasks import kijkglas_4 as k4
from tasks import kijkglas_5 as k5
from documents import kijkglas_2 as d2
from documents import kijkglas_3 as d3
from documents import kijkglas_4 as d4
from documents import kijkglas_5 as d5
from documents import pdf
from products import registry
from documents import values
from tasks.model import ProductResult
from tests.readback import excel_text, read_csv_rows
from tests import test_kijkglas_2_3 as t23
from tests import test_kijkglas_4_5 as t45

pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")

S, OTHER, VO = t23.S, t23.OTHER, t23.VO

# outputs.md, "CSV tables of Kijkglas 2–5": the order of columns C–R (PO) and C–J (VO)
K3_PO = ["SWV", "BRIN (v)so"] + [f"{r} {a} {c}" for a in ("<8", "8+") for r in ("Instroom", "Uitstroom")
                                 for c in ("L", "M", "H", "Totaal")]
K3_VO = ["SWV", "BRIN (v)so"] + [f"{r} {c}" for r in ("Instroom", "Uitstroom") for c in ("L", "M", "H", "Totaal")]
K5_INKOMEND = ("Leerlingen op sbao gestart in voorgaand schooljaar afkomstig uit een ander "
               "samenwerkingsverband")
K5_UITGAAND = "Leerlingen in voorgaand schooljaar overgestapt naar sbao buiten het samenwerkingsverband"


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def filter_range(ws) -> tuple[int, int, int]:
    """(header row, last row, last column) of the sheet's autofilter."""
    first, last = ws.auto_filter.ref.split(":")
    assert first.startswith("A"), ws.auto_filter.ref
    col = "".join(ch for ch in last if ch.isalpha())
    return int(first[1:]), int(last[len(col):]), column_index_from_string(col)


def assert_sheet_equals_csv(ws, csv_path: Path, headers: dict[str, str] | None = None) -> int:
    """The autofiltered table of `ws`, with a closing Totaal row just below the filter range, is
    exactly the CSV (header as `headers` renames it, values, dates as real dates, counts as
    numbers, frozen below the header); returns the header row."""
    rows = read_csv_rows(csv_path)
    hr, last_row, last_col = filter_range(ws)
    if len(rows) > 1 and rows[-1][0] == "Totaal":
        assert ws.cell(last_row + 1, 1).value == "Totaal", "the Totaal row stays out of the filter"
        last_row += 1
    assert last_col == len(rows[0])
    assert last_row == hr + max(len(rows) - 1, 0)
    assert [ws.cell(hr, c).value for c in range(1, last_col + 1)] == [(headers or {}).get(c, c) for c in rows[0]]
    assert ws.max_row == last_row and ws.max_column == last_col
    body = []
    for r in range(hr + 1, last_row + 1):
        cells = [ws.cell(r, c) for c in range(1, last_col + 1)]
        for cell in cells:
            if isinstance(cell.value, datetime):
                assert cell.number_format == "dd-mm-yyyy", cell.coordinate
        body.append([excel_text(c.value) for c in cells])
    assert body == rows[1:]
    assert ws.freeze_panes == f"A{hr + 1}"
    assert not ws.merged_cells.ranges
    return hr


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(str(path)).pages)


def documents(fn, result: ProductResult, d: Path, change_report=None) -> tuple[list[Path], Path]:
    written, job = fn(result, d, change_report)
    assert job is not None and job.path.parent == d
    return written, pdf.render_pdf(job.template_name, job.context, job.path)


def names(paths, d: Path) -> set[str]:
    return {p.relative_to(d).as_posix() for p in paths}


# ------------------------------------------------------------------------------------------
# results from the hand-made extracts
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def extract_23(tmp_path_factory):
    return t23.build().extract(tmp_path_factory.mktemp("k23"))


@pytest.fixture(scope="module")
def k2_results(extract_23):
    results, _ = k2.kijkglas_2(extract_23, "2014-2015", date(2015, 4, 15), Settings())
    return {r.swv.swv_code: r for r in results}


@pytest.fixture(scope="module")
def k3_results(extract_23):
    openbaar, per_swv, _, _ = k3.kijkglas_3(extract_23, "2014-2015", date(2015, 4, 15), Settings())
    return openbaar, {r.swv.swv_code: r for r in per_swv}


@pytest.fixture(scope="module")
def k4_results(tmp_path_factory):
    b = t45.base("2025-04-10")
    for _ in range(3):
        b.inschrijving(b.leerling(pc4="1000"), "10SB00", begindatum="2024-08-19")                         # both
    for _ in range(2):
        b.inschrijving(b.leerling(pc4="1000"), "10SB01", begindatum="2024-08-19", einddatum="2024-12-15")  # Oct
    for _ in range(4):
        b.inschrijving(b.leerling(pc4="1000"), "10SB00", begindatum="2025-01-05")                         # Feb
    res = k4.kijkglas_4(b.extract(tmp_path_factory.mktemp("k4")), "2024-2025", date(2025, 4, 15), Settings())
    return {r.swv.swv_code: r for r in res}


@pytest.fixture(scope="module")
def k5_results(tmp_path_factory):
    b = t45.base("2024-10-10")
    a = b.leerling(pc4="1000", bsn="0001")   # from S2's bao with S2's TLV, starts in January
    b.inschrijving(a, "20BA00", begindatum="2019-08-19", einddatum="2023-12-31")
    b.tlv(a, t45.S2, "SBAO", begindatum="2024-01-01", afgiftedatum="2023-12-01")
    b.inschrijving(a, "10SB00", begindatum="2024-01-08")
    c = b.leerling(pc4="1000", bsn="0002")   # counted on 1-10-2023
    b.inschrijving(c, "20BA00", begindatum="2019-08-19", einddatum="2023-07-31")
    b.tlv(c, t45.S2, "SBAO", begindatum="2023-08-01", einddatum="2025-07-31", afgiftedatum="2023-06-01")
    b.inschrijving(c, "10SB00", begindatum="2023-08-21", einddatum="2024-06-30")
    res = k5.kijkglas_5(b.extract(tmp_path_factory.mktemp("k5")), "2023-2024", date(2024, 10, 15), Settings())
    return {r.swv.swv_code: r for r in res}


# ------------------------------------------------------------------------------------------
# dispatch
# ------------------------------------------------------------------------------------------

def test_the_registry_finds_each_products_documents():
    for module, name in ((d2, "kijkglas-2"), (d3, "kijkglas-3"), (d4, "kijkglas-4"), (d5, "kijkglas-5")):
        assert registry.product(name).write_documents is module.write_documents
        assert registry.product(name).title == module.TITLE
    assert registry.product("kijkglas-3").write_openbaar_documents is d3.write_openbaar_documents


def test_every_table_a_product_computes_is_declared_in_the_registry(k2_results, k3_results, k4_results, k5_results):
    openbaar, k3_per_swv = k3_results
    for name, results in (("kijkglas-2", k2_results.values()), ("kijkglas-3", [openbaar, *k3_per_swv.values()]),
                          ("kijkglas-4", k4_results.values()), ("kijkglas-5", k5_results.values())):
        stems = {stem for r in results for stem in r.tables}
        assert stems and stems <= set(registry.product(name).tables), name


# ------------------------------------------------------------------------------------------
# Kijkglas 2
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def k2_rendered(k2_results, tmp_path_factory):
    d = tmp_path_factory.mktemp("k2doc")
    written, pdf = documents(d2.write_documents, k2_results[S], d)
    return k2_results[S], d, written, pdf


def test_k2_files(k2_rendered):
    _, d, written, pdf = k2_rendered
    assert names(written + [pdf], d) == {f"kijkglas-2_{S}.xlsx", f"kijkglas-2_{S}.pdf",
                                        "data/k2_tlv.csv", "data/k2_cvi.csv", "data/k2_overig.csv"}


def test_k2_workbook_sheets_equal_csv(k2_rendered):
    result, d, _, _ = k2_rendered
    wb = openpyxl.load_workbook(d / f"kijkglas-2_{S}.xlsx")
    assert wb.sheetnames == ["Algemene gegevens", "2.2 TLV", "2.3 CvI", "2.4 RP en zonder TLV"]
    ag = {wb["Algemene gegevens"].cell(r, 1).value: wb["Algemene gegevens"].cell(r, 2).value
          for r in range(1, 20)}
    assert ag["Administratienummer"] == S and ag["Schooljaar"] == "2014-2015"
    assert ag["Stand per"] == datetime(2015, 4, 10)
    for sheet, stem in [("2.2 TLV", "k2_tlv"), ("2.3 CvI", "k2_cvi"), ("2.4 RP en zonder TLV", "k2_overig")]:
        hr = assert_sheet_equals_csv(wb[sheet], d / "data" / f"{stem}.csv")
        assert [wb[sheet].cell(hr, c).value for c in range(1, wb[sheet].max_column + 1)] == \
            list(result.tables[stem].columns)
    ws = wb["2.2 TLV"]
    hr, _, _ = filter_range(ws)
    begin = list(result.tables["k2_tlv"].columns).index("Begindatum geldigheid gegevens") + 1
    assert ws.cell(hr + 1, begin).value == datetime(2014, 8, 18)   # a real date


def test_k2_pdf(k2_rendered):
    result, _, _, pdf = k2_rendered
    text = pdf_text(pdf)
    assert "Kijkglas 2" in text and S in text and "2014-2015" in text
    # counts per block: 13 rows / 11 pupils in 2.2, 1 in 2.3, 3 in 2.4; 17 rows, 12 pupils in all
    assert "Blok 2.2 2.2 TLV 13 11 13 0" in text
    assert "Totaal 17 12 16 1" in text
    # two TLVs to re-assess (TLV8 ended, TLV10a ends 31-7-2015), listed with their end date
    assert "2 TLV's van 2 leerlingen" in text
    assert "300000008 10AA00 TLV8 30-09-2014" in text and "TLV10a 31-07-2015" in text
    # 2.4: two pupils without TLV, one residential
    assert "2 leerlingen in 2 regels" in text and "geplaatst op een residentiële plaats: 1 leerling" in text
    # marks (stand per after 1 February): one of each but uitstroom (two)
    assert "Instroom = J 3a, instroom (op 01-02-2015) 1" in text
    assert "Uitstroom = J 3a, uitstroom (op 01-10-2014) 2" in text
    # pupil lists stay in Excel: a pupil without an expiring TLV is not printed
    assert "307861096" not in text


def test_k2_pdf_before_1_february_says_when_marks_appear(tmp_path):
    ex = t23.build(stand_per="2015-01-31").extract(tmp_path / "x")
    results, _ = k2.kijkglas_2(ex, "2014-2015", date(2015, 2, 2), Settings(), swv_codes=[S])
    _, pdf = documents(d2.write_documents, results[0], tmp_path / "doc")
    text = pdf_text(pdf)
    assert "nog leeg" in text and "op of na 01-02-2015" in text
    assert "Zo rekent u de groei per leerling na" not in text


# ------------------------------------------------------------------------------------------
# Kijkglas 3: the berekeningsmodule layout
# ------------------------------------------------------------------------------------------

def assert_k3_layout(ws, columns: list[str], csv_path: Path, code: str | None = None, part: str = "a"):
    last = "R" if len(columns) == 18 else "J"
    # 3b: the handleiding's "Instroom van andere (v)so …" on the same columns as the CSV's "Instroom …"
    headers = d3.k3_headers(part, "PO" if last == "R" else "VO")
    assert ws["A10"].value == "SWV" and ws["B10"].value == "BRIN (v)so"
    assert [ws.cell(10, c).value for c in range(1, len(columns) + 1)] == [headers.get(c, c) for c in columns]
    if part == "b":
        assert ws["C10"].value.startswith("Instroom van andere (v)so ")
    assert get_column_letter(len(columns)) == last
    assert ws.auto_filter.ref.startswith("A10:" + last)
    assert ws.freeze_panes == "A11"
    # rows 1–9: title, schooljaar, peildatum, bijgewerkt tot, aanmaakdatum, group headers on row 9
    labels = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, 10)}
    assert labels["Schooljaar"] == "2014-2015" and labels["Peildatum"] == datetime(2015, 2, 1)
    assert labels["Bijgewerkt tot"] == datetime(2015, 4, 10) and labels["Aanmaakdatum"] == datetime(2015, 4, 15)
    assert ws["A1"].value and ws["C9"].value
    rows = [[ws.cell(r, c).value for c in range(1, len(columns) + 1)] for r in range(11, ws.max_row + 1)]
    assert ws.auto_filter.ref == f"A10:{last}{10 + len(rows)}"
    keys = [(r[0], r[1]) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for r in rows:
        assert all(isinstance(v, int) for v in r[2:])
        for total in range(5, len(columns), 4):       # F, J, N, R (0-based 5, 9, 13, 17)
            assert r[total] == r[total - 3] + r[total - 2] + r[total - 1]
        if code:
            assert r[0] == code
    assert_sheet_equals_csv(ws, csv_path, headers)
    return rows


@pytest.fixture(scope="module")
def k3_openbaar_rendered(k3_results, tmp_path_factory):
    openbaar, _ = k3_results
    d = tmp_path_factory.mktemp("k3open")
    written, pdf = documents(d3.write_openbaar_documents, openbaar, d)
    return openbaar, d, written, pdf


def test_k3_openbaar_files(k3_openbaar_rendered):
    _, d, written, pdf = k3_openbaar_rendered
    assert names(written + [pdf], d) == {
        "kijkglas-3a-po.xlsx", "kijkglas-3a-vo.xlsx", "kijkglas-3b-po.xlsx", "kijkglas-3b-vo.xlsx",
        "kijkglas-3.pdf", "data/k3a_po.csv", "data/k3a_vo.csv", "data/k3b_po.csv", "data/k3b_vo.csv"}


@pytest.mark.parametrize("part,sector", [("a", "po"), ("a", "vo"), ("b", "po"), ("b", "vo")])
def test_k3_openbaar_layout(k3_openbaar_rendered, part, sector):
    openbaar, d, _, _ = k3_openbaar_rendered
    wb = openpyxl.load_workbook(d / f"kijkglas-3{part}-{sector}.xlsx")
    assert len(wb.sheetnames) == 1
    ws = wb.active
    columns = K3_PO if sector == "po" else K3_VO
    rows = assert_k3_layout(ws, columns, d / "data" / f"k3{part}_{sector}.csv", part=part)
    assert rows == openbaar.tables[f"k3{part}_{sector}"].values.tolist()
    if part == "a":
        assert ws["C9"].value == "In-uitstroom in het (v)so" + (" <8" if sector == "po" else "")
    else:
        assert ws["C9"].value.startswith("Instroom van andere (v)so")
        assert ws["G9"].value.startswith("Uitstroom naar andere (v)so")


def test_k3_openbaar_expected_rows(k3_openbaar_rendered):
    _, d, _, _ = k3_openbaar_rendered
    ws = openpyxl.load_workbook(d / "kijkglas-3a-po.xlsx").active
    assert [[ws.cell(r, c).value for c in (1, 2, 3, 6, 15, 18)] for r in (11, 12)] == [
        [S, "10AA", 0, 0, 1, 1], [S, "10AB", 1, 1, 1, 1]]
    assert ws.max_row == 12
    vo = openpyxl.load_workbook(d / "kijkglas-3b-vo.xlsx").active
    assert vo.auto_filter.ref == "A10:J10" and vo.max_row == 10   # no flows: header only


def test_k3_openbaar_pdf(k3_openbaar_rendered):
    _, _, _, pdf = k3_openbaar_rendered
    text = pdf_text(pdf)
    assert "Kijkglas 3" in text and "Landelijk overzicht" in text
    for f in ("kijkglas-3a-po.xlsx", "kijkglas-3a-vo.xlsx", "kijkglas-3b-po.xlsx", "kijkglas-3b-vo.xlsx"):
        assert f in text
    # national totals per part and sector
    assert "2 regels (1 samenwerkingsverband, 2 scholen) in kijkglas-3a-po.xlsx. Instroom 1, uitstroom 2" in text
    assert "kijkglas-3a-vo.xlsx. Instroom 1, uitstroom 0" in text
    assert "kijkglas-3b-po.xlsx. Instroom 1, uitstroom 1" in text
    # the module steps, by column letter
    assert "kolom C, D en E" in text and "kolom N" in text and "kolom R" in text and "kolom J" in text


def test_k3_per_swv(k3_results, tmp_path):
    _, per_swv = k3_results
    for code, columns in ((S, K3_PO), (VO, K3_VO), (OTHER, K3_PO)):
        d = tmp_path / code
        written, pdf = documents(d3.write_documents, per_swv[code], d)
        assert names(written + [pdf], d) == {f"kijkglas-3_{code}.xlsx", f"kijkglas-3_{code}.pdf",
                                            "data/k3a.csv", "data/k3b.csv"}
        wb = openpyxl.load_workbook(d / f"kijkglas-3_{code}.xlsx")
        assert wb.sheetnames == ["3a", "3b"]
        for part in "ab":
            rows = assert_k3_layout(wb[f"3{part}"], columns, d / "data" / f"k3{part}.csv", code, part)
            assert rows == per_swv[code].tables[f"k3{part}"].values.tolist()
        text = pdf_text(pdf)
        assert code in text and "Kijkglas 3" in text
        if code == S:
            assert "2 scholen. Instroom 1, uitstroom 2, saldo -1" in text
            assert "2 scholen. Instroom 1, uitstroom 1, saldo 0" in text
        if code == OTHER:
            assert "geen in- of uitstroom" in text
        # the handleiding's label, as in the workbook; the absolute growth is on the school pages
        assert "Bijgewerkt tot" in text and "Stand per " not in text.split("Controle en absolute groei")[0]
        # the school pages are in the SWV's own folder (issue 24: the folder stands alone)
        assert "openbaar/scholen" not in text and "school-<BRIN>.html" in text
        if code == S:
            assert "Instroom van andere (v)so" in text and "school-10AA.html" in text
            assert "Groei (saldo 3a)" in text and "Saldo 3b (geen groei)" in text


def test_k3_rejects_a_total_that_is_not_the_sum(k3_results, tmp_path):
    _, per_swv = k3_results
    r = per_swv[S]
    bad = r.tables["k3a"].copy()
    bad.loc[0, "Uitstroom 8+ Totaal"] = 5
    broken = replace(r, tables={"k3a": bad, "k3b": r.tables["k3b"]})
    with pytest.raises(ValueError, match="Uitstroom 8\\+ Totaal"):
        d3.write_documents(broken, tmp_path)


def test_k3_unsorted_input_is_written_sorted(k3_results, tmp_path):
    _, per_swv = k3_results
    r = per_swv[S]
    shuffled = {k: t.iloc[::-1].reset_index(drop=True) for k, t in r.tables.items()}
    res = replace(r, tables=shuffled)
    d3.write_documents(res, tmp_path)
    ws = openpyxl.load_workbook(tmp_path / f"kijkglas-3_{S}.xlsx")["3a"]
    assert [ws.cell(r_, 2).value for r_ in (11, 12)] == ["10AA", "10AB"]
    assert read_csv_rows(tmp_path / "data" / "k3a.csv")[1][1] == "10AA"


# ------------------------------------------------------------------------------------------
# Kijkglas 4 and 5
# ------------------------------------------------------------------------------------------

def test_k4(k4_results, tmp_path):
    result = k4_results[t45.S]
    report = [{"table": "k4_sbao", "added": 0, "removed": 0, "changed": 1, "examples": ["10SB00: 6 → 7"]}]
    written, pdf = documents(d4.write_documents, result, tmp_path, report)
    assert names(written + [pdf], tmp_path) == {f"kijkglas-4_{t45.S}.xlsx", f"kijkglas-4_{t45.S}.pdf",
                                               "data/k4_sbao.csv"}
    wb = openpyxl.load_workbook(tmp_path / f"kijkglas-4_{t45.S}.xlsx")
    assert wb.sheetnames == ["Groei sbao"]
    ws = wb["Groei sbao"]
    hr = assert_sheet_equals_csv(ws, tmp_path / "data" / "k4_sbao.csv")
    assert ws.cell(1, 1).value.startswith("Kijkglas 4")
    assert [[ws.cell(r, c).value for c in (1, 3, 4, 5)] for r in range(hr + 1, ws.max_row + 1)] == [
        ["10SB00", 3, 7, 4], ["10SB01", 2, 0, -2], ["Totaal", 5, 7, 2]]
    text = pdf_text(pdf)
    assert t45.S in text and "Kijkglas 4" in text
    assert "Totaal 5 7 2" in text and "5 op 1 oktober, 7 op 1 februari, verschil 2" in text
    assert "1 vestiging met groei, samen 4 leerlingen" in text
    assert "(2 vestigingen)" in text and "Bij 1 vestiging is er geen groei: 0 met een gelijk aantal" in text
    assert "(1)" not in text and "(0)" not in text
    assert "Wijzigingen ten opzichte van de vorige versie" in text and "10SB00: 6 → 7" in text


def test_k4_swv_without_sbao(k4_results, tmp_path):
    written, pdf = documents(d4.write_documents, k4_results[t45.S2], tmp_path)
    ws = openpyxl.load_workbook(tmp_path / f"kijkglas-4_{t45.S2}.xlsx")["Groei sbao"]
    assert_sheet_equals_csv(ws, tmp_path / "data" / "k4_sbao.csv")
    assert "geen vestiging met groei" in pdf_text(pdf)


def test_k5(k5_results, tmp_path):
    for code, n_in, n_out in ((t45.S, 2, 0), (t45.S2, 0, 2)):
        d = tmp_path / code
        written, pdf = documents(d5.write_documents, k5_results[code], d)
        assert names(written + [pdf], d) == {f"kijkglas-5_{code}.xlsx", f"kijkglas-5_{code}.pdf",
                                            "data/k5_inkomend.csv", "data/k5_uitgaand.csv"}
        wb = openpyxl.load_workbook(d / f"kijkglas-5_{code}.xlsx")
        assert len(wb.sheetnames) == 2
        for ws, stem, caption, n in ((wb.worksheets[0], "k5_inkomend", K5_INKOMEND, n_in),
                                     (wb.worksheets[1], "k5_uitgaand", K5_UITGAAND, n_out)):
            hr = assert_sheet_equals_csv(ws, d / "data" / f"{stem}.csv")
            assert ws.cell(hr - 1, 1).value == caption          # the caption, exactly, above the table
            assert ws.max_row - hr == n
        text = pdf_text(pdf)
        assert code in text and K5_INKOMEND in text and K5_UITGAAND in text
        assert "zes maanden" in text and "toelaatbaar verklaard" in text
        if code == t45.S:
            assert "2 leerlingen, waarvan 1 met Bek 1/10 = J en 1 met N" in text
            assert f"{t45.S2} 2 1" in text          # per other SWV, no pupil list
            assert "0001" not in text and "0002" not in text


def test_k5_dates_are_real_dates(k5_results, tmp_path):
    d5.write_documents(k5_results[t45.S], tmp_path)
    ws = openpyxl.load_workbook(tmp_path / f"kijkglas-5_{t45.S}.xlsx").worksheets[0]
    hr, _, _ = filter_range(ws)
    col = [ws.cell(hr, c).value for c in range(1, ws.max_column + 1)].index("Begindatum inschrijving") + 1
    assert ws.cell(hr + 1, col).value == datetime(2023, 8, 21)
    assert ws.cell(hr + 1, col).number_format == "dd-mm-yyyy"


# ------------------------------------------------------------------------------------------
# Determinism
# ------------------------------------------------------------------------------------------

def test_same_input_same_bytes(k2_results, k3_results, k4_results, k5_results, tmp_path):
    openbaar, per_swv = k3_results
    cases = [(d2.write_documents, k2_results[S]),
             (d3.write_openbaar_documents, openbaar),
             (d3.write_documents, per_swv[S]),
             (d4.write_documents, k4_results[t45.S]),
             (d5.write_documents, k5_results[t45.S])]
    for i, (fn, result) in enumerate(cases):
        a, b = tmp_path / f"{i}a", tmp_path / f"{i}b"
        wa, job_a = fn(result, a)
        wb_, job_b = fn(result, b)
        assert names(wa, a) == names(wb_, b)
        for p in wa:
            assert p.read_bytes() == (b / p.relative_to(a)).read_bytes(), p.name
        assert job_a.context == job_b.context
    # one PDF twice: byte-identical too
    _, job = d4.write_documents(k4_results[t45.S], tmp_path / "pdf")
    first = pdf.render_pdf(job.template_name, job.context, tmp_path / "p1.pdf").read_bytes()
    second = pdf.render_pdf(job.template_name, job.context, tmp_path / "p2.pdf").read_bytes()
    assert first == second


def test_pdf_contexts_hold_plain_types(k2_results, k3_results, k4_results, k5_results, tmp_path):
    import pickle
    openbaar, per_swv = k3_results
    for fn, result in [(d2.write_documents, k2_results[S]),
                       (d3.write_openbaar_documents, openbaar),
                       (d3.write_documents, per_swv[VO]),
                       (d4.write_documents, k4_results[t45.S]),
                       (d5.write_documents, k5_results[t45.S2])]:
        _, job = fn(result, tmp_path / result.product / (result.swv.swv_code if result.swv else "openbaar"))
        pickle.loads(pickle.dumps(job))

        def walk(v):
            if isinstance(v, dict):
                for x in v.values():
                    walk(x)
            elif isinstance(v, (list, tuple)):
                for x in v:
                    walk(x)
            else:
                assert v is None or isinstance(v, (str, int, float, bool)), (type(v), v)
        walk(job.context)
