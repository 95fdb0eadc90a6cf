"""The leerlingen of a synthetic history and their registrations before any event: who is born when,
which track each follows (bao -> vo, or with an sbao, so or vso spell), at which vestigingen, and which of
those registrations overlap the history's window."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .days import add_years, month_day, year_of, ymd
from .draws import Chooser, pick
from .profiles import Params
from .reference import BAO, SBAO, SECTOR_OF_SOORT, SO, VO, VSO, Reference

# a leerling's track: regular, or one of the special ones (in the order of Params' p_* track fields)
TRACK_REGULAR, TRACK_SBAO, TRACK_SO_FROM_4, TRACK_SO_AFTER_BAO, TRACK_VSO_AFTER_BAO, TRACK_VSO_AFTER_VO = range(6)
SLOTS = 3                                  # consecutive registrations of a track, at most
SOORTEN_DRAWN = (BAO, SBAO, SO, VSO, VO)   # the order vestigingen are drawn in, per soort
# the chance that a leerling's vestiging lies in the SWV of the home postcode
STAY_IN_HOME_SWV = {BAO: 0.97, SBAO: 0.93, SO: 0.75, VSO: 0.75, VO: 0.93}


@dataclass
class Leerlingen:
    """Every leerling drawn (index = pupil number), also those whose school career misses the window."""
    birth: np.ndarray
    track: np.ndarray           # int8 TRACK_*
    first_vo_year: np.ndarray   # the first schooljaar the leerling is 12 on 1 October
    vo_start: np.ndarray        # the schooljaar secondary education begins (a year later if held back)
    school_start: np.ndarray    # the 4th birthday
    vo_years: np.ndarray        # schooljaren in VO (4 = vmbo .. 7)
    vso_years: np.ndarray       # schooljaren in VSO
    pc4: np.ndarray             # home postcode, an index into ref.pc4
    home_swv: np.ndarray        # [sector, leerling]: the PO and VO SWV of the home postcode, -1 = none


@dataclass
class Inschrijvingen:
    """Registrations, one row each, in no particular order yet."""
    leerling: np.ndarray
    soort: np.ndarray
    vestiging: np.ndarray
    begin: np.ndarray
    end: np.ndarray


@dataclass(frozen=True)
class VestigingChoosers:
    """Per soort: a vestiging by weight within an SWV (`in_swv[soort]`), or anywhere in the country."""
    in_swv: dict
    country: dict

    @classmethod
    def of(cls, ref: Reference) -> "VestigingChoosers":
        in_swv, country = {}, {}
        for s in SOORTEN_DRAWN:
            items = np.flatnonzero(ref.vest_soort == s)
            in_swv[s] = Chooser(items, ref.vest_swv[items], ref.vest_weight[items], ref.n_swv)
            country[s] = Chooser(items, np.zeros(len(items), dtype=np.int64), ref.vest_weight[items], 1)
        return cls(in_swv, country)

    def anywhere(self, soort: int, u: np.ndarray) -> np.ndarray:
        return self.country[soort].choose(np.zeros(len(u), dtype=np.int64), u)


def is_so_or_vso(soort: np.ndarray) -> np.ndarray:
    return (soort == SO) | (soort == VSO)


def school_careers(rng: np.random.Generator, ref: Reference, params: Params, choosers: VestigingChoosers,
                   schooljaar: int, window_start: int, horizon: int):
    """The leerlingen and their registrations in the window, each at a vestiging. Returns (leerlingen,
    inschrijvingen, per registration whether the leerling's one before lies in the window too, per
    leerling the vestiging of the first slot: an sbao leerling's bao, whose SWV issues the sbao TLV)."""
    leerlingen = _draw_leerlingen(rng, ref, params, schooljaar)
    slots = _plan_tracks(rng, params, leerlingen)
    in_window = slots.in_window(window_start, horizon)
    vestiging = _assign_vestigingen(rng, leerlingen, slots, in_window, choosers)
    inschrijvingen, previous_in_window = _inschrijvingen_in_window(slots, vestiging, in_window)
    rows, across = _sbao_across_border(rng, ref, params, inschrijvingen, previous_in_window, vestiging[0], choosers,
                                       window_start)
    inschrijvingen.vestiging[rows] = across
    return leerlingen, inschrijvingen, previous_in_window, vestiging[0]


def _draw_leerlingen(rng: np.random.Generator, ref: Reference, params: Params, schooljaar: int) -> Leerlingen:
    """The birth cohorts that can be at school in the window, each leerling's track, secondary start and
    length, and home postcode (children per postcode by its weight)."""
    years = np.arange(schooljaar - 21, schooljaar - 2)
    size = np.where(schooljaar - years >= 12, params.cohort * params.vo_factor, params.cohort)
    counts = rng.poisson(size)
    n = int(counts.sum())
    birth_year = np.repeat(years, counts)
    new_years_day = ymd(birth_year, 1, 1)
    birth = new_years_day + (rng.random(n) * (ymd(birth_year + 1, 1, 1) - new_years_day)).astype(np.int64)

    special_p = np.array([params.p_sbao, params.p_so_direct, params.p_so_bao, params.p_vso_bao, params.p_vso_vo])
    track = np.searchsorted(np.cumsum(special_p), rng.random(n), side="right") + 1
    track[track > TRACK_VSO_AFTER_VO] = TRACK_REGULAR
    track = track.astype(np.int8)
    held_back = rng.random(n) < np.where(track != TRACK_REGULAR, 0.15, 0.05)
    first_vo_year = year_of(birth) + 12 + (month_day(birth) > 1001)
    vo_years = rng.choice([4, 5, 6, 7], size=n, p=[0.42, 0.31, 0.22, 0.05])
    # VO ends, at the latest, in the schooljaar the leerling is 18 on 1 October: a year late, at most 6 years
    vo_years = np.where(held_back, np.minimum(vo_years, 6), vo_years)
    vso_years = rng.choice([4, 5, 6, 7, 8], size=n, p=[0.12, 0.22, 0.3, 0.24, 0.12])

    weight = np.cumsum(ref.pc4_weight)
    pc4 = np.minimum(np.searchsorted(weight, rng.random(n) * weight[-1], side="right"), len(weight) - 1)
    return Leerlingen(birth=birth, track=track, first_vo_year=first_vo_year, vo_start=first_vo_year + held_back,
                      school_start=add_years(birth, 4), vo_years=vo_years, vso_years=vso_years,
                      pc4=pc4, home_swv=np.stack([ref.pc4_po[pc4], ref.pc4_vo[pc4]]))


@dataclass
class _Slots:
    """Each leerling's track as up to SLOTS consecutive registrations: slot k of leerling i (soort -1: none)."""
    soort: list
    begin: list
    end: list

    @classmethod
    def empty(cls, n: int) -> "_Slots":
        return cls([np.full(n, -1, dtype=np.int8) for _ in range(SLOTS)],
                   [np.zeros(n, dtype=np.int64) for _ in range(SLOTS)],
                   [np.zeros(n, dtype=np.int64) for _ in range(SLOTS)])

    def put(self, idx, k, soort, begin, end):
        self.soort[k][idx] = soort
        self.begin[k][idx] = begin
        self.end[k][idx] = end

    def in_window(self, window_start: int, horizon: int) -> list:
        """Per slot: the registrations that overlap the window (the only ones an extract can show)."""
        return [(self.soort[k] >= 0) & (self.begin[k] <= self.end[k]) & (self.end[k] >= window_start)
                & (self.begin[k] <= horizon) for k in range(SLOTS)]


def _plan_tracks(rng: np.random.Generator, params: Params, leerlingen: Leerlingen) -> _Slots:
    """The registrations of every track, soort and dates only (vestigingen come next)."""
    slots = _Slots.empty(len(leerlingen.birth))
    track, school_start, vo_start = leerlingen.track, leerlingen.school_start, leerlingen.vo_start
    vo_years, vso_years = leerlingen.vo_years, leerlingen.vso_years

    i = np.flatnonzero(track == TRACK_REGULAR)                   # bao -> vo
    slots.put(i, 0, BAO, school_start[i], ymd(vo_start[i], 7, 31))
    slots.put(i, 1, VO, ymd(vo_start[i], 8, 1), ymd(vo_start[i] + vo_years[i], 7, 31))

    i = np.flatnonzero(track == TRACK_SBAO)                      # bao -> sbao -> vo/vso
    sbao_from = _special_entry(rng, leerlingen, i, [0.12, 0.2, 0.23, 0.2, 0.15, 0.10])
    slots.put(i, 0, BAO, school_start[i], sbao_from - 1)
    slots.put(i, 1, SBAO, sbao_from, ymd(vo_start[i], 7, 31))
    slots.put(i, 2, *_secondary(rng, leerlingen, i, params.p_sbao_to_vso))

    i = np.flatnonzero(track == TRACK_SO_FROM_4)                 # so from age 4 -> vso/vo
    slots.put(i, 0, SO, school_start[i] + rng.integers(0, 90, len(i)), ymd(vo_start[i], 7, 31))
    slots.put(i, 1, *_secondary(rng, leerlingen, i, params.p_so_to_vso))

    i = np.flatnonzero(track == TRACK_SO_AFTER_BAO)              # bao -> so -> vso/vo
    so_from = _special_entry(rng, leerlingen, i, [0.12, 0.16, 0.17, 0.17, 0.15, 0.13, 0.10])
    slots.put(i, 0, BAO, school_start[i], so_from - 1)
    slots.put(i, 1, SO, so_from, ymd(vo_start[i], 7, 31))
    slots.put(i, 2, *_secondary(rng, leerlingen, i, params.p_so_to_vso))

    i = np.flatnonzero(track == TRACK_VSO_AFTER_BAO)             # bao -> vso
    slots.put(i, 0, BAO, school_start[i], ymd(vo_start[i], 7, 31))
    slots.put(i, 1, VSO, ymd(vo_start[i], 8, 1), ymd(vo_start[i] + vso_years[i], 7, 31))

    i = np.flatnonzero(track == TRACK_VSO_AFTER_VO)              # bao -> vo -> vso, after 0-3 years of vo
    years_vo = rng.choice([0, 1, 2, 3], size=len(i), p=[0.3, 0.3, 0.25, 0.15])
    vso_from = ymd(vo_start[i] + years_vo, 8, 1) + np.where((rng.random(len(i)) < 0.4) | (years_vo == 0),
                                                             rng.integers(20, 320, len(i)), 0)
    slots.put(i, 0, BAO, school_start[i], ymd(vo_start[i], 7, 31))
    slots.put(i, 1, VO, ymd(vo_start[i], 8, 1), vso_from - 1)
    slots.put(i, 2, VSO, vso_from, ymd(vo_start[i] + np.maximum(vso_years[i], years_vo + 1), 7, 31))
    return slots


def _special_entry(rng: np.random.Generator, leerlingen: Leerlingen, idx: np.ndarray, p_years) -> np.ndarray:
    """1 August k years before secondary (k ~ p_years, k = 1, 2, ...), or (40 %) later in that schooljaar."""
    k = rng.choice(np.arange(1, len(p_years) + 1), size=len(idx), p=p_years)
    mid = rng.random(len(idx)) < 0.4
    return ymd(leerlingen.vo_start[idx] - k, 8, 1) + np.where(mid, rng.integers(20, 320, len(idx)), 0)


def _secondary(rng: np.random.Generator, leerlingen: Leerlingen, idx: np.ndarray, p_vso: float):
    """After a special spell: VSO (so->vso) or VO, from 1 August of the secondary start year."""
    to_vso = rng.random(len(idx)) < p_vso
    vo_start = leerlingen.vo_start[idx]
    return (np.where(to_vso, VSO, VO).astype(np.int8), ymd(vo_start, 8, 1),
            np.where(to_vso, ymd(vo_start + leerlingen.vso_years[idx], 7, 31),
                     ymd(vo_start + leerlingen.vo_years[idx], 7, 31)))


def _assign_vestigingen(rng: np.random.Generator, leerlingen: Leerlingen, slots: _Slots, in_window: list,
                        choosers: VestigingChoosers) -> list:
    """A vestiging for every slot in the window, mostly in the home SWV; per slot, -1 = none drawn."""
    vestiging = [np.full(len(leerlingen.birth), -1, dtype=np.int64) for _ in range(SLOTS)]
    for k in range(SLOTS):
        # the bao of an sbao leerling also before the window: its SWV issues the sbao TLV
        need = in_window[k] | (leerlingen.track == TRACK_SBAO) if k == 0 else in_window[k]
        for s in SOORTEN_DRAWN:
            idx = np.flatnonzero(need & (slots.soort[k] == s))
            home = leerlingen.home_swv[SECTOR_OF_SOORT[s], idx]
            u = rng.random(len(idx))
            stay = (rng.random(len(idx)) < STAY_IN_HOME_SWV[s]) & (home >= 0)
            v = np.empty(len(idx), dtype=np.int64)
            v[stay] = choosers.in_swv[s].choose(home[stay], u[stay])
            v[~stay] = choosers.anywhere(s, u[~stay])
            vestiging[k][idx] = v
    return vestiging


def _inschrijvingen_in_window(slots: _Slots, vestiging: list, in_window: list) -> tuple[Inschrijvingen, np.ndarray]:
    """The slots that overlap the window as registrations, and per registration whether the leerling's
    previous one overlaps it too (so an extract shows where the leerling came from)."""
    rows = [np.flatnonzero(in_window[k]) for k in range(SLOTS)]
    inschrijvingen = Inschrijvingen(
        leerling=np.concatenate(rows),
        soort=np.concatenate([slots.soort[k][rows[k]] for k in range(SLOTS)]),
        vestiging=np.concatenate([vestiging[k][rows[k]] for k in range(SLOTS)]),
        begin=np.concatenate([slots.begin[k][rows[k]] for k in range(SLOTS)]),
        end=np.concatenate([slots.end[k][rows[k]] for k in range(SLOTS)]))
    previous_in_window = np.concatenate([np.zeros(len(rows[0]), dtype=bool)] +
                                        [in_window[k - 1][rows[k]] for k in range(1, SLOTS)])
    return inschrijvingen, previous_in_window


def _sbao_across_border(rng: np.random.Generator, ref: Reference, params: Params, inschrijvingen: Inschrijvingen,
                         previous_in_window: np.ndarray, bao_vestiging: np.ndarray, choosers: VestigingChoosers,
                         window_start: int) -> tuple[np.ndarray, np.ndarray]:
    """Some sbao registrations put at a vestiging in another SWV than the bao before them (Kijkglas 5
    shows those), only where that bao lies in the window. Returns (rows, their new vestigingen)."""
    candidates = np.flatnonzero((inschrijvingen.soort == SBAO) & previous_in_window
                                & (inschrijvingen.begin > window_start))
    rows = pick(rng, candidates, params.p_sbao_cross, params.min_k)
    bao_swv = ref.vest_swv[bao_vestiging[inschrijvingen.leerling[rows]]]
    vestiging = choosers.anywhere(SBAO, rng.random(len(rows)))
    for _ in range(50):
        same = ref.vest_swv[vestiging] == bao_swv
        if not same.any():
            break
        vestiging[same] = choosers.anywhere(SBAO, rng.random(int(same.sum())))
    crossed = ref.vest_swv[vestiging] != bao_swv   # after 50 rounds, leave the rare rest where it was
    return rows[crossed], vestiging[crossed]
