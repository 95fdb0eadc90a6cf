"""The moves of a synthetic history: registrations that end within the window, followed by one at another
vestiging of the same soort, by a terugplaatsing to regular education, or by nothing (out of the register)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .days import schooljaar_of, ymd
from .draws import Chooser, pick
from .leerlingen import SOORTEN_DRAWN, Inschrijvingen, Leerlingen, VestigingChoosers, is_so_or_vso
from .profiles import Params
from .reference import BAO, SBAO, SECTOR_OF_SOORT, SO, VO, VSO, Reference

# what follows a move
MOVE_OTHER_VESTIGING, MOVE_TERUGPLAATSING, MOVE_OUT = 0, 1, 2   # same soort elsewhere; back to regular; none


@dataclass
class Moves:
    """Registrations that end in a move (`rows`, on `day`) and the registration that follows each."""
    rows: np.ndarray
    day: np.ndarray
    kind: np.ndarray            # MOVE_*
    soort: np.ndarray           # of the registration that follows
    end: np.ndarray             # of the registration that follows
    vestiging: np.ndarray       # of the registration that follows, -1 = none found
    followed: np.ndarray        # the moves (indices) a registration follows; the others leave the register


def _move_days(rng: np.random.Generator, params: Params, inschrijvingen: Inschrijvingen, window_start: int,
               horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which registrations end in a move within the window, regular (bao, vo, sbao) ones first, then (v)so
    ones (at least 3 min_k: Kijkglas 3 is about them), and the day. Returns (rows, from (v)so, day)."""
    soort = inschrijvingen.soort
    lo = np.maximum(inschrijvingen.begin, window_start) + 1
    hi = np.minimum(inschrijvingen.end, horizon)
    movable = lo <= hi
    regular = pick(rng, np.flatnonzero(movable & ((soort == BAO) | (soort == VO) | (soort == SBAO))),
                   params.p_move_regular, params.min_k)
    vso = pick(rng, np.flatnonzero(movable & is_so_or_vso(soort)), params.p_move_vso, 3 * params.min_k)
    rows = np.concatenate([regular, vso])
    n = len(rows)
    lo, hi = lo[rows], hi[rows]
    # often between 1 October and 1 February (the growth flows of Kijkglas 3), else any day
    anyday = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    schooljaar = schooljaar_of(anyday)
    winter_lo = np.maximum(ymd(schooljaar, 10, 2), lo)
    winter_hi = np.minimum(ymd(schooljaar + 1, 1, 31), hi)
    winter = (rng.random(n) < 0.35) & (winter_lo <= winter_hi)
    day = np.where(winter, winter_lo + (rng.random(n) * (np.maximum(winter_hi - winter_lo, 0) + 1)).astype(np.int64),
                   anyday)
    return rows, np.arange(n) >= len(regular), day


def _move_kinds(rng: np.random.Generator, inschrijvingen: Inschrijvingen, leerlingen: Leerlingen,
                rows: np.ndarray, from_vso: np.ndarray, day: np.ndarray):
    """What follows each move: a regular one goes to another vestiging of its soort; a (v)so one too, or back
    to regular education (terugplaatsing: so -> bao, vso -> vo), or out of the register.
    Returns (kind, soort and einddatum of what follows)."""
    n = len(rows)
    kind = np.zeros(n, dtype=np.int8)
    r = rng.random(n)
    kind[from_vso & (r >= 0.55)] = MOVE_TERUGPLAATSING
    kind[from_vso & (r >= 0.75)] = MOVE_OUT
    soort = inschrijvingen.soort[rows]
    back = kind == MOVE_TERUGPLAATSING
    new_soort = soort.copy()
    new_soort[back] = np.where(soort[back] == SO, BAO, VO)
    # VO until the schooljaar the leerling is 18 on 1 October; a vso leerling past it leaves instead
    vo_until = ymd(leerlingen.first_vo_year[inschrijvingen.leerling[rows]] + 7, 7, 31)
    new_end = inschrijvingen.end[rows].copy()
    to_vo = back & (soort == VSO)
    kind[to_vo & (day > vo_until)] = MOVE_OUT
    new_end[to_vo] = np.minimum(new_end[to_vo], vo_until[to_vo])
    return kind, new_soort, new_end


def _move_destinations(rng: np.random.Generator, ref: Reference, inschrijvingen: Inschrijvingen,
                       leerlingen: Leerlingen, choosers: VestigingChoosers, rows: np.ndarray, kind: np.ndarray,
                       soort: np.ndarray) -> np.ndarray:
    """The vestiging a move goes to (-1: none): a terugplaatsing in the home SWV, another move mostly (65 %)
    in the SWV it leaves, else anywhere; never the vestiging it leaves."""
    same_swv = rng.random(len(rows)) < 0.65
    vestiging = np.full(len(rows), -1, dtype=np.int64)
    for s in SOORTEN_DRAWN:
        ix = np.flatnonzero((soort == s) & (kind != MOVE_OUT))
        if len(ix) == 0:
            continue
        old = inschrijvingen.vestiging[rows[ix]]
        back = kind[ix] == MOVE_TERUGPLAATSING
        swv = np.where(back, leerlingen.home_swv[SECTOR_OF_SOORT[s], inschrijvingen.leerling[rows[ix]]],
                       ref.vest_swv[old])
        in_swv = (same_swv[ix] | back) & (swv >= 0)
        v = np.empty(len(ix), dtype=np.int64)
        for _ in range(20):
            u = rng.random(len(ix))
            v = np.where(in_swv, choosers.in_swv[s].choose(np.maximum(swv, 0), u), choosers.anywhere(s, u))
            same = v == old
            if not same.any():
                break
            in_swv = in_swv & ~same          # no other vestiging in the SWV: go elsewhere
        vestiging[ix] = v
    return vestiging


def simulate_moves(rng: np.random.Generator, ref: Reference, params: Params, inschrijvingen: Inschrijvingen,
                   leerlingen: Leerlingen, choosers: VestigingChoosers, window_start: int, horizon: int) -> Moves:
    """Which registrations end in a move, on which day, and what follows each (nothing when no other
    vestiging was found: the leerling leaves the register)."""
    rows, from_vso, day = _move_days(rng, params, inschrijvingen, window_start, horizon)
    kind, soort, end = _move_kinds(rng, inschrijvingen, leerlingen, rows, from_vso, day)
    vestiging = _move_destinations(rng, ref, inschrijvingen, leerlingen, choosers, rows, kind, soort)
    followed = np.flatnonzero((kind != MOVE_OUT) & (vestiging >= 0) & (vestiging != inschrijvingen.vestiging[rows]))
    return Moves(rows=rows, day=day, kind=kind, soort=soort, end=end, vestiging=vestiging, followed=followed)


def families_moved(rng: np.random.Generator, ref: Reference, inschrijvingen: Inschrijvingen,
                   moves: Moves) -> tuple[np.ndarray, np.ndarray]:
    """A bao leerling who moves to another SWV: the family moved, so does the home postcode (one of the new
    SWV, by weight). Returns (leerlingen, their new postcode index)."""
    f = moves.followed
    crossed = f[(moves.soort[f] == BAO) & (moves.kind[f] == MOVE_OTHER_VESTIGING) &
                (ref.vest_swv[moves.vestiging[f]] != ref.vest_swv[inschrijvingen.vestiging[moves.rows[f]]])]
    if len(crossed) == 0:
        return crossed, crossed
    items = np.flatnonzero(ref.pc4_po >= 0)
    chooser = Chooser(items, ref.pc4_po[items], ref.pc4_weight[items], ref.n_swv)
    return (inschrijvingen.leerling[moves.rows[crossed]],
            chooser.choose(ref.vest_swv[moves.vestiging[crossed]], rng.random(len(crossed))))


def apply_moves(inschrijvingen: Inschrijvingen, residential: np.ndarray,
                moves: Moves) -> tuple[Inschrijvingen, np.ndarray]:
    """A moved registration ends the day before the move; the registrations that follow are added (an RP
    stays an RP at another vestiging of its soort). Returns the registrations and their RP flag."""
    f = moves.followed
    rows = moves.rows[f]
    end = np.concatenate([inschrijvingen.end, moves.end[f]])
    end[moves.rows] = moves.day - 1
    after = Inschrijvingen(leerling=np.concatenate([inschrijvingen.leerling, inschrijvingen.leerling[rows]]),
                           soort=np.concatenate([inschrijvingen.soort, moves.soort[f]]),
                           vestiging=np.concatenate([inschrijvingen.vestiging, moves.vestiging[f]]),
                           begin=np.concatenate([inschrijvingen.begin, moves.day[f]]),
                           end=end)
    return after, np.concatenate([residential, residential[rows] & (moves.kind[f] == MOVE_OTHER_VESTIGING)])
