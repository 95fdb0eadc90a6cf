"""Cut the full history at a stand per, inject/repair the corrected records, and write an extract folder."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from schemas.extract import TABLES

from .days import NULL, ymd
from .history import History
from .reference import CATEGORIEEN, KERNSOORTEN, SO, SOORTEN, VSO, BAO

EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    return (d - EPOCH).days


# --- arrow column builders -----------------------------------------------------------------------

def _date(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    null = days == NULL
    return pa.array(np.where(null, 0, days).astype(np.int32), mask=null).view(pa.date32())


def _lookup(values, idx: np.ndarray) -> pa.Array:
    """values[idx] as a string array; idx < 0 = null."""
    idx = np.asarray(idx, dtype=np.int64)
    null = idx < 0
    ix = pa.array(np.where(null, 0, idx).astype(np.int32), mask=null if null.any() else None)
    return pc.take(pa.array(list(values), type=pa.string()), ix)


def _jn(flags: np.ndarray) -> pa.Array:
    return _lookup(("N", "J"), np.asarray(flags, dtype=np.int64))


def _digits(x: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal strings; x < 0 = null."""
    x = np.asarray(x, dtype=np.int64)
    null = x < 0
    s = pa.array(np.where(null, 0, x), mask=null if null.any() else None).cast(pa.string())
    return pc.utf8_lpad(s, width=width, padding="0")


def _prefixed(prefix: str, x: np.ndarray, width: int) -> pa.Array:
    return pc.binary_join_element_wise(prefix, _digits(x, width), "")


def inschrijving_id(n) -> str:
    return f"I{int(n):09d}"


def tlv_nummer(n) -> str:
    return f"TLV{int(n):08d}"


def cvi_nummer(n) -> str:
    return f"CVI{int(n):07d}"


def _table(name: str, cols: dict) -> pa.Table:
    assert list(cols) == list(TABLES[name]), (name, list(cols))
    return pa.table(cols)


def static_tables(h: History) -> dict[str, pa.Table]:
    ref = h.ref
    sector = np.asarray(ref.swv_sector, dtype=np.int64)
    kern = np.where(np.isin(ref.vest_soort, [SO, VSO]), ref.vest_kern, -1)
    return {
        "samenwerkingsverbanden": _table("samenwerkingsverbanden", {
            "swv_code": pa.array(ref.swv_code, pa.string()),
            "naam": pa.array(ref.swv_naam, pa.string()),
            "sector": _lookup(("PO", "VO"), sector),
            "adres": pa.array(ref.swv_adres, pa.string()),
            "postcode": pa.array(ref.swv_postcode, pa.string()),
            "plaats": pa.array(ref.swv_plaats, pa.string()),
        }),
        "regio_indeling": _table("regio_indeling", {
            "pc4": pa.array(ref.pc4, pa.string()),
            "gemeente": pa.array(ref.gemeente, pa.string()),
            "swv_po": _lookup(ref.swv_code, ref.pc4_po),
            "swv_vo": _lookup(ref.swv_code, ref.pc4_vo),
        }),
        "vestigingen": _table("vestigingen", {
            "vestiging_code": pa.array(ref.vest_code, pa.string()),
            "naam": pa.array(ref.vest_naam, pa.string()),
            "soort": _lookup(SOORTEN, ref.vest_soort),
            "kernsoort": _lookup(KERNSOORTEN, kern),
            "swv_code": _lookup(ref.swv_code, ref.vest_swv),
            "plaats": pa.array(ref.vest_plaats, pa.string()),
        }),
    }


def cut(h: History, stand_per: date) -> dict[str, pa.Table]:
    """The extract as the register stood on stand_per: nothing that began (or was issued) later,
    registration ends after stand_per unknown (null). TLV/CvI end dates are known at issue: kept."""
    s = day_number(stand_per)
    rk = np.flatnonzero(h.r_begin <= s)
    tk = np.flatnonzero(h.t_afg <= s)
    ck = np.flatnonzero(h.c_begin <= s)
    bk = np.flatnonzero(h.b_date <= s)
    used = np.zeros(len(h.lid), dtype=bool)
    used[h.r_pupil[rk]] = True
    used[h.t_pupil[tk]] = True
    used[h.c_pupil[ck]] = True
    pk = np.flatnonzero(used)
    pk = pk[np.argsort(h.lid[pk], kind="stable")]

    r_end = h.r_end[rk]
    r_end = np.where(r_end > s, NULL, r_end)
    lid_str = lambda idx: pa.array(h.lid[idx]).cast(pa.string())  # noqa: E731  (9 digits, >= 10^8)

    out = static_tables(h)
    out["leerlingen"] = _table("leerlingen", {
        "leerling_id": lid_str(pk),
        "bsn_laatste4": _digits(h.bsn4[pk], 4),
        "geboortedatum": _date(h.birth[pk]),
        "pc4_woonadres": _digits(h.pc4[pk], 4),
    })
    out["inschrijvingen"] = _table("inschrijvingen", {
        "inschrijving_id": _prefixed("I", h.r_id[rk], 9),
        "leerling_id": lid_str(h.r_pupil[rk]),
        "vestiging_code": _lookup(h.ref.vest_code, h.r_vest[rk]),
        "begindatum": _date(h.r_begin[rk]),
        "einddatum": _date(r_end),
        "bekostigd": _jn(h.r_bek[rk]),
        "residentieel": _jn(h.r_resid[rk]),
        "lwoo": _jn(h.r_lwoo[rk]),
        "pro": _jn(h.r_pro[rk]),
        "vavo": _jn(h.r_vavo[rk]),
    })
    out["tlv"] = _table("tlv", {
        "tlv_nummer": _prefixed("TLV", h.t_nr[tk], 8),
        "leerling_id": lid_str(h.t_pupil[tk]),
        "swv_code": _lookup(h.ref.swv_code, h.t_swv[tk]),
        "soort": _lookup(SOORTEN, h.t_soort[tk]),
        "categorie": _lookup(CATEGORIEEN, h.t_cat[tk]),
        "afgiftedatum": _date(h.t_afg[tk]),
        "begindatum": _date(h.t_begin[tk]),
        "einddatum": _date(h.t_end[tk]),
    })
    out["cvi_indicaties"] = _table("cvi_indicaties", {
        "cvi_nummer": _prefixed("CVI", h.c_nr[ck], 7),
        "leerling_id": lid_str(h.c_pupil[ck]),
        "soort_indicatie": _lookup(KERNSOORTEN, h.c_soort[ck]),
        "begindatum": _date(h.c_begin[ck]),
        "einddatum": _date(h.c_end[ck]),
    })
    out["bekostiging"] = _table("bekostiging", {
        "swv_code": _lookup(h.ref.swv_code, h.b_swv[bk]),
        "onderdeel": pa.array([h.b_onderdeel[i] for i in bk], pa.string()),
        "bedrag": pa.array([Decimal(int(h.b_cents[i])).scaleb(-2) for i in bk], pa.decimal128(14, 2)),
        "vastgesteld_op": _date(h.b_date[bk]),
    })
    return {name: out[name] for name in TABLES}


# --- corrections ---------------------------------------------------------------------------------

def correction_date(T: int) -> date:
    return date(T, 11, 11)


def corrupt_for_correction(rng: np.random.Generator, h: History) -> tuple[History, list[dict]]:
    """The register before the correction of 11 November T: a few records wrong in a way that changes
    Kijkglas 1 (teldatum 1-10-T). Returns (history with the errors, the list of corrections made on
    11 November, each {table, id, column, before, after} with before = the wrong value)."""
    T = h.T
    tel = ymd(T, 10, 1)
    sep1 = ymd(T, 9, 1)
    corr = day_number(correction_date(T))
    ref = h.ref
    soort = ref.vest_soort[h.r_vest]
    counted = (h.r_begin <= tel) & (h.r_end >= tel) & h.r_bek
    vso = np.isin(soort, [SO, VSO])
    cand = np.flatnonzero(counted & vso & (h.r_begin <= sep1) & (h.r_end > corr) & (h.r_resid == 0))
    bao = np.flatnonzero(counted & (soort == BAO) & (h.r_end > corr))
    taken_pupils: set[int] = set()
    corrections: list[dict] = []
    r_bek = h.r_bek.copy()
    r_end = h.r_end.copy()
    t_cat = h.t_cat.copy()

    def pick(pool: np.ndarray, pupil_of: np.ndarray, k: int) -> list[int]:
        """k items of pool (in random order) whose pupil is not corrected yet."""
        got: list[int] = []
        for i in pool[rng.permutation(len(pool))]:
            pu = int(pupil_of[i])
            if pu in taken_pupils:
                continue
            taken_pupils.add(pu)
            got.append(int(i))
            if len(got) == k:
                break
        return sorted(got)

    # TLVs in force on the teldatum, alone of their soort for the pupil, with a counted (v)so registration
    tl_pool = np.zeros(0, dtype=np.int64)
    valid_t = ((h.t_begin <= tel) & ((h.t_end == NULL) | (h.t_end >= tel)) & (h.t_cat >= 0))
    vt = np.flatnonzero(valid_t)
    if len(vt):
        key = h.t_pupil[vt] * 8 + h.t_soort[vt]
        uk, cnt = np.unique(key, return_counts=True)
        single = vt[np.isin(key, uk[cnt == 1])]
        rows_key = h.r_pupil[cand] * 8 + soort[cand]
        tl_pool = single[np.isin(h.t_pupil[single] * 8 + h.t_soort[single], rows_key)]

    for i in pick(cand, h.r_pupil, 2) + pick(bao, h.r_pupil, 1):
        r_bek[i] = False
        corrections.append({"table": "inschrijvingen", "id": inschrijving_id(h.r_id[i]), "column": "bekostigd",
                            "before": "N", "after": "J"})
    for i in pick(tl_pool, h.t_pupil, 1):
        good = int(t_cat[i])
        t_cat[i] = (good + 1) % 3
        corrections.append({"table": "tlv", "id": tlv_nummer(h.t_nr[i]), "column": "categorie",
                            "before": CATEGORIEEN[t_cat[i]], "after": CATEGORIEEN[good]})
    for i in pick(cand, h.r_pupil, 1):
        wrong = ymd(T, 9, 20)
        good = int(r_end[i])
        r_end[i] = wrong
        corrections.append({"table": "inschrijvingen", "id": inschrijving_id(h.r_id[i]), "column": "einddatum",
                            "before": str(np.datetime64(wrong, "D")),
                            "after": None if good > corr else str(np.datetime64(good, "D"))})
    raw = h.copy_with(r_bek=r_bek, r_end=r_end, t_cat=t_cat)
    return raw, corrections


# --- writing -------------------------------------------------------------------------------------

def _needs_quotes(t: pa.Table) -> bool:
    for col in t.columns:
        if pa.types.is_string(col.type) and pc.any(pc.match_substring_regex(col, r'[",\r\n]')).as_py():
            return True
    return False


# identifiers, (nearly) unique per row: dictionary encoding only costs time there
_UNIQUE_COLUMNS = {"inschrijving_id", "leerling_id", "tlv_nummer", "cvi_nummer"}


def write_extract(tables: dict[str, pa.Table], folder: Path, stand_per: date, fmt: str) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, t in tables.items():
        for ext in ("csv", "parquet"):
            stale = folder / f"{name}.{ext}"
            if ext != fmt and stale.exists():
                stale.unlink()
        path = folder / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(t, path, compression="zstd", row_group_size=1 << 20,
                           use_dictionary=[c for c in t.column_names if c not in _UNIQUE_COLUMNS])
        else:
            style = "needed" if _needs_quotes(t) else "none"
            with open(path, "wb") as f:  # plain header line; pyarrow would quote the names
                f.write((",".join(t.column_names) + "\n").encode("utf-8"))
                pacsv.write_csv(t, f, pacsv.WriteOptions(include_header=False, quoting_style=style))
    (folder / "extract.json").write_text(
        json.dumps({"stand_per": stand_per.isoformat(), "bron": "ROD"}) + "\n", encoding="utf-8")
