"""Reference tables of a synthetic extract: SWVs, the regio-indeling (pc4 -> SWV) and the vestigingen.

Everything here is small (at most a few thousand rows), so plain numpy/Python is fine; the pupil-level
work in `history.py` is vectorised. All randomness comes from the one `numpy.random.Generator` passed in,
always consumed in the same order, so the same seed gives the same reference data.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# Soort codes used throughout the generator (index into SOORTEN).
SOORTEN = ("BAO", "SBAO", "SO", "VSO", "VO")
BAO, SBAO, SO, VSO, VO = range(5)
PO, VO_SECTOR = 0, 1
SECTOR_OF_SOORT = np.array([PO, PO, PO, VO_SECTOR, VO_SECTOR], dtype=np.int8)
SECTOR_NAMES = ("PO", "VO")

KERNSOORTEN = ("ZMLK", "LZ", "LZ-LG", "LG", "MG", "ZMOK", "PI")
KERNSOORT_P = (0.32, 0.07, 0.05, 0.08, 0.08, 0.30, 0.10)
# rules.md map(kernsoort) -> category, as indices into CATEGORIEEN
CATEGORIEEN = ("L", "M", "H")
KERN_CAT = np.array([0, 0, 1, 1, 2, 0, 0], dtype=np.int8)


@dataclass
class Reference:
    # samenwerkingsverbanden (index = swv id)
    swv_code: list[str]
    swv_sector: np.ndarray          # int8, PO=0 / VO=1
    swv_naam: list[str]
    swv_adres: list[str | None]
    swv_postcode: list[str | None]
    swv_plaats: list[str | None]
    # regio-indeling (index = pc4 id), sorted by pc4
    pc4: list[str]
    gemeente: list[str]
    pc4_po: np.ndarray              # int64 swv id, -1 = none
    pc4_vo: np.ndarray
    pc4_weight: np.ndarray          # float64, relative number of children living there
    # vestigingen (index = vestiging id), sorted by code
    vest_code: list[str]
    vest_naam: list[str]
    vest_soort: np.ndarray          # int8 soort code
    vest_kern: np.ndarray           # int8 index into KERNSOORTEN, -1 = null
    vest_swv: np.ndarray            # int64 swv id
    vest_plaats: list[str]
    vest_weight: np.ndarray         # float64, relative size

    @property
    def n_swv(self) -> int:
        return len(self.swv_code)

    def swvs_of(self, sector: int) -> np.ndarray:
        return np.flatnonzero(self.swv_sector == sector)


# --- invented names ----------------------------------------------------------------------------

_PLACE_ROOTS = ("Eik", "Beuk", "Linde", "Wilg", "Hazel", "Berk", "Ros", "Vos", "Haver", "Rog", "Klaver",
                "Hei", "Zand", "Steen", "Water", "Molen", "Riet", "Lin", "Ael", "Bram", "Dorre", "Esse",
                "Gansen", "Hoorn", "Kolk", "Lange", "Mid", "Oever", "Poel", "Rijp", "Schouw", "Tolle",
                "Ulven", "Venne", "Weer", "Ypen", "Zwaan", "Ooster", "Wester", "Zuider", "Noorder")
_PLACE_SUFFIXES = ("broek", "dijk", "veen", "wijk", "horst", "hoven", "dam", "sloot", "rade", "berg", "mond",
                   "zijl", "wolde", "burg", "kerk", "loo", "stede", "meer", "haven", "um", "dorp", "hout",
                   "beek", "kamp", "ven", "oord")
_PLACE_PREFIXES = ("", "", "", "", "Nieuw-", "Oud-", "Groot-", "Klein-", "Sint-")
_SCHOOL_NOUNS = ("De Regenboog", "Het Kompas", "De Wegwijzer", "De Linde", "De Zonnewijzer", "Het Palet",
                 "De Springplank", "De Vlinder", "Het Anker", "De Kameleon", "De Sterrenboog", "De Klimop",
                 "De Wingerd", "Het Mozaiek", "De Horizon", "De Fontein", "De Ark", "De Bron", "Het Baken",
                 "De Notenbalk", "De Windroos", "De Toermalijn", "Het Klaverblad", "De Piramide",
                 "De Wissel", "Het Startpunt", "De Brug", "De Vuurtoren", "De Boomgaard", "Het Veld")
_BAO_PREFIXES = ("OBS", "CBS", "Basisschool", "RKBS", "Daltonschool", "Montessorischool", "Jenaplanschool", "IKC")
_VO_NAMES = ("College", "Lyceum", "Scholengemeenschap", "Gymnasium", "Vakcollege", "Campus", "Praktijkschool")
_VO_PERSONS = ("Erasmus", "Spinoza", "Huygens", "Vondel", "Comenius", "Thorbecke", "Rembrandt", "Da Vinci",
               "Stedelijk", "Christelijk", "Het Baarnsch", "Oranje", "Willem van Oranje", "Maerlant")
_SO_BY_KERN = {"ZMLK": "ZML-school", "LZ": "School voor langdurig zieke leerlingen", "LZ-LG": "Mytylschool",
               "LG": "Mytylschool", "MG": "Tyltylschool", "ZMOK": "School voor speciaal onderwijs", "PI": "PI-school"}
_STREETS = ("Schoolstraat", "Kerkstraat", "Stationsweg", "Dorpsstraat", "Molenweg", "Julianalaan",
            "Beatrixlaan", "Wilhelminapark", "Industrieweg", "Marktplein", "Parkweg", "Nieuwe Gracht")


def _place_names(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct invented Dutch-sounding place names (deterministic for the rng state)."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        k = max(64, 2 * (n - len(names)))
        r = rng.integers(0, len(_PLACE_ROOTS), k)
        s = rng.integers(0, len(_PLACE_SUFFIXES), k)
        p = rng.integers(0, len(_PLACE_PREFIXES), k)
        for a, b, c in zip(r, s, p):
            name = _PLACE_PREFIXES[c] + _PLACE_ROOTS[a] + _PLACE_SUFFIXES[b]
            if name not in seen:
                seen.add(name)
                names.append(name)
                if len(names) == n:
                    break
    return names


# --- regio-indeling ----------------------------------------------------------------------------

def _invent_regio(rng: np.random.Generator, n_po: int, n_vo: int, n_pc4: int):
    """Invent pc4 codes, gemeenten and PO/VO SWVs as contiguous pc4 ranges (PO and VO borders differ)."""
    pc4 = np.sort(rng.choice(np.arange(1000, 10000), n_pc4, replace=False))
    idx = np.arange(n_pc4)

    def blocks(n_blocks: int) -> np.ndarray:
        cuts = np.sort(rng.choice(np.arange(1, n_pc4), n_blocks - 1, replace=False))
        return np.searchsorted(cuts, idx, side="right")

    po_block = blocks(n_po)
    vo_block = blocks(n_vo)
    n_gem = max(n_po + n_vo, n_pc4 // 10)
    gem_block = blocks(min(n_gem, n_pc4))
    gem_names = _place_names(rng, int(gem_block.max()) + 1)

    def codes(prefix: str, n: int) -> list[str]:
        # 12 "provinces" 20..31, numbered 01.. within each; codes sorted = block order
        prov = 20 + (np.arange(n) * 12) // n
        out, counter = [], {}
        for p in prov:
            counter[p] = counter.get(p, 0) + 1
            out.append(f"{prefix}{p:02d}{counter[p]:02d}")
        return out

    po_codes = codes("PO", n_po)
    vo_codes = codes("VO", n_vo)
    return ([f"{x:04d}" for x in pc4], [gem_names[g] for g in gem_block],
            [po_codes[b] for b in po_block], [vo_codes[b] for b in vo_block])


def _read_regio(path: Path, rng: np.random.Generator, n_po: int | None, n_vo: int | None):
    """Read PC4,gemeente,PO_SWV,VO_SWV. With n_po/n_vo (small profile) keep a few neighbouring SWVs."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = {"PC4", "gemeente", "PO_SWV", "VO_SWV"}
    if not need <= set(df.columns):
        raise ValueError(f"{path}: expected columns PC4,gemeente,PO_SWV,VO_SWV, got {','.join(df.columns)}")
    df = df[df["PC4"].str.fullmatch(r"\d{4}")].drop_duplicates("PC4").sort_values("PC4", kind="stable")
    df = df.reset_index(drop=True)
    if n_po is not None:
        po_all = sorted(df["PO_SWV"].unique())
        start = int(rng.integers(0, max(1, len(po_all) - n_po + 1)))
        po_keep = po_all[start:start + n_po]
        sub = df[df["PO_SWV"].isin(po_keep)]
        vc = sub["VO_SWV"].value_counts()
        vo_keep = sorted(vc.sort_index().sort_values(ascending=False, kind="stable").index[:n_vo])
        df = sub[sub["VO_SWV"].isin(vo_keep)].reset_index(drop=True)
    return (df["PC4"].tolist(), df["gemeente"].tolist(),
            df["PO_SWV"].replace("", None).tolist(), df["VO_SWV"].replace("", None).tolist())


# --- vestigingen -------------------------------------------------------------------------------

def _brin(i: int) -> str:
    return f"{i // 676:02d}{chr(65 + (i % 676) // 26)}{chr(65 + i % 26)}"


def build_reference(rng: np.random.Generator, *, n_po: int, n_vo: int, n_pc4: int,
                    vestigingen: dict[int, int], regio_path: Path | None, subset: bool) -> Reference:
    """SWVs + regio-indeling + vestigingen. `vestigingen` maps soort code -> number of vestigingen."""
    if regio_path is not None:
        pc4, gemeente, po_of, vo_of = _read_regio(Path(regio_path), rng, n_po if subset else None,
                                                   n_vo if subset else None)
    else:
        pc4, gemeente, po_of, vo_of = _invent_regio(rng, n_po, n_vo, n_pc4)

    po_codes = sorted({c for c in po_of if c})
    vo_codes = sorted({c for c in vo_of if c})
    swv_code = po_codes + vo_codes
    swv_sector = np.array([PO] * len(po_codes) + [VO_SECTOR] * len(vo_codes), dtype=np.int8)
    code_ix = {c: i for i, c in enumerate(swv_code)}
    pc4_po = np.array([code_ix[c] if c else -1 for c in po_of], dtype=np.int64)
    pc4_vo = np.array([code_ix[c] if c else -1 for c in vo_of], dtype=np.int64)
    # children per postcode: skewed, some postcodes (industrial, rural) have very few
    pc4_weight = rng.lognormal(0.0, 0.9, len(pc4))

    # SWV names/addresses: the SWV is named after the gemeente holding most of its children
    n_swv = len(swv_code)
    swv_naam, swv_adres, swv_postcode, swv_plaats = [], [], [], []
    streets = rng.integers(0, len(_STREETS), n_swv)
    numbers = rng.integers(1, 200, n_swv)
    letters = rng.integers(0, 26, (n_swv, 2))
    no_address = rng.random(n_swv) < 0.05
    for s in range(n_swv):
        members = np.flatnonzero((pc4_po if swv_sector[s] == PO else pc4_vo) == s)
        if len(members) == 0:
            swv_naam.append(f"Samenwerkingsverband {SECTOR_NAMES[swv_sector[s]]} {swv_code[s]}")
            swv_adres.append(None), swv_postcode.append(None), swv_plaats.append(None)
            continue
        gem_w: dict[str, float] = {}
        for m in members:
            gem_w[gemeente[m]] = gem_w.get(gemeente[m], 0.0) + float(pc4_weight[m])
        main = sorted(gem_w.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        sector_label = "primair onderwijs" if swv_sector[s] == PO else "voortgezet onderwijs"
        swv_naam.append(f"Samenwerkingsverband passend {sector_label} {main}")
        if no_address[s]:
            swv_adres.append(None), swv_postcode.append(None), swv_plaats.append(None)
        else:
            m = members[int(np.argmax(pc4_weight[members]))]
            swv_adres.append(f"{_STREETS[streets[s]]} {numbers[s]}")
            swv_postcode.append(f"{pc4[m]} {chr(65 + letters[s, 0])}{chr(65 + letters[s, 1])}")
            swv_plaats.append(gemeente[m])

    # vestigingen: per soort, BRINs with 1-3 vestigingen each, every SWV of the sector at least one BRIN
    v_soort, v_kern, v_swv, v_brin, v_volg, v_weight = [], [], [], [], [], []
    brin_pool = rng.permutation(100 * 676)
    brin_next = 0
    for soort in (BAO, SBAO, SO, VSO, VO):
        n = int(vestigingen[soort])
        sector = SECTOR_OF_SOORT[soort]
        swvs = np.flatnonzero(swv_sector == sector)
        w = np.array([pc4_weight[(pc4_po if sector == PO else pc4_vo) == s].sum() for s in swvs]) + 1e-9
        if n <= 2 * len(swvs):
            sizes = np.ones(n, dtype=np.int64)
        else:
            sizes = rng.choice([1, 2, 3], size=n, p=[0.8, 0.15, 0.05])
            cum = np.cumsum(sizes)
            nb = int(np.searchsorted(cum, n)) + 1
            sizes = sizes[:nb]
            sizes[-1] -= int(cum[nb - 1] - n)
        nb = len(sizes)
        first = rng.permutation(swvs)[:min(nb, len(swvs))]
        rest = rng.choice(swvs, size=nb - len(first), p=w / w.sum())
        brin_swv = np.concatenate([first, rest])
        kern = (rng.choice(len(KERNSOORTEN), size=nb, p=KERNSOORT_P) if soort in (SO, VSO)
                else np.full(nb, -1))
        sizew = rng.lognormal(0.0, 0.45, n)
        k = 0
        for b in range(nb):
            brin = _brin(int(brin_pool[brin_next]))
            brin_next += 1
            for volg in range(int(sizes[b])):
                v_soort.append(soort), v_kern.append(int(kern[b])), v_swv.append(int(brin_swv[b]))
                v_brin.append(brin), v_volg.append(volg), v_weight.append(float(sizew[k]))
                k += 1

    n_v = len(v_soort)
    order = sorted(range(n_v), key=lambda i: (v_brin[i], v_volg[i]))
    vest_soort = np.array([v_soort[i] for i in order], dtype=np.int8)
    vest_kern = np.array([v_kern[i] for i in order], dtype=np.int8)
    vest_swv = np.array([v_swv[i] for i in order], dtype=np.int64)
    vest_weight = np.array([v_weight[i] for i in order])
    vest_code = [f"{v_brin[i]}{v_volg[i]:02d}" for i in order]
    volg = [v_volg[i] for i in order]

    # plaats: a postcode of the SWV drawn by weight; name from the soort
    noun = rng.integers(0, len(_SCHOOL_NOUNS), n_v)
    pref = rng.integers(0, len(_BAO_PREFIXES), n_v)
    vo_n = rng.integers(0, len(_VO_NAMES), n_v)
    vo_p = rng.integers(0, len(_VO_PERSONS), n_v)
    u = rng.random(n_v)
    vest_plaats, vest_naam = [], []
    members_cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for i in range(n_v):
        s, sector = int(vest_swv[i]), int(SECTOR_OF_SOORT[vest_soort[i]])
        key = (s, sector)
        if key not in members_cache:
            mem = np.flatnonzero((pc4_po if sector == PO else pc4_vo) == s)
            members_cache[key] = (mem, np.cumsum(pc4_weight[mem]))
        mem, cw = members_cache[key]
        plaats = gemeente[mem[min(int(np.searchsorted(cw, u[i] * cw[-1])), len(mem) - 1)]] if len(mem) else None
        vest_plaats.append(plaats)
        so = int(vest_soort[i])
        if so == BAO:
            naam = f"{_BAO_PREFIXES[pref[i]]} {_SCHOOL_NOUNS[noun[i]]}"
        elif so == SBAO:
            naam = f"SBO {_SCHOOL_NOUNS[noun[i]]}"
        elif so in (SO, VSO):
            naam = f"{'SO' if so == SO else 'VSO'} {_SO_BY_KERN[KERNSOORTEN[vest_kern[i]]]} {_SCHOOL_NOUNS[noun[i]]}"
        else:
            naam = f"{_VO_PERSONS[vo_p[i]]} {_VO_NAMES[vo_n[i]]}"
        if volg[i] > 0 and plaats:
            naam += f" locatie {plaats}"
        vest_naam.append(naam)

    return Reference(swv_code=swv_code, swv_sector=swv_sector, swv_naam=swv_naam, swv_adres=swv_adres,
                     swv_postcode=swv_postcode, swv_plaats=swv_plaats,
                     pc4=list(pc4), gemeente=list(gemeente), pc4_po=pc4_po, pc4_vo=pc4_vo, pc4_weight=pc4_weight,
                     vest_code=vest_code, vest_naam=vest_naam, vest_soort=vest_soort, vest_kern=vest_kern,
                     vest_swv=vest_swv, vest_plaats=vest_plaats, vest_weight=vest_weight)
