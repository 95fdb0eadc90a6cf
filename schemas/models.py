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
of with a Python call per value, and patterns are matched with Arrow's RE2 instead of
Python's `re` (see `fast_str_matches`).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow_mod
import pyarrow.compute as pc
from pandera import dtypes
from pandera.api.extensions import register_check_method
from pandera.engines import numpy_engine, pandas_engine
from pandera.typing import Series

# --- the contract's vocabularies -----------------------------------------------------------------

SWV_CODE = r"^(PO|VO)\d{4}$"
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


def fullmatch_mask(values: pd.Series, pattern: str) -> pd.Series:
    """True where the value matches the whole (anchored) pattern or is null.

    Matching runs in Arrow (RE2, no Python call per value); `\\d` is then ASCII-only, as the
    contract means. A column with non-string values falls back to pandas' `re` matching.
    """
    try:
        arr = pyarrow_mod.array(values, type=pyarrow_mod.string(), from_pandas=True)
    except (pyarrow_mod.ArrowInvalid, pyarrow_mod.ArrowTypeError):
        text = values.map(lambda v: v if isinstance(v, str) else "\x00", na_action="ignore")
        return (text.str.fullmatch(pattern) | values.isna()).astype(bool)
    matched = pc.match_substring_regex(arr, pattern).fill_null(True)
    return pd.Series(matched.to_numpy(zero_copy_only=False), index=values.index)


@register_check_method(statistics=["pattern"])
def fast_str_matches(values: pd.Series, *, pattern: str) -> pd.Series:
    return fullmatch_mask(values, pattern)


@register_check_method()
def not_blank(values: pd.Series) -> pd.Series:
    return values.str.strip().str.len() > 0


@register_check_method(statistics=["decimals"])
def max_decimals(values: pd.Series, *, decimals: int) -> pd.Series:
    # bedrag is read as float: allow for the binary representation of e.g. 0.1.
    scaled = values * 10**decimals
    return (scaled - scaled.round()).abs() < 1e-6


def matches(pattern: str) -> dict:
    """Field keywords for the fast pattern check, reported like pandera's own `str_matches`."""
    return {"fast_str_matches": {"pattern": pattern, "error": f"str_matches('{pattern}')"}}


# Rules between columns of one row: pandera reports a failing row on every column of the
# frame; `schemas.validate` reports it once, on the column named here.
ROW_CHECK_COLUMN: dict[str, str] = {}


def row_check(column: str, rule: str):
    """Declare a dataframe check about `column` of each row, reported under the name `rule`."""
    if ROW_CHECK_COLUMN.setdefault(rule, column) != column:
        raise ValueError(f"row rule {rule!r} already reported on {ROW_CHECK_COLUMN[rule]}")
    return pa.dataframe_check(name=rule, error=rule)


def end_not_before_begin(df: pd.DataFrame) -> pd.Series:
    return df["einddatum"].isna() | df["begindatum"].isna() | (df["einddatum"] >= df["begindatum"])


def required_when(df: pd.DataFrame, column: str, soort: str, soorten: list[str]) -> pd.Series:
    """`column` is filled exactly on the rows whose `soort` is one of `soorten`."""
    required = df[soort].isin(soorten)
    return required == df[column].notna()


# --- the models ----------------------------------------------------------------------------------

class _Contract(pa.DataFrameModel):
    class Config:
        strict = True   # a renamed or extra column is an error, never ignored
        coerce = False  # the reader already gives every column its contract type


class Samenwerkingsverbanden(_Contract):
    swv_code: Series[Text] = pa.Field(unique=True, **matches(SWV_CODE))
    naam: Series[Text] = pa.Field(not_blank={"error": "not empty"})
    sector: Series[Text] = pa.Field(isin=SECTOREN)
    adres: Series[Text] = pa.Field(nullable=True)
    postcode: Series[Text] = pa.Field(nullable=True, **matches(POSTCODE))
    plaats: Series[Text] = pa.Field(nullable=True)

    @row_check("sector", "sector equals swv_code prefix")
    def sector_is_code_prefix(cls, df: pd.DataFrame) -> pd.Series:
        return df["sector"].isna() | df["swv_code"].isna() | (df["swv_code"].str[:2] == df["sector"])


class RegioIndeling(_Contract):
    pc4: Series[Text] = pa.Field(unique=True, **matches(PC4))
    gemeente: Series[Text]
    # must be an existing PO resp. VO swv_code: cross-table, see schemas.validate
    swv_po: Series[Text] = pa.Field(nullable=True)
    swv_vo: Series[Text] = pa.Field(nullable=True)


class Vestigingen(_Contract):
    vestiging_code: Series[Text] = pa.Field(unique=True, **matches(VESTIGING_CODE))
    naam: Series[Text]
    soort: Series[Text] = pa.Field(isin=VESTIGING_SOORTEN)
    kernsoort: Series[Text] = pa.Field(nullable=True, isin=KERNSOORTEN)
    swv_code: Series[Text]
    plaats: Series[Text] = pa.Field(nullable=True)

    @row_check("kernsoort", "kernsoort required for SO/VSO, null otherwise")
    def kernsoort_by_soort(cls, df: pd.DataFrame) -> pd.Series:
        return df["soort"].isna() | required_when(df, "kernsoort", "soort", SO_VSO)


class Leerlingen(_Contract):
    leerling_id: Series[Text] = pa.Field(unique=True, **matches(LEERLING_ID))
    bsn_laatste4: Series[Text] = pa.Field(nullable=True, **matches(BSN_LAATSTE4))
    # not after stand_per: the date is known per extract, see leerlingen_schema()
    geboortedatum: Series[pd.Timestamp]
    pc4_woonadres: Series[Text] = pa.Field(nullable=True, **matches(PC4))


class Inschrijvingen(_Contract):
    inschrijving_id: Series[Text] = pa.Field(unique=True)
    leerling_id: Series[Text]
    vestiging_code: Series[Text]
    begindatum: Series[pd.Timestamp]
    einddatum: Series[pd.Timestamp] = pa.Field(nullable=True)
    bekostigd: Series[Text] = pa.Field(isin=JA_NEE)
    # required or null by the vestiging's soort: cross-table, see schemas.validate
    residentieel: Series[Text] = pa.Field(nullable=True, isin=JA_NEE)
    lwoo: Series[Text] = pa.Field(nullable=True, isin=JA_NEE)
    pro: Series[Text] = pa.Field(nullable=True, isin=JA_NEE)
    vavo: Series[Text] = pa.Field(nullable=True, isin=JA_NEE)

    @row_check("einddatum", "einddatum >= begindatum")
    def end_after_begin(cls, df: pd.DataFrame) -> pd.Series:
        return end_not_before_begin(df)


class Tlv(_Contract):
    tlv_nummer: Series[Text] = pa.Field(unique=True)
    leerling_id: Series[Text]
    swv_code: Series[Text]
    soort: Series[Text] = pa.Field(isin=TLV_SOORTEN)
    categorie: Series[Text] = pa.Field(nullable=True, isin=CATEGORIEEN)
    afgiftedatum: Series[pd.Timestamp]
    begindatum: Series[pd.Timestamp]
    einddatum: Series[pd.Timestamp] = pa.Field(nullable=True)

    @row_check("categorie", "categorie required for SO/VSO, null for SBAO")
    def categorie_by_soort(cls, df: pd.DataFrame) -> pd.Series:
        return df["soort"].isna() | required_when(df, "categorie", "soort", SO_VSO)

    @row_check("afgiftedatum", "afgiftedatum <= begindatum")
    def issued_before_start(cls, df: pd.DataFrame) -> pd.Series:
        return df["afgiftedatum"].isna() | df["begindatum"].isna() | (df["afgiftedatum"] <= df["begindatum"])

    @row_check("einddatum", "einddatum >= begindatum")
    def end_after_begin(cls, df: pd.DataFrame) -> pd.Series:
        return end_not_before_begin(df)


class CviIndicaties(_Contract):
    cvi_nummer: Series[Text] = pa.Field(unique=True)
    leerling_id: Series[Text]
    soort_indicatie: Series[Text] = pa.Field(isin=CVI_SOORTEN)
    begindatum: Series[pd.Timestamp]
    einddatum: Series[pd.Timestamp] = pa.Field(nullable=True)

    @row_check("einddatum", "einddatum >= begindatum")
    def end_after_begin(cls, df: pd.DataFrame) -> pd.Series:
        return end_not_before_begin(df)


class Bekostiging(_Contract):
    swv_code: Series[Text]
    onderdeel: Series[Text]
    bedrag: Series[float] = pa.Field(max_decimals={"decimals": 2, "error": "at most 2 decimals"})
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
    """The model of `table` as a schema, with the rules that depend on the extract's stand_per."""
    schema = MODELS[table].to_schema()
    if table == "leerlingen":
        limit = pd.Timestamp(stand_per)
        born_by_stand_per = pa.Check(lambda s: s <= limit, name="not_after_stand_per", error=not_after_rule(stand_per))
        column = schema.columns["geboortedatum"]
        schema = schema.update_column("geboortedatum", checks=[*column.checks, born_by_stand_per])
    return schema
