"""The input contract (../shared/spec/input-contract.md) as one pandera model per table.

Each model encodes the rules of its own table: patterns, uniqueness, allowed values,
nullability and the rules between columns of one row. Rules that need another table (a
reference exists, the vestiging soort decides which flags are required, overlapping
inschrijvingen) live in `schemas.validate`, which runs these models and reports all failures
in one format.

Frames arrive as `schemas.extract.read_extract` produces them: dates datetime64[ns], text as
object columns with None/NaN for null, `bedrag` float64.

Speed: the national extract has millions of rows, so the per-element work that pandera does
by default is replaced where it matters: the `Text` dtype checks "only strings" in C instead
of with a Python call per value, patterns are matched with Arrow's RE2 instead of Python's
`re`, and duplicates are found on 64-bit hashes instead of Python strings (see the checks
after `Text`). They report under pandera's own rule names (`str_matches(...)`, `isin(...)`).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera import dtypes
from pandera.api.extensions import register_check_method
from pandera.engines import pandas_engine
from pandera.typing import Series

# --- the contract's vocabularies -----------------------------------------------------------------

SWV_CODE_FORM = r"(PO|VO)\d{4}"  # as DUO numbers the SWV's; the one pattern (contract, CLI, run form)
SWV_CODE = rf"^{SWV_CODE_FORM}$"
POSTCODE = r"^\d{4} ?[A-Z]{2}$"
PC4 = r"^\d{4}$"
VESTIGING_CODE = r"^\d{2}[A-Z]{2}\d{2}$"
LEERLING_ID = r"^\d{9}$"
BSN_LAATSTE4 = r"^\d{4}$"

SECTOREN = ["PO", "VO"]
VESTIGING_SOORTEN = ["BAO", "SBAO", "SO", "VSO", "VO"]
KERNSOORTEN = ["ZMLK", "LZ", "LZ-LG", "LG", "MG", "ZMOK", "PI"]
TLV_SOORTEN = ["SO", "VSO", "SBAO"]
CATEGORIEEN = ["L", "M", "H"]
CVI_SOORTEN = ["ZMLK", "LZ", "LZ-LG", "LG", "MG", "ZMOK"]
JA_NEE = ["J", "N"]
SO_VSO = ["SO", "VSO"]

# The sector of the SWV a vestiging belongs to, and of the SWV that issues a TLV, by soort.
VESTIGING_SWV_SECTOR = {"BAO": "PO", "SBAO": "PO", "SO": "PO", "VSO": "VO", "VO": "VO"}
TLV_SWV_SECTOR = {"SO": "PO", "SBAO": "PO", "VSO": "VO"}


# A rule's failures kept in memory and listed in validatie.csv; the report counts the rest.
LISTED_PER_RULE = 10_000


# --- fast building blocks ------------------------------------------------------------------------

@pandas_engine.Engine.register_dtype
@dtypes.immutable
class Text(pandas_engine.NpString):
    """Like pandera's `str`, but checks 'every value is a str or null' in C.

    pandera's own check calls isinstance() once per value in Python: seconds per column on
    the national extract. `infer_dtype` does the same test in C; only a column that fails it
    falls back to the per-value test, so the failure cases still name the offending rows.
    """

    def check(self, pandera_dtype, data_container=None):
        if data_container is not None and data_container.dtype == object:
            if pd.api.types.infer_dtype(data_container, skipna=True) in ("string", "empty"):
                return True
        return super().check(pandera_dtype, data_container)

    def __str__(self) -> str:
        return "str"


def is_swv_code(text) -> bool:
    """PO or VO and four digits (ASCII), as the contract's swv_code column is checked."""
    return re.fullmatch(SWV_CODE, str(text), flags=re.ASCII) is not None


def fullmatch_mask(values: pd.Series, pattern: str) -> pd.Series:
    """True where the value matches the whole (anchored) pattern or is null.

    Matching runs in Arrow (RE2, no Python call per value); `\\d` is then ASCII-only, as the
    contract means. A column with non-string values falls back to pandas' `re` matching.
    """
    try:
        arr = pyarrow.array(values, type=pyarrow.string(), from_pandas=True)
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
        text = values.map(lambda v: v if isinstance(v, str) else "\x00", na_action="ignore")
        matched = text.str.fullmatch(pattern, flags=re.ASCII).fillna(False).astype(bool)
        return matched | values.isna()
    matched = pc.match_substring_regex(arr, pattern).fill_null(True)
    return pd.Series(matched.to_numpy(zero_copy_only=False), index=values.index)


def hash_values(values: np.ndarray) -> np.ndarray:
    """A 64-bit hash per value: sorting and looking up integers is far faster than strings.

    Python's own str hash: twice as fast as pandas' hash_array, and cached on each string, so
    a second lookup of the same column costs little. Equal values always get equal hashes;
    callers compare the values themselves wherever hashes match.
    """
    return np.fromiter(map(hash, values), dtype=np.int64, count=len(values))


def duplicated_mask(values: pd.Series) -> np.ndarray:
    """True for every non-null value that occurs more than once (all occurrences).

    Candidates are found on 64-bit hashes (sort + compare neighbours); only those few are then
    compared as strings, so a hash collision can never report a false duplicate.
    """
    present = np.flatnonzero(values.notna().to_numpy())
    flagged = np.zeros(len(values), dtype=bool)
    if len(present) < 2:
        return flagged
    hashes = hash_values(values.to_numpy(dtype=object)[present])
    ordered = np.sort(hashes)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(repeated):
        return flagged
    candidates = present[np.isin(hashes, repeated)]
    exact = values.iloc[candidates].duplicated(keep=False).to_numpy()
    flagged[candidates[exact]] = True
    return flagged


# The checks below handle nulls themselves (a null passes; nullability is its own rule), so
# they run with ignore_na=False (see `field`): pandera would otherwise copy the column
# without its nulls and test for nulls again for every check.

@register_check_method(statistics=["pattern"])
def matches_fully(values: pd.Series, *, pattern: str) -> pd.Series:
    return fullmatch_mask(values, pattern)


@register_check_method(statistics=["allowed"])
def one_of_values(values: pd.Series, *, allowed: list[str]) -> pd.Series:
    return values.isin(allowed) | values.isna()


@register_check_method()
def no_duplicates(values: pd.Series) -> pd.Series:
    return pd.Series(~duplicated_mask(values), index=values.index)


@register_check_method()
def not_blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.str.strip().str.len() > 0)


# Text a document can hold (issue 25): no control characters (XML and Excel cannot carry C0, a
# CSV cell beginning with a tab runs as a formula), no lone surrogates or U+FFFE/U+FFFF; nothing
# a spreadsheet runs as a formula at the start; a length far above any real one and far below
# Excel's 32,767 characters a cell. Columns with a pattern or a list of values are bounded by it,
# references by the column they refer to; these are the contract's free text columns.
NAME_MAX = 200  # naam, adres, plaats, gemeente, onderdeel
IDENTIFIER_MAX = 64  # inschrijving_id, tlv_nummer, cvi_nummer: no format in the contract
NAME_START = "=+@"  # a name may begin with "-" (the CSVs quote it); an identifier may not
IDENTIFIER_START = "=+-@"
_CONTROL_RE2 = r"[\x00-\x1f\x7f-\x9f\x{fffe}\x{ffff}]"
_CONTROL_PY = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def text_mask(values: pd.Series, max_length: int, forbidden_start: str) -> pd.Series:
    """True where the value is text a document can hold (see above) or null; a value that is no
    str passes (the column's type rule reports it)."""
    start = "^[" + re.escape(forbidden_start) + "]"
    try:
        arr = pyarrow.array(values, type=pyarrow.string(), from_pandas=True)
    except Exception:  # not all text, or a lone surrogate (no UTF-8 for it): per value in Python
        bad_start, too_long = re.compile(start), max_length

        def fits(v) -> bool:
            return not isinstance(v, str) or not (len(v) > too_long or bad_start.match(v) or _CONTROL_PY.search(v))
        return values.map(fits).astype(bool)
    bad = pc.or_(pc.match_substring_regex(arr, f"{start}|{_CONTROL_RE2}"),
                 pc.greater(pc.utf8_length(arr), max_length)).fill_null(False)
    return pd.Series(~bad.to_numpy(zero_copy_only=False), index=values.index)


@register_check_method(statistics=["max_length", "forbidden_start"])
def document_text(values: pd.Series, *, max_length: int, forbidden_start: str) -> pd.Series:
    return text_mask(values, max_length, forbidden_start)


def text(max_length: int = NAME_MAX, forbidden_start: str = NAME_START) -> dict:
    """Field keywords: text a document can hold (see `text_mask`), reported as one rule."""
    starts = " ".join(forbidden_start)
    rule = f"text: at most {max_length} characters, no control characters, not beginning with {starts}"
    return {"document_text": {"max_length": max_length, "forbidden_start": forbidden_start, "error": rule}}


IDENTIFIER = text(IDENTIFIER_MAX, IDENTIFIER_START)


@register_check_method(statistics=["decimals"])
def max_decimals(values: pd.Series, *, decimals: int) -> pd.Series:
    # bedrag is read as float: allow for the binary representation of e.g. 0.1.
    scaled = values * 10**decimals
    return values.isna() | ((scaled - scaled.round()).abs() < 1e-6)


def matches(pattern: str) -> dict:
    """Field keywords: the whole value matches `pattern` (reported like pandera's `str_matches`)."""
    return {"matches_fully": {"pattern": pattern, "error": f"str_matches('{pattern}')"}}


def one_of(allowed: list[str]) -> dict:
    """Field keywords: the value is one of `allowed` (reported like pandera's `isin`)."""
    return {"one_of_values": {"allowed": allowed, "error": f"isin({allowed})"}}


# Field keywords: no value occurs twice (pandera's own unique=True hashes Python strings: slow).
UNIQUE = {"no_duplicates": {"error": "unique"}}
NOT_BLANK = {"not_blank": {"error": "not empty"}}


def field(**kwargs):
    """pa.Field for the checks above, which let nulls pass themselves."""
    return pa.Field(ignore_na=False, **kwargs)


# Rules between columns of one row. pandera would report a failing row on every column of
# the frame, and its reshaping of those failure cases takes ~0.5 ms per failing row (half a
# minute for 50 000 rows). So the check pandera runs gives one verdict for the whole frame,
# and `schemas.validate` asks `row_rule_failures` for the failing rows, reported once each
# on the column the rule is about.

@dataclass(frozen=True)
class RowRule:
    column: str  # the column a failure is reported on
    rule: str
    passes: Callable[[type, pd.DataFrame], pd.Series]  # True per row that meets the rule


ROW_RULES: dict[str, dict[str, RowRule]] = {}  # model class name -> rule -> RowRule


def row_check(column: str, rule: str):
    """Declare a rule between columns of each row, about `column`, reported under `rule`."""
    def decorate(passes):
        model = passes.__qualname__.split(".")[0]
        ROW_RULES.setdefault(model, {})[rule] = RowRule(column, rule, passes)

        @functools.wraps(passes)
        def every_row_passes(cls, df: pd.DataFrame) -> bool:
            return bool(passes(cls, df).all())

        # ignore_na=False: the rules handle nulls themselves
        return pa.dataframe_check(name=rule, error=rule, ignore_na=False)(every_row_passes)
    return decorate


def row_rule_failures(table: str, rule: str, df: pd.DataFrame) -> tuple[str, pd.Series] | None:
    """(column, True per failing row) of a row rule of `table`'s model; None if `rule` is not one."""
    model = MODELS[table]
    found = ROW_RULES.get(model.__name__, {}).get(rule)
    if found is None:
        return None
    return found.column, ~found.passes(model, df).astype(bool)


def end_not_before_begin(df: pd.DataFrame) -> pd.Series:
    return df["einddatum"].isna() | df["begindatum"].isna() | (df["einddatum"] >= df["begindatum"])


def filled_exactly_for(df: pd.DataFrame, column: str, soorten: list[str]) -> pd.Series:
    """`column` is filled exactly on the rows whose `soort` is one of `soorten` (unknown soort: pass)."""
    return df["soort"].isna() | (df["soort"].isin(soorten) == df[column].notna())


# --- the models ----------------------------------------------------------------------------------

class _Contract(pa.DataFrameModel):
    class Config:
        strict = True   # a renamed or extra column is an error, never ignored
        coerce = False  # the reader already gives every column its contract type


class Samenwerkingsverbanden(_Contract):
    swv_code: Series[Text] = field(**UNIQUE, **matches(SWV_CODE))
    naam: Series[Text] = field(**NOT_BLANK, **text())
    sector: Series[Text] = field(**one_of(SECTOREN))
    adres: Series[Text] = field(nullable=True, **text())
    postcode: Series[Text] = field(nullable=True, **matches(POSTCODE))
    plaats: Series[Text] = field(nullable=True, **text())

    @row_check("sector", "sector equals swv_code prefix")
    def sector_is_code_prefix(cls, df: pd.DataFrame) -> pd.Series:
        return df["sector"].isna() | df["swv_code"].isna() | (df["swv_code"].str[:2] == df["sector"])


class RegioIndeling(_Contract):
    pc4: Series[Text] = field(**UNIQUE, **matches(PC4))
    gemeente: Series[Text] = field(**text())
    # must be an existing PO resp. VO swv_code: cross-table, see schemas.validate
    swv_po: Series[Text] = field(nullable=True)
    swv_vo: Series[Text] = field(nullable=True)


class Vestigingen(_Contract):
    vestiging_code: Series[Text] = field(**UNIQUE, **matches(VESTIGING_CODE))
    naam: Series[Text] = field(**text())
    soort: Series[Text] = field(**one_of(VESTIGING_SOORTEN))
    kernsoort: Series[Text] = field(nullable=True, **one_of(KERNSOORTEN))
    swv_code: Series[Text]
    plaats: Series[Text] = field(nullable=True, **text())

    @row_check("kernsoort", "kernsoort required for SO/VSO, null otherwise")
    def kernsoort_by_soort(cls, df: pd.DataFrame) -> pd.Series:
        return filled_exactly_for(df, "kernsoort", SO_VSO)


class Leerlingen(_Contract):
    leerling_id: Series[Text] = field(**UNIQUE, **matches(LEERLING_ID))
    bsn_laatste4: Series[Text] = field(nullable=True, **matches(BSN_LAATSTE4))
    # not after stand_per: the date is known per extract, see leerlingen_schema()
    geboortedatum: Series[pd.Timestamp]
    pc4_woonadres: Series[Text] = field(nullable=True, **matches(PC4))


class Inschrijvingen(_Contract):
    inschrijving_id: Series[Text] = field(**UNIQUE, **IDENTIFIER)
    leerling_id: Series[Text]
    vestiging_code: Series[Text]
    begindatum: Series[pd.Timestamp]
    einddatum: Series[pd.Timestamp] = field(nullable=True)
    bekostigd: Series[Text] = field(**one_of(JA_NEE))
    # required or null by the vestiging's soort: cross-table, see schemas.validate
    residentieel: Series[Text] = field(nullable=True, **one_of(JA_NEE))
    lwoo: Series[Text] = field(nullable=True, **one_of(JA_NEE))
    pro: Series[Text] = field(nullable=True, **one_of(JA_NEE))
    vavo: Series[Text] = field(nullable=True, **one_of(JA_NEE))

    @row_check("einddatum", "einddatum >= begindatum")
    def end_after_begin(cls, df: pd.DataFrame) -> pd.Series:
        return end_not_before_begin(df)


class Tlv(_Contract):
    tlv_nummer: Series[Text] = field(**UNIQUE, **IDENTIFIER)
    leerling_id: Series[Text]
    swv_code: Series[Text]
    soort: Series[Text] = field(**one_of(TLV_SOORTEN))
    categorie: Series[Text] = field(nullable=True, **one_of(CATEGORIEEN))
    afgiftedatum: Series[pd.Timestamp]
    begindatum: Series[pd.Timestamp]
    einddatum: Series[pd.Timestamp] = field(nullable=True)

    @row_check("categorie", "categorie required for SO/VSO, null for SBAO")
    def categorie_by_soort(cls, df: pd.DataFrame) -> pd.Series:
        return filled_exactly_for(df, "categorie", SO_VSO)

    @row_check("afgiftedatum", "afgiftedatum <= begindatum")
    def issued_before_start(cls, df: pd.DataFrame) -> pd.Series:
        return df["afgiftedatum"].isna() | df["begindatum"].isna() | (df["afgiftedatum"] <= df["begindatum"])

    @row_check("einddatum", "einddatum >= begindatum")
    def end_after_begin(cls, df: pd.DataFrame) -> pd.Series:
        return end_not_before_begin(df)


class CviIndicaties(_Contract):
    cvi_nummer: Series[Text] = field(**UNIQUE, **IDENTIFIER)
    leerling_id: Series[Text]
    soort_indicatie: Series[Text] = field(**one_of(CVI_SOORTEN))
    begindatum: Series[pd.Timestamp]
    einddatum: Series[pd.Timestamp] = field(nullable=True)

    @row_check("einddatum", "einddatum >= begindatum")
    def end_after_begin(cls, df: pd.DataFrame) -> pd.Series:
        return end_not_before_begin(df)


class Bekostiging(_Contract):
    swv_code: Series[Text]
    onderdeel: Series[Text] = field(**text())
    bedrag: Series[float] = field(max_decimals={"decimals": 2, "error": "at most 2 decimals"})
    vastgesteld_op: Series[pd.Timestamp]


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "samenwerkingsverbanden": Samenwerkingsverbanden,
    "regio_indeling": RegioIndeling,
    "vestigingen": Vestigingen,
    "leerlingen": Leerlingen,
    "inschrijvingen": Inschrijvingen,
    "tlv": Tlv,
    "cvi_indicaties": CviIndicaties,
    "bekostiging": Bekostiging,
}


def not_after_rule(stand_per: date) -> str:
    return f"not after stand_per ({stand_per.isoformat()})"


def schema_for(table: str, stand_per: date) -> pa.DataFrameSchema:
    """The model of `table` as a schema, with the rules that depend on the extract's stand_per. Each
    check keeps at most LISTED_PER_RULE failure cases (a junk column must not become millions of them)."""
    schema = MODELS[table].to_schema()
    if table == "leerlingen":
        limit = pd.Timestamp(stand_per)
        born_by_stand_per = pa.Check(lambda s: s <= limit, name="not_after_stand_per", error=not_after_rule(stand_per))
        column = schema.columns["geboortedatum"]
        schema = schema.update_column("geboortedatum", checks=[*column.checks, born_by_stand_per])
    for check in [*schema.checks, *(c for column in schema.columns.values() for c in column.checks)]:
        check.n_failure_cases = LISTED_PER_RULE
    return schema


def value_rules(table: str) -> dict[str, Callable[[pyarrow.Array], pyarrow.Array]]:
    """{column: True per value that meets the column's pattern or list of values (null: True)} for the
    columns of `table` that have one, taken from its model; on Arrow text (see schemas.bounds)."""
    rules = {}
    for name, column in MODELS[table].to_schema().columns.items():
        for check in column.checks:
            if check.name == "matches_fully":
                pattern = check.statistics["pattern"]
                rules[name] = lambda a, p=pattern: pc.match_substring_regex(a, p).fill_null(True)
            elif check.name == "one_of_values":
                allowed = pyarrow.array(check.statistics["allowed"])
                rules[name] = lambda a, v=allowed: pc.or_(pc.is_in(a, value_set=v), pc.is_null(a))
    return rules
