"""The source extract as frames: table definitions, the `Extract` container and the reader.

The column lists mirror ../shared/spec/input-contract.md. Dates are read as pandas
datetime64[ns]; every other column as a Python-object string column (nullable = NaN/None).
Reading only checks the file format (existence, parse-ability, column names, date syntax);
the contract rules themselves live in `schemas.models` / `schemas.validate`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

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


class ExtractFormatError(Exception):
    """A file of the extract cannot be read as the contract's table; str() is one line naming the file."""


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

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)


def empty_table(name: str) -> pd.DataFrame:
    cols = TABLES[name]
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if k == "date" else ("float64" if k == "decimal" else object))
                         for c, k in cols.items()})


def table_file(folder: Path, name: str) -> Path | None:
    for ext in (".parquet", ".csv"):
        p = folder / f"{name}{ext}"
        if p.exists():
            return p
    return None


def _read_table(path: Path, name: str) -> pd.DataFrame:
    cols = TABLES[name]
    try:
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], engine="c")
    except Exception as exc:  # any parser failure -> one line naming the file
        raise ExtractFormatError(f"{path}: cannot be read as {path.suffix[1:].upper()} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
    unknown = [c for c in df.columns if c not in cols]
    missing = [c for c in cols if c not in df.columns]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append("unknown column(s) " + ", ".join(map(str, unknown)))
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        raise ExtractFormatError(f"{path}: " + "; ".join(parts))
    for c, kind in cols.items():
        s = df[c]
        if kind == "date":
            if pd.api.types.is_datetime64_any_dtype(s):
                df[c] = s.astype("datetime64[ns]")
                continue
            if s.dtype == object and len(s) and not isinstance(s.dropna().iloc[0] if s.notna().any() else "", str):
                s = pd.to_datetime(s, errors="coerce")  # parquet date32 -> datetime.date objects
                df[c] = s.astype("datetime64[ns]")
                continue
            parsed = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
            bad = s.notna() & parsed.isna()
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise ExtractFormatError(f"{path}: column {c} row {i + 1}: {s.iloc[i]!r} is not a date (YYYY-MM-DD)")
            df[c] = parsed.astype("datetime64[ns]")
        elif kind == "decimal":
            parsed = pd.to_numeric(s, errors="coerce")
            bad = s.notna() & parsed.isna()
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise ExtractFormatError(f"{path}: column {c} row {i + 1}: {s.iloc[i]!r} is not a number")
            df[c] = parsed.astype("float64")
        else:
            if s.dtype != object:
                df[c] = s.astype(object).where(s.notna(), None)
    return df[list(cols)]


def extract_identity(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        if p.is_file() and (p.name == "extract.json" or p.stem in TABLES):
            h.update(p.name.encode())
            with p.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def read_extract_meta(folder: Path) -> dict:
    folder = Path(folder)
    meta_path = folder / "extract.json"
    if not folder.is_dir():
        raise ExtractFormatError(f"{folder}: extract folder does not exist")
    if not meta_path.exists():
        raise ExtractFormatError(f"{meta_path}: missing (every extract needs extract.json with stand_per)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        stand_per = date.fromisoformat(meta["stand_per"])
    except Exception as exc:
        raise ExtractFormatError(f"{meta_path}: not valid ({type(exc).__name__}: {exc}); expected {{\"stand_per\": \"YYYY-MM-DD\", \"bron\": \"ROD\"}}") from None
    return {**meta, "stand_per": stand_per}


def read_extract(folder: str | Path) -> Extract:
    """Read every table of an extract folder. Raises ExtractFormatError with a one-line message."""
    folder = Path(folder)
    meta = read_extract_meta(folder)
    frames = {}
    for name in TABLES:
        p = table_file(folder, name)
        if p is None:
            if name in OPTIONAL_TABLES:
                frames[name] = empty_table(name)
                continue
            raise ExtractFormatError(f"{folder / (name + '.csv')}: missing (required table {name}, as .csv or .parquet)")
        frames[name] = _read_table(p, name)
    return Extract(stand_per=meta["stand_per"], bron=str(meta.get("bron", "")), path=folder,
                   identity=extract_identity(folder), meta=meta, **frames)
