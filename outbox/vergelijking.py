"""Where the indicators (tasks/indicators.py) are kept: one public CSV per production month and
product, `<outbox>/openbaar/vergelijking/<schooljaar>/<jjjj-mm>-<product>.csv` (the month of the
extract's stand per), per SWV and nationally per sector. Aggregates only, as DUO publishes pupil
counts per SWV as open data. Written whole or not at all (temp file, rename); an older extract never
replaces the figures of a newer one of the same month. The pages read them back with `read_all`."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from core.files import atomic_write, flock, no_links, real_folder
from core.spreadsheet_text import csv_safe_frame, text_of_csv_cell
from outbox.layout import LOCKS, OPENBAAR, SCHOOLJAAR_RE
from tasks.indicators import COLUMNS

FOLDER = "vergelijking"


def folder(outbox: Path) -> Path:
    return Path(outbox) / OPENBAAR / FOLDER


def path_of(outbox: Path, schooljaar: str, stand_per: str, product: str) -> Path:
    return folder(outbox) / schooljaar / f"{stand_per[:7]}-{product}.csv"


def csv_bytes(rows: pd.DataFrame) -> bytes:
    """The rows as CSV: counts as integers, the figure with two decimals, 'boven 2 %' with one, an
    absent value empty; a name from the register stays text in a spreadsheet."""
    out = rows[COLUMNS].copy()
    out["waarde"] = [("" if pd.isna(v) else f"{v:.2f}") for v in out["waarde"]]
    out["boven_norm"] = [("" if pd.isna(v) else f"{v:.1f}") for v in out["boven_norm"]]
    buf = io.StringIO()
    csv_safe_frame(out).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def write(outbox: Path, product: str, rows: pd.DataFrame) -> Path | None:
    """Store a production's rows (all of one schooljaar and stand per); None when the file of that
    month already holds the figures of a newer extract (they stay)."""
    if rows.empty:
        return None
    schooljaar, stand_per = rows["schooljaar"].iloc[0], rows["stand_per"].iloc[0]
    target = path_of(outbox, schooljaar, stand_per, product)
    real_folder(Path(outbox), OPENBAAR, FOLDER, schooljaar)  # never through a link
    locks = real_folder(Path(outbox), LOCKS)
    with flock(locks / f"{OPENBAAR}__{FOLDER}.lock"):
        if target.exists():
            held = pd.read_csv(target, dtype=str, usecols=["stand_per"], nrows=1)["stand_per"]
            if len(held) and held.iloc[0] > stand_per:
                return None
        atomic_write(no_links(Path(outbox), OPENBAAR, FOLDER, schooljaar, target.name), csv_bytes(rows))
    return target


def read_all(outbox: Path) -> pd.DataFrame:
    """Every stored row, with `maand` (jjjj-mm of the stand per); counts as numbers, names as text."""
    files = sorted(p for d in folder(outbox).glob("*") if d.is_dir() and SCHOOLJAAR_RE.match(d.name)
                   for p in d.glob("*.csv")) if folder(outbox).is_dir() else []
    if not files:
        return pd.DataFrame(columns=[*COLUMNS, "maand"])
    frames = [pd.read_csv(p, dtype={"swv": str, "naam": str, "sector": str, "schooljaar": str, "stand_per": str,
                                    "peildatum": str, "indicator": str}, keep_default_na=False, na_values={
                                        "noemer": [""], "waarde": [""], "boven_norm": [""]}) for p in files]
    out = pd.concat(frames, ignore_index=True)
    out["naam"] = out["naam"].map(text_of_csv_cell)  # the register's name, as the pages show it
    out["maand"] = out["stand_per"].str[:7]
    return out


def latest(rows: pd.DataFrame, product_indicators: list[str], schooljaar: str) -> pd.DataFrame:
    """The rows of the newest stand per of `schooljaar` among these indicators (empty: none)."""
    own = rows[rows["indicator"].isin(product_indicators) & (rows["schooljaar"] == schooljaar)]
    if own.empty:
        return own
    return own[own["stand_per"] == own["stand_per"].max()]
