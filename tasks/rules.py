"""The counting rules of ../shared/spec/rules.md, one small pure function each.

Every rule is evaluated per row of a frame that carries its own day in a column `dag`,
so the same functions serve one teldatum (Kijkglas 1: every row has dag = 1 October),
two peildatums (Kijkglas 3) and the start days of validity periods (Kijkglas 2).
Dates are pandas datetime64[ns]; a null einddatum means "open".
"""
from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.settings import Settings
from schemas.models import SO_VSO

SOORT_SECTOR = {"BAO": "PO", "SBAO": "PO", "SO": "PO", "VSO": "VO", "VO": "VO"}
VSO_SOORT = {"PO": "SO", "VO": "VSO"}  # the (v)so soort of each sector
SITUATIES = ["TLV", "RP", "CVI", "GEEN_TLV"]
CATEGORIEEN = ["L", "M", "H"]
LEEFTIJDEN = ["<8", "8+"]


# --- Time -------------------------------------------------------------------------------

# The form of a schooljaar, for what can only match a pattern (folder names, the run form);
# schooljaar_start_year adds the rule a pattern cannot say: consecutive years.
SCHOOLJAAR_PATTERN = r"^\d{4}-\d{4}$"


def schooljaar_start_year(schooljaar: str) -> int:
    """T of the schooljaar T-(T+1); ValueError (a Dutch line) for anything else."""
    text = str(schooljaar)
    if re.fullmatch(SCHOOLJAAR_PATTERN, text, flags=re.ASCII) is None or int(text[5:]) != int(text[:4]) + 1:
        raise ValueError(f"schooljaar {schooljaar!r} is geen schooljaar (JJJJ-JJJJ met opeenvolgende jaren, bv. 2024-2025)")
    return int(text[:4])


def schooljaar_bounds(schooljaar: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """1 August .. 31 July (both inclusive)."""
    t = schooljaar_start_year(schooljaar)
    return pd.Timestamp(t, 8, 1), pd.Timestamp(t + 1, 7, 31)


def schooljaar_of(d: date | pd.Timestamp) -> str:
    t = d.year if d.month >= 8 else d.year - 1
    return f"{t}-{t + 1}"


def teldatum(schooljaar: str) -> pd.Timestamp:
    return pd.Timestamp(schooljaar_start_year(schooljaar), 10, 1)


def bekostigd_schooljaar(schooljaar: str) -> str:
    """The schooljaar whose funding the counts of this schooljaar's teldatum determine: the next
    one (funding follows the count of 1 October of the year before, the t-1 rule)."""
    t = schooljaar_start_year(schooljaar)
    return f"{t + 1}-{t + 2}"


def peildatum_groei(schooljaar: str) -> pd.Timestamp:
    """1 February after the schooljaar's 1 October."""
    return pd.Timestamp(schooljaar_start_year(schooljaar) + 1, 2, 1)


def leeftijd_peildatum(teldatum_jaar: int, settings: Settings) -> pd.Timestamp:
    """The day on which age is measured for the count of 1-10 of `teldatum_jaar` (default 31-12)."""
    return pd.Timestamp(teldatum_jaar, settings.leeftijd_peildatum_maand, settings.leeftijd_peildatum_dag)


def is_active(begindatum: pd.Series, einddatum: pd.Series, dag) -> pd.Series:
    """begindatum <= dag <= einddatum (null einddatum = open). `dag` a Timestamp or a Series."""
    return (begindatum <= dag) & (einddatum.isna() | (dag <= einddatum))


def is_counted(inschrijvingen: pd.DataFrame, dag) -> pd.Series:
    """Active on dag and bekostigd = J."""
    return is_active(inschrijvingen["begindatum"], inschrijvingen["einddatum"], dag) & (inschrijvingen["bekostigd"] == "J")


def leeftijd(geboortedatum: pd.Series, peildatum: pd.Timestamp) -> pd.Series:
    """Age in whole years on peildatum (a birthday on the peildatum counts as reached)."""
    b = geboortedatum
    not_yet = (b.dt.month * 100 + b.dt.day) > (peildatum.month * 100 + peildatum.day)
    return peildatum.year - b.dt.year - not_yet.astype(int)


def leeftijdscategorie(geboortedatum: pd.Series, teldatum_jaar: int, settings: Settings) -> pd.Series:
    """`<8` / `8+` by age on the age peildatum of the count of 1-10-`teldatum_jaar`."""
    age = leeftijd(geboortedatum, leeftijd_peildatum(teldatum_jaar, settings))
    return pd.Series(np.where(age >= settings.leeftijd_grens, "8+", "<8"), index=geboortedatum.index)


# --- A (v)so registration on day d -------------------------------------------------------

def leerling_attributes(extract, leerling_ids: pd.Series, columns: list[str]) -> pd.DataFrame:
    """Columns of `leerlingen` for the given pupils (NaN for an unknown id). Only the few
    distinct ids asked for are hashed; the 2.7 M pupils are probed against them once."""
    wanted = pd.Index(pd.unique(leerling_ids.to_numpy()))
    lln = extract.leerlingen
    all_ids = extract.derived.get("leerling_ids_arrow")
    if all_ids is None:  # Arrow hashes strings in C++, far faster than pandas' object hashing
        all_ids = pa.array(lln["leerling_id"].to_numpy(), type=pa.string())
        extract.derived["leerling_ids_arrow"] = all_ids
    hit = pc.index_in(all_ids, value_set=pa.array(wanted.to_numpy(), type=pa.string()))
    hit = hit.to_numpy(zero_copy_only=False)
    row_of_wanted = np.full(len(wanted), -1, dtype=np.int64)
    found = ~np.isnan(hit) if hit.dtype.kind == "f" else hit >= 0
    row_of_wanted[hit[found].astype(np.int64)] = np.flatnonzero(found)
    rows = row_of_wanted[wanted.get_indexer(leerling_ids)]
    known = rows >= 0
    out = pd.DataFrame(index=leerling_ids.index)
    for c in columns:
        values = lln[c].iloc[np.where(known, rows, 0)] if len(lln) else pd.Series([None] * len(rows))
        out[c] = pd.Series(values.to_numpy(), index=leerling_ids.index).where(known)
    return out


def leerling_attribute(extract, leerling_ids: pd.Series, column: str) -> pd.Series:
    """One column of `leerlingen` for the given pupils."""
    return leerling_attributes(extract, leerling_ids, [column])[column]


def with_vestiging(inschrijvingen: pd.DataFrame, vestigingen: pd.DataFrame) -> pd.DataFrame:
    """Registrations with the vestiging's soort, kernsoort, SWV (`vestiging_swv`), naam and sector."""
    v = vestigingen.set_index("vestiging_code")
    pos = v.index.get_indexer(inschrijvingen["vestiging_code"])
    out = inschrijvingen.copy()
    for src, dst in [("soort", "soort"), ("kernsoort", "kernsoort"), ("swv_code", "vestiging_swv"), ("naam", "vestiging_naam")]:
        out[dst] = v[src].to_numpy()[pos]
    out["sector"] = out["soort"].map(SOORT_SECTOR)
    return out


def vso_inschrijvingen(inschrijvingen: pd.DataFrame, vestigingen: pd.DataFrame) -> pd.DataFrame:
    """Registrations at vestigingen of soort SO (sector PO) or VSO (sector VO)."""
    vso_codes = vestigingen.loc[vestigingen["soort"].isin(SO_VSO), "vestiging_code"]
    regs = inschrijvingen[inschrijvingen["vestiging_code"].isin(vso_codes)]
    return with_vestiging(regs, vestigingen)


def _latest_valid(rows: pd.DataFrame, docs: pd.DataFrame, on: list[str], number: str) -> pd.DataFrame:
    """Per row of `rows` (index = row key, columns `on` + `dag`), the doc valid on dag with the
    latest begindatum, then the highest `number`. Returns the docs' columns indexed by row key."""
    left = rows[on + ["dag"]].reset_index(names="_row")
    m = left.merge(docs, on=on, how="inner")
    valid = (m["begindatum"] <= m["dag"]) & (m["einddatum"].isna() | (m["dag"] <= m["einddatum"]))
    m = m[valid].sort_values(["_row", "begindatum", number], kind="stable")
    m = m.drop_duplicates("_row", keep="last").set_index("_row")
    m.index.name = rows.index.name
    return m.drop(columns=on + ["dag"])


def tlv_in_force(rows: pd.DataFrame, tlv: pd.DataFrame) -> pd.DataFrame:
    """The TLV in force for each row (columns leerling_id, soort, dag): soort equal to the
    vestiging's soort, valid on dag; several → latest begindatum, then highest tlv_nummer.
    Returns tlv_nummer, tlv_swv, tlv_categorie, tlv_begindatum, tlv_einddatum (NaN = none)."""
    docs = tlv[["leerling_id", "soort", "tlv_nummer", "swv_code", "categorie", "begindatum", "einddatum"]]
    found = _latest_valid(rows, docs, ["leerling_id", "soort"], "tlv_nummer")
    found = found.rename(columns={"swv_code": "tlv_swv", "categorie": "tlv_categorie",
                                  "begindatum": "tlv_begindatum", "einddatum": "tlv_einddatum"})
    return found.reindex(rows.index)


def cvi_in_force(rows: pd.DataFrame, cvi_indicaties: pd.DataFrame) -> pd.DataFrame:
    """The CvI indication in force for each row (columns leerling_id, dag), chosen like a TLV.
    Returns cvi_nummer, soort_indicatie, cvi_begindatum, cvi_einddatum (NaN = none)."""
    docs = cvi_indicaties[["leerling_id", "cvi_nummer", "soort_indicatie", "begindatum", "einddatum"]]
    found = _latest_valid(rows, docs, ["leerling_id"], "cvi_nummer")
    found = found.rename(columns={"begindatum": "cvi_begindatum", "einddatum": "cvi_einddatum"})
    return found.reindex(rows.index)


def situatie(residentieel: pd.Series, tlv_nummer: pd.Series, cvi_nummer: pd.Series) -> pd.Series:
    """First that applies: RP (residentieel J), TLV (in force), CVI (in force), else GEEN_TLV."""
    out = np.select(
        [residentieel.eq("J").to_numpy(), tlv_nummer.notna().to_numpy(), cvi_nummer.notna().to_numpy()],
        ["RP", "TLV", "CVI"], default="GEEN_TLV")
    return pd.Series(out, index=residentieel.index)


def categorie(situatie_: pd.Series, tlv_categorie: pd.Series, soort_indicatie: pd.Series,
              kernsoort: pd.Series, settings: Settings) -> pd.Series:
    """TLV in force → its categorie (also for RP); situation CVI → map(soort_indicatie);
    otherwise map(kernsoort)."""
    cmap = settings.categorie_map
    out = kernsoort.map(cmap)
    out = out.where(situatie_ != "CVI", soort_indicatie.map(cmap))
    return out.where(tlv_categorie.isna(), tlv_categorie)


def vorige_inschrijving_swv(vso_regs: pd.DataFrame, inschrijvingen: pd.DataFrame,
                            vestigingen: pd.DataFrame) -> pd.Series:
    """For each (v)so registration: the SWV of the vestiging of the pupil's registration that
    ended most recently before this one began, when that SWV is of the registration's sector
    (the RP rule, WPO 132 lid 5 / WVO 85b lid 4). NaN otherwise. Index as vso_regs."""
    left = vso_regs[["leerling_id", "begindatum", "sector"]].reset_index(names="_row")
    ended = inschrijvingen.loc[inschrijvingen["einddatum"].notna()
                               & inschrijvingen["leerling_id"].isin(left["leerling_id"]),
                               ["leerling_id", "einddatum", "vestiging_code"]]
    ended = ended.merge(vestigingen[["vestiging_code", "swv_code"]], on="vestiging_code", how="left")
    left = left.sort_values("begindatum", kind="stable")
    ended = ended.sort_values("einddatum", kind="stable")
    m = pd.merge_asof(left, ended, left_on="begindatum", right_on="einddatum", by="leerling_id",
                      allow_exact_matches=False, direction="backward")
    same_sector = m["swv_code"].str[:2] == m["sector"]
    m["vorige_swv"] = m["swv_code"].where(same_sector)
    return m.set_index("_row")["vorige_swv"].reindex(vso_regs.index)


def woon_swv(pc4_woonadres: pd.Series, sector: pd.Series, regio_indeling: pd.DataFrame) -> pd.Series:
    """The home SWV of the registration's sector: regio_indeling[pc4].swv_po / .swv_vo."""
    r = regio_indeling.set_index("pc4")
    po = pc4_woonadres.map(r["swv_po"])
    vo = pc4_woonadres.map(r["swv_vo"])
    return po.where(sector == "PO", vo)


def verantwoordelijk_swv(tlv_swv: pd.Series, situatie_: pd.Series, vorige_swv: pd.Series,
                         woon_swv_: pd.Series) -> pd.Series:
    """1. TLV in force → its issuer; 2. else RP → previous registration's SWV of the same sector
    if any; 3. else the home SWV. NaN when none is found (data-quality list)."""
    rp_or_home = vorige_swv.where(situatie_.eq("RP") & vorige_swv.notna(), woon_swv_)
    return tlv_swv.where(tlv_swv.notna(), rp_or_home)


def deelnemend(vestiging_swv: pd.Series, swv: pd.Series | str) -> pd.Series:
    """The vestiging belongs to the SWV whose Kijkglas is being made."""
    return vestiging_swv == swv


# --- Composition: the state of (v)so registrations on their day --------------------------

def vso_toestand(rows: pd.DataFrame, extract, settings: Settings,
                 vorige_swv: pd.Series | None = None) -> pd.DataFrame:
    """Evaluate every (v)so rule for `rows` (a frame from `vso_inschrijvingen` plus a `dag`
    column, any index). Adds: TLV/CvI in force, situatie, categorie, woon_swv, vorige_swv,
    verantwoordelijk_swv. `vorige_swv` may be passed when already known per row."""
    out = rows.copy()
    tlv = tlv_in_force(out, extract.tlv)
    cvi = cvi_in_force(out, extract.cvi_indicaties)
    out = out.join(tlv).join(cvi)
    out["situatie"] = situatie(out["residentieel"], out["tlv_nummer"], out["cvi_nummer"])
    out["categorie"] = categorie(out["situatie"], out["tlv_categorie"], out["soort_indicatie"],
                                 out["kernsoort"], settings)
    if "pc4_woonadres" not in out.columns:
        out["pc4_woonadres"] = leerling_attribute(extract, out["leerling_id"], "pc4_woonadres")
    out["woon_swv"] = woon_swv(out["pc4_woonadres"], out["sector"], extract.regio_indeling)
    if vorige_swv is None:
        vorige_swv = vorige_inschrijving_swv(out, extract.inschrijvingen, extract.vestigingen)
    out["vorige_swv"] = vorige_swv
    out["verantwoordelijk_swv"] = verantwoordelijk_swv(out["tlv_swv"], out["situatie"],
                                                       out["vorige_swv"], out["woon_swv"])
    return out


def counted_vso_on(extract, dag: pd.Timestamp, settings: Settings, leeftijd_jaar: int | None = None) -> pd.DataFrame:
    """(v)so registrations counted on `dag`, with every rule evaluated and the age category
    (measured for the count of 1-10-`leeftijd_jaar`; default the year of `dag`)."""
    regs = vso_inschrijvingen(extract.inschrijvingen, extract.vestigingen)
    regs = regs[is_counted(regs, dag)].copy()
    regs["dag"] = dag
    regs = regs.join(leerling_attributes(extract, regs["leerling_id"], ["pc4_woonadres", "geboortedatum", "bsn_laatste4"]))
    state = vso_toestand(regs, extract, settings)
    state["leeftijdscategorie"] = leeftijdscategorie(state["geboortedatum"], leeftijd_jaar or dag.year, settings)
    return state


# --- Validity periods (Kijkglas 2): the same rules over date intervals ---------------------

STATE_KEY = ["tlv_nummer", "cvi_nummer", "situatie", "categorie", "verantwoordelijk_swv"]


def clip_to_schooljaar(regs: pd.DataFrame, schooljaar: str) -> pd.DataFrame:
    """Registrations overlapping the schooljaar, with `venster_begin`/`venster_eind` clipped to it
    (an open registration runs to 31 July)."""
    s0, s1 = schooljaar_bounds(schooljaar)
    overlap = (regs["begindatum"] <= s1) & (regs["einddatum"].isna() | (regs["einddatum"] >= s0))
    out = regs[overlap].copy()
    out["venster_begin"] = out["begindatum"].clip(lower=s0)
    out["venster_eind"] = out["einddatum"].fillna(s1).clip(upper=s1)
    return out


def _change_days(regs: pd.DataFrame, docs: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    """Days inside each registration's window on which one of the pupil's documents starts or
    ends (the day after its einddatum)."""
    left = regs[on + ["venster_begin", "venster_eind"]].reset_index(names="_row")
    m = left.merge(docs[on + ["begindatum", "einddatum"]], on=on, how="inner")
    days = pd.concat([
        m[["_row", "venster_begin", "venster_eind"]].assign(dag=m["begindatum"]),
        m[["_row", "venster_begin", "venster_eind"]].assign(dag=m["einddatum"] + pd.Timedelta(days=1)),
    ])
    inside = (days["dag"] > days["venster_begin"]) & (days["dag"] <= days["venster_eind"])
    return days.loc[inside, ["_row", "dag"]]


def elementary_segments(regs: pd.DataFrame, tlv: pd.DataFrame, cvi_indicaties: pd.DataFrame) -> pd.DataFrame:
    """Cut each clipped registration at every day a TLV of its soort or a CvI starts or ends.
    Within a segment nothing the rules read can change, so evaluating the rules on the
    segment's first day (`dag`) is exact. Returns `_row` (regs index), dag, segment_eind."""
    starts = pd.concat([
        pd.DataFrame({"_row": regs.index, "dag": regs["venster_begin"].to_numpy()}),
        _change_days(regs, tlv, ["leerling_id", "soort"]),
        _change_days(regs, cvi_indicaties, ["leerling_id"]),
    ]).drop_duplicates().sort_values(["_row", "dag"], kind="stable").reset_index(drop=True)
    nxt = starts.groupby("_row")["dag"].shift(-1)
    eind = starts["_row"].map(regs["venster_eind"])
    starts["segment_eind"] = (nxt - pd.Timedelta(days=1)).fillna(eind)
    return starts


def merge_periods(segments: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Merge neighbouring segments of the same registration that agree on every `key` column."""
    seg = segments.sort_values(["_row", "dag"], kind="stable").reset_index(drop=True)
    same_reg = seg["_row"].eq(seg["_row"].shift())
    same_state = pd.Series(True, index=seg.index)
    for c in key:
        prev = seg[c].shift()
        same_state &= seg[c].eq(prev) | (seg[c].isna() & prev.isna())
    run = (~(same_reg & same_state)).cumsum()
    first = seg.groupby(run).head(1).set_index(run[seg.groupby(run).head(1).index])
    first["segment_eind"] = seg.groupby(run)["segment_eind"].max()
    return first.reset_index(drop=True)


def geldigheidsperioden(extract, schooljaar: str, settings: Settings, inschrijving_ids: set | None = None) -> pd.DataFrame:
    """Every (v)so registration overlapping the schooljaar, bekostigd or not, cut into validity
    periods (`periode_begin`..`periode_eind`) where situation, TLV, CvI, category or responsible
    SWV changes. Each row carries the full state evaluated by the same rules as Kijkglas 1."""
    regs = clip_to_schooljaar(vso_inschrijvingen(extract.inschrijvingen, extract.vestigingen), schooljaar)
    if inschrijving_ids is not None:  # only these registrations (each is cut on its own)
        regs = regs[regs["inschrijving_id"].isin(inschrijving_ids)]
    regs = regs.reset_index(drop=True)
    vorige = vorige_inschrijving_swv(regs, extract.inschrijvingen, extract.vestigingen)
    seg = elementary_segments(regs, extract.tlv, extract.cvi_indicaties)
    rows = regs.loc[seg["_row"]].reset_index(drop=True)
    rows["dag"] = seg["dag"].to_numpy()
    rows["segment_eind"] = seg["segment_eind"].to_numpy()
    rows["_row"] = seg["_row"].to_numpy()
    state = vso_toestand(rows, extract, settings, vorige_swv=rows["_row"].map(vorige))
    periods = merge_periods(state, STATE_KEY)
    return periods.rename(columns={"dag": "periode_begin", "segment_eind": "periode_eind"}).drop(columns="_row")
