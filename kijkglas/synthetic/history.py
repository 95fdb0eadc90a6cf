"""The full synthetic registration history of two schooljaren, built once and cut at any stand per.

Model (all vectorised over pupils; no per-pupil Python loop):

* Pupils are born in cohorts; every pupil follows a *track* of at most three consecutive
  registrations ("slots"): the regular track is BAO from the 4th birthday, then VO from the
  1 August of the year the pupil is 12 on 1 October. Special tracks put an SBAO, SO or VSO
  spell in between or instead (bao->sbao, so->vso, bao->so, vo->vso, ...).
* Only registrations overlapping the history window [1 Aug T-1, 31 Jul T+1] are kept (T = the
  schooljaar of the stand per); begin dates before the window stay as they were.
* Every SBAO/SO/VSO spell gets a chain of TLVs (issued by the home SWV, for SBAO by the SWV of
  the pupil's bao), some delayed (tijdelijke plaatsing first), some never (GEEN_TLV), renewals
  adjacent or overlapping, some expiring. Some older (v)so pupils hold an old CvI instead
  (some later replaced by a TLV); some spells are residential (RP), with or without TLV.
* Moves then split registrations: to another vestiging of the same soort (same or other SWV),
  back to regular education (terugplaatsing), or out of the register.

A registration's `end` is always a real date here; `cut()` turns ends after the stand per into
null and drops what began after it. Dates are int64 day numbers (days since 1970-01-01).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .reference import (BAO, KERN_CAT, PO, SBAO, SECTOR_OF_SOORT, SO, VO, VO_SECTOR, VSO, Reference)

NULL = np.iinfo(np.int64).min  # null date


# --- dates ---------------------------------------------------------------------------------------
# Lookup tables instead of datetime64 casts: the generator does date arithmetic on millions of rows.

_Y0, _NY = 1900, 260                                   # years 1900 .. 2159
_MONTH_START = ((np.arange(_Y0, _Y0 + _NY)[:, None] - 1970) * 12 + np.arange(12)[None, :]) \
    .astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)      # [year - 1900, month - 1]
_D0 = int(_MONTH_START[0, 0])
_ALL_DAYS = np.arange(_D0, int(_MONTH_START[-1, -1]) + 31).astype("datetime64[D]")
_YEAR = (_ALL_DAYS.astype("datetime64[Y]").astype(np.int64) + 1970).astype(np.int16)
_MONTH = (_ALL_DAYS.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int16)
_MD = (_MONTH * 100 + (_ALL_DAYS - _ALL_DAYS.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int16) + 1
       ).astype(np.int16)
del _ALL_DAYS


def ymd(y, m=1, d=1):
    """Day number(s) of y-m-d; y, m, d may be arrays (d may exceed the month: it just rolls on)."""
    y = np.asarray(y, dtype=np.int64)
    out = _MONTH_START[y - _Y0, np.asarray(m, dtype=np.int64) - 1] + (np.asarray(d, dtype=np.int64) - 1)
    return out if np.ndim(out) else int(out)


def year_of(days) -> np.ndarray:
    return _YEAR[np.asarray(days, dtype=np.int64) - _D0].astype(np.int64)


def month_day(days) -> np.ndarray:
    """month*100 + day."""
    return _MD[np.asarray(days, dtype=np.int64) - _D0].astype(np.int64)


def add_years(days, k) -> np.ndarray:
    """Same day-of-month k years later (29 Feb -> 1 Mar in a non-leap year)."""
    md = month_day(days)
    return ymd(year_of(days) + k, md // 100, md % 100)


def schooljaar_of(days) -> np.ndarray:
    """The T of the schooljaar T-(T+1) (1 Aug T .. 31 Jul T+1) containing the day."""
    return year_of(days) - (month_day(days) < 801)


TLV_START = ymd(2014, 8, 1)  # passend onderwijs: the first TLVs


# --- profile parameters --------------------------------------------------------------------------

@dataclass(frozen=True)
class Params:
    name: str
    n_po: int
    n_vo: int
    n_pc4: int                 # invented postcodes (without --regio-indeling)
    vestigingen: dict          # soort -> count
    cohort: float              # pupils per birth year, younger than 12 on 1 Oct T
    vo_factor: float           # older cohorts are larger (births fell after ~2010)
    min_k: int                 # every rare situation at least this many times (small: tests rely on it)
    # track probabilities per pupil
    p_sbao: float = 0.072
    p_so_direct: float = 0.014
    p_so_bao: float = 0.0235
    p_vso_bao: float = 0.0045
    p_vso_vo: float = 0.0065
    p_sbao_to_vso: float = 0.10     # after sbao: VSO instead of VO
    p_so_to_vso: float = 0.50       # after so: VSO (so->vso) instead of VO
    # event rates
    p_move_regular: float = 0.045
    p_move_vso: float = 0.10
    p_rp: float = 0.035
    p_geen_tlv: float = 0.025
    p_tlv_delayed: float = 0.06
    p_cvi: float = 0.05
    p_sbao_cross: float = 0.08
    p_bekostigd_n: float = 0.004
    p_pc4_missing: float = 0.003
    p_pc4_unknown: float = 0.002


PROFILES: dict[str, Params] = {
    "national": Params(name="national", n_po=76, n_vo=74, n_pc4=4000,
                       vestigingen={BAO: 6500, SBAO: 270, SO: 330, VSO: 330, VO: 1500},
                       cohort=184_000, vo_factor=1.095, min_k=3),
    "small": Params(name="small", n_po=3, n_vo=3, n_pc4=60,
                    vestigingen={BAO: 24, SBAO: 4, SO: 5, VSO: 5, VO: 9},
                    cohort=300, vo_factor=1.07, min_k=4,
                    p_rp=0.08, p_geen_tlv=0.06, p_cvi=0.15, p_sbao_cross=0.2, p_move_vso=0.2),
}


# --- the history ---------------------------------------------------------------------------------

@dataclass
class History:
    T: int                      # schooljaar T-(T+1) of the stand per(s)
    w0: int                     # window start: 1 Aug T-1
    horizon: int                # window end: 31 Jul T+1
    ref: Reference
    # pupils (index = pupil id)
    lid: np.ndarray             # int64 9-digit leerling_id
    birth: np.ndarray
    pc4: np.ndarray             # int64 postcode number, -1 = null
    bsn4: np.ndarray            # int64 0..9999, -1 = null
    # inschrijvingen, sorted by (leerling_id, begindatum)
    r_id: np.ndarray            # int64 sequence, chronological
    r_pupil: np.ndarray
    r_vest: np.ndarray
    r_begin: np.ndarray
    r_end: np.ndarray
    r_bek: np.ndarray           # bool
    r_resid: np.ndarray         # int8 -1 null / 0 N / 1 J
    r_lwoo: np.ndarray
    r_pro: np.ndarray
    r_vavo: np.ndarray
    # tlv, sorted by nummer
    t_nr: np.ndarray
    t_pupil: np.ndarray
    t_swv: np.ndarray
    t_soort: np.ndarray         # int8 soort code (SBAO/SO/VSO)
    t_cat: np.ndarray           # int8 -1 null / 0 L / 1 M / 2 H
    t_afg: np.ndarray
    t_begin: np.ndarray
    t_end: np.ndarray           # NULL = no end
    # cvi_indicaties, sorted by nummer
    c_nr: np.ndarray
    c_pupil: np.ndarray
    c_soort: np.ndarray         # int8 kernsoort index (never PI)
    c_begin: np.ndarray
    c_end: np.ndarray
    # bekostiging
    b_swv: np.ndarray
    b_onderdeel: list
    b_cents: np.ndarray
    b_date: np.ndarray

    def copy_with(self, **arrays) -> "History":
        return replace(self, **arrays)


class _Chooser:
    """Weighted choice of an item within a group, vectorised: choose(groups, u) -> item index.

    A group without items falls through to the next group's first item (a neighbouring SWV)."""

    def __init__(self, items: np.ndarray, groups: np.ndarray, weights: np.ndarray, n_groups: int):
        order = np.lexsort((items, groups))
        self.items = items[order]
        g = groups[order]
        w = weights[order].astype(np.float64)
        cum = np.cumsum(w)
        first = np.searchsorted(g, g, side="left")
        before = np.concatenate([[0.0], cum])[first]
        tot = np.bincount(g, w, minlength=n_groups)
        self.key = g + (cum - before) / tot[g]
        self.n = len(self.items)

    def choose(self, groups: np.ndarray, u: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.key, groups + u * 0.999999, side="right")
        return self.items[np.minimum(pos, self.n - 1)]


def _pick(rng: np.random.Generator, candidates: np.ndarray, rate: float, min_k: int) -> np.ndarray:
    """A sorted random subset of candidate indices: about rate*n of them, at least min_k (if there are)."""
    n = len(candidates)
    k = min(n, max(min_k, int(round(rate * n))))
    if k == 0:
        return candidates[:0]
    return np.sort(candidates[rng.choice(n, k, replace=False)])


def _unique_ids(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """n distinct random integers in [lo, hi), in random order."""
    extra = max(64, n // 20)
    while True:
        x = rng.integers(lo, hi, n + extra)
        order = np.argsort(x, kind="stable")
        dup = np.zeros(len(x), dtype=bool)
        dup[order[1:][x[order[1:]] == x[order[:-1]]]] = True   # later copies of a value
        x = x[~dup]
        if len(x) >= n:
            return x[:n]
        extra *= 2


def _tlv_chains(rng: np.random.Generator, start: np.ndarray, spell_end: np.ndarray, horizon: int,
                has_tlv: np.ndarray, is_sbao: np.ndarray, cat: np.ndarray):
    """TLVs for spells: the first begins at `start`, each runs to 31 July after 0-3 schooljaren (some (v)so
    TLVs to a date mid-year, some without end), then is renewed by an adjacent TLV (next day) or an
    overlapping one (begins before the old one ends), or not at all (expires). Categories sometimes change
    at a renewal. Vectorised over spells: one loop round per generation of renewals.
    Returns (spell index, begindatum, afgiftedatum, einddatum or NULL, categorie) per TLV."""
    cat = cat.copy()
    cur = start.copy()
    active = has_tlv & (cur <= np.minimum(spell_end, horizon))
    out: dict[str, list] = {k: [] for k in ("spell", "b", "afg", "e", "cat")}
    while active.any():
        ix = np.flatnonzero(active)
        m_ = len(ix)
        b = cur[ix]
        afg = np.minimum(np.maximum(b - rng.integers(0, 46, m_), TLV_START), b)
        sy = schooljaar_of(b)
        sbx = is_sbao[ix]
        null_end = rng.random(m_) < np.where(sbx, 0.45, 0.06)
        L = np.where(sbx, rng.choice([0, 1, 2], size=m_, p=[0.2, 0.5, 0.3]),
                     rng.choice([0, 1, 2, 3], size=m_, p=[0.25, 0.35, 0.25, 0.15]))
        e = ymd(sy + 1 + L, 7, 31)
        midyear = (rng.random(m_) < 0.25) & ~sbx
        e = np.where(midyear, b + rng.integers(180, 730, m_), e)
        e = np.where(null_end, NULL, e)
        for k, v in (("spell", ix), ("b", b), ("afg", afg), ("e", e), ("cat", cat[ix].copy())):
            out[k].append(v)
        covers = null_end | (e >= spell_end[ix])
        r = rng.random(m_)
        stop = r >= 0.88                                       # not renewed: the TLV expires
        overlap = (r >= 0.66) & ~stop & (e - b > 75)           # renewed before the old one ends
        back = rng.integers(30, 200, m_)
        nb = np.where(overlap, np.maximum(e - np.minimum(back, e - b - 45), b + 30), e + 1)
        recat = (rng.random(m_) < 0.2) & ~sbx
        cat[ix] = np.where(recat, rng.choice(3, size=m_, p=[0.6, 0.2, 0.2]).astype(np.int8), cat[ix])
        cur[ix] = nb
        active[ix] = ~covers & ~stop & (nb <= np.minimum(spell_end[ix], horizon))
    empty = np.zeros(0, dtype=np.int64)
    return tuple(np.concatenate(out[k]) if out[k] else empty for k in ("spell", "b", "afg", "e", "cat"))


def build_history(rng: np.random.Generator, ref: Reference, p: Params, T: int) -> History:
    w0, H = ymd(T - 1, 8, 1), ymd(T + 1, 7, 31)

    # ---- pupils -------------------------------------------------------------------------------
    years = np.arange(T - 21, T - 2)
    size = np.where(T - years >= 12, p.cohort * p.vo_factor, p.cohort)
    counts = rng.poisson(size)
    n = int(counts.sum())
    by = np.repeat(years, counts)
    y0 = ymd(by, 1, 1)
    birth = y0 + (rng.random(n) * (ymd(by + 1, 1, 1) - y0)).astype(np.int64)

    REG, T_SBAO, T_SO_DIRECT, T_SO_BAO, T_VSO_BAO, T_VSO_VO = range(6)
    probs = np.array([p.p_sbao, p.p_so_direct, p.p_so_bao, p.p_vso_bao, p.p_vso_vo])
    u = rng.random(n)
    track = np.searchsorted(np.cumsum(probs), u, side="right") + 1
    track[track > 5] = REG
    track = track.astype(np.int8)
    special = track != REG
    ret = rng.random(n) < np.where(special, 0.15, 0.05)
    s0 = year_of(birth) + 12 + (month_day(birth) > 1001)   # first schooljaar aged 12 on 1 Oct
    sv = s0 + ret                                           # actual start of secondary education
    bd4 = add_years(birth, 4)
    D = rng.choice([4, 5, 6, 7], size=n, p=[0.42, 0.31, 0.22, 0.05])
    D = np.where(ret, np.minimum(D, 6), D)
    Dv = rng.choice([4, 5, 6, 7, 8], size=n, p=[0.12, 0.22, 0.3, 0.24, 0.12])

    # home postcode (children per postcode by weight) and home SWVs
    cw = np.cumsum(ref.pc4_weight)
    pc4i = np.minimum(np.searchsorted(cw, rng.random(n) * cw[-1], side="right"), len(cw) - 1)
    home = np.stack([ref.pc4_po[pc4i], ref.pc4_vo[pc4i]])    # [sector, pupil]

    # ---- tracks: up to three consecutive slots per pupil ----------------------------------------
    K = 3
    sl_soort = [np.full(n, -1, dtype=np.int8) for _ in range(K)]
    sl_b = [np.zeros(n, dtype=np.int64) for _ in range(K)]
    sl_e = [np.zeros(n, dtype=np.int64) for _ in range(K)]

    def put(idx, k, soort, b, e):
        sl_soort[k][idx] = soort
        sl_b[k][idx] = b
        sl_e[k][idx] = e

    def secondary(idx, p_vso):
        """After a special spell: VSO (so->vso) or VO, from 1 August of the secondary start year."""
        to_vso = rng.random(len(idx)) < p_vso
        return (np.where(to_vso, VSO, VO).astype(np.int8), ymd(sv[idx], 8, 1),
                np.where(to_vso, ymd(sv[idx] + Dv[idx], 7, 31), ymd(sv[idx] + D[idx], 7, 31)))

    def entry(idx, p_years):
        """1 August k years before secondary (k ~ p_years, k = 1, 2, ...), or (40 %) later in that schooljaar."""
        k = rng.choice(np.arange(1, len(p_years) + 1), size=len(idx), p=p_years)
        mid = rng.random(len(idx)) < 0.4
        return ymd(sv[idx] - k, 8, 1) + np.where(mid, rng.integers(20, 320, len(idx)), 0)

    i = np.flatnonzero(track == REG)
    put(i, 0, BAO, bd4[i], ymd(sv[i], 7, 31))
    put(i, 1, VO, ymd(sv[i], 8, 1), ymd(sv[i] + D[i], 7, 31))

    i = np.flatnonzero(track == T_SBAO)                      # bao -> sbao -> vo/vso
    x = entry(i, [0.12, 0.2, 0.23, 0.2, 0.15, 0.10])
    put(i, 0, BAO, bd4[i], x - 1)
    put(i, 1, SBAO, x, ymd(sv[i], 7, 31))
    put(i, 2, *secondary(i, p.p_sbao_to_vso))

    i = np.flatnonzero(track == T_SO_DIRECT)                 # so from age 4 -> vso/vo
    put(i, 0, SO, bd4[i] + rng.integers(0, 90, len(i)), ymd(sv[i], 7, 31))
    put(i, 1, *secondary(i, p.p_so_to_vso))

    i = np.flatnonzero(track == T_SO_BAO)                    # bao -> so -> vso/vo
    y = entry(i, [0.12, 0.16, 0.17, 0.17, 0.15, 0.13, 0.10])
    put(i, 0, BAO, bd4[i], y - 1)
    put(i, 1, SO, y, ymd(sv[i], 7, 31))
    put(i, 2, *secondary(i, p.p_so_to_vso))

    i = np.flatnonzero(track == T_VSO_BAO)                   # bao -> vso
    put(i, 0, BAO, bd4[i], ymd(sv[i], 7, 31))
    put(i, 1, VSO, ymd(sv[i], 8, 1), ymd(sv[i] + Dv[i], 7, 31))

    i = np.flatnonzero(track == T_VSO_VO)                    # bao -> vo -> vso
    j = rng.choice([0, 1, 2, 3], size=len(i), p=[0.3, 0.3, 0.25, 0.15])
    z = ymd(sv[i] + j, 8, 1) + np.where((rng.random(len(i)) < 0.4) | (j == 0), rng.integers(20, 320, len(i)), 0)
    put(i, 0, BAO, bd4[i], ymd(sv[i], 7, 31))
    put(i, 1, VO, ymd(sv[i], 8, 1), z - 1)
    put(i, 2, VSO, z, ymd(sv[i] + np.maximum(Dv[i], j + 1), 7, 31))

    valid = [(sl_soort[k] >= 0) & (sl_b[k] <= sl_e[k]) & (sl_e[k] >= w0) & (sl_b[k] <= H) for k in range(K)]

    # ---- a vestiging for every slot in the window (and the bao of sbao pupils: it issues the TLV) --
    choosers, global_choosers = {}, {}
    for s in (BAO, SBAO, SO, VSO, VO):
        items = np.flatnonzero(ref.vest_soort == s)
        choosers[s] = _Chooser(items, ref.vest_swv[items], ref.vest_weight[items], ref.n_swv)
        global_choosers[s] = _Chooser(items, np.zeros(len(items), dtype=np.int64), ref.vest_weight[items], 1)
    stay_p = {BAO: 0.97, SBAO: 0.93, SO: 0.75, VSO: 0.75, VO: 0.93}
    sl_vest = [np.full(n, -1, dtype=np.int64) for _ in range(K)]
    for k in range(K):
        need = valid[k] | (track == T_SBAO) if k == 0 else valid[k]
        for s in (BAO, SBAO, SO, VSO, VO):
            idx = np.flatnonzero(need & (sl_soort[k] == s))
            h = home[SECTOR_OF_SOORT[s], idx]
            u_ = rng.random(len(idx))
            stay = (rng.random(len(idx)) < stay_p[s]) & (h >= 0)
            v = np.empty(len(idx), dtype=np.int64)
            v[stay] = choosers[s].choose(h[stay], u_[stay])
            v[~stay] = global_choosers[s].choose(np.zeros(int((~stay).sum()), dtype=np.int64), u_[~stay])
            sl_vest[k][idx] = v

    # ---- flatten to registrations overlapping the window ----------------------------------------
    rows_k = [np.flatnonzero(valid[k]) for k in range(K)]
    r_pupil = np.concatenate(rows_k)
    r_slot = np.concatenate([np.full(len(rows_k[k]), k, dtype=np.int8) for k in range(K)])
    r_soort = np.concatenate([sl_soort[k][rows_k[k]] for k in range(K)])
    r_vest = np.concatenate([sl_vest[k][rows_k[k]] for k in range(K)])
    r_b = np.concatenate([sl_b[k][rows_k[k]] for k in range(K)])
    r_e = np.concatenate([sl_e[k][rows_k[k]] for k in range(K)])
    prev_in = np.concatenate([np.zeros(len(rows_k[0]), dtype=bool)] +
                             [valid[k - 1][rows_k[k]] for k in range(1, K)])
    del sl_b, sl_e, valid, rows_k
    nr = len(r_pupil)

    # SBAO cross-border: the sbao lies in another SWV than the bao before it (bao visible in the window)
    sb = np.flatnonzero((r_soort == SBAO) & prev_in & (r_b > w0))
    cross = _pick(rng, sb, p.p_sbao_cross, p.min_k)
    bao_swv = ref.vest_swv[sl_vest[0][r_pupil[cross]]]
    vv = global_choosers[SBAO].choose(np.zeros(len(cross), dtype=np.int64), rng.random(len(cross)))
    for _ in range(50):
        same = ref.vest_swv[vv] == bao_swv
        if not same.any():
            break
        vv[same] = global_choosers[SBAO].choose(np.zeros(int(same.sum()), dtype=np.int64), rng.random(int(same.sum())))
    ok = ref.vest_swv[vv] != bao_swv
    r_vest[cross[ok]] = vv[ok]

    # ---- situations of the (v)so spells ---------------------------------------------------------
    vso_rows = np.flatnonzero((r_soort == SO) | (r_soort == VSO))
    rp = np.zeros(nr, dtype=bool)
    rp_after = _pick(rng, vso_rows[prev_in[vso_rows]], p.p_rp / 2, p.min_k)
    rp[rp_after] = True
    rp[_pick(rng, vso_rows[~rp[vso_rows]], p.p_rp / 2, p.min_k)] = True
    rp_rows = np.flatnonzero(rp)
    rp_notlv = np.zeros(nr, dtype=bool)
    rp_notlv[_pick(rng, rp_rows, 0.5, min(p.min_k, len(rp_rows) // 2))] = True

    free = vso_rows[~rp[vso_rows]]
    geen = np.zeros(nr, dtype=bool)
    geen[_pick(rng, free, p.p_geen_tlv, p.min_k)] = True
    free = free[~geen[free]]
    delayed = np.zeros(nr, dtype=bool)
    delayed[_pick(rng, free, p.p_tlv_delayed, p.min_k)] = True
    free = free[~delayed[free]]
    # old CvI: (v)so pupils old enough to have been indicated before August 2014
    cvi_cand = free[birth[r_pupil[free]] <= ymd(2010, 6, 30)]
    if len(cvi_cand) < p.min_k:
        cvi_cand = free[np.argsort(birth[r_pupil[free]], kind="stable")[:max(p.min_k, len(cvi_cand))]]
        cvi_cand = np.sort(cvi_cand)
    # one CvI per pupil
    _, firsts = np.unique(r_pupil[cvi_cand], return_index=True)
    cvi_rows = _pick(rng, cvi_cand[np.sort(firsts)], p.p_cvi, p.min_k)
    nc = len(cvi_rows)
    c_pupil = r_pupil[cvi_rows]
    lo = np.maximum(bd4[c_pupil], ymd(2011, 8, 1))
    lo = np.minimum(lo, ymd(2014, 7, 1))
    c_begin = lo + (rng.random(nc) * (ymd(2014, 7, 31) - lo)).astype(np.int64)
    later_tlv = rng.random(nc) < 0.6
    later_tlv[: min(nc, max(1, p.min_k // 2))] = True
    later_tlv[nc - min(nc, max(1, p.min_k // 2)):] = False
    c_lo = np.maximum(r_b[cvi_rows], w0) + 20
    c_hi = np.maximum(c_lo, np.minimum(r_e[cvi_rows], H) - 20)
    c_end = np.where(later_tlv, c_lo + (rng.random(nc) * (c_hi - c_lo)).astype(np.int64), NULL)
    kern = ref.vest_kern[r_vest[cvi_rows]].astype(np.int64)
    c_soort = np.where(kern == 6, 5, kern).astype(np.int8)   # PI is no indication: ZMOK
    cvi_open = np.zeros(nr, dtype=bool)
    cvi_open[cvi_rows[~later_tlv]] = True
    cvi_tlv_from = np.full(nr, NULL, dtype=np.int64)
    cvi_tlv_from[cvi_rows[later_tlv]] = c_end[later_tlv] + 1

    # ---- TLV chains -----------------------------------------------------------------------------
    spells = np.flatnonzero((r_soort == SBAO) | (r_soort == SO) | (r_soort == VSO))
    ns = len(spells)
    sp_soort = r_soort[spells]
    sp_b, sp_e = r_b[spells], r_e[spells]
    sp_vest = r_vest[spells]
    sp_pupil = r_pupil[spells]
    sector = SECTOR_OF_SOORT[sp_soort]
    issuer = home[sector, sp_pupil]
    is_sb = sp_soort == SBAO
    issuer[is_sb] = ref.vest_swv[sl_vest[0][sp_pupil[is_sb]]]            # the bao's SWV
    uu = rng.random(ns)
    to_vest = (uu < 0.05) | (issuer < 0)
    issuer[to_vest & ~is_sb] = ref.vest_swv[sp_vest[to_vest & ~is_sb]]
    issuer[is_sb & (issuer < 0)] = ref.vest_swv[sp_vest[is_sb & (issuer < 0)]]
    rnd = (uu >= 0.05) & (uu < 0.07) & ~is_sb
    po_swvs, vo_swvs = ref.swvs_of(PO), ref.swvs_of(VO_SECTOR)
    ri = rng.integers(0, 1 << 30, ns)
    issuer[rnd] = np.where(sector[rnd] == PO, po_swvs[ri[rnd] % len(po_swvs)], vo_swvs[ri[rnd] % len(vo_swvs)])

    kcat = KERN_CAT[np.maximum(ref.vest_kern[sp_vest], 0)]
    cat = np.where(rng.random(ns) < 0.75, kcat, rng.choice(3, size=ns, p=[0.6, 0.2, 0.2])).astype(np.int8)
    cat[is_sb] = -1

    start = sp_b.copy()
    dl = delayed[spells]
    start[dl] += rng.integers(10, 80, int(dl.sum()))
    cf = cvi_tlv_from[spells] != NULL
    start[cf] = np.maximum(sp_b[cf], cvi_tlv_from[spells][cf])
    start = np.maximum(start, TLV_START)
    no_tlv = geen[spells] | rp_notlv[spells] | cvi_open[spells]
    t_spell, t_b, t_afg, t_e, t_cat = _tlv_chains(rng, start, sp_e, H, ~no_tlv, is_sb, cat)
    keep = ((t_e == NULL) | (t_e >= w0)) & (t_afg <= H)
    t_spell, t_b, t_afg, t_e, t_cat = t_spell[keep], t_b[keep], t_afg[keep], t_e[keep], t_cat[keep]
    t_pupil = sp_pupil[t_spell]
    t_swv = issuer[t_spell]
    t_soort = sp_soort[t_spell]

    # ---- moves ----------------------------------------------------------------------------------
    lo = np.maximum(r_b, w0) + 1
    hi = np.minimum(r_e, H)
    movable = lo <= hi
    reg_c = np.flatnonzero(movable & ((r_soort == BAO) | (r_soort == VO) | (r_soort == SBAO)))
    vso_c = np.flatnonzero(movable & ((r_soort == SO) | (r_soort == VSO)))
    mv_reg = _pick(rng, reg_c, p.p_move_regular, p.min_k)
    mv_vso = _pick(rng, vso_c, p.p_move_vso, 3 * p.min_k)
    mv = np.concatenate([mv_reg, mv_vso])
    nm = len(mv)
    # the move date: often between 1 October and 1 February (growth flows), else anywhere
    span = hi[mv] - lo[mv]
    anyday = lo[mv] + (rng.random(nm) * (span + 1)).astype(np.int64)
    sy = schooljaar_of(anyday)
    wlo = np.maximum(ymd(sy, 10, 2), lo[mv])
    whi = np.minimum(ymd(sy + 1, 1, 31), hi[mv])
    winter = (rng.random(nm) < 0.35) & (wlo <= whi)
    mdate = np.where(winter, wlo + (rng.random(nm) * (np.maximum(whi - wlo, 0) + 1)).astype(np.int64), anyday)
    # kind: 0 = other vestiging same soort, 1 = terugplaatsing to regular, 2 = leaves the register
    kind = np.zeros(nm, dtype=np.int8)
    isv = np.arange(nm) >= len(mv_reg)
    kr = rng.random(nm)
    kind[isv & (kr >= 0.55)] = 1
    kind[isv & (kr >= 0.75)] = 2
    msoort = r_soort[mv]
    new_soort = msoort.copy()
    new_soort[kind == 1] = np.where(msoort[kind == 1] == SO, BAO, VO)
    vo_cap = ymd(s0[r_pupil[mv]] + 7, 7, 31)      # VO until the schooljaar the pupil is 18 on 1 Oct
    new_end = r_e[mv].copy()
    tv = (kind == 1) & (msoort == VSO)
    kind[tv & (mdate > vo_cap)] = 2
    new_end[tv] = np.minimum(new_end[tv], vo_cap[tv])
    same_swv = rng.random(nm) < 0.65
    new_vest = np.full(nm, -1, dtype=np.int64)
    for s in (BAO, SBAO, SO, VSO, VO):
        ix = np.flatnonzero((new_soort == s) & (kind != 2))
        if len(ix) == 0:
            continue
        old = r_vest[mv[ix]]
        grp = np.where(kind[ix] == 1, home[SECTOR_OF_SOORT[s], r_pupil[mv[ix]]], ref.vest_swv[old])
        in_grp = (same_swv[ix] | (kind[ix] == 1)) & (grp >= 0)
        v = np.empty(len(ix), dtype=np.int64)
        for _ in range(20):
            uu = rng.random(len(ix))
            v = np.where(in_grp, choosers[s].choose(np.maximum(grp, 0), uu),
                         global_choosers[s].choose(np.zeros(len(ix), dtype=np.int64), uu))
            same = v == old
            if not same.any():
                break
            in_grp = in_grp & ~same          # no other vestiging in the SWV: go elsewhere
        new_vest[ix] = v
    has_new = (kind != 2) & (new_vest >= 0) & (new_vest != r_vest[mv])
    kind[(kind != 2) & ~has_new] = 2
    r_e = r_e.copy()
    r_e[mv] = mdate - 1
    nw = np.flatnonzero(has_new)
    # a cross-SWV move of a bao pupil: the family moved, so does the home postcode
    bao_cross = nw[(new_soort[nw] == BAO) & (kind[nw] == 0) &
                   (ref.vest_swv[new_vest[nw]] != ref.vest_swv[r_vest[mv[nw]]])]
    if len(bao_cross):
        pc_items = np.flatnonzero(ref.pc4_po >= 0)
        pc_ch = _Chooser(pc_items, ref.pc4_po[pc_items], ref.pc4_weight[pc_items], ref.n_swv)
        pc4i[r_pupil[mv[bao_cross]]] = pc_ch.choose(ref.vest_swv[new_vest[bao_cross]], rng.random(len(bao_cross)))

    r_pupil = np.concatenate([r_pupil, r_pupil[mv[nw]]])
    r_vest = np.concatenate([r_vest, new_vest[nw]])
    r_b = np.concatenate([r_b, mdate[nw]])
    r_e = np.concatenate([r_e, new_end[nw]])
    r_soort = np.concatenate([r_soort, new_soort[nw]])
    rp_all = np.concatenate([rp, rp[mv[nw]] & (kind[nw] == 0)])
    nr = len(r_pupil)

    # ---- flags ----------------------------------------------------------------------------------
    is_vso_row = (r_soort == SO) | (r_soort == VSO)
    r_resid = np.where(is_vso_row, rp_all.astype(np.int8), -1).astype(np.int8)
    pro_p = np.where(track == T_SBAO, 0.25, np.where(special, 0.1, 0.025))
    pup_pro = rng.random(n) < pro_p
    lwoo_p = np.where(track == T_SBAO, 0.5, np.where(D == 4, 0.24, 0.02))
    pup_lwoo = (rng.random(n) < lwoo_p) & ~pup_pro
    is_vo = r_soort == VO
    r_lwoo = np.where(is_vo, pup_lwoo[r_pupil], -1).astype(np.int8)
    r_pro = np.where(is_vo, pup_pro[r_pupil], -1).astype(np.int8)
    r_vavo = np.where(is_vo, rng.random(nr) < 0.012, -1).astype(np.int8)
    r_bek = np.ones(nr, dtype=bool)
    r_bek[_pick(rng, np.arange(nr), p.p_bekostigd_n, p.min_k)] = False
    r_bek[_pick(rng, np.flatnonzero(is_vso_row & r_bek), p.p_bekostigd_n, p.min_k)] = False

    # ---- the pupils that are in the register ----------------------------------------------------
    in_reg = np.zeros(n, dtype=bool)
    in_reg[r_pupil] = True
    keep_p = np.flatnonzero(in_reg)
    remap = np.full(n, -1, dtype=np.int64)
    remap[keep_p] = np.arange(len(keep_p))
    npup = len(keep_p)
    lid = _unique_ids(rng, npup, 100_000_000, 1_000_000_000)
    pc4_num = np.array([int(x) for x in ref.pc4], dtype=np.int64)
    pc4 = pc4_num[pc4i[keep_p]]
    is_vso_pupil = np.zeros(npup, dtype=bool)
    is_vso_pupil[remap[r_pupil[is_vso_row]]] = True
    miss = np.zeros(npup, dtype=bool)
    miss[_pick(rng, np.flatnonzero(is_vso_pupil), p.p_pc4_missing, max(1, p.min_k // 2))] = True
    miss[_pick(rng, np.arange(npup), p.p_pc4_missing, p.min_k)] = True
    pc4[miss] = -1
    known = np.zeros(10000, dtype=bool)
    known[pc4_num] = True
    unknown_codes = np.flatnonzero(~known[1000:]) + 1000
    unk = _pick(rng, np.flatnonzero(~miss), p.p_pc4_unknown, p.min_k)
    pc4[unk] = unknown_codes[rng.integers(0, len(unknown_codes), len(unk))]
    bsn4 = rng.integers(0, 10000, npup)
    bsn4[rng.random(npup) < 0.02] = -1

    r_pupil = remap[r_pupil]
    t_pupil = remap[t_pupil]
    c_pupil = remap[c_pupil]

    # ids: chronological numbers; output order by (leerling_id, begindatum)
    # (one int64 key per row: a pupil's registrations never share a begindatum, so keys are unique)
    r_lid = lid[r_pupil]
    chrono = np.argsort(r_b * (1 << 30) + r_lid)
    r_id = np.empty(nr, dtype=np.int64)
    r_id[chrono] = np.arange(1, nr + 1)
    b_min = int(r_b.min())
    assert int(r_b.max()) - b_min < (1 << 16)
    o = np.argsort(r_lid * (1 << 16) + (r_b - b_min))
    del r_lid, chrono
    t_o = np.lexsort((t_b, lid[t_pupil], t_afg))
    c_o = np.lexsort((lid[c_pupil], c_begin))

    hist = History(
        T=T, w0=w0, horizon=H, ref=ref,
        lid=lid, birth=birth[keep_p], pc4=pc4, bsn4=bsn4,
        r_id=r_id[o], r_pupil=r_pupil[o], r_vest=r_vest[o], r_begin=r_b[o], r_end=r_e[o], r_bek=r_bek[o],
        r_resid=r_resid[o], r_lwoo=r_lwoo[o], r_pro=r_pro[o], r_vavo=r_vavo[o],
        t_nr=np.arange(1, len(t_o) + 1), t_pupil=t_pupil[t_o], t_swv=t_swv[t_o], t_soort=t_soort[t_o],
        t_cat=t_cat[t_o], t_afg=t_afg[t_o], t_begin=t_b[t_o], t_end=t_e[t_o],
        c_nr=np.arange(1, nc + 1), c_pupil=c_pupil[c_o], c_soort=c_soort[c_o], c_begin=c_begin[c_o],
        c_end=c_end[c_o],
        **_bekostiging(rng, ref, p, T),
    )
    return hist


def _bekostiging(rng: np.random.Generator, ref: Reference, p: Params, T: int) -> dict:
    """A few fixed amounts for some SWVs, fixed at dates through the window (cut keeps the known ones)."""
    n_swv = ref.n_swv
    chosen = _pick(rng, np.arange(n_swv), 0.4, 2)
    swv, ond, cents, dates = [], [], [], []
    for s in chosen:
        po = ref.swv_sector[s] == PO
        parts = ["Lichte ondersteuning", "Zware ondersteuning", "Verrekening (v)so"]
        if po:
            parts.append("Verrekening sbao")
        base = rng.lognormal(15.0 if p.name == "national" else 13.0, 0.5)
        for year in (T - 1, T):
            when = ymd(year, 10, 1) + int(rng.integers(14, 120))
            for part in parts:
                f = {"Lichte ondersteuning": 0.35, "Zware ondersteuning": 1.0}.get(part, -0.08)
                amt = int(round(base * f * rng.uniform(0.9, 1.1) * 100))
                swv.append(int(s)), ond.append(part), cents.append(amt), dates.append(when)
    return dict(b_swv=np.array(swv, dtype=np.int64), b_onderdeel=ond,
                b_cents=np.array(cents, dtype=np.int64), b_date=np.array(dates, dtype=np.int64))
