"""The full synthetic registration history of two schooljaren, built once and cut at any stand per.

Model (all vectorised over pupils; no per-pupil Python loop), in the order `build_history` builds it:

* `leerlingen.py`: pupils are born in cohorts; every pupil follows a *track* of at most three
  consecutive registrations ("slots"): the regular track is BAO from the 4th birthday, then VO from
  the 1 August of the year the pupil is 12 on 1 October. Special tracks put an SBAO, SO or VSO spell
  in between or instead (bao->sbao, so->vso, bao->so, vo->vso, ...). Only registrations overlapping
  the history window [1 Aug T-1, 31 Jul T+1] are kept (T = the schooljaar of the stand per); begin
  dates before the window stay as they were.
* `tlv.py`: every SBAO/SO/VSO spell gets a chain of TLVs (issued by the home SWV, for SBAO by the SWV
  of the pupil's bao), some delayed (tijdelijke plaatsing first), some never (GEEN_TLV), renewals
  adjacent or overlapping, some expiring. Some older (v)so pupils hold an old CvI instead (some later
  replaced by a TLV); some spells are residential (RP), with or without TLV.
* `moves.py`: moves then split registrations: to another vestiging of the same soort (same or other
  SWV), back to regular education (terugplaatsing), or out of the register.
* here: the J/N columns, the pupils as the register holds them (ids, postcodes, BSN), the bekostiging,
  and everything numbered and sorted as the extract lists it.

Every step draws from the one generator in turn: the order of the steps, and of the draws within
each, is part of the output (one seed, the same bytes), so a change must keep it.

A registration's `end` is always a real date here; `cut()` turns ends after the stand per into
null and drops what began after it. Dates are int64 day numbers (days since 1970-01-01, `days.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .days import ymd
from .draws import pick, unique_ids
from .leerlingen import (TRACK_REGULAR, TRACK_SBAO, Inschrijvingen, Leerlingen, VestigingChoosers, is_so_or_vso,
                         school_careers)
from .moves import apply_moves, families_moved, simulate_moves
from .profiles import Params
from .reference import PO, VO, Reference
from .tlv import CvIs, Tlvs, issue_tlvs, old_cvis, vso_situations


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


def build_history(rng: np.random.Generator, ref: Reference, params: Params, schooljaar: int) -> History:
    """The registrations, TLVs, CvIs and bekostiging of schooljaar-1 and schooljaar (see the module's model)."""
    window_start, horizon = ymd(schooljaar - 1, 8, 1), ymd(schooljaar + 1, 7, 31)
    choosers = VestigingChoosers.of(ref)
    leerlingen, inschrijvingen, previous_in_window, bao_vestiging = school_careers(
        rng, ref, params, choosers, schooljaar, window_start, horizon)

    situations, free = vso_situations(rng, params, inschrijvingen, previous_in_window)
    cvis = old_cvis(rng, ref, params, inschrijvingen, leerlingen, free, window_start, horizon)
    tlvs = issue_tlvs(rng, ref, inschrijvingen, leerlingen, bao_vestiging, situations, cvis, window_start, horizon)

    moves = simulate_moves(rng, ref, params, inschrijvingen, leerlingen, choosers, window_start, horizon)
    families, their_pc4 = families_moved(rng, ref, inschrijvingen, moves)
    leerlingen.pc4[families] = their_pc4       # home_swv stays: it only steered the draws before
    inschrijvingen, residential = apply_moves(inschrijvingen, situations.residential, moves)

    flags = _flags(rng, params, inschrijvingen, residential, leerlingen)
    register = _leerlingen_in_register(rng, ref, params, leerlingen, inschrijvingen)
    bekostiging = _bekostiging(rng, ref, params, schooljaar)
    return _in_output_order(schooljaar, window_start, horizon, ref, leerlingen, register, inschrijvingen, flags,
                            tlvs, cvis, bekostiging)


@dataclass
class _Flags:
    """A registration's J/N columns: int8 -1 null (another soort) / 0 N / 1 J; bekostigd a bool."""
    residential: np.ndarray     # (v)so only
    lwoo: np.ndarray            # vo only
    pro: np.ndarray
    vavo: np.ndarray
    bekostigd: np.ndarray


def _flags(rng: np.random.Generator, params: Params, inschrijvingen: Inschrijvingen, residential: np.ndarray,
           leerlingen: Leerlingen) -> _Flags:
    """Pro and lwoo belong to the leerling (all its vo registrations agree): more often after sbao or another
    special track, lwoo mostly in a 4-year course (vmbo). Some registrations, some (v)so ones among them,
    are not bekostigd."""
    soort, leerling = inschrijvingen.soort, inschrijvingen.leerling
    nr = len(soort)
    vso, vo = is_so_or_vso(soort), soort == VO
    track, n = leerlingen.track, len(leerlingen.track)
    sbao_track = track == TRACK_SBAO
    pro = rng.random(n) < np.where(sbao_track, 0.25, np.where(track != TRACK_REGULAR, 0.1, 0.025))
    lwoo = (rng.random(n) < np.where(sbao_track, 0.5, np.where(leerlingen.vo_years == 4, 0.24, 0.02))) & ~pro
    flags = _Flags(residential=np.where(vso, residential.astype(np.int8), -1).astype(np.int8),
                   lwoo=np.where(vo, lwoo[leerling], -1).astype(np.int8),
                   pro=np.where(vo, pro[leerling], -1).astype(np.int8),
                   vavo=np.where(vo, rng.random(nr) < 0.012, -1).astype(np.int8),
                   bekostigd=np.ones(nr, dtype=bool))
    flags.bekostigd[pick(rng, np.arange(nr), params.p_bekostigd_n, params.min_k)] = False
    flags.bekostigd[pick(rng, np.flatnonzero(vso & flags.bekostigd), params.p_bekostigd_n, params.min_k)] = False
    return flags


@dataclass
class _Register:
    """The leerlingen with a registration, as the register holds them (index = their number here)."""
    drawn: np.ndarray           # their index among all leerlingen drawn
    number: np.ndarray          # per leerling drawn: the number here, -1 = not in the register
    leerling_id: np.ndarray
    pc4: np.ndarray             # int64 postcode number, -1 = null
    bsn4: np.ndarray            # int64 0..9999, -1 = null


def _leerlingen_in_register(rng: np.random.Generator, ref: Reference, params: Params, leerlingen: Leerlingen,
                            inschrijvingen: Inschrijvingen) -> _Register:
    """Only leerlingen with a registration in the window are in the register: each gets a 9-digit
    leerling_id, the postcode as registered and the last four of the BSN (2 % unknown)."""
    n = len(leerlingen.birth)
    registered = np.zeros(n, dtype=bool)
    registered[inschrijvingen.leerling] = True
    drawn = np.flatnonzero(registered)
    number = np.full(n, -1, dtype=np.int64)
    number[drawn] = np.arange(len(drawn))
    nk = len(drawn)
    leerling_id = unique_ids(rng, nk, 100_000_000, 1_000_000_000)
    vso_leerling = np.zeros(nk, dtype=bool)
    vso_leerling[number[inschrijvingen.leerling[is_so_or_vso(inschrijvingen.soort)]]] = True
    pc4 = _registered_postcodes(rng, ref, params, leerlingen.pc4[drawn], vso_leerling)
    bsn4 = rng.integers(0, 10000, nk)
    bsn4[rng.random(nk) < 0.02] = -1
    return _Register(drawn=drawn, number=number, leerling_id=leerling_id, pc4=pc4, bsn4=bsn4)


def _registered_postcodes(rng: np.random.Generator, ref: Reference, params: Params, pc4: np.ndarray,
                          vso_leerling: np.ndarray) -> np.ndarray:
    """Home postcodes as numbers; some missing ((v)so leerlingen among them), some unknown to the
    regio-indeling: the data-quality lists must meet both."""
    number = np.array([int(x) for x in ref.pc4], dtype=np.int64)
    out = number[pc4]
    missing = np.zeros(len(out), dtype=bool)
    missing[pick(rng, np.flatnonzero(vso_leerling), params.p_pc4_missing, max(1, params.min_k // 2))] = True
    missing[pick(rng, np.arange(len(out)), params.p_pc4_missing, params.min_k)] = True
    out[missing] = -1
    known = np.zeros(10000, dtype=bool)
    known[number] = True
    unknown_codes = np.flatnonzero(~known[1000:]) + 1000
    unknown = pick(rng, np.flatnonzero(~missing), params.p_pc4_unknown, params.min_k)
    out[unknown] = unknown_codes[rng.integers(0, len(unknown_codes), len(unknown))]
    return out


def _bekostiging(rng: np.random.Generator, ref: Reference, params: Params, schooljaar: int) -> dict:
    """A few fixed amounts for some SWVs, fixed at dates through the window (cut keeps the known ones)."""
    n_swv = ref.n_swv
    chosen = pick(rng, np.arange(n_swv), 0.4, 2)
    swv, ond, cents, dates = [], [], [], []
    for s in chosen:
        po = ref.swv_sector[s] == PO
        parts = ["Lichte ondersteuning", "Zware ondersteuning", "Verrekening (v)so"]
        if po:
            parts.append("Verrekening sbao")
        base = rng.lognormal(15.0 if params.name == "national" else 13.0, 0.5)
        for year in (schooljaar - 1, schooljaar):
            when = ymd(year, 10, 1) + int(rng.integers(14, 120))
            for part in parts:
                f = {"Lichte ondersteuning": 0.35, "Zware ondersteuning": 1.0}.get(part, -0.08)
                amt = int(round(base * f * rng.uniform(0.9, 1.1) * 100))
                swv.append(int(s)), ond.append(part), cents.append(amt), dates.append(when)
    return dict(b_swv=np.array(swv, dtype=np.int64), b_onderdeel=ond,
                b_cents=np.array(cents, dtype=np.int64), b_date=np.array(dates, dtype=np.int64))


def _in_output_order(schooljaar: int, window_start: int, horizon: int, ref: Reference, leerlingen: Leerlingen,
                     register: _Register, inschrijvingen: Inschrijvingen, flags: _Flags, tlvs: Tlvs, cvis: CvIs,
                     bekostiging: dict) -> History:
    """Everything numbered and sorted as the extract lists it: inschrijvingen numbered in time order and
    listed by (leerling_id, begindatum), TLVs numbered by afgiftedatum, CvIs by begindatum."""
    lid = register.leerling_id
    leerling = register.number[inschrijvingen.leerling]
    t_leerling = register.number[tlvs.leerling]
    c_leerling = register.number[cvis.leerling]
    begin = inschrijvingen.begin
    nr = len(begin)
    # one int64 key per row: a leerling's registrations never share a begindatum, so keys are unique
    row_lid = lid[leerling]
    chrono = np.argsort(begin * (1 << 30) + row_lid)
    r_id = np.empty(nr, dtype=np.int64)
    r_id[chrono] = np.arange(1, nr + 1)
    b_min = int(begin.min())
    assert int(begin.max()) - b_min < (1 << 16)
    o = np.argsort(row_lid * (1 << 16) + (begin - b_min))
    del row_lid, chrono
    t_o = np.lexsort((tlvs.begin, lid[t_leerling], tlvs.afgifte))
    c_o = np.lexsort((lid[c_leerling], cvis.begin))
    return History(
        T=schooljaar, w0=window_start, horizon=horizon, ref=ref,
        lid=lid, birth=leerlingen.birth[register.drawn], pc4=register.pc4, bsn4=register.bsn4,
        r_id=r_id[o], r_pupil=leerling[o], r_vest=inschrijvingen.vestiging[o], r_begin=begin[o],
        r_end=inschrijvingen.end[o], r_bek=flags.bekostigd[o], r_resid=flags.residential[o], r_lwoo=flags.lwoo[o],
        r_pro=flags.pro[o], r_vavo=flags.vavo[o],
        t_nr=np.arange(1, len(t_o) + 1), t_pupil=t_leerling[t_o], t_swv=tlvs.swv[t_o], t_soort=tlvs.soort[t_o],
        t_cat=tlvs.categorie[t_o], t_afg=tlvs.afgifte[t_o], t_begin=tlvs.begin[t_o], t_end=tlvs.end[t_o],
        c_nr=np.arange(1, len(c_o) + 1), c_pupil=c_leerling[c_o], c_soort=cvis.soort[c_o], c_begin=cvis.begin[c_o],
        c_end=cvis.end[c_o],
        **bekostiging,
    )
