"""The publication calendar: which productions are due on a date, about which schooljaar, on
which extract. When is read from deployments/kalender.yaml (data, not code); which schooljaar a
production is about is the product's own fact (its `periode` in products/registry.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from products import registry
from schemas.extract import ExtractFormatError, read_extract_meta
from schemas.models import SECTOREN
from tasks import rules

KALENDER_PATH = Path(__file__).resolve().parents[1] / "deployments" / "kalender.yaml"


@dataclass(frozen=True)
class ProductKalender:
    product: str
    maanden: tuple[int, ...]
    dag: int
    periode: str
    laatste_datum: date | None
    eerste_stand_per: str   # begin_schooljaar | peildatum | einde_schooljaar (production/refusals.py)


@dataclass(frozen=True)
class Productie:
    """One production: a product about a schooljaar, made on a date."""
    datum: date
    product: str
    schooljaar: str


def load_kalender(path: Path | None = None) -> dict[str, ProductKalender]:
    raw = yaml.safe_load(Path(path or KALENDER_PATH).read_text(encoding="utf-8"))
    out = {}
    for product, p in raw["producten"].items():
        laatste = p.get("laatste_datum")
        out[product] = ProductKalender(product=product, maanden=tuple(p["maanden"]), dag=int(p["dag"]),
                                       periode=registry.product(product).periode,
                                       laatste_datum=date.fromisoformat(str(laatste)) if laatste else None,
                                       eerste_stand_per=p["eerste_stand_per"])
    return out


def tijdzone(path: Path | None = None) -> str:
    """The calendar's timezone (its scheduled runs, and the production date of a run made without one)."""
    raw = yaml.safe_load(Path(path or KALENDER_PATH).read_text(encoding="utf-8"))
    return str(raw.get("tijdzone", "Europe/Amsterdam"))


def schooljaar_for(periode: str, d: date) -> str:
    if periode == registry.TELDATUM:
        return f"{d.year}-{d.year + 1}"
    current = rules.schooljaar_of(d)
    if periode == registry.SCHOOLJAAR:
        return current
    if periode == registry.VORIG_SCHOOLJAAR:
        t = rules.schooljaar_start_year(current) - 1
        return f"{t}-{t + 1}"
    raise ValueError(f"unknown periode {periode!r}")


def due_on(d: date, kalender: dict[str, ProductKalender], products: list[str] | None = None) -> list[Productie]:
    """The productions the calendar calls for in d's month (a production day may be run late)."""
    out = []
    for p in kalender.values():
        if products and p.product not in products:
            continue
        if d.month in p.maanden and (p.laatste_datum is None or d <= p.laatste_datum):
            out.append(Productie(datum=d, product=p.product, schooljaar=schooljaar_for(p.periode, d)))
    return out


def productions_for_swvs(productions: list[Productie], swv: list[str] | None) -> list[Productie]:
    """The productions a choice of SWVs asks for: a product made for one sector only (sbao: PO)
    drops out when none of the chosen SWVs is of that sector (the code's first two letters say it)."""
    if not swv:  # none chosen: every SWV
        return productions
    return [p for p in productions if swvs_for_product(p.product, swv) != []]


def swvs_for_product(product: str, swv: list[str] | None) -> list[str] | None:
    """The chosen SWVs a product is made for (None: all). A code of the other sector (its first two
    letters, as the input contract has it) is left out; any other code stays, for the product to
    refuse with the list of valid ones."""
    if not swv:
        return swv
    sectoren = registry.product(product).sectoren
    return [c for c in swv if c[:2] not in SECTOREN or c[:2] in sectoren]


def compute_order(productions: list[Productie]) -> list[Productie]:
    """The order in which a production day's products compute (one at a time): the quick ones first,
    then the calendar's order. The render pool is idle until the first product is computed; a quick
    one gives it documents to render at once, while the next computes."""
    return sorted(productions, key=lambda p: not registry.product(p.product).quick_compute)


def production_dates(schooljaar: str, kalender: dict[str, ProductKalender],
                     products: list[str] | None = None) -> list[Productie]:
    """Every production whose scheduled date falls in the schooljaar (1 Aug – 31 Jul), in date order."""
    t = rules.schooljaar_start_year(schooljaar)
    out = []
    for year, month in [(t, m) for m in range(8, 13)] + [(t + 1, m) for m in range(1, 8)]:
        for p in kalender.values():
            if products and p.product not in products:
                continue
            d = date(year, month, p.dag)
            if month in p.maanden and (p.laatste_datum is None or d <= p.laatste_datum):
                out.append(Productie(datum=d, product=p.product, schooljaar=schooljaar_for(p.periode, d)))
    return sorted(out, key=lambda x: (x.datum, x.product))


def list_extracts(folder: Path) -> list[tuple[date, Path]]:
    """Extract folders below `folder` (each with extract.json), by stand per. An extract folder or
    extract.json that is a link, or one not valid, is refused by name (ExtractFormatError), never
    read through or passed over:
    passing over the newest extract would quietly produce on an older one."""
    found = []
    for meta in sorted(Path(folder).glob("*/extract.json")):
        if meta.parent.is_symlink():  # an extract is a folder of its own, never one elsewhere
            raise ExtractFormatError(f"{meta.parent}: is een symbolische koppeling; een map met extracten bevat de "
                                     f"extracten zelf. Vervang de koppeling door de map. Er is niets gepubliceerd.")
        try:
            found.append((read_extract_meta(meta.parent)["stand_per"], meta.parent))
        except ExtractFormatError as exc:
            raise ExtractFormatError(f"{exc}. Herstel het of haal die map uit {folder}. Er is niets gepubliceerd.") from None
    return sorted(found)


def newest_extract_on(folder: Path, d: date) -> Path | None:
    """The newest extract whose stand per is on or before d (ties: the last folder name)."""
    eligible = [p for sp, p in list_extracts(folder) if sp <= d]
    return eligible[-1] if eligible else None


def resolve_extract(extract: str | Path, datum: date) -> str:
    """An extract folder as given, or the newest extract on or before `datum` in a folder of extracts."""
    p = Path(extract)
    if not p.is_dir():
        raise FileNotFoundError(f"extractmap {p} {'is geen map' if p.exists() else 'bestaat niet'}: "
                                f"controleer het pad (de parameter extract, of anders de Prefect-variabele kijkglas_extracts). "
                                f"Er is niets gepubliceerd.")
    if (p / "extract.json").exists():
        return str(p)
    found = newest_extract_on(p, datum)
    if found is None:
        raise FileNotFoundError(f"geen extract met stand per op of vóór {datum:%d-%m-%Y} in {p}: zet het extract "
                                f"in een eigen submap met extract.json. Er is niets gepubliceerd.")
    return str(found)


def with_extracts(productions: list[Productie], extracts: Path) -> list[Productie]:
    """The productions that have an extract to run on (stand per on or before their date)."""
    return [p for p in productions if newest_extract_on(Path(extracts), p.datum) is not None]


def chains(productions: list[Productie]) -> list[list[Productie]]:
    """The productions per product and schooljaar, each chain in date order: its versions follow
    one another, so a chain runs one production at a time; different chains may run side by side."""
    out: dict[tuple[str, str], list[Productie]] = {}
    for p in sorted(productions, key=lambda x: (x.datum, x.product)):
        out.setdefault((p.product, p.schooljaar), []).append(p)
    return list(out.values())


def concurrency_name(product: str, schooljaar: str) -> str:
    """The Prefect concurrency limit (1 slot) that keeps two productions of one product and
    schooljaar from publishing at the same time."""
    return f"kijkglas-publicatie-{product}-{schooljaar}"



def schooljaar_on(p: ProductKalender, d: date) -> str:
    """The schooljaar the product's calendar is on at date d: the one its latest scheduled month on or
    before d was about (so a correction later in the same cycle still belongs to it)."""
    year, month = d.year, d.month
    for _ in range(13):
        if month in p.maanden and (p.laatste_datum is None or date(year, month, 1) <= p.laatste_datum):
            return schooljaar_for(p.periode, date(year, month, min(p.dag, 28)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return schooljaar_for(p.periode, d)
