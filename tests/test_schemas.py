"""The input contract: every rule broken once, malformed files, the report, the CLI.

Each contract case starts from the valid `minimal_tables()` extract, breaks one rule, and checks
that the failures name the right table, column, rule and (where it matters) row.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pandera import errors as pa_errors

from kijkglas.cli import main
from schemas import models
from schemas.extract import ExtractFormatError, read_extract
from schemas.validate import (
    FAILURE_COLUMNS,
    InvalidExtractError,
    Keys,
    load_valid_extract,
    overlap_mask,
    validate_extract,
)
from tests.extract_factory import LEERLINGEN, SWV_PO, SWV_VO, minimal_tables, write_extract

L1, L2, L3, L4, L5 = LEERLINGEN


# --- helpers ---------------------------------------------------------------------------------------

def setv(table: str, row: int, column: str, value):
    """A mutation: set one cell (row = frame position, i.e. data row row + 1)."""
    def mutate(tables):
        tables[table].loc[row, column] = value
    return mutate


def add_row(table: str, like: int, **changes):
    """A mutation: append a copy of row `like` with some values changed."""
    def mutate(tables):
        frame = tables[table]
        new = frame.iloc[[like]].copy()
        for column, value in changes.items():
            new[column] = value
        tables[table] = pd.concat([frame, new], ignore_index=True)
    return mutate


def both(*mutations):
    def mutate(tables):
        for m in mutations:
            m(tables)
    return mutate


def failures_for(tmp_path: Path, mutate=None, fmt: str = "csv") -> pd.DataFrame:
    tables = minimal_tables()
    if mutate:
        mutate(tables)
    return validate_extract(read_extract(write_extract(tmp_path, tables, fmt=fmt)))


def triples(failures: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(failures["table"], failures["column"], failures["rule"]))


def rows_of(failures: pd.DataFrame, table: str, column: str, rule: str) -> list[int]:
    hit = failures[(failures["table"] == table) & (failures["column"] == column) & (failures["rule"] == rule)]
    return sorted(int(r) for r in hit["row"])


def matches(pattern: str) -> str:
    return f"str_matches('{pattern}')"


def isin(values: list[str]) -> str:
    return f"isin({values})"


REF_SWV = "references samenwerkingsverbanden.swv_code"
REF_LEERLING = "references leerlingen.leerling_id"
REF_VESTIGING = "references vestigingen.vestiging_code"
VESTIGING_SECTOR = "swv sector matches soort (PO for BAO/SBAO/SO, VO for VSO/VO)"
TLV_SECTOR = "issuing swv sector matches soort (PO for SO/SBAO, VO for VSO)"
RESIDENTIEEL = "required at SO/VSO vestigingen, null elsewhere"
VO_FLAG = "required at VO vestigingen, null elsewhere"
OVERLAP = "no overlapping inschrijvingen"
END = "einddatum >= begindatum"

# (id, mutation, (table, column, rule), expected data rows or None)
CONTRACT_CASES = [
    # samenwerkingsverbanden
    ("swv_code pattern", setv("samenwerkingsverbanden", 1, "swv_code", "VO27"),
     ("samenwerkingsverbanden", "swv_code", matches(models.SWV_CODE)), [2]),
    ("swv_code lowercase", setv("samenwerkingsverbanden", 0, "swv_code", "po2707"),
     ("samenwerkingsverbanden", "swv_code", matches(models.SWV_CODE)), [1]),
    ("swv_code unique", add_row("samenwerkingsverbanden", 0),
     ("samenwerkingsverbanden", "swv_code", "unique"), [1, 3]),
    ("swv_code null", setv("samenwerkingsverbanden", 1, "swv_code", None),
     ("samenwerkingsverbanden", "swv_code", "not_nullable"), [2]),
    ("naam null", setv("samenwerkingsverbanden", 0, "naam", None),
     ("samenwerkingsverbanden", "naam", "not_nullable"), [1]),
    ("naam blank", setv("samenwerkingsverbanden", 0, "naam", "   "),
     ("samenwerkingsverbanden", "naam", "not empty"), [1]),
    ("sector value", setv("samenwerkingsverbanden", 0, "sector", "SO"),
     ("samenwerkingsverbanden", "sector", isin(models.SECTOREN)), [1]),
    ("sector prefix", setv("samenwerkingsverbanden", 1, "sector", "PO"),
     ("samenwerkingsverbanden", "sector", "sector equals swv_code prefix"), [2]),
    ("postcode pattern", setv("samenwerkingsverbanden", 0, "postcode", "3511 ab"),
     ("samenwerkingsverbanden", "postcode", matches(models.POSTCODE)), [1]),
    # regio_indeling
    ("pc4 pattern", setv("regio_indeling", 0, "pc4", "351"),
     ("regio_indeling", "pc4", matches(models.PC4)), [1]),
    ("pc4 unique", add_row("regio_indeling", 1),
     ("regio_indeling", "pc4", "unique"), [2, 3]),
    ("gemeente null", setv("regio_indeling", 0, "gemeente", None),
     ("regio_indeling", "gemeente", "not_nullable"), [1]),
    ("swv_po unknown", setv("regio_indeling", 0, "swv_po", "PO9999"),
     ("regio_indeling", "swv_po", REF_SWV), [1]),
    ("swv_po is VO", setv("regio_indeling", 0, "swv_po", SWV_VO),
     ("regio_indeling", "swv_po", "a PO swv_code"), [1]),
    ("swv_vo is PO", setv("regio_indeling", 0, "swv_vo", SWV_PO),
     ("regio_indeling", "swv_vo", "a VO swv_code"), [1]),
    ("swv_vo unknown", setv("regio_indeling", 0, "swv_vo", "VO0000"),
     ("regio_indeling", "swv_vo", REF_SWV), [1]),
    # vestigingen
    ("vestiging_code pattern", setv("vestigingen", 0, "vestiging_code", "1AB01"),
     ("vestigingen", "vestiging_code", matches(models.VESTIGING_CODE)), [1]),
    ("vestiging_code unique", add_row("vestigingen", 4),
     ("vestigingen", "vestiging_code", "unique"), [5, 6]),
    ("vestiging naam null", setv("vestigingen", 2, "naam", None),
     ("vestigingen", "naam", "not_nullable"), [3]),
    ("vestiging soort", setv("vestigingen", 0, "soort", "PO"),
     ("vestigingen", "soort", isin(models.VESTIGING_SOORTEN)), [1]),
    ("kernsoort value", setv("vestigingen", 2, "kernsoort", "ZML"),
     ("vestigingen", "kernsoort", isin(models.KERNSOORTEN)), [3]),
    ("kernsoort missing at SO", setv("vestigingen", 2, "kernsoort", None),
     ("vestigingen", "kernsoort", "kernsoort required for SO/VSO, null otherwise"), [3]),
    ("kernsoort at BAO", setv("vestigingen", 0, "kernsoort", "ZMLK"),
     ("vestigingen", "kernsoort", "kernsoort required for SO/VSO, null otherwise"), [1]),
    ("vestiging swv unknown", setv("vestigingen", 0, "swv_code", "PO0001"),
     ("vestigingen", "swv_code", REF_SWV), [1]),
    ("vestiging swv null", setv("vestigingen", 0, "swv_code", None),
     ("vestigingen", "swv_code", "not_nullable"), [1]),
    ("SO at VO swv", setv("vestigingen", 2, "swv_code", SWV_VO),
     ("vestigingen", "swv_code", VESTIGING_SECTOR), [3]),
    ("VSO at PO swv", setv("vestigingen", 3, "swv_code", SWV_PO),
     ("vestigingen", "swv_code", VESTIGING_SECTOR), [4]),
    # leerlingen
    ("leerling_id pattern", setv("leerlingen", 1, "leerling_id", "10000002"),
     ("leerlingen", "leerling_id", matches(models.LEERLING_ID)), [2]),
    ("leerling_id non-ascii digits", setv("leerlingen", 4, "leerling_id", "١٠٠٠٠٠٠٠٥"),
     ("leerlingen", "leerling_id", matches(models.LEERLING_ID)), [5]),
    ("leerling_id unique", add_row("leerlingen", 0),
     ("leerlingen", "leerling_id", "unique"), [1, 6]),
    ("bsn_laatste4 pattern", setv("leerlingen", 0, "bsn_laatste4", "123456789"),
     ("leerlingen", "bsn_laatste4", matches(models.BSN_LAATSTE4)), [1]),
    ("geboortedatum after stand_per", setv("leerlingen", 3, "geboortedatum", "2024-12-07"),
     ("leerlingen", "geboortedatum", "not after stand_per (2024-12-06)"), [4]),
    ("geboortedatum null", setv("leerlingen", 3, "geboortedatum", None),
     ("leerlingen", "geboortedatum", "not_nullable"), [4]),
    ("pc4_woonadres pattern", setv("leerlingen", 0, "pc4_woonadres", "3511AB"),
     ("leerlingen", "pc4_woonadres", matches(models.PC4)), [1]),
    # inschrijvingen
    ("inschrijving_id unique", setv("inschrijvingen", 5, "inschrijving_id", "I1"),
     ("inschrijvingen", "inschrijving_id", "unique"), [1, 6]),
    ("inschrijving_id null", setv("inschrijvingen", 5, "inschrijving_id", None),
     ("inschrijvingen", "inschrijving_id", "not_nullable"), [6]),
    ("inschrijving leerling unknown", setv("inschrijvingen", 2, "leerling_id", "999999999"),
     ("inschrijvingen", "leerling_id", REF_LEERLING), [3]),
    ("inschrijving vestiging unknown", setv("inschrijvingen", 2, "vestiging_code", "99ZZ99"),
     ("inschrijvingen", "vestiging_code", REF_VESTIGING), [3]),
    ("begindatum null", setv("inschrijvingen", 2, "begindatum", None),
     ("inschrijvingen", "begindatum", "not_nullable"), [3]),
    ("inschrijving ends before begin", setv("inschrijvingen", 0, "einddatum", "2019-07-31"),
     ("inschrijvingen", "einddatum", END), [1]),
    ("bekostigd value", setv("inschrijvingen", 0, "bekostigd", "ja"),
     ("inschrijvingen", "bekostigd", isin(models.JA_NEE)), [1]),
    ("bekostigd null", setv("inschrijvingen", 0, "bekostigd", None),
     ("inschrijvingen", "bekostigd", "not_nullable"), [1]),
    ("residentieel value", setv("inschrijvingen", 1, "residentieel", "X"),
     ("inschrijvingen", "residentieel", isin(models.JA_NEE)), [2]),
    ("residentieel missing at SO", setv("inschrijvingen", 1, "residentieel", None),
     ("inschrijvingen", "residentieel", RESIDENTIEEL), [2]),
    ("residentieel at BAO", setv("inschrijvingen", 0, "residentieel", "N"),
     ("inschrijvingen", "residentieel", RESIDENTIEEL), [1]),
    ("lwoo missing at VO", setv("inschrijvingen", 5, "lwoo", None),
     ("inschrijvingen", "lwoo", VO_FLAG), [6]),
    ("pro at VSO", setv("inschrijvingen", 4, "pro", "N"),
     ("inschrijvingen", "pro", VO_FLAG), [5]),
    ("vavo at SBAO", setv("inschrijvingen", 2, "vavo", "J"),
     ("inschrijvingen", "vavo", VO_FLAG), [3]),
    ("vavo value", setv("inschrijvingen", 5, "vavo", "n"),
     ("inschrijvingen", "vavo", isin(models.JA_NEE)), [6]),
    ("overlap by one day", setv("inschrijvingen", 0, "einddatum", "2023-08-01"),
     ("inschrijvingen", "leerling_id", OVERLAP), [1, 2]),
    ("overlap with an open registration", setv("inschrijvingen", 3, "einddatum", None),
     ("inschrijvingen", "leerling_id", OVERLAP), [4, 5]),
    ("overlap nested", add_row("inschrijvingen", 2, inschrijving_id="I7", begindatum="2023-01-01", einddatum="2023-01-31"),
     ("inschrijvingen", "leerling_id", OVERLAP), [3, 7]),
    # tlv
    ("tlv_nummer unique", setv("tlv", 2, "tlv_nummer", "T2"),
     ("tlv", "tlv_nummer", "unique"), [2, 3]),
    ("tlv leerling unknown", setv("tlv", 0, "leerling_id", "100000009"),
     ("tlv", "leerling_id", REF_LEERLING), [1]),
    ("tlv swv unknown", setv("tlv", 0, "swv_code", "PO1111"),
     ("tlv", "swv_code", REF_SWV), [1]),
    ("tlv soort", setv("tlv", 0, "soort", "BAO"),
     ("tlv", "soort", isin(models.TLV_SOORTEN)), [1]),
    ("categorie value", setv("tlv", 0, "categorie", "X"),
     ("tlv", "categorie", isin(models.CATEGORIEEN)), [1]),
    ("categorie missing for VSO", setv("tlv", 2, "categorie", None),
     ("tlv", "categorie", "categorie required for SO/VSO, null for SBAO"), [3]),
    ("categorie for SBAO", setv("tlv", 1, "categorie", "L"),
     ("tlv", "categorie", "categorie required for SO/VSO, null for SBAO"), [2]),
    ("afgiftedatum after begin", setv("tlv", 0, "afgiftedatum", "2023-08-02"),
     ("tlv", "afgiftedatum", "afgiftedatum <= begindatum"), [1]),
    ("tlv ends before begin", setv("tlv", 0, "einddatum", "2023-07-31"),
     ("tlv", "einddatum", END), [1]),
    ("SO tlv by VO swv", setv("tlv", 0, "swv_code", SWV_VO),
     ("tlv", "swv_code", TLV_SECTOR), [1]),
    ("SBAO tlv by VO swv", setv("tlv", 1, "swv_code", SWV_VO),
     ("tlv", "swv_code", TLV_SECTOR), [2]),
    ("VSO tlv by PO swv", setv("tlv", 2, "swv_code", SWV_PO),
     ("tlv", "swv_code", TLV_SECTOR), [3]),
    # cvi_indicaties
    ("cvi_nummer unique", setv("cvi_indicaties", 1, "cvi_nummer", "C1"),
     ("cvi_indicaties", "cvi_nummer", "unique"), [1, 2]),
    ("cvi leerling unknown", setv("cvi_indicaties", 0, "leerling_id", "200000000"),
     ("cvi_indicaties", "leerling_id", REF_LEERLING), [1]),
    ("soort_indicatie PI", setv("cvi_indicaties", 0, "soort_indicatie", "PI"),
     ("cvi_indicaties", "soort_indicatie", isin(models.CVI_SOORTEN)), [1]),
    ("cvi ends before begin", setv("cvi_indicaties", 0, "einddatum", "2012-07-31"),
     ("cvi_indicaties", "einddatum", END), [1]),
    # bekostiging
    ("bekostiging swv unknown", setv("bekostiging", 1, "swv_code", "VO1234"),
     ("bekostiging", "swv_code", REF_SWV), [2]),
    ("bedrag 3 decimals", setv("bekostiging", 0, "bedrag", "10.125"),
     ("bekostiging", "bedrag", "at most 2 decimals"), [1]),
    ("bedrag null", setv("bekostiging", 0, "bedrag", None),
     ("bekostiging", "bedrag", "not_nullable"), [1]),
    ("onderdeel null", setv("bekostiging", 0, "onderdeel", None),
     ("bekostiging", "onderdeel", "not_nullable"), [1]),
    ("vastgesteld_op null", setv("bekostiging", 1, "vastgesteld_op", None),
     ("bekostiging", "vastgesteld_op", "not_nullable"), [2]),
]


# --- the contract, rule by rule --------------------------------------------------------------------

def test_minimal_extract_is_valid(tmp_path):
    failures = failures_for(tmp_path)
    assert list(failures.columns) == FAILURE_COLUMNS
    assert failures.empty, failures


@pytest.mark.parametrize("mutate, expected, rows", [c[1:] for c in CONTRACT_CASES],
                         ids=[c[0] for c in CONTRACT_CASES])
def test_each_rule_is_reported(tmp_path, mutate, expected, rows):
    failures = failures_for(tmp_path, mutate)
    assert expected in triples(failures), failures.to_string()
    if rows is not None:
        assert rows_of(failures, *expected) == rows, failures.to_string()


def test_every_failure_is_reported_at_once(tmp_path):
    failures = failures_for(tmp_path, both(
        setv("leerlingen", 0, "leerling_id", "1"),
        setv("vestigingen", 2, "kernsoort", None),
        setv("inschrijvingen", 0, "einddatum", "2019-01-01"),
        setv("tlv", 1, "categorie", "L"),
        setv("bekostiging", 0, "bedrag", "0.001"),
    ))
    assert {("leerlingen", "leerling_id", matches(models.LEERLING_ID)),
            ("vestigingen", "kernsoort", "kernsoort required for SO/VSO, null otherwise"),
            ("inschrijvingen", "einddatum", END),
            ("tlv", "categorie", "categorie required for SO/VSO, null for SBAO"),
            ("bekostiging", "bedrag", "at most 2 decimals")} <= triples(failures)


def test_failure_shows_the_offending_value(tmp_path):
    failures = failures_for(tmp_path, both(setv("leerlingen", 1, "leerling_id", "12AB"),
                                           setv("tlv", 0, "afgiftedatum", "2023-09-01")))
    by_rule = failures.set_index("rule")["value"]
    assert by_rule[matches(models.LEERLING_ID)] == "12AB"
    assert by_rule["afgiftedatum <= begindatum"] == "2023-09-01"


def test_overlap_value_names_pupil_and_period(tmp_path):
    failures = failures_for(tmp_path, setv("inschrijvingen", 0, "einddatum", "2023-08-01"))
    overlap = failures[failures["rule"] == OVERLAP]
    assert list(overlap["value"]) == [f"{L1} 2019-08-01..2023-08-01", f"{L1} 2023-08-01..open"]


def test_kernsoort_rule_reported_once_per_row(tmp_path):
    # pandera reports a dataframe check on every column; the report has it once, on kernsoort
    failures = failures_for(tmp_path, setv("vestigingen", 2, "kernsoort", None))
    assert len(failures) == 1
    assert failures.iloc[0][["table", "column", "row", "value"]].tolist() == ["vestigingen", "kernsoort", 3, ""]


def test_unknown_vestiging_does_not_also_break_flag_rules(tmp_path):
    failures = failures_for(tmp_path, setv("inschrijvingen", 5, "vestiging_code", "99ZZ99"))
    assert triples(failures) == {("inschrijvingen", "vestiging_code", REF_VESTIGING)}


def test_parquet_extract_is_valid(tmp_path):
    assert failures_for(tmp_path, fmt="parquet").empty


def test_parquet_rules_reported_like_csv(tmp_path):
    failures = failures_for(tmp_path, setv("inschrijvingen", 0, "einddatum", "2023-08-01"), fmt="parquet")
    assert rows_of(failures, "inschrijvingen", "leerling_id", OVERLAP) == [1, 2]


def test_mixed_csv_and_parquet_tables(tmp_path):
    tables = minimal_tables()
    folder = write_extract(tmp_path, {k: v for k, v in tables.items() if k != "leerlingen"})
    write_extract(tmp_path, {"leerlingen": tables["leerlingen"]}, fmt="parquet")
    assert validate_extract(read_extract(folder)).empty


def test_bekostiging_is_optional(tmp_path):
    tables = minimal_tables()
    del tables["bekostiging"]
    ex = read_extract(write_extract(tmp_path, tables))
    assert ex.bekostiging.empty and list(ex.bekostiging.columns) == ["swv_code", "onderdeel", "bedrag", "vastgesteld_op"]
    assert validate_extract(ex).empty


def test_frames_have_the_documented_types(tmp_path):
    ex = read_extract(write_extract(tmp_path, minimal_tables()))
    ins = ex.inschrijvingen
    assert str(ins["begindatum"].dtype) == "datetime64[ns]" and str(ins["einddatum"].dtype) == "datetime64[ns]"
    assert ins["leerling_id"].dtype == object and ins["residentieel"].isna().sum() == 3
    assert str(ex.bekostiging["bedrag"].dtype) == "float64"
    assert ex.stand_per == date(2024, 12, 6) and ex.bron == "ROD" and len(ex.identity) == 64
    # identifiers keep their leading zeros; "NA" is a value, only an empty field is null
    assert ex.leerlingen.loc[2, "bsn_laatste4"] == "0001"


# --- the vectorised helpers ------------------------------------------------------------------------

def _brute_force_overlaps(pupil, begin, end):
    far = np.datetime64("2300-01-01")
    end = np.where(np.isnat(end), far, end)
    flagged = np.zeros(len(pupil), dtype=bool)
    for i in range(len(pupil)):
        for j in range(len(pupil)):
            if i != j and pupil[i] == pupil[j] and begin[i] <= end[j] and begin[j] <= end[i]:
                flagged[i] = True
    return flagged


@pytest.mark.parametrize("seed", range(5))
def test_overlap_mask_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 300
    pupil = rng.integers(0, 60, n)
    begin = np.datetime64("2020-01-01") + rng.integers(0, 1500, n).astype("timedelta64[D]")
    length = rng.integers(0, 400, n).astype("timedelta64[D]")
    end = np.where(rng.random(n) < 0.2, np.datetime64("NaT"), begin + length).astype("datetime64[D]")
    got = overlap_mask(pupil, pd.Series(begin.astype("datetime64[ns]")), pd.Series(end.astype("datetime64[ns]")))
    assert (got == _brute_force_overlaps(pupil, begin, end)).all()


def test_keys_lookup_is_exact_with_hashing(monkeypatch):
    monkeypatch.setattr(Keys, "HASHED_FROM", 1)
    keys = Keys(pd.Series(["a", "b", None, "b", "c"], dtype=object))
    got = keys.positions(pd.Series(["b", "x", None, "c", "a"], dtype=object))
    assert got.tolist() == [1, -1, -2, 4, 0]


def test_keys_survive_hash_collisions(monkeypatch):
    monkeypatch.setattr(Keys, "HASHED_FROM", 1)
    monkeypatch.setattr("schemas.validate.hash_values", lambda v: np.zeros(len(v), dtype=np.int64))
    keys = Keys(pd.Series(["a", "b", "c"], dtype=object))
    assert keys.positions(pd.Series(["c", "b", "z", "a"], dtype=object)).tolist() == [2, 1, -1, 0]


def test_duplicates_survive_hash_collisions(monkeypatch):
    monkeypatch.setattr(models, "hash_values", lambda v: np.zeros(len(v), dtype=np.int64))
    got = models.duplicated_mask(pd.Series(["a", "b", "a", None, None, "c"], dtype=object))
    assert got.tolist() == [True, False, True, False, False, False]


# --- malformed files: one line, exit 1, no traceback -----------------------------------------------

def _validate_cli(capsys, folder: Path, *extra: str) -> tuple[int, str, str]:
    rc = main(["validate", str(folder), *extra])
    out, err = capsys.readouterr()
    return rc, out, err


def _break_file(name: str):
    """Ways to break the files of a valid CSV extract: (id, mutate(folder), words the message names)."""
    def not_csv(folder):
        (folder / "vestigingen.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe")

    def missing_json(folder):
        (folder / "extract.json").unlink()

    def bad_json(folder):
        (folder / "extract.json").write_text('{"stand_per": "6-12-2024"}')

    def unknown_column(folder):
        df = pd.read_csv(folder / "tlv.csv", dtype=str).rename(columns={"categorie": "tlv_categorie"})
        df.to_csv(folder / "tlv.csv", index=False)

    def extra_column(folder):
        df = pd.read_csv(folder / "leerlingen.csv", dtype=str).assign(bsn="123456789")
        df.to_csv(folder / "leerlingen.csv", index=False)

    def missing_column(folder):
        df = pd.read_csv(folder / "inschrijvingen.csv", dtype=str).drop(columns=["vavo"])
        df.to_csv(folder / "inschrijvingen.csv", index=False)

    def bad_date(folder):
        text = (folder / "leerlingen.csv").read_text().replace("2014-06-15", "15-06-2014")
        (folder / "leerlingen.csv").write_text(text)

    def impossible_date(folder):
        text = (folder / "tlv.csv").read_text().replace("2025-07-31", "2025-02-30")
        (folder / "tlv.csv").write_text(text)

    def far_date(folder):
        text = (folder / "tlv.csv").read_text().replace("2025-07-31", "9999-12-31")
        (folder / "tlv.csv").write_text(text)

    def ragged_row(folder):
        with (folder / "cvi_indicaties.csv").open("a") as f:
            f.write("C9,100000001,LZ,2012-08-01,2013-01-01,extra\n")

    def bad_number(folder):
        text = (folder / "bekostiging.csv").read_text().replace("-12.5", "twaalf")
        (folder / "bekostiging.csv").write_text(text)

    def missing_table(folder):
        (folder / "tlv.csv").unlink()

    def misspelt_table(folder):
        (folder / "bekostiging.csv").rename(folder / "bekostigingen.csv")

    def empty_file(folder):
        (folder / "regio_indeling.csv").write_text("")

    def not_utf8(folder):
        text = (folder / "vestigingen.csv").read_text().replace("De Brug", "De Brüg")
        (folder / "vestigingen.csv").write_bytes(text.encode("latin-1"))

    return {
        "not a CSV": (not_csv, ["vestigingen.csv"]),
        "missing extract.json": (missing_json, ["extract.json", "ontbreekt"]),
        "bad extract.json": (bad_json, ["extract.json", "stand_per"]),
        "unknown column": (unknown_column, ["tlv.csv", "onbekende kolom", "tlv_categorie", "ontbrekende kolom", "categorie"]),
        "extra column": (extra_column, ["leerlingen.csv", "onbekende kolom", "bsn"]),
        "missing column": (missing_column, ["inschrijvingen.csv", "ontbrekende kolom", "vavo"]),
        "bad date": (bad_date, ["leerlingen.csv", "geboortedatum", "rij 2", "15-06-2014", "geen datum"]),
        "impossible date": (impossible_date, ["tlv.csv", "einddatum", "rij 1", "2025-02-30"]),
        "date out of range": (far_date, ["tlv.csv", "einddatum", "9999-12-31", "tussen 1678 en 2261"]),
        "ragged row": (ragged_row, ["cvi_indicaties.csv", "rij 3 heeft 6 velden, de kopregel heeft er 5"]),
        "bad number": (bad_number, ["bekostiging.csv", "bedrag", "rij 2", "twaalf"]),
        "missing table": (missing_table, ["tlv.csv", "ontbreekt"]),
        "misspelt table": (misspelt_table, ["bekostigingen.csv", "onbekend tabelbestand"]),
        "empty file": (empty_file, ["regio_indeling.csv"]),
        "not UTF-8": (not_utf8, ["vestigingen.csv"]),
    }[name]


MALFORMED = ["not a CSV", "missing extract.json", "bad extract.json", "unknown column", "extra column",
             "missing column", "bad date", "impossible date", "date out of range", "ragged row", "bad number",
             "missing table", "misspelt table", "empty file", "not UTF-8"]


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_file_gives_one_line_and_exit_1(tmp_path, capsys, case):
    folder = write_extract(tmp_path, minimal_tables())
    mutate, words = _break_file(case)
    mutate(folder)
    rc, out, err = _validate_cli(capsys, folder)
    assert rc == 1
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize("case", ["missing column", "bad date", "not a CSV"])
def test_malformed_file_raises_extract_format_error(tmp_path, case):
    folder = write_extract(tmp_path, minimal_tables())
    _break_file(case)[0](folder)
    with pytest.raises(ExtractFormatError) as info:
        read_extract(folder)
    assert "\n" not in str(info.value)


def test_every_files_format_error_at_once(tmp_path, capsys):
    """A bad date, a non-number and a missing column in three files: one error naming each file on
    a line of its own; two bad columns of one file share that file's line."""
    folder = write_extract(tmp_path, minimal_tables())
    for case in ("bad date", "bad number", "missing column", "impossible date"):
        _break_file(case)[0](folder)
    text = (folder / "tlv.csv").read_text().replace("2023-07-01", "morgen", 1)  # a second tlv column
    (folder / "tlv.csv").write_text(text)
    with pytest.raises(ExtractFormatError) as info:
        read_extract(folder)
    problems = info.value.problems
    assert [Path(p.split(": ")[0]).name for p in problems] == [
        "leerlingen.csv", "inschrijvingen.csv", "tlv.csv", "bekostiging.csv"]
    assert str(info.value).splitlines() == problems
    assert "geboortedatum" in problems[0] and "ontbrekende kolom" in problems[1] and "vavo" in problems[1]
    assert "twaalf" in problems[3]
    assert "'morgen'" in problems[2] and "einddatum" in problems[2]

    rc, out, err = _validate_cli(capsys, folder, "--report", str(tmp_path / "rapport"))
    assert rc == 1 and "Traceback" not in out + err
    assert [line.split(": ")[1].rsplit("/", 1)[1] for line in err.strip().splitlines()] == [
        "leerlingen.csv", "inschrijvingen.csv", "tlv.csv", "bekostiging.csv"]
    report = pd.read_csv(tmp_path / "rapport" / "validatie.csv", dtype=str, keep_default_na=False)
    assert report["table"].tolist() == ["leerlingen", "inschrijvingen", "tlv", "bekostiging"]
    assert set(report["rule"]) == {"bestandsformaat"}
    with pytest.raises(InvalidExtractError) as loaded:
        load_valid_extract(folder)
    assert loaded.value.failures["table"].tolist() == ["leerlingen", "inschrijvingen", "tlv", "bekostiging"]


def _tree(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in [folder, *sorted(folder.rglob("*"))]}


@pytest.fixture
def read_only_extract(tmp_path):
    """A valid extract whose folder and files cannot be written (for root, who writes anyway, the
    tests compare the tree before and after)."""
    import stat
    folder = write_extract(tmp_path, minimal_tables())
    for p in [*folder.iterdir(), folder]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    yield folder
    for p in [folder, *folder.iterdir()]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)


@pytest.mark.parametrize("where", [[], ["--report", "rapport"], ["--outbox", "outbox"]])
def test_validate_writes_nothing_into_the_extract(read_only_extract, tmp_path, capsys, monkeypatch, where):
    monkeypatch.chdir(tmp_path)
    before = _tree(read_only_extract)
    rc, out, err = _validate_cli(capsys, read_only_extract, *where)
    assert rc == 0 and "Traceback" not in out + err, err
    assert _tree(read_only_extract) == before
    if not where:
        assert "geen rapport geschreven" in out
        assert sorted(p.name for p in tmp_path.iterdir()) == ["extract"]
    elif where[0] == "--report":
        assert (tmp_path / "rapport" / "validatie.txt").is_file()
    else:
        (report,) = (tmp_path / "outbox" / ".operator" / "validatie").iterdir()
        assert report.name.startswith("extract-") and (report / "validatie.csv").is_file()
        assert f"rapport: {Path('outbox') / '.operator' / 'validatie' / report.name}" in out


def test_validate_report_and_outbox_exclude_each_other(tmp_path, capsys):
    folder = write_extract(tmp_path, minimal_tables())
    with pytest.raises(SystemExit) as info:
        main(["validate", str(folder), "--report", "r", "--outbox", "o"])
    assert info.value.code == 2 and "niet toegestaan samen met" in capsys.readouterr().err


def test_two_extracts_never_share_a_report(tmp_path):
    from production.steps import validation_report_dir
    outbox = tmp_path / "outbox"
    first = write_extract(tmp_path / "a", minimal_tables(), name="2024-12-06")
    second = write_extract(tmp_path / "b", minimal_tables(), name="2024-12-06")
    (second / "tlv.csv").write_text((second / "tlv.csv").read_text().replace("2025-07-31", "2025-07-30"))
    one, other = validation_report_dir(outbox, first), validation_report_dir(outbox, second)
    assert one != other and one.parent == other.parent == outbox / ".operator" / "validatie"
    assert one.name.startswith("2024-12-06-") and other.name.startswith("2024-12-06-")
    assert validation_report_dir(outbox, first) == one  # the same extract keeps its report
    missing = validation_report_dir(outbox, tmp_path / "c" / "2024-12-06")
    assert missing.name.startswith("2024-12-06-") and missing not in (one, other)


def test_missing_extract_folder(tmp_path, capsys):
    rc, out, err = _validate_cli(capsys, tmp_path / "nowhere")
    assert rc == 1 and "bestaat niet" in err and not (tmp_path / "nowhere").exists()


def test_parquet_text_column_stored_as_number_is_an_error(tmp_path, capsys):
    folder = write_extract(tmp_path, minimal_tables())
    (folder / "leerlingen.csv").unlink()
    pq.write_table(pa.table({
        "leerling_id": pa.array([int(x) for x in LEERLINGEN]), "bsn_laatste4": pa.array(["1234"] * 5),
        "geboortedatum": pa.array([date(2015, 1, 1)] * 5), "pc4_woonadres": pa.array([None] * 5, pa.string()),
    }), folder / "leerlingen.parquet")
    rc, _, err = _validate_cli(capsys, folder)
    assert rc == 1 and "leerlingen.parquet" in err and "leerling_id" in err and "int64" in err


def test_parquet_timestamp_dates_accepted(tmp_path):
    folder = write_extract(tmp_path, minimal_tables())
    (folder / "cvi_indicaties.csv").unlink()
    pq.write_table(pa.table({
        "cvi_nummer": ["C1"], "leerling_id": [L3], "soort_indicatie": ["LZ"],
        "begindatum": pa.array([pd.Timestamp("2012-08-01")], pa.timestamp("us")),
        "einddatum": pa.array([None], pa.timestamp("us")),
    }), folder / "cvi_indicaties.parquet")
    ex = read_extract(folder)
    assert ex.cvi_indicaties["begindatum"].tolist() == [pd.Timestamp("2012-08-01")]
    assert ex.cvi_indicaties["einddatum"].isna().all()


def test_both_csv_and_parquet_for_one_table_is_an_error(tmp_path):
    tables = minimal_tables()
    folder = write_extract(tmp_path, tables)
    write_extract(tmp_path, {"tlv": tables["tlv"]}, fmt="parquet")
    with pytest.raises(ExtractFormatError, match="zowel tlv.csv als tlv.parquet"):
        read_extract(folder)


# --- the CLI and the report ------------------------------------------------------------------------

def test_cli_valid_extract_exits_0_and_writes_empty_report(tmp_path, capsys):
    folder = write_extract(tmp_path, minimal_tables())
    rc, out, err = _validate_cli(capsys, folder, "--report", str(tmp_path / "rapport"))
    assert rc == 0, err
    assert out.startswith("extract geldig: 8 tabellen, stand per 2024-12-06")
    report = pd.read_csv(tmp_path / "rapport" / "validatie.csv")
    assert list(report.columns) == FAILURE_COLUMNS and report.empty
    assert "Geen fouten" in (tmp_path / "rapport" / "validatie.txt").read_text()
    assert not (folder / "validatie").exists()


def test_cli_invalid_extract_exits_1_with_report(tmp_path, capsys):
    tables = minimal_tables()
    both(setv("leerlingen", 1, "leerling_id", "12"), setv("tlv", 0, "soort", "XX"))(tables)
    folder = write_extract(tmp_path, tables)
    report_dir = tmp_path / "rapport"
    rc, out, err = _validate_cli(capsys, folder, "--report", str(report_dir))
    assert rc == 1
    assert "extract ongeldig" in err and "Traceback" not in err
    report = pd.read_csv(report_dir / "validatie.csv", dtype=str, keep_default_na=False)
    assert list(report.columns) == FAILURE_COLUMNS
    rows = set(map(tuple, report[["table", "column", "rule", "row", "value"]].values.tolist()))
    assert ("leerlingen", "leerling_id", matches(models.LEERLING_ID), "2", "12") in rows
    assert ("tlv", "soort", isin(models.TLV_SOORTEN), "1", "XX") in rows
    # the pupil "12" no longer exists: its inschrijving and tlv references fail too
    assert ("inschrijvingen", "leerling_id", REF_LEERLING, "3", L2) in rows
    text = (report_dir / "validatie.txt").read_text()
    assert "leerlingen.leerling_id" in text and "rij 2: '12'" in text and "tlv.soort" in text


def test_report_summary_lists_first_rows_only(tmp_path, capsys):
    tables = minimal_tables()
    tables["leerlingen"]["pc4_woonadres"] = "abc"
    folder = write_extract(tmp_path, tables)
    rc, _, _ = _validate_cli(capsys, folder, "--report", str(tmp_path / "r1"))
    text = (tmp_path / "r1" / "validatie.txt").read_text()
    assert rc == 1 and "5 fout(en)" in text and "rij 5" in text
    tables["leerlingen"] = pd.concat([tables["leerlingen"]] * 2, ignore_index=True)
    tables["leerlingen"]["leerling_id"] = [f"{i:09d}" for i in range(10)]
    folder = write_extract(tmp_path, tables, name="groter")
    _validate_cli(capsys, folder, "--report", str(tmp_path / "r2"))
    text = (tmp_path / "r2" / "validatie.txt").read_text()
    assert "... en nog 5" in text and "rij 6" not in text


def test_cli_format_error_still_writes_report(tmp_path, capsys):
    folder = write_extract(tmp_path, minimal_tables())
    (folder / "extract.json").unlink()
    rc, _, _ = _validate_cli(capsys, folder, "--report", str(tmp_path / "rapport"))
    report = pd.read_csv(tmp_path / "rapport" / "validatie.csv", dtype=str, keep_default_na=False)
    assert rc == 1 and report["rule"].tolist() == ["bestandsformaat"] and "ontbreekt" in report["value"][0]


def test_load_valid_extract(tmp_path):
    ex = load_valid_extract(write_extract(tmp_path, minimal_tables()))
    assert len(ex.inschrijvingen) == 6


def test_load_valid_extract_raises_with_report(tmp_path):
    folder = write_extract(tmp_path, minimal_tables() | {"bekostiging": minimal_tables()["bekostiging"].assign(bedrag="1.001")})
    with pytest.raises(InvalidExtractError) as info:
        load_valid_extract(folder, report_dir=tmp_path / "rapport")
    assert triples(info.value.failures) == {("bekostiging", "bedrag", "at most 2 decimals")}
    assert "bekostiging.bedrag" in info.value.report_text
    assert (tmp_path / "rapport" / "validatie.csv").exists()


def test_load_valid_extract_raises_on_format_error(tmp_path):
    folder = write_extract(tmp_path, minimal_tables())
    (folder / "vestigingen.csv").write_text("vestiging_code\n01AB01\n")
    with pytest.raises(InvalidExtractError) as info:
        load_valid_extract(folder)
    assert info.value.failures["table"].tolist() == ["vestigingen"]
    assert isinstance(info.value.__cause__, ExtractFormatError)


def test_extract_json_stand_per_drives_the_birth_rule(tmp_path):
    tables = minimal_tables()
    folder = write_extract(tmp_path, tables, stand_per="2024-12-05")
    failures = validate_extract(read_extract(folder))
    assert triples(failures) == {("leerlingen", "geboortedatum", "not after stand_per (2024-12-05)")}
    assert json.loads((folder / "extract.json").read_text())["stand_per"] == "2024-12-05"


def test_models_validate_frames_on_their_own(tmp_path):
    # the pandera models are usable without schemas.validate (e.g. on a hand-made frame)
    ex = read_extract(write_extract(tmp_path, minimal_tables()))
    for table, model in models.MODELS.items():
        model.validate(ex.table(table), lazy=True)
    broken = ex.tlv.assign(categorie=None)
    with pytest.raises(pa_errors.SchemaErrors) as info:
        models.Tlv.validate(broken, lazy=True)
    assert "categorie required for SO/VSO, null for SBAO" in set(info.value.failure_cases["check"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_table_with_header_only_is_valid(tmp_path, fmt):
    tables = minimal_tables()
    tables["cvi_indicaties"] = tables["cvi_indicaties"].iloc[:0]
    ex = read_extract(write_extract(tmp_path, tables, fmt=fmt))
    assert ex.cvi_indicaties.empty and str(ex.cvi_indicaties["begindatum"].dtype) == "datetime64[ns]"
    assert validate_extract(ex).empty


def test_format_error_keeps_its_lines_across_processes():
    import pickle
    exc = pickle.loads(pickle.dumps(ExtractFormatError("a.csv: kapot", "b.csv: ook kapot")))
    assert exc.problems == ["a.csv: kapot", "b.csv: ook kapot"] and str(exc) == "a.csv: kapot\nb.csv: ook kapot"
