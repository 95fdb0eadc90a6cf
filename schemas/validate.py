"""Check an extract against every rule of the input contract, all at once, and report.

`validate_extract` runs the per-table pandera models of `schemas.models` (lazily: every
failure, not the first) plus the rules between tables, and returns one frame of failures
`table, column, rule, row, value` (row = 1-based data row in the file). `write_report` turns it
into `validatie.csv` + `validatie.txt`; `check_extract_folder` is what `kijkglas validate` reports;
`load_valid_extract` is what the pipeline uses so that bad input publishes nothing.

Bounded (issue 25): a rule keeps its first LISTED_PER_RULE failures, in memory as in the report, and
counts the rest (`Validation.totals`), so a table of millions of wrong rows gives a report of
megabytes, not gigabytes.

Everything here is vectorised: the national extract (~2.5 M leerlingen, ~3.5 M inschrijvingen)
must validate in seconds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from core.files import atomic_write
from core.spreadsheet_text import csv_safe_frame
from schemas.extract import TABLES, Extract, ExtractFormatError, read_extract, table_file
from schemas.models import (
    LISTED_PER_RULE,
    SO_VSO,
    TLV_SWV_SECTOR,
    VESTIGING_SWV_SECTOR,
    hash_values,
    row_rule_failures,
    schema_for,
)

FAILURE_COLUMNS = ["table", "column", "rule", "row", "value"]
REPORT_CSV = "validatie.csv"
REPORT_TXT = "validatie.txt"
EXAMPLES_PER_RULE = 5
RULE_KEY = ["table", "column", "rule"]
TOTAL = "total"  # while collecting: how many failures the row's rule has in all (it lists LISTED_PER_RULE)
VALUE_SHOWN = 200  # characters of a failing value the report shows (a hostile value may be huge)

# pandera's internal check names -> the names the report uses
_PANDERA_RULES = {"field_uniqueness": "unique", "column_in_schema": "unknown column",
                  "column_in_dataframe": "missing column"}

OVERLAP_RULE = "no overlapping inschrijvingen"


class InvalidExtractError(Exception):
    """The extract breaks the input contract (or cannot be read); nothing may be computed from it."""

    def __init__(self, report_text: str, failures: pd.DataFrame, totals: pd.Series | None = None):
        super().__init__(report_text)
        self.report_text = report_text
        self.failures = failures  # the listed failures: at most LISTED_PER_RULE of a rule
        self.totals = rule_totals(failures) if totals is None else totals


# --- the failure frame ---------------------------------------------------------------------------

def empty_failures() -> pd.DataFrame:
    return pd.DataFrame({"table": pd.Series(dtype=object), "column": pd.Series(dtype=object),
                         "rule": pd.Series(dtype=object), "row": pd.Series(dtype="Int64"),
                         "value": pd.Series(dtype=object)})


def format_value(value) -> str:
    """A failing value as the report shows it: dates as ISO dates, null as empty."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)


def format_values(values) -> np.ndarray:
    """`format_value` for many values; text (nearly always the case) is passed through as it is."""
    s = pd.Series(values, dtype=object)
    if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return s.fillna("").to_numpy(dtype=object)
    return s.map(format_value).to_numpy(dtype=object)


def failures_frame(table: str, column: str, rule: str, rows, values, total: int | None = None) -> pd.DataFrame:
    """Failures of one rule; `rows` are frame index labels (0-based), `values` what was found. The
    first LISTED_PER_RULE are kept; `total` (default: all of `rows`) is how many there are."""
    rows = np.asarray(rows)
    total = len(rows) if total is None else total
    rows, values = rows[:LISTED_PER_RULE], values[:LISTED_PER_RULE]
    return pd.DataFrame({
        "table": table, "column": column, "rule": rule,
        "row": pd.array(rows + 1 if len(rows) else [], dtype="Int64"),
        "value": format_values(values), TOTAL: total,
    })


def mask_failures(table: str, frame: pd.DataFrame, column: str, rule: str, fails, values=None) -> pd.DataFrame:
    """Failures where boolean `fails` is True, showing `values` (default: the column) for those rows."""
    positions = np.flatnonzero(np.asarray(fails, dtype=bool))
    listed = positions[:LISTED_PER_RULE]
    shown = (frame[column] if values is None else values).iloc[listed]
    return failures_frame(table, column, rule, frame.index[listed], shown.to_numpy(dtype=object), len(positions))


def concat_failures(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts as one frame; while collecting it keeps the TOTAL column (see `Validation`)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_failures()
    out = pd.concat(parts, ignore_index=True)
    out["row"] = out["row"].astype("Int64")
    return out[FAILURE_COLUMNS + ([TOTAL] if TOTAL in out.columns else [])]


def rule_totals(failures: pd.DataFrame) -> pd.Series:
    """How many failures each rule has, by (table, column, rule) in the frame's order: the TOTAL
    column while collecting, else the listed rows counted."""
    groups = failures.groupby(RULE_KEY, sort=False, dropna=False)
    return (groups[TOTAL].max() if TOTAL in failures.columns else groups.size()).astype(np.int64)


# --- per-table rules (pandera) ---------------------------------------------------------------------

def _rule_name(check) -> str:
    text = str(check)
    return _PANDERA_RULES.get(text, text)


def _pandera_totals(errors) -> dict[tuple[str, str], int]:
    """(column, check) -> how many values failed, from each check's full verdict: pandera itself keeps
    only the first LISTED_PER_RULE failure cases of a check (schemas.models.schema_for)."""
    totals = {}
    for err in errors:
        check, verdict = err.check, err.check_output
        if check is None or not isinstance(verdict, pd.Series) or verdict.dtype != bool:
            continue
        name = check if isinstance(check, str) else (check.error or check.name or str(check))
        column = err.column_name if err.column_name is not None else err.schema.name
        totals[(str(column), str(name))] = int((~verdict).sum())
    return totals


def failures_from_pandera(table: str, frame: pd.DataFrame, cases: pd.DataFrame, errors=()) -> pd.DataFrame:
    """pandera's `failure_cases` in the report format; a failed row rule is expanded to its rows.
    `errors` (pandera's SchemaErrors.schema_errors) give the totals of the checks pandera cut short."""
    parts = []
    row_rule = pd.Series(False, index=cases.index)
    for rule in pd.unique(cases["check"].astype(str)):
        try:
            found = row_rule_failures(table, rule, frame)
        except Exception:  # pandera has already reported why the rule could not be evaluated
            continue
        if found is not None:
            column, fails = found
            parts.append(mask_failures(table, frame, column, rule, fails))
            row_rule |= cases["check"].astype(str) == rule
    rest = cases[~row_rule]
    if len(rest):
        column = rest["column"].where(rest["column"].notna(), rest["failure_case"]).astype(str)
        check = rest["check"].astype(str)
        codes, rules = pd.factorize(pd.MultiIndex.from_arrays([column, check]))
        counted = np.bincount(codes)  # pandera lists every failure of its own checks (not_nullable)
        cut_short = _pandera_totals(errors)
        total = np.maximum(counted, [cut_short.get(rule, 0) for rule in rules])[codes]
        listed = pd.Series(codes).groupby(codes).cumcount().to_numpy() < LISTED_PER_RULE
        rest, column = rest.assign(**{TOTAL: total})[listed], column[listed]
        parts.append(pd.DataFrame({
            "table": table,
            "column": column.to_numpy(),
            "rule": rest["check"].map({c: _rule_name(c) for c in pd.unique(rest["check"])}).to_numpy(),
            "row": pd.array(pd.to_numeric(rest["index"], errors="coerce") + 1, dtype="Int64"),
            "value": format_values(rest["failure_case"].to_numpy(dtype=object)),
            TOTAL: rest[TOTAL].to_numpy(),
        }))
    return concat_failures(parts)


def table_failures(table: str, frame: pd.DataFrame, stand_per: date) -> pd.DataFrame:
    """Every failure of the table's own rules (its pandera model)."""
    try:
        # inplace: the model never coerces, so skip pandera's defensive copy of the frame
        schema_for(table, stand_per).validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        return failures_from_pandera(table, frame, exc.failure_cases, exc.schema_errors)
    return empty_failures()


# --- rules between tables --------------------------------------------------------------------------

NULL = -2  # Keys.positions of a null value
ABSENT = -1  # Keys.positions of a value that is not a key


class Keys:
    """The non-null values of a key column, indexed once for many exact lookups.

    A large key column (leerling_id) is looked up through 64-bit hashes: an int64 hash table
    is several times faster than one of Python strings on millions of rows. Every hit is then
    compared as a string, and a value whose hit does not compare equal (a hash collision) is
    looked up exactly on the strings. Small key columns are looked up on the strings directly.
    """

    HASHED_FROM = 100_000

    def __init__(self, values: pd.Series):
        self.values = values.to_numpy(dtype=object)
        self.hashed = len(self.values) >= self.HASHED_FROM
        rows = np.flatnonzero(pd.notna(self.values))
        keys = hash_values(self.values[rows]) if self.hashed else self.values[rows]
        first = ~pd.Series(keys).duplicated().to_numpy()
        self.rows, self.index = rows[first], pd.Index(keys[first])
        self._exact: Keys | None = None

    def positions(self, values: pd.Series) -> np.ndarray:
        """Row (position in the key column) holding each value; ABSENT if none, NULL for null."""
        wanted = values.to_numpy(dtype=object)
        found = np.full(len(wanted), NULL, dtype=np.int64)
        present = np.flatnonzero(pd.notna(wanted))
        if not self.hashed:
            hit = self.index.get_indexer(wanted[present])
            found[present] = np.where(hit >= 0, self.rows[hit], ABSENT)
            return found
        hit = self.index.get_indexer(hash_values(wanted[present]))
        rows = np.where(hit >= 0, self.rows[hit], ABSENT)
        equal = (rows >= 0) & (self.values[rows] == wanted[present])
        found[present] = np.where(equal, rows, ABSENT)
        collided = present[(rows >= 0) & ~equal]
        if len(collided):
            found[collided] = self.exact().positions(values.iloc[collided])
        return found

    def exact(self) -> Keys:
        """The same keys looked up on the strings themselves (for the rare hash collision)."""
        if self._exact is None:
            self._exact = Keys.__new__(Keys)
            self._exact.values, self._exact.hashed = self.values, False
            rows = np.flatnonzero(pd.notna(self.values))
            first = ~pd.Series(self.values[rows]).duplicated().to_numpy()
            self._exact.rows, self._exact.index = rows[first], pd.Index(self.values[rows[first]])
        return self._exact

    def __len__(self) -> int:
        return len(self.values)


def reference_failures(table: str, frame: pd.DataFrame, column: str, target: str, keys: Keys | np.ndarray) -> pd.DataFrame:
    """Non-null values of `column` that do not occur in `target`; `keys` may be the looked-up rows already."""
    rows = keys.positions(frame[column]) if isinstance(keys, Keys) else keys
    missing = rows == ABSENT
    return mask_failures(table, frame, column, f"references {target}", missing)


def lookup(values: pd.Series, keys: pd.Series, attribute: pd.Series) -> pd.Series:
    """`attribute` of the row whose key equals each value (first one if the key is duplicated); NaN if none."""
    first = ~keys.duplicated()
    mapping = pd.Series(attribute[first].to_numpy(), index=keys[first].to_numpy())
    return values.map(mapping)


def sector_failures(table: str, frame: pd.DataFrame, column: str, expected: pd.Series, swv: pd.DataFrame,
                    rule: str) -> pd.DataFrame:
    """The SWV in `column` must have the sector in `expected` (rows without a known SWV or expectation are skipped)."""
    actual = lookup(frame[column], swv["swv_code"], swv["sector"])
    fails = actual.notna() & expected.notna() & (actual != expected)
    return mask_failures(table, frame, column, rule, fails)


def regio_failures(ex: Extract, swv_keys: Keys) -> list[pd.DataFrame]:
    regio, swv = ex.regio_indeling, ex.samenwerkingsverbanden
    parts = []
    for column, sector in (("swv_po", "PO"), ("swv_vo", "VO")):
        parts.append(reference_failures("regio_indeling", regio, column, "samenwerkingsverbanden.swv_code", swv_keys))
        expected = pd.Series(sector, index=regio.index)
        parts.append(sector_failures("regio_indeling", regio, column, expected, swv, f"a {sector} swv_code"))
    return parts


def vestiging_failures(ex: Extract, swv_keys: Keys) -> list[pd.DataFrame]:
    vest = ex.vestigingen
    expected = vest["soort"].map(VESTIGING_SWV_SECTOR)
    return [
        reference_failures("vestigingen", vest, "swv_code", "samenwerkingsverbanden.swv_code", swv_keys),
        sector_failures("vestigingen", vest, "swv_code", expected, ex.samenwerkingsverbanden,
                        "swv sector matches soort (PO for BAO/SBAO/SO, VO for VSO/VO)"),
    ]


def tlv_failures(ex: Extract, swv_keys: Keys, pupil_keys: Keys) -> list[pd.DataFrame]:
    tlv = ex.tlv
    expected = tlv["soort"].map(TLV_SWV_SECTOR)
    return [
        reference_failures("tlv", tlv, "leerling_id", "leerlingen.leerling_id", pupil_keys),
        reference_failures("tlv", tlv, "swv_code", "samenwerkingsverbanden.swv_code", swv_keys),
        sector_failures("tlv", tlv, "swv_code", expected, ex.samenwerkingsverbanden,
                        "issuing swv sector matches soort (PO for SO/SBAO, VO for VSO)"),
    ]


def flag_failures(ins: pd.DataFrame, soort: pd.Series) -> list[pd.DataFrame]:
    """residentieel is filled exactly at SO/VSO vestigingen, lwoo/pro/vavo exactly at VO vestigingen."""
    known = soort.notna()  # an unknown vestiging is reported as a reference failure instead
    parts = []
    for column, soorten, where in (("residentieel", SO_VSO, "SO/VSO"), ("lwoo", ["VO"], "VO"),
                                   ("pro", ["VO"], "VO"), ("vavo", ["VO"], "VO")):
        fails = known & (soort.isin(soorten) != ins[column].notna())
        parts.append(mask_failures("inschrijvingen", ins, column, f"required at {where} vestigingen, null elsewhere", fails))
    return parts


DAY_SPAN = 4_000_000  # pupil * DAY_SPAN + day orders by pupil first: days (offset) stay in 0 .. DAY_SPAN
DAY_OFFSET = 1_000_000  # datetime64[ns] days run from about -106 000 to 106 000


def overlap_mask(pupil: np.ndarray, begin: pd.Series, end: pd.Series) -> np.ndarray:
    """True for every registration that overlaps (by at least a day) another one of the same pupil.

    Sort by (pupil, begin). A registration overlaps an earlier one iff it begins on or before
    the latest end among the pupil's earlier registrations (a running maximum), and overlaps a
    later one iff its end is on or after the next registration's begin (begins are sorted, so
    the next begin is the earliest later one). Ends are inclusive; a null end is open.
    `pupil` holds non-negative integer codes; rows without a begindatum are left out.
    """
    flagged = np.zeros(len(pupil), dtype=bool)
    dated = np.flatnonzero(begin.notna().to_numpy())  # a missing begindatum is its own failure
    if len(dated) < 2:
        return flagged
    begin_day = begin.to_numpy("datetime64[ns]")[dated].astype("datetime64[D]").astype(np.int64) + DAY_OFFSET
    end_raw = end.to_numpy("datetime64[ns]")[dated]
    end_day = np.where(np.isnat(end_raw), DAY_SPAN - 1, end_raw.astype("datetime64[D]").astype(np.int64) + DAY_OFFSET)
    group = pupil[dated].astype(np.int64) * DAY_SPAN
    # one int64 key instead of np.lexsort: several times faster on millions of rows
    order = np.argsort(group + begin_day, kind="stable")
    g, b, e = group[order], begin_day[order], end_day[order]
    same_as_prev = np.empty(len(g), dtype=bool)
    same_as_prev[0], same_as_prev[1:] = False, g[1:] == g[:-1]
    running_end = np.maximum.accumulate(g + e) - g  # latest end so far within the pupil
    overlaps_earlier = np.zeros(len(g), dtype=bool)
    overlaps_earlier[1:] = same_as_prev[1:] & (b[1:] <= running_end[:-1])
    overlaps_later = np.zeros(len(g), dtype=bool)
    overlaps_later[:-1] = same_as_prev[1:] & (e[:-1] >= b[1:])
    flagged[dated[order[overlaps_earlier | overlaps_later]]] = True
    return flagged


def pupil_codes(values: pd.Series, known: np.ndarray, n_known: int) -> np.ndarray:
    """An integer per distinct leerling_id: its row in leerlingen, or a number past them for an
    unknown id (whose overlaps are errors too); -1 for null."""
    codes = known.copy()
    unknown = np.flatnonzero(codes == ABSENT)
    if len(unknown):
        extra, _ = pd.factorize(values.iloc[unknown])
        codes[unknown] = extra + n_known
    codes[codes == NULL] = -1
    return codes


def overlap_failures(ins: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    """Every inschrijving that overlaps another of the same pupil (both are reported)."""
    dated = codes >= 0  # a null leerling_id is reported as not_nullable, not as an overlap
    flagged = np.zeros(len(ins), dtype=bool)
    flagged[dated] = overlap_mask(codes[dated], ins["begindatum"][dated], ins["einddatum"][dated])
    rows = np.flatnonzero(flagged)
    shown = ins.iloc[rows[:LISTED_PER_RULE]]  # only the listed ones are worded
    periods = (shown["leerling_id"].astype(str) + " " + shown["begindatum"].dt.strftime("%Y-%m-%d")
               + ".." + shown["einddatum"].dt.strftime("%Y-%m-%d").fillna("open"))
    return failures_frame("inschrijvingen", "leerling_id", OVERLAP_RULE, ins.index[rows[:LISTED_PER_RULE]],
                          periods.to_numpy(dtype=object), len(rows))


def inschrijving_failures(ex: Extract, pupil_keys: Keys) -> list[pd.DataFrame]:
    ins, vest = ex.inschrijvingen, ex.vestigingen
    vestiging_keys = Keys(vest["vestiging_code"])
    vestiging_rows = vestiging_keys.positions(ins["vestiging_code"])
    # the vestiging's soort per inschrijving (None where the vestiging is unknown or null)
    soort = pd.Series(np.append(vest["soort"].to_numpy(dtype=object), [None, None])[vestiging_rows], index=ins.index)
    pupil_rows = pupil_keys.positions(ins["leerling_id"])
    return [
        reference_failures("inschrijvingen", ins, "leerling_id", "leerlingen.leerling_id", pupil_rows),
        reference_failures("inschrijvingen", ins, "vestiging_code", "vestigingen.vestiging_code", vestiging_rows),
        *flag_failures(ins, soort),
        overlap_failures(ins, pupil_codes(ins["leerling_id"], pupil_rows, len(pupil_keys))),
    ]


def cross_table_failures(ex: Extract) -> pd.DataFrame:
    """Every failure of a rule that needs more than one table."""
    swv_keys = Keys(ex.samenwerkingsverbanden["swv_code"])
    pupil_keys = Keys(ex.leerlingen["leerling_id"])
    return concat_failures([
        *regio_failures(ex, swv_keys),
        *vestiging_failures(ex, swv_keys),
        *inschrijving_failures(ex, pupil_keys),
        *tlv_failures(ex, swv_keys, pupil_keys),
        reference_failures("cvi_indicaties", ex.cvi_indicaties, "leerling_id", "leerlingen.leerling_id", pupil_keys),
        reference_failures("bekostiging", ex.bekostiging, "swv_code", "samenwerkingsverbanden.swv_code", swv_keys),
    ])


@dataclass
class Validation:
    """What the contract's rules found: the failures listed (at most LISTED_PER_RULE of a rule, as
    `table, column, rule, row, value`) and how many each rule has in all."""
    failures: pd.DataFrame
    totals: pd.Series  # by (table, column, rule), in the order of `failures`


def validation(extract: Extract) -> Validation:
    """Every contract rule on the extract; empty failures = valid."""
    parts = [table_failures(name, extract.table(name), extract.stand_per) for name in TABLES]
    parts.append(cross_table_failures(extract))
    found = sort_failures(concat_failures(parts))
    return Validation(found[FAILURE_COLUMNS], rule_totals(found))


def validate_extract(extract: Extract) -> pd.DataFrame:
    """Every contract failure of the extract as `table, column, rule, row, value` (the first
    LISTED_PER_RULE of each rule); empty = valid."""
    return validation(extract).failures


def sort_failures(failures: pd.DataFrame) -> pd.DataFrame:
    """Contract order: by table and column as listed in the contract, then by row."""
    if failures.empty:
        return failures
    contract_order = [(t, c) for t, cols in TABLES.items() for c in cols]
    rank = {key: i for i, key in enumerate(contract_order)}
    rank |= {(t, ""): len(rank) + i for i, t in enumerate(TABLES)}  # failures about a whole file
    # rank the few distinct tables x columns, not every failure
    table_codes, tables = pd.factorize(failures["table"])
    column_codes, columns = pd.factorize(failures["column"])
    pair_rank = np.array([[rank.get((t, c), len(rank)) for c in columns] for t in tables], dtype=np.int64)
    rows = failures["row"].fillna(0).to_numpy(dtype=np.int64)
    order = np.lexsort((rows, pair_rank[table_codes, column_codes]))
    return failures.iloc[order].reset_index(drop=True)


# --- the report ------------------------------------------------------------------------------------

def format_failure(exc: ExtractFormatError) -> pd.DataFrame:
    """The unreadable files as a failure frame, one row per file (each problem starts with its path)."""
    tables, values = [], []
    for problem in exc.problems or [str(exc)]:
        location, _, message = problem.partition(": ")
        stem = Path(location).stem
        tables.append(stem if stem in TABLES else Path(location).name)
        values.append(message or problem)
    return pd.DataFrame({
        "table": tables, "column": [""] * len(tables), "rule": ["bestandsformaat"] * len(tables),
        "row": pd.array([None] * len(tables), dtype="Int64"), "value": values,
    })


def shown_values(values: pd.Series) -> pd.Series:
    """Failing values as the report shows them: one longer than VALUE_SHOWN characters is cut."""
    long = values.str.len() > VALUE_SHOWN
    if not long.any():
        return values
    cut = values[long].map(lambda v: f"{v[:VALUE_SHOWN]}… ({len(v)} tekens)")
    return values.where(~long, cut)


def report_text(failures: pd.DataFrame, extract_path: Path | str, totals: pd.Series | None = None) -> str:
    """A readable summary: per table/column/rule the count (`totals`; default: the rows listed) and
    the first few rows and values."""
    lines = [f"Validatie van extract {extract_path}"]
    if failures.empty:
        lines.append("Geen fouten: het extract voldoet aan elke regel van het invoercontract.")
        return "\n".join(lines) + "\n"
    totals = rule_totals(failures) if totals is None else totals
    groups = failures.groupby(RULE_KEY, sort=False, dropna=False)
    lines.append(f"{totals.sum()} fout(en) op {groups.ngroups} regel(s); het extract mag niet gebruikt worden.")
    for (table, column, rule), group in groups:
        where = f"{table}.{column}" if column else table
        n = int(totals.get((table, column, rule), len(group)))
        lines.append("")
        lines.append(f"{where}  {rule}: {n} fout(en)")
        examples = group.head(EXAMPLES_PER_RULE)
        for row, value in zip(examples["row"], shown_values(examples["value"])):
            lines.append(f"    {'rij ' + str(row) if pd.notna(row) else '(bestand)'}: {value!r}")
        if n > LISTED_PER_RULE:
            lines.append(f"    ... en nog {n - EXAMPLES_PER_RULE} ({REPORT_CSV} noemt de eerste "
                         f"{LISTED_PER_RULE})")
        elif n > EXAMPLES_PER_RULE:
            lines.append(f"    ... en nog {n - EXAMPLES_PER_RULE} (zie {REPORT_CSV})")
    return "\n".join(lines) + "\n"


def write_report(failures: pd.DataFrame, report_dir: Path | str, extract_path: Path | str,
                 totals: pd.Series | None = None) -> Path:
    """Write validatie.csv (the first LISTED_PER_RULE failures of every rule) and validatie.txt (the
    summary, counting them all: `totals`, default the rows given); return the .txt path."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    listed = failures.groupby(RULE_KEY, sort=False, dropna=False).head(LISTED_PER_RULE)
    # the operator opens it in Excel: a failing value stays text, cut if it is very long
    listed = listed[FAILURE_COLUMNS].assign(value=shown_values(listed["value"]))
    # through a temp file and a rename: a report file planted as a link is replaced, never written through
    atomic_write(report_dir / REPORT_CSV, csv_safe_frame(listed).to_csv(index=False).encode("utf-8"))
    txt = report_dir / REPORT_TXT
    atomic_write(txt, report_text(failures, extract_path, totals).encode("utf-8"))
    return txt


# --- entry points ----------------------------------------------------------------------------------

def load_valid_extract(folder: Path | str, report_dir: Path | str | None = None) -> Extract:
    """Read and validate an extract; raise InvalidExtractError on any failure (format or contract).

    With `report_dir`, the report is written there as well (also when the extract is valid).
    """
    try:
        extract = read_extract(folder)
    except ExtractFormatError as exc:
        failures = format_failure(exc)
        if report_dir is not None:
            write_report(failures, report_dir, folder)
        raise InvalidExtractError(str(exc), failures) from exc
    found = validation(extract)
    if report_dir is not None:
        write_report(found.failures, report_dir, folder, found.totals)
    if len(found.failures):
        raise InvalidExtractError(report_text(found.failures, folder, found.totals), found.failures, found.totals)
    return extract


def tables_present(folder: Path) -> int:
    return sum(table_file(folder, name) is not None for name in TABLES)


@dataclass
class FolderCheck:
    """What checking one extract folder found: a format error (nothing could be read) or the
    failures of the contract's rules (empty: valid), and where the report went."""
    failures: pd.DataFrame  # listed: at most LISTED_PER_RULE of a rule
    report: Path | None
    format_error: ExtractFormatError | None = None
    tables: int = 0
    stand_per: date | None = None
    totals: pd.Series | None = None  # failures per (table, column, rule) in all

    def __post_init__(self):
        if self.totals is None:
            self.totals = rule_totals(self.failures)


def check_extract_folder(extract_path: Path, report_dir: Path | None = None) -> FolderCheck:
    """Every contract rule on the extract at `extract_path`; the report goes to `report_dir`, and
    without one no file is written (an extract is input: nothing is ever written into it)."""
    def report(failures: pd.DataFrame, totals: pd.Series | None = None) -> Path | None:
        return write_report(failures, report_dir, extract_path, totals) if report_dir is not None else None
    try:
        extract = read_extract(extract_path)
    except ExtractFormatError as exc:
        failures = format_failure(exc)
        return FolderCheck(failures, report(failures), format_error=exc)
    found = validation(extract)
    return FolderCheck(found.failures, report(found.failures, found.totals), tables=tables_present(extract_path),
                       stand_per=extract.stand_per, totals=found.totals)
