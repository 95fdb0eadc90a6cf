"""Hostile data in the extract (issue 25): text stays text in every workbook and CSV, validation
refuses what documents cannot hold, a refused extract publishes nothing, and a table file that is a
link or far beyond the contract's size is refused before it is parsed."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from core.settings import Settings
from core.spreadsheet_text import csv_safe, csv_safe_frame
from documents.csv_tables import csv_bytes
from documents.workbook import Sheet, write_workbook
from outbox.change_report import TableChanges
from outbox.changes_workbook import write_changes_workbook
from production.steps import run_production
from schemas.extract import ExtractFormatError, read_extract
from schemas.validate import LISTED_PER_RULE, InvalidExtractError, failures_frame, validate_extract, write_report
from tests.extract_factory import SO, SWV_VO, minimal_tables, write_extract
from tests.readback import read_csv_rows

FORMULAS = ['=HYPERLINK("http://x","click")', "=1+1", "=cmd|' /C calc'!A0", "#N/A", "#REF!"]
SJ = "2024-2025"


def cells(path: Path):
    wb = openpyxl.load_workbook(path)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def text_rule(maximum: int, starts: str) -> str:
    return f"text: at most {maximum} characters, no control characters, not beginning with {starts}"


# --- workbooks: every str a string cell ------------------------------------------------------------

def test_workbook_writes_formulas_and_error_codes_from_data_as_text(tmp_path):
    frame = pd.DataFrame({"Naam": FORMULAS, "Aantal": [1, 2, 3, 4, 5]}, dtype=object)
    marked = frozenset({(0, 0)})  # a styled cell goes through another path than a plain one
    path = write_workbook(tmp_path / "w.xlsx", "=1+2", [("Naam", "=SUM(A1:A2)"), ("Aanmaakdatum", "2024-12-10")],
                          [Sheet("Overzicht", [("=caption()", frame)]),
                           Sheet("Detail", [(None, frame)], detail=True, marked=marked)])
    found = cells(path)
    assert [c.coordinate for c in found if c.data_type != "s" and isinstance(c.value, str)] == []
    values = {c.value for c in found}
    assert set(FORMULAS) | {"=1+2", "=SUM(A1:A2)", "=caption()"} <= values
    assert {c.value for c in found if c.data_type == "n"} >= {1, 2, 3, 4, 5}  # numbers stay numbers


def test_change_report_workbook_writes_formulas_as_text(tmp_path):
    table = TableChanges(key_columns=["Vestiging"], columns=["Vestiging", "Naam vestiging", "Aantal"], rows=[
        {"kind": "Gewijzigd", "key": ["=1+1"], "old": {"Vestiging": "=1+1", "Naam vestiging": "=2+2", "Aantal": "3"},
         "new": {"Vestiging": "=1+1", "Naam vestiging": "#N/A", "Aantal": "-3"}, "changed": ["Naam vestiging", "Aantal"]},
    ])
    report = [{"table": "k4_sbao", "added": 0, "removed": 0, "changed": 1, "key_columns": ["Vestiging"]}]
    path = write_changes_workbook(tmp_path / "wijzigingen.xlsx", report, {"k4_sbao": table}, product="kijkglas-4",
                                  general=[("Naam", "=HYPERLINK(\"http://x\")")], summary=["=3+3"],
                                  timestamp=date(2025, 4, 10))
    found = cells(path)
    assert [c.coordinate for c in found if c.data_type == "f"] == []
    values = {c.value for c in found}
    assert {"=1+1", "=2+2", "#N/A", '=HYPERLINK("http://x")', "=3+3", -3, 3} <= values


# --- CSVs: OWASP's quote, numbers untouched ---------------------------------------------------------

@pytest.mark.parametrize("text, written", [
    ("=1+1", "'=1+1"), ("+31 6", "'+31 6"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-3", "-3"), ("+1.5", "+1.5"), ("De Regenboog", "De Regenboog"), ("'t Kompas", "'t Kompas"), ("", ""),
])
def test_csv_safe(text, written):
    assert csv_safe(text) == written


def test_csv_tables_quote_formula_text_and_keep_numbers():
    frame = pd.DataFrame({"Naam": ["=1+1", "-x", "Gewoon", "Totaal"], "Verschil": [-3, 0, 2, -1],
                          "Bedrag": [-12.5, 1.0, 0.5, None]})
    assert read_csv_rows_of(csv_bytes(frame)) == [
        ["Naam", "Verschil", "Bedrag"], ["'=1+1", "-3", "-12.5"], ["'-x", "0", "1.0"], ["Gewoon", "2", "0.5"],
        ["Totaal", "-1", ""]]


def read_csv_rows_of(data: bytes) -> list[list[str]]:
    import csv
    import io
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_safe_frame_leaves_an_ordinary_frame_alone():
    frame = pd.DataFrame({"melding": ["geen SWV"], "leerling_id": ["100000001"], "n": [-3]})
    assert csv_safe_frame(frame) is frame
    hostile = frame.assign(melding=["=1+1"])
    safe = csv_safe_frame(hostile)
    assert safe["melding"].tolist() == ["'=1+1"] and hostile["melding"].tolist() == ["=1+1"]
    assert safe["n"].tolist() == [-3]


# --- validation: what documents cannot hold ---------------------------------------------------------

def failures_of(tmp_path, change) -> pd.DataFrame:
    tables = minimal_tables()
    change(tables)
    return validate_extract(read_extract(write_extract(tmp_path, tables)))


@pytest.mark.parametrize("table, column, row, value, rule", [
    ("samenwerkingsverbanden", "naam", 2, "SWV VO\x0bUtrecht", text_rule(200, "= + @")),
    ("samenwerkingsverbanden", "naam", 1, "=HYPERLINK(\"http://x\",\"click\")", text_rule(200, "= + @")),
    ("samenwerkingsverbanden", "adres", 1, "Straat\x001", text_rule(200, "= + @")),
    ("samenwerkingsverbanden", "plaats", 1, "@SUM(1)", text_rule(200, "= + @")),
    ("regio_indeling", "gemeente", 1, "x" * 201, text_rule(200, "= + @")),
    ("vestigingen", "naam", 3, "+1+1", text_rule(200, "= + @")),
    ("vestigingen", "plaats", 1, "Utrecht\x85", text_rule(200, "= + @")),
    ("inschrijvingen", "inschrijving_id", 1, "-1+1", text_rule(64, "= + - @")),
    ("tlv", "tlv_nummer", 2, "=cmd|' /C calc'!A0", text_rule(64, "= + - @")),
    ("tlv", "tlv_nummer", 3, "T" * 65, text_rule(64, "= + - @")),
    ("cvi_indicaties", "cvi_nummer", 1, "\tC1", text_rule(64, "= + - @")),
    ("bekostiging", "onderdeel", 2, "=1+1", text_rule(200, "= + @")),
])
def test_text_a_document_cannot_hold_is_refused_by_table_column_and_row(tmp_path, table, column, row, value, rule):
    def change(tables):
        tables[table].loc[row - 1, column] = value
    failures = failures_of(tmp_path, change)
    assert failures.to_dict("records") == [{"table": table, "column": column, "rule": rule, "row": row, "value": value}]


def test_a_name_may_begin_with_a_minus_and_hold_any_letters(tmp_path):
    def change(tables):
        tables["vestigingen"].loc[0, "naam"] = "-De Regenboog ('t Kompas) Ærø 学校 " + "x" * 150
    assert failures_of(tmp_path, change).empty


def test_the_report_keeps_hostile_values_as_text_and_short(tmp_path):
    def change(tables):
        tables["samenwerkingsverbanden"].loc[0, "naam"] = "=1+1"
        tables["regio_indeling"].loc[0, "gemeente"] = "y" * 5000
    failures = failures_of(tmp_path, change)
    txt = write_report(failures, tmp_path / "rapport", "extract")
    rows = read_csv_rows(tmp_path / "rapport" / "validatie.csv")
    assert rows[1][4] == "'=1+1"
    assert rows[2][4] == "y" * 200 + "… (5000 tekens)"
    assert "y" * 201 not in txt.read_text(encoding="utf-8")


# --- a production is refused whole, or publishes text as text ---------------------------------------

def test_a_vertical_tab_in_a_name_is_refused_at_validation_and_nothing_is_published(tmp_path):
    tables = minimal_tables()
    tables["samenwerkingsverbanden"].loc[1, "naam"] = "SWV VO\x0bUtrecht"  # VO2707
    extract = write_extract(tmp_path, tables)
    outbox = tmp_path / "outbox"
    with pytest.raises(InvalidExtractError) as refused:
        run_production("kijkglas-1", extract, outbox, SJ, date(2024, 12, 10), settings=Settings(), processes=1)
    assert "samenwerkingsverbanden.naam" in str(refused.value)
    assert refused.value.failures[["table", "column", "row"]].values.tolist() == [["samenwerkingsverbanden", "naam", 2]]
    published = [p for p in outbox.rglob("*") if p.is_file() and ".operator" not in p.parts]
    assert published == []


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_a_name_beginning_with_minus_is_published_as_text_everywhere(tmp_path):
    tables = minimal_tables()
    hostile = "-2+3+cmd|' /C calc'!A0"
    tables["vestigingen"].loc[tables["vestigingen"]["vestiging_code"] == SO, "naam"] = hostile
    tables["samenwerkingsverbanden"].loc[tables["samenwerkingsverbanden"]["swv_code"] == SWV_VO, "naam"] = "-VO"
    outbox = tmp_path / "outbox"
    run_production("kijkglas-1", write_extract(tmp_path, tables), outbox, SJ, date(2024, 12, 10),
                   settings=Settings(), processes=1)
    workbooks = sorted(outbox.rglob("*.xlsx"))
    assert workbooks
    found = [c for w in workbooks for c in cells(w)]
    assert [c.coordinate for c in found if c.data_type == "f"] == []
    assert hostile in {c.value for c in found}
    texts = [cell for p in outbox.rglob("data/*.csv") for row in read_csv_rows(p) for cell in row]
    assert "'" + hostile in texts and hostile not in texts
    assert not [t for t in texts if t and (t[0] in "=+@\t\r" or (t[0] == "-" and not _is_number(t)))]
    # the pages show the name as the register has it, without the CSV's quote (and escaped as HTML)
    pages = "".join(p.read_text(encoding="utf-8") for p in outbox.glob("*/**/*.html"))
    shown = hostile.replace("'", "&#39;")  # as jinja2 escapes it
    assert shown in pages and "'" + shown not in pages and "&#39;" + shown not in pages


# --- hostile sizes and links: refused before parsing -------------------------------------------------

def refusal(folder: Path) -> str:
    with pytest.raises(ExtractFormatError) as refused:
        read_extract(folder)
    return str(refused.value)


def test_a_table_file_that_is_a_symlink_is_refused_by_name(tmp_path):
    folder = write_extract(tmp_path, minimal_tables())
    elsewhere = tmp_path / "elders.csv"
    (folder / "vestigingen.csv").rename(elsewhere)
    (folder / "vestigingen.csv").symlink_to(elsewhere)
    assert refusal(folder) == f"{folder / 'vestigingen.csv'}: is een symbolische koppeling; een extract bevat zijn bestanden zelf"


@pytest.mark.parametrize("columns, why", [
    (100_000, "kopregel langer dan 64 KiB; geen tabel van het extract"),
    (100, "100 kolommen; tabel vestigingen heeft er hoogstens 64 (zie het invoercontract)"),
])
def test_a_table_with_far_too_many_columns_is_refused_before_parsing(tmp_path, columns, why):
    folder = write_extract(tmp_path, minimal_tables())
    header = ",".join(f"k{i}" for i in range(columns))
    (folder / "vestigingen.csv").write_text(header + "\n" + ",".join("x" * columns) + "\n", encoding="utf-8")
    assert refusal(folder) == f"{folder / 'vestigingen.csv'}: {why}"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_table_with_far_too_many_rows_is_refused_before_parsing(tmp_path, fmt):
    tables = minimal_tables()
    swv = tables["samenwerkingsverbanden"]
    tables["samenwerkingsverbanden"] = pd.concat([swv] * 201, ignore_index=True)  # 402 rows, at most 400
    folder = write_extract(tmp_path, tables, fmt=fmt)
    path = folder / f"samenwerkingsverbanden.{fmt}"
    assert refusal(folder) == (f"{path}: meer dan 400 rijen voor tabel samenwerkingsverbanden "
                               "(2 × de landelijke omvang); geen tabel van het extract")


def test_a_table_file_far_beyond_its_size_is_refused_on_its_size(tmp_path):
    folder = write_extract(tmp_path, minimal_tables())
    junk = "swv_code,naam,sector,adres,postcode,plaats\n" + "x" * 1_000_000 + "\n"
    (folder / "samenwerkingsverbanden.csv").write_text(junk, encoding="utf-8")
    assert refusal(folder) == (f"{folder / 'samenwerkingsverbanden.csv'}: te groot (1.000.044 bytes) voor tabel "
                               "samenwerkingsverbanden (hoogstens 400 rijen)")


def test_the_report_lists_the_first_failures_of_a_rule_and_counts_the_rest(tmp_path):
    failures = failures_frame("leerlingen", "leerling_id", "unique", np.arange(25_000), np.full(25_000, "1"))
    txt = write_report(failures, tmp_path, "extract").read_text(encoding="utf-8")
    assert len(read_csv_rows(tmp_path / "validatie.csv")) == 1 + LISTED_PER_RULE
    assert "leerlingen.leerling_id  unique: 25000 fout(en)" in txt
    assert f"... en nog 24995 (validatie.csv noemt de eerste {LISTED_PER_RULE})" in txt


def test_an_extract_json_that_is_a_symlink_is_refused_by_name_and_not_read(tmp_path, capsys):
    from kijkglas.cli import main
    from schemas.extract import extract_identity
    folder = write_extract(tmp_path, minimal_tables())
    elsewhere = tmp_path / "elders.json"
    (folder / "extract.json").rename(elsewhere)
    (folder / "extract.json").symlink_to(elsewhere)
    link_line = f"{folder / 'extract.json'}: is een symbolische koppeling; een extract bevat zijn bestanden zelf"
    assert refusal(folder) == link_line
    assert main(["validate", str(folder), "--report", str(tmp_path / "rapport")]) == 1
    assert capsys.readouterr().err == f"kijkglas validate: {link_line}\n"
    (folder / "extract.json").unlink()
    assert extract_identity(folder) == extract_identity(folder)  # the identity never reads through a link
    (folder / "extract.json").symlink_to(elsewhere)
    without = extract_identity(folder)
    (folder / "extract.json").unlink()
    assert extract_identity(folder) == without


def test_a_folder_of_extracts_with_a_linked_or_broken_extract_json_is_refused_by_name(tmp_path):
    from production import kalender
    extracts = tmp_path / "extracts"
    good = write_extract(extracts, minimal_tables(), name="2024-12-06")
    assert kalender.newest_extract_on(extracts, date(2024, 12, 10)) == good
    linked = extracts / "2024-12-09"
    linked.mkdir()
    (linked / "extract.json").symlink_to(good / "extract.json")
    with pytest.raises(ExtractFormatError) as refused:
        kalender.newest_extract_on(extracts, date(2024, 12, 10))
    assert str(refused.value) == (f"{linked / 'extract.json'}: is een symbolische koppeling; een extract bevat zijn "
                                  f"bestanden zelf. Herstel het of haal die map uit {extracts}. Er is niets gepubliceerd.")
    (linked / "extract.json").unlink()
    linked.rmdir()
    linked.symlink_to(good)  # the whole extract folder a link
    with pytest.raises(ExtractFormatError, match="2024-12-09: is een symbolische koppeling"):
        kalender.newest_extract_on(extracts, date(2024, 12, 10))
    linked.unlink()
    linked.mkdir()
    (linked / "extract.json").write_text("{kapot")
    with pytest.raises(ExtractFormatError, match="2024-12-09/extract.json: ongeldig"):
        kalender.newest_extract_on(extracts, date(2024, 12, 10))


def junk_leerlingen(n: int) -> pd.DataFrame:
    ids = [f"x{i:08d}" for i in range(n)]
    return pd.DataFrame({"leerling_id": ids, "bsn_laatste4": "abcd", "geboortedatum": "2015-01-01",
                         "pc4_woonadres": "AB"}, dtype=object)


def test_a_large_table_of_junk_is_refused_in_one_line_without_validating_its_rows(tmp_path, monkeypatch, capsys):
    from kijkglas.cli import main
    from schemas import bounds
    monkeypatch.setattr(bounds, "JUNK_FROM_ROWS", 500)  # the test's table stays small
    tables = minimal_tables()
    tables["leerlingen"] = pd.concat([tables["leerlingen"], junk_leerlingen(995)], ignore_index=True)
    folder = write_extract(tmp_path, tables)
    why = (f"{folder / 'leerlingen.csv'}: 995 van 1.000 steekproefrijen (verspreid over 1.000) breken de meeste "
           "waarderegels van tabel leerlingen, bv. leerling_id rij 6: 'x00000000'; geen tabel van het extract, niet "
           "verder gecontroleerd")
    assert refusal(folder) == why
    assert main(["validate", str(folder), "--report", str(tmp_path / "rapport")]) == 1
    assert capsys.readouterr().err == f"kijkglas validate: {why}\n"
    rows = read_csv_rows(tmp_path / "rapport" / "validatie.csv")
    assert rows[1:] == [["leerlingen", "", "bestandsformaat", "", why.split(": ", 1)[1]]]


def test_a_large_table_with_one_wrong_column_or_some_junk_rows_is_validated_in_full(tmp_path, monkeypatch):
    from schemas import bounds
    monkeypatch.setattr(bounds, "JUNK_FROM_ROWS", 500)
    tables = minimal_tables()
    extra = junk_leerlingen(1000).assign(leerling_id=[f"{200_000_000 + i}" for i in range(1000)], pc4_woonadres="1234")
    tables["leerlingen"] = pd.concat([tables["leerlingen"], extra], ignore_index=True)  # bsn wrong in every row
    failures = validate_extract(read_extract(write_extract(tmp_path, tables)))
    assert set(failures["rule"]) == {"str_matches('^\\d{4}$')"} and len(failures) == 1000


def test_the_failures_of_a_rule_are_bounded_in_memory_and_counted_in_full(tmp_path, capsys):
    from kijkglas.cli import main
    from schemas.validate import validation
    n = LISTED_PER_RULE + 2_000
    tables = minimal_tables()
    extra = pd.DataFrame({"leerling_id": [f"{200_000_000 + i}" for i in range(n)], "bsn_laatste4": "abcd",
                          "geboortedatum": "2015-01-01", "pc4_woonadres": "1234"}, dtype=object)
    tables["leerlingen"] = pd.concat([tables["leerlingen"], extra], ignore_index=True)  # pandera's rule
    cvi = tables["cvi_indicaties"]
    tables["cvi_indicaties"] = pd.DataFrame({**{c: cvi[c].iloc[0] for c in cvi.columns},
                                             "cvi_nummer": [f"C{i}" for i in range(n)],
                                             "leerling_id": [f"{300_000_000 + i}" for i in range(n)]})  # ours
    folder = write_extract(tmp_path, tables)
    found = validation(read_extract(folder))
    bsn = ("leerlingen", "bsn_laatste4", "str_matches('^\\d{4}$')")
    ref = ("cvi_indicaties", "leerling_id", "references leerlingen.leerling_id")
    assert found.totals.to_dict() == {bsn: n, ref: n}
    assert found.failures.groupby(["table", "column", "rule"]).size().to_dict() == {bsn: LISTED_PER_RULE,
                                                                                  ref: LISTED_PER_RULE}
    assert found.failures["row"].tolist()[:2] == [6, 7] and found.failures["row"].iloc[LISTED_PER_RULE - 1] == 10_005
    assert main(["validate", str(folder), "--report", str(tmp_path / "rapport")]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith(f"extract ongeldig: {2 * n} fout(en) in 2 regel(s)")
    assert f"  leerlingen.bsn_laatste4  str_matches('^\\d{{4}}$'): {n}" in err
    txt = (tmp_path / "rapport" / "validatie.txt").read_text(encoding="utf-8")
    assert f"leerlingen.bsn_laatste4  str_matches('^\\d{{4}}$'): {n} fout(en)" in txt
    assert f"... en nog {n - 5} (validatie.csv noemt de eerste {LISTED_PER_RULE})" in txt
    assert len(read_csv_rows(tmp_path / "rapport" / "validatie.csv")) == 1 + 2 * LISTED_PER_RULE


def test_overlapping_inschrijvingen_are_bounded_too():
    from schemas.validate import OVERLAP_RULE, overlap_failures, rule_totals
    n = LISTED_PER_RULE + 5
    ins = pd.DataFrame({"leerling_id": ["100000001"] * n, "begindatum": pd.Timestamp("2024-08-01"),
                        "einddatum": pd.Series([pd.NaT] * n, dtype="datetime64[ns]")})
    found = overlap_failures(ins, np.zeros(n, dtype=np.int64))
    assert len(found) == LISTED_PER_RULE and found["value"].iloc[0] == "100000001 2024-08-01..open"
    assert rule_totals(found).to_dict() == {("inschrijvingen", "leerling_id", OVERLAP_RULE): n}


def test_text_in_a_markdown_artifact_makes_no_link_and_a_quoted_csv_cell_reads_back_as_given():
    from core.spreadsheet_text import csv_safe, text_of_csv_cell
    from production.summary import markdown_cell

    cell = markdown_cell("zie https://evil.example/x, www.evil.nl of a@b.nl [x](y) | ![i](j)")
    assert "https://" not in cell and "www." not in cell and "a@b" not in cell and "](" not in cell
    assert "|" not in cell.replace("\\|", "")
    for name in ("-De Brug", "=1+1", "'t Kompas", "De Brug", "-3"):
        assert text_of_csv_cell(csv_safe(name)) == name


def test_a_dask_scheduler_that_does_not_answer_is_one_dutch_line_before_anything_is_read(tmp_path, capsys):
    from kijkglas.cli import main
    rc = main(["produce", "kijkglas-1", "--schooljaar", SJ, "--extract", str(tmp_path), "--outbox",
               str(tmp_path / "outbox"), "--productiedatum", "2024-12-10", "--dask-address", "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err
    assert rc == 1 and err.strip() == (
        "productie geweigerd: de Dask-scheduler tcp://127.0.0.1:1 is niet bereikbaar (de verbinding werd geweigerd): "
        "controleer het adres of start de scheduler, of laat dask_address leeg. Er is niets gepubliceerd.")
    assert not (tmp_path / "outbox").exists()


@pytest.mark.parametrize("address", ["tcp://host:99999", "tcp://-x:1", "tcp://host:0"])
def test_a_dask_address_out_of_range_is_a_usage_error(address, capsys):
    from kijkglas.cli import main
    with pytest.raises(SystemExit) as usage:
        main(["produce", "kijkglas-1", "--extract", ".", "--outbox", "/tmp/x", "--dask-address", address])
    assert usage.value.code == 2 and "Traceback" not in capsys.readouterr().err
