"""The profiles of `kijkglas generate`: the sizes and rates of a small and a national synthetic extract."""
from __future__ import annotations

from dataclasses import dataclass

from .reference import BAO, SBAO, SO, VO, VSO


@dataclass(frozen=True)
class Params:
    name: str
    n_po: int
    n_vo: int
    n_pc4: int                 # invented postcodes (without --regio-indeling)
    vestigingen: dict          # soort -> count
    cohort: float              # pupils per birth year, of those younger than 12 on 1 October
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
