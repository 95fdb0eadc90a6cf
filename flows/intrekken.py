"""Withdrawing a published version and restoring the one before it, from the Prefect UI: the same
plain functions as `kijkglas withdraw` and `kijkglas restore` (production/withdrawal.py). The SWV
choice is required: codes, or the word `alle`."""
from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from core.settings import load_settings
from flows.logs import USER_ERRORS, quiet_user_errors, refused
from flows.parameters import (Outbox, Product, Reden, Schooljaar, SwvKeuze, VersieHerstellen, VersieIntrekken,
                              with_parameter_help)
from flows.paths import outbox_path
from production import withdrawal
from production.summary import markdown_cell


def change_status(change, kind: str, product: str, schooljaar: str, versie: str, reden: str, swv: list[str],
                  outbox: str | None) -> list[str]:
    """The withdrawal or restore for the chosen SWVs, each logged, and one artifact; a mistake is one line."""
    quiet_user_errors()
    log = get_run_logger()
    try:
        changes = change(outbox_path(outbox), product, schooljaar, versie, reden, swv,
                         register=load_settings().register_path)
    except USER_ERRORS as exc:
        return refused(exc, log)
    for c in changes:
        log.info(c.message)
    create_table_artifact(
        key=f"{kind}-{product}-{schooljaar}",
        table=[{"SWV": c.swv, "uitkomst": c.outcome, "melding": markdown_cell(c.message)} for c in changes],
        description=f"{kind}: {product} {schooljaar} {versie} voor {len(changes)} SWV('s); reden: {markdown_cell(reden)}")
    return [c.message for c in changes]


@flow(name="intrekken", flow_run_name="intrekken {product} {schooljaar} {versie}")
@with_parameter_help
def intrekken(product: Product, schooljaar: Schooljaar, versie: VersieIntrekken, reden: Reden, swv: SwvKeuze,
              outbox: Outbox = None) -> list[str]:
    """Trek een gepubliceerde versie in voor de gekozen SWV's."""
    return change_status(withdrawal.withdraw, "intrekken", product, schooljaar, versie, reden, swv, outbox)


@flow(name="herstellen", flow_run_name="herstellen {product} {schooljaar} {versie}")
@with_parameter_help
def herstellen(product: Product, schooljaar: Schooljaar, versie: VersieHerstellen, reden: Reden, swv: SwvKeuze,
               outbox: Outbox = None) -> list[str]:
    """Maak een eerdere versie weer actueel, nadat de versie erna is ingetrokken."""
    return change_status(withdrawal.restore, "herstellen", product, schooljaar, versie, reden, swv, outbox)
