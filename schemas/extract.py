"""The source extract as frames: table definitions, the `Extract` container and the reader.

The column lists mirror ../shared/spec/input-contract.md. Dates are read as pandas
datetime64[ns]; `decimal` columns as float64; every other column as a Python-object string
column (null = None/NaN). Reading only checks the file format (existence, parse-ability,
column names and types, date syntax); every file is read, and one `ExtractFormatError` names
each file that failed, one line per file (its columns' problems on that line); the contract
rules themselves live in `schemas.models` / `schemas.validate`, which report every failure at once.

Both CSV and Parquet are read through pyarrow: it is several times faster than pandas' own
CSV parser on national-size tables, and Parquet dates can be cast to datetime64 in Arrow
instead of going through Python `datetime.date` objects.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from schemas.bounds import LINK, junk_problem, table_file_problem

# table -> {column: kind}; kind is "str" or "date" (or "decimal").
TABLES: dict[str, dict[str, str]] = {
    "samenwerkingsverbanden": {
        "swv_code": "str", "naam": "str", "sector": "str",
        "adres": "str", "postcode": "str", "plaats": "str",
    },
    "regio_indeling": {"pc4": "str", "gemeente": "str", "swv_po": "str", "swv_vo": "str"},
    "vestigingen": {
        "vestiging_code": "str", "naam": "str", "soort": "str", "kernsoort": "str",
        "swv_code": "str", "plaats": "str",
    },
    "leerlingen": {
        "leerling_id": "str", "bsn_laatste4": "str", "geboortedatum": "date", "pc4_woonadres": "str",
    },
    "inschrijvingen": {
        "inschrijving_id": "str", "leerling_id": "str", "vestiging_code": "str",
        "begindatum": "date", "einddatum": "date", "bekostigd": "str", "residentieel": "str",
        "lwoo": "str", "pro": "str", "vavo": "str",
    },
    "tlv": {
        "tlv_nummer": "str", "leerling_id": "str", "swv_code": "str", "soort": "str",
        "categorie": "str", "afgiftedatum": "date", "begindatum": "date", "einddatum": "date",
    },
    "cvi_indicaties": {
        "cvi_nummer": "str", "leerling_id": "str", "soort_indicatie": "str",
        "begindatum": "date", "einddatum": "date",
    },
    "bekostiging": {"swv_code": "str", "onderdeel": "str", "bedrag": "decimal", "vastgesteld_op": "date"},
}
OPTIONAL_TABLES = {"bekostiging"}
TABLE_SUFFIXES = (".parquet", ".csv")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# datetime64[ns] covers 1677-09-21 .. 2262-04-11; keep to whole years inside that range.
_MIN_DATE, _MAX_DATE = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")


class ExtractFormatError(Exception):
    """Files of the extract that cannot be read as the contract's tables: `problems` holds one line
    per file, naming it; str() is those lines."""

    def __init__(self, *problems: str):
        super().__init__(*problems)  # as args: a pickled copy (another process) keeps one line per file
        self.problems = list(problems)

    def __str__(self) -> str:
        return "\n".join(self.problems)


@dataclass
class Extract:
    stand_per: date
    bron: str
    samenwerkingsverbanden: pd.DataFrame
    regio_indeling: pd.DataFrame
    vestigingen: pd.DataFrame
    leerlingen: pd.DataFrame
    inschrijvingen: pd.DataFrame
    tlv: pd.DataFrame
    cvi_indicaties: pd.DataFrame
    bekostiging: pd.DataFrame
    path: Path | None = None
    # sha256 over extract.json and all table files: the extract's identity (idempotency keys).
    identity: str = ""
    meta: dict = field(default_factory=dict)
    # What counting derives from these tables once and reuses for as long as this Extract lives, by
    # name: "leerling_ids_arrow" (tasks/rules.py), "k3_posities" (tasks/kijkglas_3.py). Not compared,
    # not shown, not carried over by dataclasses.replace (a replaced Extract may hold other tables).
    derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)


def empty_table(name: str) -> pd.DataFrame:
    cols = TABLES[name]
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if k == "date" else ("float64" if k == "decimal" else object))
                         for c, k in cols.items()})


def table_file(folder: Path, name: str) -> Path | None:
    for ext in TABLE_SUFFIXES:
        p = folder / f"{name}{ext}"
        if p.exists():
            return p
    return None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


# --- reading the raw file into an Arrow table ------------------------------------------------

def _check_column_names(path: Path, name: str, names: list[str]) -> None:
    cols = TABLES[name]
    duplicate = sorted({c for c in names if names.count(c) > 1})
    unknown = [c for c in names if c not in cols]
    missing = [c for c in cols if c not in names]
    parts = []
    if duplicate:
        parts.append("dubbele kolom(men) " + ", ".join(duplicate))
    if unknown:
        parts.append("onbekende kolom(men) " + ", ".join(map(repr, unknown)))
    if missing:
        parts.append("ontbrekende kolom(men) " + ", ".join(missing))
    if parts:
        raise ExtractFormatError(f"{path}: " + "; ".join(parts) + f" (tabel {name} heeft: {', '.join(cols)})")


def _read_csv(path: Path, name: str) -> pa.Table:
    # Every contract column as text: dates and numbers are parsed below with our own messages,
    # and identifiers keep their leading zeros. Only an empty field is null ("NA" is a value).
    convert = pa_csv.ConvertOptions(
        column_types={c: pa.string() for c in TABLES[name]},
        null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
    )
    parse = pa_csv.ParseOptions(delimiter=",", newlines_in_values=True)
    try:
        table = pa_csv.read_csv(path, parse_options=parse, convert_options=convert)
        names = table.column_names  # decoded lazily: a binary file fails only here
    except Exception as exc:  # any parser failure -> one line naming the file
        why = _wrong_field_count(path, parse) or _one_line(exc)
        raise ExtractFormatError(f"{path}: niet te lezen als CSV ({why})") from None
    _check_column_names(path, name, names)
    return table


def _wrong_field_count(path: Path, parse: pa_csv.ParseOptions) -> str | None:
    """Which data row has too many or too few fields (a multi-threaded read cannot tell)."""
    rows: list = []

    def note(row):
        rows.append(row)
        return "error"

    options = pa_csv.ParseOptions(delimiter=parse.delimiter, newlines_in_values=parse.newlines_in_values,
                                  invalid_row_handler=note)
    try:
        pa_csv.read_csv(path, read_options=pa_csv.ReadOptions(use_threads=False), parse_options=options)
    except Exception:
        pass
    if not rows or rows[0].number is None:
        return None
    row = rows[0]
    return f"rij {row.number - 1} heeft {row.actual_columns} velden, de kopregel heeft er {row.expected_columns}"


def _read_parquet(path: Path, name: str) -> pa.Table:
    try:
        schema = pq.read_schema(path)
        _check_column_names(path, name, schema.names)
        return pq.read_table(path, columns=list(TABLES[name]))
    except ExtractFormatError:
        raise
    except Exception as exc:
        raise ExtractFormatError(f"{path}: niet te lezen als Parquet ({_one_line(exc)})") from None


# --- converting each column to its pandas form ------------------------------------------------

def _bad_value(path: Path, column: str, bad: np.ndarray, shown, what: str) -> ExtractFormatError:
    """The error for the first bad row; `shown(i)` gives the value at position i as the user wrote it."""
    positions = np.flatnonzero(bad)
    i = int(positions[0])
    more = f" (en nog {len(positions) - 1})" if len(positions) > 1 else ""
    return ExtractFormatError(f"{path}: kolom {column} rij {i + 1}: {shown(i)!r} is geen {what}{more}")


def _check_date_range(path: Path, column: str, values: np.ndarray, shown) -> None:
    present = ~np.isnat(values)
    bad = present & ((values < _MIN_DATE.to_datetime64()) | (values > _MAX_DATE.to_datetime64()))
    if bad.any():
        raise _bad_value(path, column, bad, shown,
                         f"datum tussen {_MIN_DATE.year} en {_MAX_DATE.year} (laat het veld leeg voor 'geen einde')")


def _parse_iso_dates(path: Path, column: str, arr: pa.ChunkedArray) -> np.ndarray:
    """Text -> datetime64[D]; each distinct value is parsed once (dates repeat a lot)."""
    encoded = pc.dictionary_encode(arr.combine_chunks())
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    parsed = np.array([_iso_day(v) for v in encoded.dictionary.to_pylist()], dtype="datetime64[D]")
    ok = np.append(~np.isnat(parsed), True)  # position -1 = null: fine
    shown = lambda i: arr[i].as_py()  # noqa: E731
    if not ok.all():
        raise _bad_value(path, column, ~ok[codes], shown, "datum (JJJJ-MM-DD)")
    return np.append(parsed, np.datetime64("NaT"))[codes]


def _iso_day(text: str) -> np.datetime64:
    """'2024-10-01' as a day; NaT if it is not exactly YYYY-MM-DD or not a calendar day.

    Python's date (not pandas) parses it, so that 9999-12-31 is read and then reported as out
    of range rather than as 'not a date'.
    """
    if _ISO_DATE.fullmatch(text) is None:
        return np.datetime64("NaT")
    try:
        return np.datetime64(date.fromisoformat(text), "D")
    except ValueError:
        return np.datetime64("NaT")


def _date_column(path: Path, column: str, arr: pa.ChunkedArray) -> pa.Array:
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        values = _parse_iso_dates(path, column, arr)
        shown = lambda i: arr[i].as_py()  # noqa: E731
    elif pa.types.is_null(t):  # a Parquet column with only nulls
        values = np.full(len(arr), np.datetime64("NaT"), dtype="datetime64[D]")
        shown = str
    elif pa.types.is_date(t):
        values = arr.cast(pa.date32()).to_numpy().astype("datetime64[D]")
        shown = lambda i: str(values[i])  # noqa: E731
    elif pa.types.is_timestamp(t) and t.tz is None:
        values = arr.to_numpy()
        shown = lambda i: str(values[i])  # noqa: E731
        not_day = ~np.isnat(values) & (values != values.astype("datetime64[D]"))
        if not_day.any():
            raise _bad_value(path, column, not_day, shown, "datum (er staat een tijdstip in)")
    else:
        raise ExtractFormatError(f"{path}: kolom {column} heeft type {t}, verwacht: datum")
    # Check the range before converting: 9999-12-31 does not fit in datetime64[ns].
    _check_date_range(path, column, values, shown)
    return pa.array(values.astype("datetime64[ns]"), from_pandas=True)


def _decimal_column(path: Path, column: str, arr: pa.ChunkedArray) -> pa.ChunkedArray:
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        s = arr.to_pandas()
        parsed = pd.to_numeric(s, errors="coerce")
        bad = (s.notna() & parsed.isna()).to_numpy()
        if bad.any():
            raise _bad_value(path, column, bad, s.iloc.__getitem__, "getal")
        return pa.array(parsed.to_numpy(dtype="float64"), from_pandas=True)
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_null(t):
        return arr.cast(pa.float64())
    raise ExtractFormatError(f"{path}: kolom {column} heeft type {t}, verwacht: getal")


def _str_column(path: Path, column: str, arr: pa.ChunkedArray) -> pa.ChunkedArray:
    t = arr.type
    if pa.types.is_dictionary(t):
        arr, t = arr.cast(t.value_type), t.value_type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)):
        # Not converted: an identifier stored as a number has already lost its leading zeros.
        raise ExtractFormatError(f"{path}: kolom {column} heeft type {t}, verwacht: tekst (string)")
    return arr


def _mostly_distinct(arr: pa.ChunkedArray, sample: int = 10_000) -> bool:
    head = arr.slice(0, sample)
    return len(head) > 0 and pc.count_distinct(head).as_py() > len(head) // 2


def _to_pandas(table: pa.Table, deduplicate: bool) -> pd.DataFrame:
    return table.to_pandas(split_blocks=True, deduplicate_objects=deduplicate)


def _to_frame(path: Path, name: str, table: pa.Table) -> pd.DataFrame:
    """Convert each column to its contract type in Arrow, then the table to pandas.

    Identifier columns (nearly every value distinct) are converted without pyarrow's string
    deduplication, which costs ~1 s per million-row column and saves nothing there; columns
    with repeating values (codes, flags) keep it, so their rows share one string object.
    """
    convert = {"str": _str_column, "date": _date_column, "decimal": _decimal_column}
    cols = TABLES[name]
    columns, problems = [], []
    for c, kind in cols.items():  # every column's problem, on the file's one line
        try:
            columns.append(convert[kind](path, c, table.column(c)))
        except ExtractFormatError as exc:
            problems += [p.removeprefix(f"{path}: ") for p in exc.problems]
    if problems:
        raise ExtractFormatError(f"{path}: " + "; ".join(problems))
    converted = pa.table(columns, names=list(cols))
    distinct = [c for c, kind in cols.items() if kind == "str" and _mostly_distinct(converted.column(c))]
    parts = [_to_pandas(converted.select(distinct), deduplicate=False),
             _to_pandas(converted.drop_columns(distinct), deduplicate=True)]
    # assemble in contract order without pandas consolidating (copying) the columns
    frame = pd.DataFrame(index=pd.RangeIndex(converted.num_rows))
    for c in cols:
        frame[c] = next(part[c] for part in parts if c in part.columns).to_numpy()
    return frame


def _read_table(path: Path, name: str) -> pd.DataFrame:
    problem = table_file_problem(path, name)  # a link, or far beyond the contract's size: not parsed
    if problem:
        raise ExtractFormatError(f"{path}: {problem}")
    table = _read_parquet(path, name) if path.suffix == ".parquet" else _read_csv(path, name)
    problem = junk_problem(name, table)  # millions of junk rows: not converted, not validated
    if problem:
        raise ExtractFormatError(f"{path}: {problem}")
    return _to_frame(path, name, table)


# --- the extract -------------------------------------------------------------------------------

_IDENTITIES: dict[tuple, str] = {}


def extract_identity(folder: Path) -> str:
    """sha256 over extract.json and the table files; computed once per folder state (names, sizes
    and modification times), since a production asks for it several times (report folder, keys)."""
    folder = Path(folder)
    # a link is refused by the reader; never read through it (it may point at anything)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink()
                   and (p.name == "extract.json" or p.stem in TABLES))
    state = (str(folder.resolve()), tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if state not in _IDENTITIES:
        if len(_IDENTITIES) > 64:
            _IDENTITIES.clear()
        _IDENTITIES[state] = _hash_files(files)
    return _IDENTITIES[state]


def _hash_files(files: list[Path]) -> str:
    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode())
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def read_extract_meta(folder: Path) -> dict:
    folder = Path(folder)
    meta_path = folder / "extract.json"
    if not folder.exists():
        raise ExtractFormatError(f"{folder}: extractmap bestaat niet")
    if not folder.is_dir():
        raise ExtractFormatError(f"{folder}: geen map (een extract is een map met extract.json en de tabellen)")
    if meta_path.is_symlink():
        raise ExtractFormatError(f"{meta_path}: {LINK}")
    if not meta_path.exists():
        raise ExtractFormatError(f"{meta_path}: ontbreekt (elk extract heeft een extract.json met stand_per)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        stand_per = date.fromisoformat(meta["stand_per"])
    except Exception as exc:
        expected = '{"stand_per": "JJJJ-MM-DD", "bron": "ROD"}'
        raise ExtractFormatError(f"{meta_path}: ongeldig ({_one_line(exc)}); verwacht {expected}") from None
    return {**meta, "stand_per": stand_per}


def _table_file_problems(folder: Path) -> dict[str, str]:
    """A misspelt or doubled table file must not be silently ignored (like an unknown column):
    {file or table name: its one-line problem}."""
    problems = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix in TABLE_SUFFIXES and p.stem not in TABLES:
            problems[p.name] = f"{p}: onbekend tabelbestand (verwacht een van: {', '.join(TABLES)})"
    for name in TABLES:
        if all((folder / f"{name}{ext}").exists() for ext in TABLE_SUFFIXES):
            problems[name] = f"{folder / name}.csv: zowel {name}.csv als {name}.parquet aanwezig; houd er één"
    return problems


def read_extract(folder: str | Path) -> Extract:
    """Read every table of an extract folder. Raises one ExtractFormatError naming every file that
    cannot be read (one line per file); a folder without a valid extract.json stops at once."""
    folder = Path(folder)
    meta = read_extract_meta(folder)
    problems = _table_file_problems(folder)
    frames = {}
    for name in TABLES:
        p = table_file(folder, name)
        if name in problems:  # csv and parquet both there: neither is read
            continue
        if p is None and name in OPTIONAL_TABLES:
            frames[name] = empty_table(name)
        elif p is None:
            problems[name] = f"{folder / (name + '.csv')}: ontbreekt (verplichte tabel {name}, als .csv of .parquet)"
        else:
            try:
                frames[name] = _read_table(p, name)
            except ExtractFormatError as exc:
                problems[name] = "; ".join(exc.problems)
    if problems:
        raise ExtractFormatError(*problems.values())
    return Extract(stand_per=meta["stand_per"], bron=str(meta.get("bron", "")), path=folder,
                   identity=extract_identity(folder), meta=meta, **frames)
