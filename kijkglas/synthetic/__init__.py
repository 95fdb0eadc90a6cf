"""Synthetic, contract-valid source extracts (`kijkglas generate`).

One seed gives one *history*: two schooljaren of registrations, TLVs and CvIs (`history.py`) on
invented or real reference data (`reference.py`). An extract is that history cut at its stand per
(`output.cut`): nothing that began later, registration ends after the stand per unknown.

The register held a few wrong records until 11 November of the schooljaar (`output.corrupt_for_correction`):
extracts with an earlier stand per show them, later ones the corrected values. A `--series` writes one
extract per month (stand per the 6th) plus the corrected re-issue of November (stand per 11 November),
all cut from the same history, and a `series.json` naming them and the corrections.

Same seed, profile, reference file and stand per -> the same bytes.
"""
from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from .days import schooljaar_of
from .history import History, build_history
from .output import correction_date, corrupt_for_correction, cut, day_number, write_extract
from .profiles import PROFILES
from .reference import build_reference

__all__ = ["cli_generate", "generate_history", "generate_extract", "generate_series", "series_stand_pers",
           "PROFILES"]


@dataclass
class GeneratedHistory:
    """The true history, the history as it stood before the correction, and the corrections."""
    true: History
    raw: History
    corrections: list[dict]
    correction_date: date

    def at(self, stand_per: date) -> History:
        return self.true if stand_per >= self.correction_date else self.raw


def generate_history(profile: str, schooljaar_start: int, seed: int, regio_indeling: Path | None = None) -> GeneratedHistory:
    p = PROFILES[profile]
    rng = np.random.default_rng(seed)
    ref = build_reference(rng, n_po=p.n_po, n_vo=p.n_vo, n_pc4=p.n_pc4, vestigingen=p.vestigingen,
                          regio_path=regio_indeling, subset=profile == "small")
    true = build_history(rng, ref, p, schooljaar_start)
    raw, corrections = corrupt_for_correction(rng, true)
    return GeneratedHistory(true=true, raw=raw, corrections=corrections,
                            correction_date=correction_date(schooljaar_start))


def _schooljaar_of(d: date) -> int:
    return int(schooljaar_of(np.array([day_number(d)]))[0])


def default_format(profile: str) -> str:
    return "csv" if profile == "small" else "parquet"


def generate_extract(profile: str, stand_per: date, out: Path, seed: int = 1, fmt: str | None = None,
                     regio_indeling: Path | None = None) -> dict:
    """Write one extract (stand per `stand_per`) into `out`. Returns {table: rows}."""
    g = generate_history(profile, _schooljaar_of(stand_per), seed, regio_indeling)
    tables = cut(g.at(stand_per), stand_per)
    write_extract(tables, Path(out), stand_per, fmt or default_format(profile))
    return {name: t.num_rows for name, t in tables.items()}


def series_stand_pers(schooljaar_start: int) -> list[date]:
    """The 6th of every month of the schooljaar, August .. July."""
    T = schooljaar_start
    return [date(T, m, 6) for m in range(8, 13)] + [date(T + 1, m, 6) for m in range(1, 8)]


def parse_schooljaar(text: str) -> int:
    m = re.fullmatch(r"(\d{4})-(\d{4})", text or "")
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        raise ValueError(f"schooljaar {text!r}: expected e.g. 2024-2025")
    return int(m.group(1))


def generate_series(profile: str, schooljaar: str, out: Path, seed: int = 1, fmt: str | None = None,
                    regio_indeling: Path | None = None) -> dict:
    """Write out/<stand per>/ for every month of the schooljaar plus the corrected re-issue, and series.json."""
    T = parse_schooljaar(schooljaar)
    fmt = fmt or default_format(profile)
    out = Path(out)
    g = generate_history(profile, T, seed, regio_indeling)
    monthly = series_stand_pers(T)
    corrected = g.correction_date
    replaced = max(d for d in monthly if d < corrected)
    entries = []
    for sp in sorted(monthly + [corrected]):
        tables = cut(g.at(sp), sp)
        write_extract(tables, out / sp.isoformat(), sp, fmt)
        entries.append({"stand_per": sp.isoformat(), "folder": sp.isoformat(),
                        "correctie_van": replaced.isoformat() if sp == corrected else None,
                        "rows": {name: t.num_rows for name, t in tables.items()}})
    meta = {
        "schooljaar": f"{T}-{T + 1}",
        "profile": profile,
        "seed": seed,
        "format": fmt,
        "regio_indeling": Path(regio_indeling).name if regio_indeling else None,
        "extracts": entries,
        "correctie": {"stand_per": corrected.isoformat(), "vervangt": replaced.isoformat(),
                      "wijzigingen": g.corrections},
    }
    (out / "series.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def cli_generate(args) -> int:
    profile = args.profile
    fmt = args.format or default_format(profile)
    regio = getattr(args, "regio_indeling", None)
    if regio is not None and not Path(regio).is_file():
        print(f"kijkglas generate: --regio-indeling {regio}: bestand bestaat niet", file=sys.stderr)
        return 2
    if bool(args.stand_per) == bool(args.series):
        print("kijkglas generate: geef precies één van --stand-per DATUM of --series SCHOOLJAAR", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        if args.series:
            meta = generate_series(profile, args.series, args.out, args.seed, fmt, regio)
            dt = time.perf_counter() - t0
            print(f"{len(meta['extracts'])} extracten van {meta['schooljaar']} ({profile}, seed {args.seed}, {fmt}) "
                  f"geschreven in {args.out} in {dt:.1f} s; de correctie {meta['correctie']['stand_per']} "
                  f"vervangt {meta['correctie']['vervangt']}")
            return 0
        stand_per = date.fromisoformat(args.stand_per)
    except ValueError as exc:
        print(f"kijkglas generate: {exc}", file=sys.stderr)
        return 2
    rows = generate_extract(profile, stand_per, args.out, args.seed, fmt, regio)
    dt = time.perf_counter() - t0
    print(f"extract stand per {stand_per.isoformat()} ({profile}, seed {args.seed}, {fmt}) geschreven in {args.out} "
          f"in {dt:.1f} s: " + ", ".join(f"{k} {v}" for k, v in rows.items()))
    return 0
