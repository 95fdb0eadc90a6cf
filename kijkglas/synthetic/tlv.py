"""The TLVs and CvIs of a synthetic history: which sbao and (v)so spells get a TLV (not the residential
places without one, the spells with GEEN_TLV, those still under an old CvI; some only after a tijdelijke
plaatsing), which SWV issues it, and its chain of renewals through the window."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .days import NULL, schooljaar_of, ymd
from .draws import pick
from .leerlingen import Inschrijvingen, Leerlingen, is_so_or_vso
from .profiles import Params
from .reference import KERN_CAT, PO, SBAO, SECTOR_OF_SOORT, VO_SECTOR, Reference

TLV_START = ymd(2014, 8, 1)  # passend onderwijs: the first TLVs


@dataclass
class Situations:
    """Per registration (True on (v)so rows only): how its spell stands to a TLV."""
    residential: np.ndarray             # a residential place (RP)
    residential_without_tlv: np.ndarray
    geen_tlv: np.ndarray                # no TLV at all: the data-quality list shows it
    tlv_delayed: np.ndarray             # tijdelijke plaatsing first, the TLV some weeks later


def vso_situations(rng: np.random.Generator, params: Params, inschrijvingen: Inschrijvingen,
                   previous_in_window: np.ndarray) -> tuple[Situations, np.ndarray]:
    """The rare situations of (v)so spells, each at least min_k times. Returns them and the (v)so rows
    still in none of them (those may hold an old CvI)."""
    nr = len(inschrijvingen.leerling)
    vso_rows = np.flatnonzero(is_so_or_vso(inschrijvingen.soort))
    residential = np.zeros(nr, dtype=bool)
    # half of them right after another registration, so that a move into an RP is seen too
    residential[pick(rng, vso_rows[previous_in_window[vso_rows]], params.p_rp / 2, params.min_k)] = True
    residential[pick(rng, vso_rows[~residential[vso_rows]], params.p_rp / 2, params.min_k)] = True
    residential_rows = np.flatnonzero(residential)
    residential_without_tlv = np.zeros(nr, dtype=bool)
    residential_without_tlv[pick(rng, residential_rows, 0.5, min(params.min_k, len(residential_rows) // 2))] = True

    free = vso_rows[~residential[vso_rows]]
    geen_tlv = np.zeros(nr, dtype=bool)
    geen_tlv[pick(rng, free, params.p_geen_tlv, params.min_k)] = True
    free = free[~geen_tlv[free]]
    tlv_delayed = np.zeros(nr, dtype=bool)
    tlv_delayed[pick(rng, free, params.p_tlv_delayed, params.min_k)] = True
    free = free[~tlv_delayed[free]]
    return Situations(residential, residential_without_tlv, geen_tlv, tlv_delayed), free


@dataclass
class CvIs:
    """Old CvI indications (one per leerling) and what they mean for the registrations holding them."""
    leerling: np.ndarray
    soort: np.ndarray           # int8 kernsoort index
    begin: np.ndarray
    end: np.ndarray             # NULL: still in force
    in_force: np.ndarray        # per registration: its CvI never ends, so it gets no TLV
    tlv_from: np.ndarray        # per registration: the day a TLV replaces its CvI, NULL = none


def old_cvis(rng: np.random.Generator, ref: Reference, params: Params, inschrijvingen: Inschrijvingen,
             leerlingen: Leerlingen, free: np.ndarray, window_start: int, horizon: int) -> CvIs:
    """CvIs from before passend onderwijs (August 2014) for (v)so leerlingen old enough to have had one;
    most later replaced by a TLV during the window, the rest still in force."""
    birth = leerlingen.birth
    candidates = free[birth[inschrijvingen.leerling[free]] <= ymd(2010, 6, 30)]
    if len(candidates) < params.min_k:   # too few old enough: take the oldest
        candidates = free[np.argsort(birth[inschrijvingen.leerling[free]], kind="stable")
                          [:max(params.min_k, len(candidates))]]
        candidates = np.sort(candidates)
    _, firsts = np.unique(inschrijvingen.leerling[candidates], return_index=True)   # one CvI per leerling
    rows = pick(rng, candidates[np.sort(firsts)], params.p_cvi, params.min_k)
    n = len(rows)
    leerling = inschrijvingen.leerling[rows]
    earliest = np.minimum(np.maximum(leerlingen.school_start[leerling], ymd(2011, 8, 1)), ymd(2014, 7, 1))
    begin = earliest + (rng.random(n) * (ymd(2014, 7, 31) - earliest)).astype(np.int64)
    replaced = rng.random(n) < 0.6
    each = min(n, max(1, params.min_k // 2))   # both outcomes, at least this often
    replaced[:each] = True
    replaced[n - each:] = False
    lo = np.maximum(inschrijvingen.begin[rows], window_start) + 20
    hi = np.maximum(lo, np.minimum(inschrijvingen.end[rows], horizon) - 20)
    end = np.where(replaced, lo + (rng.random(n) * (hi - lo)).astype(np.int64), NULL)
    kern = ref.vest_kern[inschrijvingen.vestiging[rows]].astype(np.int64)
    nr = len(inschrijvingen.leerling)
    in_force = np.zeros(nr, dtype=bool)
    in_force[rows[~replaced]] = True
    tlv_from = np.full(nr, NULL, dtype=np.int64)
    tlv_from[rows[replaced]] = end[replaced] + 1
    return CvIs(leerling=leerling, soort=np.where(kern == 6, 5, kern).astype(np.int8),   # PI is no indication: ZMOK
                begin=begin, end=end, in_force=in_force, tlv_from=tlv_from)


@dataclass
class Tlvs:
    """The TLVs that count in the window, one row each, not yet numbered."""
    leerling: np.ndarray
    swv: np.ndarray
    soort: np.ndarray
    categorie: np.ndarray
    afgifte: np.ndarray
    begin: np.ndarray
    end: np.ndarray


def _tlv_issuers(rng: np.random.Generator, ref: Reference, inschrijvingen: Inschrijvingen, spells: np.ndarray,
                 leerlingen: Leerlingen, bao_vestiging: np.ndarray) -> np.ndarray:
    """The SWV that issues the TLVs of each spell: the home SWV, for sbao the SWV of the leerling's bao;
    sometimes (or without a home SWV) the SWV of the vestiging, rarely any SWV of the sector."""
    soort, leerling = inschrijvingen.soort[spells], inschrijvingen.leerling[spells]
    vestiging_swv = ref.vest_swv[inschrijvingen.vestiging[spells]]
    sector = SECTOR_OF_SOORT[soort]
    issuer = leerlingen.home_swv[sector, leerling]
    sbao = soort == SBAO
    issuer[sbao] = ref.vest_swv[bao_vestiging[leerling[sbao]]]
    u = rng.random(len(spells))
    by_vestiging = (u < 0.05) | (issuer < 0)
    issuer[by_vestiging & ~sbao] = vestiging_swv[by_vestiging & ~sbao]
    issuer[sbao & (issuer < 0)] = vestiging_swv[sbao & (issuer < 0)]
    anyone = (u >= 0.05) & (u < 0.07) & ~sbao
    po_swvs, vo_swvs = ref.swvs_of(PO), ref.swvs_of(VO_SECTOR)
    r = rng.integers(0, 1 << 30, len(spells))
    issuer[anyone] = np.where(sector[anyone] == PO, po_swvs[r[anyone] % len(po_swvs)],
                              vo_swvs[r[anyone] % len(vo_swvs)])
    return issuer


def _tlv_chains(rng: np.random.Generator, start: np.ndarray, spell_end: np.ndarray, horizon: int,
                has_tlv: np.ndarray, is_sbao: np.ndarray, cat: np.ndarray):
    """TLVs for spells: the first begins at `start`, each runs to 31 July after 0-3 schooljaren (some (v)so
    TLVs to a date mid-year, some without end), then is renewed by an adjacent TLV (next day) or an
    overlapping one (begins before the old one ends), or not at all (expires). Categories sometimes change
    at a renewal. Vectorised over spells: one loop round per generation of renewals.
    Returns (spell index, begindatum, afgiftedatum, einddatum or NULL, categorie) per TLV."""
    cat = cat.copy()
    next_begin = start.copy()
    active = has_tlv & (next_begin <= np.minimum(spell_end, horizon))
    out: dict[str, list] = {k: [] for k in ("spell", "begin", "afgifte", "end", "cat")}
    while active.any():
        ix = np.flatnonzero(active)
        n = len(ix)
        begin = next_begin[ix]
        afgifte = np.minimum(np.maximum(begin - rng.integers(0, 46, n), TLV_START), begin)
        sbao = is_sbao[ix]
        no_end = rng.random(n) < np.where(sbao, 0.45, 0.06)
        years = np.where(sbao, rng.choice([0, 1, 2], size=n, p=[0.2, 0.5, 0.3]),
                         rng.choice([0, 1, 2, 3], size=n, p=[0.25, 0.35, 0.25, 0.15]))
        end = ymd(schooljaar_of(begin) + 1 + years, 7, 31)
        midyear = (rng.random(n) < 0.25) & ~sbao
        end = np.where(midyear, begin + rng.integers(180, 730, n), end)
        end = np.where(no_end, NULL, end)
        for k, v in (("spell", ix), ("begin", begin), ("afgifte", afgifte), ("end", end), ("cat", cat[ix].copy())):
            out[k].append(v)
        covers = no_end | (end >= spell_end[ix])
        r = rng.random(n)
        stop = r >= 0.88                                       # not renewed: the TLV expires
        overlap = (r >= 0.66) & ~stop & (end - begin > 75)     # renewed before the old one ends
        back = rng.integers(30, 200, n)
        renewal = np.where(overlap, np.maximum(end - np.minimum(back, end - begin - 45), begin + 30), end + 1)
        recat = (rng.random(n) < 0.2) & ~sbao
        cat[ix] = np.where(recat, rng.choice(3, size=n, p=[0.6, 0.2, 0.2]).astype(np.int8), cat[ix])
        next_begin[ix] = renewal
        active[ix] = ~covers & ~stop & (renewal <= np.minimum(spell_end[ix], horizon))
    empty = np.zeros(0, dtype=np.int64)
    return tuple(np.concatenate(out[k]) if out[k] else empty for k in ("spell", "begin", "afgifte", "end", "cat"))


def issue_tlvs(rng: np.random.Generator, ref: Reference, inschrijvingen: Inschrijvingen, leerlingen: Leerlingen,
               bao_vestiging: np.ndarray, situations: Situations, cvis: CvIs, window_start: int,
               horizon: int) -> Tlvs:
    """A chain of TLVs for every sbao and (v)so spell that gets one; those that still count in the window."""
    spells = np.flatnonzero((inschrijvingen.soort == SBAO) | is_so_or_vso(inschrijvingen.soort))
    n = len(spells)
    soort, begin, end = inschrijvingen.soort[spells], inschrijvingen.begin[spells], inschrijvingen.end[spells]
    issuer = _tlv_issuers(rng, ref, inschrijvingen, spells, leerlingen, bao_vestiging)

    # the categorie mostly follows the vestiging's kernsoort; sbao TLVs have none
    of_kernsoort = KERN_CAT[np.maximum(ref.vest_kern[inschrijvingen.vestiging[spells]], 0)]
    categorie = np.where(rng.random(n) < 0.75, of_kernsoort, rng.choice(3, size=n, p=[0.6, 0.2, 0.2])).astype(np.int8)
    sbao = soort == SBAO
    categorie[sbao] = -1

    start = begin.copy()
    delayed = situations.tlv_delayed[spells]
    start[delayed] += rng.integers(10, 80, int(delayed.sum()))
    after_cvi = cvis.tlv_from[spells] != NULL
    start[after_cvi] = np.maximum(begin[after_cvi], cvis.tlv_from[spells][after_cvi])
    start = np.maximum(start, TLV_START)
    none = situations.geen_tlv[spells] | situations.residential_without_tlv[spells] | cvis.in_force[spells]
    spell, t_begin, afgifte, t_end, t_cat = _tlv_chains(rng, start, end, horizon, ~none, sbao, categorie)
    counts = ((t_end == NULL) | (t_end >= window_start)) & (afgifte <= horizon)
    spell = spell[counts]
    return Tlvs(leerling=inschrijvingen.leerling[spells][spell], swv=issuer[spell], soort=soort[spell],
                categorie=t_cat[counts], afgifte=afgifte[counts], begin=t_begin[counts], end=t_end[counts])
