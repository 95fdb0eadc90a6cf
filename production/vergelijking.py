"""The comparison step of a production: after its publications, the indicators of the product
(tasks/indicators.py) from the tables it just computed, reconciled (the national figure = the sum
of the SWVs'), stored as a public CSV (outbox/vergelijking.py), and the page Vergelijking of every
SWV of the sector and the public page made again (the spread changes every SWV's page).

Two calls in both the plain production (steps.run_production) and the Prefect flow
(flows/kijkglazen.produce): `comparison_of` before publishing (it reconciles), `store_comparison` after. A production for chosen
SWVs adds nothing (a national figure needs every SWV of the sector); a dry run does not call it."""
from __future__ import annotations

import logging
from pathlib import Path

from outbox import vergelijking as store
from outbox.dashboard import vergelijking as page
from outbox.dashboard.pages import owner_menu, render_page
from tasks import indicators
from tasks.model import Production

log = logging.getLogger(__name__)


def swvs_per_sector(extract) -> dict[str, list[str]]:
    """Every SWV code of the extract per sector: what 'all SWVs' means for a national figure."""
    s = extract.samenwerkingsverbanden
    return {sector: sorted(s.loc[s["sector"] == sector, "swv_code"]) for sector in ("PO", "VO")}


def leerlingen(outbox: Path, schooljaar: str) -> indicators.Leerlingen | None:
    """Each SWV's leerlingen on the teldatum from the newest stored Kijkglas 1 figures of the
    schooljaar (None: no Kijkglas 1 of it was made yet)."""
    k1 = store.latest(store.read_all(outbox), ["deelname_vso"], schooljaar)
    return indicators.leerlingen_of(k1) if not k1.empty else None


def comparison_rows(outbox: Path, production: Production, extract):
    """The production's indicator rows, reconciled (ReconciliationError when a national figure is
    not the sum of the parts)."""
    n = leerlingen(outbox, production.schooljaar) if indicators.needs_leerlingen(production.product) else None
    if n is None and indicators.needs_leerlingen(production.product):
        log.info("vergelijking %s %s: nog geen Kijkglas 1 van dit schooljaar; de groei per 100 leerlingen "
                 "volgt na de eerste Kijkglas 1", production.product, production.schooljaar)
    return indicators.indicator_rows(production, swvs_per_sector(extract), n)


def comparison_of(outbox: Path, production: Production, extract):
    """The production's indicator rows, reconciled, before anything is published (a national figure
    that is not the sum of the parts stops the production like any reconciliation); None when the
    product has no indicators or not every SWV of the sector was computed (a choice of SWVs)."""
    if not indicators.of_product(production.product):
        return None
    rows = comparison_rows(Path(outbox), production, extract)
    if rows.empty:
        log.info("vergelijking %s %s: niet alle SWV's van de sector berekend; geen landelijk cijfer",
                 production.product, production.schooljaar)
        return None
    return rows


def store_comparison(outbox: Path, production: Production, rows) -> Path | None:
    """After the publications: store the reconciled rows (public CSV) and make the comparison pages of
    the sector's SWVs and the public page. The stored file's path, or None (nothing to add, or the
    figures of a newer extract stay)."""
    if rows is None:
        return None
    path = store.write(Path(outbox), production.product, rows)
    if path is None:
        log.info("vergelijking %s %s: de cijfers van een nieuwer extract blijven staan", production.product,
                 production.schooljaar)
        return None
    make_pages(Path(outbox), sorted(set(rows["sector"])))
    return path


def make_pages(outbox: Path, sectors: list[str]) -> None:
    """The comparison page of every SWV of `sectors` that has a folder, and the public page."""
    rows = store.read_all(outbox)
    owners = sorted(set(rows.loc[rows["sector"].isin(sectors) & (rows["swv"] != indicators.LANDELIJK), "swv"]))
    shared: dict = {}  # what the pages of the sector share, worked out once
    for owner in owners:
        if (Path(outbox) / owner).is_dir():
            files = page.owner_files(outbox, owner, render_page, owner_menu(outbox, owner, "vergelijking"), rows,
                                     shared)
            page.write_owner_files(outbox, owner, files)
    page.write_public_page(outbox, render_page)
