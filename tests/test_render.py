"""Render layer: CSV, Excel and PDF of Kijkglas 1, read back and compared (fast, no Prefect)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pypdf import PdfReader

from documents import context
from documents import csv_tables
from documents import kijkglas_1 as d1
from documents import pdf
from documents import shared
from documents import values
from documents import workbook
from production.runtime import render_pool
from production.steps import render_documents
from tasks import rules
from tasks.model import AlgemeneGegevens, ProductResult, SwvInfo
from tests.readback import excel_text, read_csv_rows

# WeasyPrint asks for the system library HarfBuzz-Subset; without it, it subsets with fontTools.
pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")

AGE = ("<8", "8+")
CATS = ("Laag", "Midden", "Hoog")
VSO_COLS = ["Regel"] + [f"{c} {a}" for c in CATS for a in AGE] + ["Totaal"]
GROUPS = ("TLV SWV", "RP SWV", "Geen TLV niet RP SWV")
PER_VEST_COLS = (["Vestiging"] + [f"{g} {c} {a}" for g in GROUPS for c in "LMH" for a in AGE]
                 + ["Totaal"])
INS_COLS = ["Groep", "TLV-nummer / CvI-nummer / BSN", "DUO-nummer leerling", "Vestiging",
            "Naam vestiging", "SWV vestiging", "Naam SWV", "<8 of 8+", "Begindatum inschrijving",
            "Einddatum inschrijving", "Begindatum TLV", "Einddatum TLV", "Kernsoort onderwijs",
            "Soort indicatie", "Bekostigingscategorie L/M/H", "Residentiële leerling"]

# The handleiding's example (page "Aantallen per vestiging" and the (v)so totals)
PER_VEST_ROWS = [
    ("99AA06", [0, 0, 0, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ("99AB00", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 21, 0, 0, 0, 0]),
    ("99AC00", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 11, 0, 0, 0, 0]),
    ("99AD00", [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ("99AD03", [0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    ("99AD04", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 39, 0, 0, 0, 0]),
    ("99AE00", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 15, 0, 0, 0, 0]),
    ("Niet deelnemende (V)SO", [0, 0, 0, 3, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 8, 5, 3, 10]),
]


def _with_total(rows, key_col, cols):
    data = [[k] + list(v) + [sum(v)] for k, v in rows]
    tot = [sum(r[i] for r in data) for i in range(1, len(cols))]
    data.append(["Totaal"] + tot)
    return pd.DataFrame(data, columns=cols)


def vso_totalen() -> pd.DataFrame:
    return _with_total([("Deelnemende (V)SO", [71, 91, 0, 0, 0, 0]),
                        ("Niet deelnemende (V)SO", [0, 0, 8, 8, 3, 15])], "Regel", VSO_COLS)


def tlv_table() -> pd.DataFrame:
    return _with_total([("TLV eigen SWV", [5, 5, 0, 0, 0, 0]),
                        ("TLV ander SWV", [1, 0, 2, 0, 0, 0])], "Regel", VSO_COLS)


def per_vestiging() -> pd.DataFrame:
    return _with_total(PER_VEST_ROWS, "Vestiging", PER_VEST_COLS)


def inschrijvingen(swv: str) -> pd.DataFrame:
    rows = [
        ["TLV", "TLV-2024-0001", "306678243", "99AD00", "De Brug", swv, "SWV Test", "<8",
         date(2024, 9, 4), None, date(2024, 8, 1), date(2026, 7, 31), "ZMLK", None, "L", "N"],
        ["TLV", "TLV-2023-0107", "306667637", "99AD03", "De Brug 3", swv, "SWV Test", "8+",
         date(2023, 8, 20), date(2025, 2, 20), date(2023, 8, 1), date(2025, 7, 31), "ZMLK",
         None, "L", "N"],
        ["RP", "0123", "307861096", "99AA06", "Het Anker", swv, "SWV Test", "<8",
         date(2024, 8, 10), None, None, None, "LG", None, "M", "J"],
        ["Tijdelijke plaatsing", "4567", "306756253", "99AB00", "De Horizon", "PO9999",
         "SWV Elders", "8+", date(2024, 9, 1), None, None, None, "MG", None, "H", "N"],
        ["CvI", "CVI-889", "306821382", "99AC00", "Het Baken", swv, "SWV Test", "8+",
         date(2014, 8, 1), None, None, None, "ZMOK", "REC4", "L", "N"],
    ]
    return pd.DataFrame(rows, columns=INS_COLS)


def make_result(sector: str = "PO", bekostiging: bool = True) -> ProductResult:
    code = f"{sector}2707"
    swv = SwvInfo(code, f"Samenwerkingsverband {sector} Teststad", sector,
                  adres="Schoolstraat 1", postcode="1234 AB", plaats="Teststad")
    tables = {"k1_vso_totalen": vso_totalen()}
    if sector == "PO":
        tables["k1_bao_sbao"] = pd.DataFrame(
            {"Regel": ["Deelnemende bao", "Deelnemende sbao", "Totaal"],
             "Aantal": [25205, 740, 25945]})
    else:
        tables["k1_vo"] = pd.DataFrame(
            {"Regel": ["Totaal vo", "waarvan vavo", "waarvan lwoo", "waarvan pro"],
             "Aantal": [18250, 35, 1410, 402]})
    tables["k1_tlv"] = tlv_table()
    tables["k1_per_vestiging"] = per_vestiging()
    tables["k1_inschrijvingen"] = inschrijvingen(code)
    tables["k1_bekostiging"] = pd.DataFrame(
        [["Lichte ondersteuning", Decimal("1234567.89"), date(2024, 10, 15)],
         ["Zware ondersteuning", Decimal("7654321.00"), date(2024, 10, 15)]][:2 if bekostiging else 0],
        columns=["Onderdeel", "Bedrag", "Vastgesteld op"], dtype=object)
    return ProductResult(
        product="kijkglas-1", swv=swv, schooljaar="2024-2025", teldatum=date(2024, 10, 1),
        stand_per=date(2024, 11, 15), aanmaakdatum=date(2024, 11, 18), tables=tables,
        algemene_gegevens=AlgemeneGegevens(teldatum=date(2024, 10, 1)))


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def find_header(ws, first_col: str) -> int:
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 1).value == first_col:
            return r
    raise AssertionError(f"header {first_col!r} not found on {ws.title}")


def assert_detail_sheet_equals_csv(ws, csv_path: Path):
    rows = read_csv_rows(csv_path)
    header = rows[0]
    hr = find_header(ws, header[0])
    assert [c.value for c in ws[hr]][:len(header)] == header
    assert ws.max_column == len(header)
    body = []
    for r in range(hr + 1, ws.max_row + 1):
        cells = [ws.cell(r, c) for c in range(1, len(header) + 1)]
        for cell in cells:
            if isinstance(cell.value, datetime):
                assert cell.number_format == "dd-mm-yyyy", cell.coordinate
            if isinstance(cell.value, (int, float)):
                assert cell.data_type == "n"
        body.append([excel_text(c.value) for c in cells])
    assert body == rows[1:], "no blank rows inside, same values as the CSV"
    from openpyxl.utils import get_column_letter
    last = get_column_letter(len(header))
    closing_total = 1 if len(rows) > 1 and rows[-1][0] == "Totaal" else 0  # stays out of the filter
    assert ws.auto_filter.ref == f"A{hr}:{last}{hr + len(rows) - 1 - closing_total}"
    assert ws.freeze_panes == f"A{hr + 1}"
    assert not ws.merged_cells.ranges
    assert all(ws.cell(hr, c).font.b for c in range(1, len(header) + 1))


def pdf_text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


# ------------------------------------------------------------------------------------------
# tests
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """PO with bekostiging and VO without, each rendered once (the PDF is the slow part)."""
    out = {}
    for sector, bek in (("PO", True), ("VO", False)):
        d = tmp_path_factory.mktemp(sector)
        result = make_result(sector, bekostiging=bek)
        paths = render_documents(result, d)
        out[sector] = (result, d, paths)
    return out


@pytest.mark.parametrize("sector", ["PO", "VO"])
def test_files_written(rendered, sector):
    result, d, paths = rendered[sector]
    code = result.swv.swv_code
    names = {p.relative_to(d).as_posix() for p in paths}
    expected_tables = ["k1_bekostiging", "k1_vso_totalen", "k1_bao_sbao" if sector == "PO" else "k1_vo", "k1_tlv",
                       "k1_per_vestiging", "k1_inschrijvingen"]
    assert names == {f"kijkglas-1_bestand-1_{code}.xlsx", f"kijkglas-1_bestand-2_{code}.xlsx",
                     f"kijkglas-1_{code}.pdf"} | {f"data/{t}.csv" for t in expected_tables}
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)


@pytest.mark.parametrize("sector", ["PO", "VO"])
def test_csv_format(rendered, sector):
    result, d, _ = rendered[sector]
    for stem, frame in result.tables.items():
        raw = (d / "data" / f"{stem}.csv").read_bytes()
        assert b"\r" not in raw and raw.endswith(b"\n")
        rows = read_csv_rows(d / "data" / f"{stem}.csv")
        assert rows[0] == list(frame.columns)
        assert len(rows) == len(frame) + 1
    vso = read_csv_rows(d / "data" / "k1_vso_totalen.csv")
    assert vso[-1] == ["Totaal", "71", "91", "8", "8", "3", "15", "196"]
    ins = read_csv_rows(d / "data" / "k1_inschrijvingen.csv")
    first = dict(zip(ins[0], ins[1]))
    assert first["Begindatum inschrijving"] == "2024-09-04"
    assert first["Einddatum inschrijving"] == ""
    assert dict(zip(ins[0], ins[3]))["TLV-nummer / CvI-nummer / BSN"] == "0123"  # leading zero kept


@pytest.mark.parametrize("sector", ["PO", "VO"])
def test_detail_sheets_equal_csv(rendered, sector):
    result, d, _ = rendered[sector]
    code = result.swv.swv_code
    wb2 = openpyxl.load_workbook(d / f"kijkglas-1_bestand-2_{code}.xlsx")
    assert wb2.sheetnames == ["Inschrijvingen"]
    ws = wb2["Inschrijvingen"]
    assert_detail_sheet_equals_csv(ws, d / "data" / "k1_inschrijvingen.csv")
    hr = find_header(ws, "Groep")
    groups = {ws.cell(r, 1).value for r in range(hr + 1, ws.max_row + 1)}
    assert groups == {"TLV", "RP", "Tijdelijke plaatsing", "CvI"}
    begin_col = INS_COLS.index("Begindatum inschrijving") + 1
    cell = ws.cell(hr + 1, begin_col)
    assert cell.value == datetime(2024, 9, 4) and cell.is_date and cell.number_format == "dd-mm-yyyy"

    wb1 = openpyxl.load_workbook(d / f"kijkglas-1_bestand-1_{code}.xlsx")
    assert wb1.sheetnames == ["Totalen", "Aantallen per vestiging"]
    assert_detail_sheet_equals_csv(wb1["Aantallen per vestiging"],
                                   d / "data" / "k1_per_vestiging.csv")


@pytest.mark.parametrize("sector", ["PO", "VO"])
def test_algemene_gegevens_head_every_sheet(rendered, sector):
    result, d, _ = rendered[sector]
    code = result.swv.swv_code
    for name in (f"kijkglas-1_bestand-1_{code}.xlsx", f"kijkglas-1_bestand-2_{code}.xlsx"):
        wb = openpyxl.load_workbook(d / name)
        for ws in wb.worksheets:
            labels = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, 15)}
            assert "Algemene gegevens" in labels
            assert labels["Administratienummer"] == code
            assert labels["Teldatum"] == datetime(2024, 10, 1)
            assert labels["Aanmaakdatum"] == datetime(2024, 11, 18)


def _overview_tables(ws) -> dict[str, list[list]]:
    """Caption → rows (header first) of the stacked tables on an overview sheet."""
    captions = set(d1.CAPTIONS.values())
    out, current = {}, None
    for r in range(1, ws.max_row + 1):
        values = [ws.cell(r, c).value for c in range(1, ws.max_column + 1)]
        while values and values[-1] is None:
            values.pop()
        if values and values[0] in captions:
            current = out.setdefault(values[0], [])
        elif not values:
            current = None
        elif current is not None:
            current.append(values)
    return out


@pytest.mark.parametrize("sector", ["PO", "VO"])
def test_totals_sheet_equals_csv(rendered, sector):
    result, d, _ = rendered[sector]
    ws = openpyxl.load_workbook(d / f"kijkglas-1_bestand-1_{result.swv.swv_code}.xlsx")["Totalen"]
    tables = _overview_tables(ws)
    stems = ["k1_vso_totalen", "k1_bao_sbao" if sector == "PO" else "k1_vo", "k1_tlv"]
    assert list(tables) == [d1.CAPTIONS[s] for s in stems]
    for stem in stems:
        got = [[excel_text(v) for v in row] for row in tables[d1.CAPTIONS[stem]]]
        csv = read_csv_rows(d / "data" / f"{stem}.csv")
        # the first column is headed as in the handleiding; the CSV keeps the contract's `Regel`
        assert got[0][0] == d1.FIRST_COLUMN[stem] and csv[0][0] == "Regel"
        assert got[0][1:] == csv[0][1:] and got[1:] == csv[1:]
    assert not ws.merged_cells.ranges


def test_bekostiging_rows_or_sentence(rendered):
    for sector, expect_rows in (("PO", True), ("VO", False)):
        result, d, _ = rendered[sector]
        ws = openpyxl.load_workbook(
            d / f"kijkglas-1_bestand-1_{result.swv.swv_code}.xlsx")["Totalen"]
        cells = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in (2, 3)]
                 for r in range(1, 30)}
        if expect_rows:
            assert cells["Lichte ondersteuning"] == [1234567.89, datetime(2024, 10, 15)]
            assert cells["Zware ondersteuning"][0] == 7654321
            assert shared.GEEN_BEDRAGEN not in str(cells)
            assert "Meest recent vastgestelde bekostiging (vastgesteld op 15-10-2024)" in cells
        else:
            assert cells["Meest recent vastgestelde bekostiging"][0] == shared.GEEN_BEDRAGEN
        # the schooljaar this count funds (t-1: the next one) is a fact of the count, kept apart
        assert cells[d1.FUNDED_LABEL][0] == f"schooljaar {rules.bekostigd_schooljaar(result.schooljaar)}"
        # bestand 2 carries no funding
        ws2 = openpyxl.load_workbook(
            d / f"kijkglas-1_bestand-2_{result.swv.swv_code}.xlsx").worksheets[0]
        assert not any(str(ws2.cell(r, 1).value).startswith((d1.FUNDING_TITLE, "Onderdeel")) for r in range(1, 30))


@pytest.mark.parametrize("sector", ["PO", "VO"])
def test_pdf_content(rendered, sector):
    result, d, _ = rendered[sector]
    code = result.swv.swv_code
    text = pdf_text(d / f"kijkglas-1_{code}.pdf")
    flat = " ".join(text.split())
    assert code in flat
    assert "Kijkglas 1" in flat
    assert "Totaal 71 91 8 8 3 15 196" in flat            # k1_vso_totalen
    assert "Niet deelnemende (V)SO 0 0 0 3 0 5" in flat   # per vestiging, first columns
    assert "99AD04" in flat
    assert "01-10-2024" in flat and "15-11-2024" in flat
    if sector == "PO":
        assert "Deelnemende sbao 740" in flat and "25945" in flat
        assert "€ 1.234.567,89" in flat
    else:
        assert "waarvan lwoo 1410" in flat
        assert shared.GEEN_BEDRAGEN in flat
    # the pupil list itself is not in the PDF, only its size
    assert "306678243" not in flat
    assert "5 inschrijvingen" in flat
    assert "Wijzigingen ten opzichte van de vorige versie" not in flat
    assert f"{code} · Kijkglas 1" in flat                  # page footer
    assert "pagina 1 van" in flat


def test_same_input_same_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    (a_written, a_job) = d1.write_documents(make_result("PO"), a)
    (b_written, b_job) = d1.write_documents(make_result("PO"), b)
    assert [p.relative_to(a) for p in a_written] == [p.relative_to(b) for p in b_written]
    for pa, pb in zip(a_written, b_written):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    pdf_a = pdf.render_pdf(a_job.template_name, a_job.context, a_job.path)
    pdf_b = pdf.render_pdf(b_job.template_name, b_job.context, b_job.path)
    assert pdf_a.read_bytes() == pdf_b.read_bytes()
    info = PdfReader(str(pdf_a)).metadata
    assert info["/CreationDate"].startswith("D:20241118")


def test_workbook_properties_fixed(tmp_path):
    paths, _ = d1.write_documents(make_result("VO"), tmp_path)
    wb = openpyxl.load_workbook(paths[0])
    assert wb.properties.created == datetime(2024, 11, 18)
    assert wb.properties.modified == datetime(2024, 11, 18)


def test_change_report_section(tmp_path):
    report = [{"table": "k1_vso_totalen", "added": 0, "removed": 0, "changed": 1,
               "examples": ["Niet deelnemende (V)SO: Totaal 33 → 34"]},
              {"table": "k1_inschrijvingen", "added": 2, "removed": 1, "changed": 0,
               "examples": ["nieuw: TLV-2024-0001", "vervallen: TLV-2023-0099"]}]
    _, job = d1.write_documents(make_result("PO"), tmp_path, change_report=report)
    html = pdf.html_of(job.template_name, job.context)   # HTML only: fast
    assert "7. Wijzigingen ten opzichte van de vorige versie" in html
    assert "Totaal 33 → 34" in html and "vervallen: TLV-2023-0099" in html
    assert "Tabel (voortgezet) speciaal onderwijs" in html and "k1_vso_totalen.csv" in html


def test_process_pool_renders_three_pdfs(tmp_path):
    jobs = []
    for i, sector in enumerate(("PO", "VO", "PO")):
        _, job = d1.write_documents(make_result(sector), tmp_path / str(i))
        jobs.append(job)
    with render_pool(2) as pool:  # the production's own pool (spawned processes)
        paths = list(pool.map(pdf.render_pdf, *zip(*[(j.template_name, j.context, j.path) for j in jobs])))
    assert paths == [j.path for j in jobs]
    for p, sector in zip(paths, ("PO", "VO", "PO")):
        assert p.read_bytes().startswith(b"%PDF")
        assert f"{sector}2707" in pdf_text(p)
    # a fresh process (own hash seed, own font cache) writes the same bytes as this one
    here = pdf.render_pdf(jobs[1].template_name, jobs[1].context, tmp_path / "here.pdf")
    assert here.read_bytes() == paths[1].read_bytes()


# ------------------------------------------------------------------------------------------
# generic pieces, for Kijkglas 2–5
# ------------------------------------------------------------------------------------------

def test_csv_values_normalised(tmp_path):
    frame = pd.DataFrame({
        "Vestiging": ["00AA", "01BB", None],
        "Aantal": pd.array([1, None, 3], dtype="Int64"),
        "Teller": [1.0, float("nan"), 2.0],        # counts that passed through NaN
        "Begindatum geldigheid gegevens": pd.to_datetime(["2024-08-01", None, "2025-07-31"]),
        "Einddatum inschrijving": [date(2024, 9, 30), None, "2025-01-31"],
    })
    [p] = csv_tables.write_csv_tables({"t": frame}, tmp_path / "data")
    assert p.read_bytes() == (
        "Vestiging,Aantal,Teller,Begindatum geldigheid gegevens,Einddatum inschrijving\n"
        "00AA,1,1,2024-08-01,2024-09-30\n"
        "01BB,,,,\n"
        ",3,2,2025-07-31,2025-01-31\n").encode()


def test_workbook_detail_header_row_and_groups(tmp_path):
    frame = pd.DataFrame({"SWV": ["PO2707"], "BRIN (v)so": ["99AA"],
                          "Instroom L": [1], "Instroom Totaal": [1]})
    sheet = workbook.Sheet("3a-PO", [(None, frame)], detail=True, header_row=10,
                         column_groups=[("Instroom", "Instroom L", "Instroom Totaal")])
    p = workbook.write_workbook(tmp_path / "k3.xlsx", "Kijkglas 3a",
                              [("Schooljaar", "2024-2025"), ("Peildatum", date(2025, 2, 1))],
                              [sheet], timestamp=date(2025, 4, 15))
    ws = openpyxl.load_workbook(p)["3a-PO"]
    assert [c.value for c in ws[10]] == ["SWV", "BRIN (v)so", "Instroom L", "Instroom Totaal"]
    assert ws.cell(9, 3).value == "Instroom"
    assert ws.auto_filter.ref == "A10:D11" and ws.freeze_panes == "A11"
    assert not ws.merged_cells.ranges
    with pytest.raises(ValueError):
        workbook.write_workbook(tmp_path / "x.xlsx", "x", [("a", 1)] * 12, [sheet])


def test_header_grid():
    grid = context.header_grid(VSO_COLS)
    assert [(c["text"], c["colspan"], c["rowspan"]) for c in grid[0]] == [
        ("Regel", 1, 2), ("Laag", 2, 1), ("Midden", 2, 1), ("Hoog", 2, 1), ("Totaal", 1, 2)]
    assert [c["text"] for c in grid[1]] == ["<8", "8+"] * 3
    grid = context.header_grid(PER_VEST_COLS)
    assert [c["text"] for c in grid[0]] == ["Vestiging", *GROUPS, "Totaal"]
    assert [c["colspan"] for c in grid[1]] == [2] * 9
    assert len(grid[2]) == 18


def test_format_euro():
    assert values.format_euro(Decimal("1234567.891")) == "€ 1.234.567,89"
    assert values.format_euro(-5) == "€ -5,00"
    assert values.format_euro(None) == ""


def test_algemene_gegevens_dates_are_dates_and_text_stays_text(tmp_path):
    p = workbook.write_workbook(tmp_path / "a.xlsx", "t", [("Teldatum", date(2024, 10, 1)), ("Naam", "2024-10-01")],
                              [workbook.Sheet("Blad", [("x", pd.DataFrame({"A": [1]}))])])
    ws = openpyxl.load_workbook(p)["Blad"]
    assert ws["B4"].value == datetime(2024, 10, 1) and ws["B4"].number_format == "dd-mm-yyyy"
    assert ws["B5"].value == "2024-10-01"  # text from data is never parsed into a date
    ctx = d1.pdf_context(make_result("VO", bekostiging=False))
    assert ["Teldatum", "01-10-2024"] in ctx["algemene_gegevens"]
    assert ctx["bekostiging"] == []


def test_pdf_is_tagged_for_screen_readers(rendered):
    """PDF/UA-1: a structure tree (headings, table headers), marked content, language and title."""
    result, _, paths = rendered["PO"]
    reader = PdfReader(str(next(p for p in paths if p.suffix == ".pdf")))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert root["/Lang"] == "nl" and bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == f"Kijkglas 1 – Onderbouwing bekostiging – {result.swv.swv_code}"
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()
    kinds = set()

    def walk(node):
        node = node.get_object()
        if hasattr(node, "get") and node.get("/S"):
            kinds.add(node["/S"])
        kids = node.get("/K") if hasattr(node, "get") else None
        for kid in (kids if isinstance(kids, list) else [kids] if kids is not None else []):
            if hasattr(kid.get_object(), "get"):
                walk(kid)
    walk(root["/StructTreeRoot"])
    assert {"/H1", "/H2", "/Table", "/TH", "/TD"} <= kinds


def test_per_vestiging_on_a_landscape_page_and_small_tables_whole(rendered):
    for sector in ("PO", "VO"):
        _, _, paths = rendered[sector]
        pages = PdfReader(str(next(p for p in paths if p.suffix == ".pdf"))).pages
        landscape = [i for i, p in enumerate(pages) if p.mediabox.width > p.mediabox.height]
        texts = [p.extract_text() for p in pages]
        assert [i for i, t in enumerate(texts) if "5. Aantallen per vestiging" in t] == landscape
        assert "6. Individuele inschrijvingen" not in texts[landscape[0]], "portrait again after it"
        # table 4.2 (a few rows) on one page, with its heading
        first, last = ("Deelnemende bao", "Totaal") if sector == "PO" else ("Totaal vo", "waarvan pro")
        assert any("4.2 Tabel" in t and first in t and last in t for t in texts)


def test_unknown_address_reads_onbekend():
    swv = SwvInfo("PO9999", "Samenwerkingsverband zonder adres", "PO")
    result = ProductResult(product="kijkglas-2", swv=swv, schooljaar="2024-2025", stand_per=date(2024, 12, 6),
                           aanmaakdatum=date(2024, 12, 10))
    rows = dict(shared.algemene_gegevens_rows(result))
    assert rows["Adres"] == "onbekend" and rows["Postcode en plaats"] == "onbekend"
    assert rows["Stand per"] == date(2024, 12, 6) and rows["Aanmaakdatum"] == date(2024, 12, 10)
    k3 = dict(shared.algemene_gegevens_rows(result, stand_per_label="Bijgewerkt tot"))
    assert k3["Bijgewerkt tot"] == date(2024, 12, 6) and "Stand per" not in k3


def test_frame_rows_works_column_by_column_as_cell_value_does_cell_by_cell():
    """Each distinct value of a column is converted once; equal keys of another type stay apart."""
    import pandas as pd
    from datetime import date as _date
    from documents.values import cell_value, frame_rows
    f = pd.DataFrame({"a": [True, 1, 1.0, None, "x"], "Begindatum": ["2024-08-01", "01-08-2024", "", None, "2024-08-01"],
                      "n": [1.0, 2.0, float("nan"), 4.0, 1.0], "d": pd.to_datetime(["2024-08-01 00:00", None, "2024-08-01 10:00",
                                                                                     "2024-08-01 00:00", "2024-08-02 00:00"])})
    rows = frame_rows(f)
    assert [r[0] for r in rows] == ["J", 1, 1.0, None, "x"] and [type(r[0]) for r in rows][1:3] == [int, float]
    assert [r[1] for r in rows] == [_date(2024, 8, 1), _date(2024, 8, 1), "", None, _date(2024, 8, 1)]
    assert [r[2] for r in rows] == [1, 2, None, 4, 1]  # a whole-number float column is counts
    assert rows[0][3] == _date(2024, 8, 1) and rows[1][3] is None and rows[2][3].hour == 10
    assert rows == [[cell_value(v, c, c == "n") for c, v in zip(f.columns, t)] for t in f.itertuples(index=False)]
