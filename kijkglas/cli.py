"""The `kijkglas` command line: the parser, and one handler per subcommand (kijkglas/commands.py)."""
from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import date
from pathlib import Path

from core.settings import load_settings
from kijkglas import argparse_nl, commands
from outbox.layout import OPENBAAR
from production.withdrawal import ALLE
from products.registry import NAMES as PRODUCTS
from schemas.models import is_swv_code
from tasks import rules


def schooljaar(text: str) -> str:
    """argparse type: JJJJ-JJJJ with consecutive years (a usage error otherwise, exit 2)."""
    try:
        rules.schooljaar_start_year(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is geen schooljaar (JJJJ-JJJJ, bv. 2024-2025)") from None
    return text


def iso_date(text: str) -> str:
    """argparse type: a real date as JJJJ-MM-DD (kept as text; the handler reads it)."""
    try:
        date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is geen datum (JJJJ-MM-DD, bv. 2024-12-10)") from None
    return text


def existing_folder(text: str) -> Path:
    """argparse type: a folder that exists (an extract, a folder of extracts)."""
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} {'is geen map' if path.exists() else 'bestaat niet'}")
    return path


def swv_code(text: str) -> str:
    """argparse type: PO or VO and four digits, as DUO numbers the SWV's."""
    if not is_swv_code(text):
        raise argparse.ArgumentTypeError(f"{text!r} is geen SWV-code (PO of VO en vier cijfers, bv. PO2001)")
    return text


def swv_or_alle(text: str) -> str:
    """argparse type: an SWV code, `openbaar`, or `alle` (withdraw and restore choose explicitly)."""
    return text if text in (ALLE, OPENBAAR) else swv_code(text)


SWV_HELP = "alleen deze SWV's, bv. --swv PO2001 VO2001 (herhalen mag: --swv PO2001 --swv VO2001); standaard alle"
OUTBOX_HELP = "de outbox: één map per SWV, bv. /data/outbox"
EXTRACTS_HELP = "de map met extracten, één submap per stand per, bv. /data/extracts"
DASK_HELP = "de per-SWV fan-out op deze Dask-scheduler, bv. tcp://dask:8786"


def dask_address(text: str) -> str:
    """argparse type: a Dask scheduler's address (tcp://host:8786), as the run form checks it."""
    from flows.parameters import DASK_ADDRESS_PATTERN
    if not re.fullmatch(DASK_ADDRESS_PATTERN, text):
        raise argparse.ArgumentTypeError(f"{text!r} is geen adres van een Dask-scheduler (bv. tcp://dask:8786)")
    return text


def parser() -> argparse.ArgumentParser:
    argparse_nl.install()
    p = argparse.ArgumentParser(
        prog="kijkglas", description="Kijkglazen productie voor samenwerkingsverbanden passend onderwijs.",
        epilog="Exitcodes: 0 klaar; 1 geweigerd of ongeldige gegevens (niets gepubliceerd); 2 verkeerd gebruik.")
    sub = p.add_subparsers(dest="command", required=True, metavar="OPDRACHT")

    def dry_run_option(parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="alleen berekenen en per SWV melden wat er gepubliceerd zou worden; niets schrijven")

    def swv_option(parser, help_text=SWV_HELP):
        parser.add_argument("--swv", nargs="+", action="extend", default=None, metavar="CODE", type=swv_code,
                            help=help_text)

    g = sub.add_parser("generate", help="schrijf een synthetisch bronextract (of een maandreeks)",
                       description="Schrijf een synthetisch extract dat aan het inputcontract voldoet.")
    g.add_argument("--profile", choices=["small", "national"], default="small",
                   help="small (enkele SWV's) of national (~2,7 miljoen leerlingen); standaard small")
    g.add_argument("--stand-per", help="stand per van één extract, JJJJ-MM-DD, bv. 2024-12-06")
    g.add_argument("--series", metavar="SCHOOLJAAR",
                   help="één extract per maand van dit schooljaar plus één gecorrigeerde herlevering, bv. 2024-2025")
    g.add_argument("--out", required=True, type=Path, help="de map voor het extract (of de reeks), bv. extracts")
    g.add_argument("--seed", type=int, default=1, help="startwaarde van het toeval, bv. 1 (standaard)")
    g.add_argument("--format", choices=["csv", "parquet"], default=None,
                   help="bestandsformaat van de tabellen; standaard csv voor small, parquet voor national")
    g.add_argument("--regio-indeling", type=Path,
                   help="CSV PC4,gemeente,PO_SWV,VO_SWV met echte SWV-codes en postcodes, bv. regio-indeling-swv-pc4.csv")

    v = sub.add_parser("validate", help="toets een extract aan het inputcontract",
                       description="Toets alle regels van het contract tegelijk; exit 1 bij elke fout. Het rapport "
                                   "(validatie.csv, validatie.txt) komt in de outbox (--outbox) of in --report; "
                                   "zonder een van beide wordt geen bestand geschreven, alleen de samenvatting getoond.")
    v.add_argument("extract", type=Path, help="de extractmap, bv. extracts/2024-12-06 (er wordt niets in geschreven)")
    where = v.add_mutually_exclusive_group()
    where.add_argument("--outbox", type=Path, default=None,
                       help="schrijf het rapport in <outbox>/.operator/validatie/<extractmap>-<kenmerk>/, bv. /data/outbox")
    where.add_argument("--report", type=Path, default=None, help="schrijf het rapport in deze map, bv. rapport")

    pr = sub.add_parser("produce", help="bereken en publiceer één product voor een schooljaar",
                        description="Bereken één Kijkglas uit één extract en publiceer het in de outbox.")
    pr.add_argument("product", choices=PRODUCTS, help="het product, bv. kijkglas-1")
    pr.add_argument("--schooljaar", required=True, type=schooljaar, help="JJJJ-JJJJ, bv. 2024-2025")
    pr.add_argument("--extract", required=True, type=existing_folder,
                    help="een extractmap, of een map met extracten (dan het nieuwste op of vóór de productiedatum)")
    pr.add_argument("--outbox", required=True, type=Path, help=OUTBOX_HELP)
    swv_option(pr)
    pr.add_argument("--productiedatum", default=None, type=iso_date,
                    help="de datum van de productie, JJJJ-MM-DD, bv. 2024-12-10; standaard vandaag")
    pr.add_argument("--dask-address", default=None, type=dask_address, help=DASK_HELP)
    pr.add_argument("--no-prefect", action="store_true", help="zonder Prefect: de gewone functies, met voortgangsbalk")
    dry_run_option(pr)
    pr.add_argument("--buiten-kalender", action="store_true",
                    help="ook een schooljaar waar de kalender op de productiedatum niet (meer) over gaat, bv. een "
                         "correctie van een oud schooljaar (zonder deze optie geweigerd)")

    r = sub.add_parser("run", help="draai wat de publicatiekalender op een datum vraagt",
                       description="De productiedag: elk product dat op --date aan de beurt is, op het nieuwste extract op of vóór die datum.")
    r.add_argument("--date", required=True, type=iso_date, help="de productiedag, JJJJ-MM-DD, bv. 2024-12-10")
    r.add_argument("--extracts", required=True, type=Path, help=EXTRACTS_HELP)
    r.add_argument("--outbox", required=True, type=Path, help=OUTBOX_HELP)
    swv_option(r)
    r.add_argument("--dask-address", default=None, type=dask_address, help=DASK_HELP)
    dry_run_option(r)

    b = sub.add_parser("backfill", help="draai elke productie van een schooljaar op datumvolgorde",
                       description="Elke productiedag van een schooljaar waarvoor kalender en extracten er een vragen.")
    b.add_argument("--schooljaar", required=True, type=schooljaar, help="JJJJ-JJJJ, bv. 2024-2025")
    b.add_argument("--extracts", required=True, type=Path, help=EXTRACTS_HELP)
    b.add_argument("--outbox", required=True, type=Path, help=OUTBOX_HELP)
    b.add_argument("--product", choices=PRODUCTS, nargs="+", action="extend", default=None,
                   help="alleen deze producten, bv. --product kijkglas-1 kijkglas-2; standaard alle")
    swv_option(b)
    b.add_argument("--dask-address", default=None, type=dask_address, help=DASK_HELP)

    s = sub.add_parser("serve", help="bied de deployments van de kalender aan op de lokale Prefect-server",
                       description="Bied de deployments van deployments/prefect.yaml aan met hun schema's (één machine).")
    s.add_argument("--extracts", type=Path, default=None,
                   help=EXTRACTS_HELP + " (standaard: de Prefect-variabele kijkglas_extracts)")
    s.add_argument("--outbox", type=Path, default=None, help=OUTBOX_HELP + " (standaard: de Prefect-variabele kijkglas_outbox)")

    c = sub.add_parser("configure", help="zet de productiemappen van de Prefect-server (extracten en outbox)",
                       description="Zet de Prefect-variabelen kijkglas_extracts en kijkglas_outbox op de server van "
                                   "PREFECT_API_URL: de mappen die geplande runs gebruiken als ze zelf geen map meekrijgen.")
    c.add_argument("--extracts", required=True, type=Path, help=EXTRACTS_HELP)
    c.add_argument("--outbox", required=True, type=Path, help=OUTBOX_HELP + " (wordt gemaakt als ze nog niet bestaat)")

    st = sub.add_parser("status", help="toon wat per SWV actueel is",
                        description="Toon per SWV de actuele versie van elk product, uit het register.")
    st.add_argument("--outbox", required=True, type=Path, help=OUTBOX_HELP)
    swv_option(st, "alleen deze SWV's, bv. --swv PO2001; standaard alle")

    def status_change(name, help_text, description, version_help):
        c = sub.add_parser(name, help=help_text, description=description)
        c.add_argument("product", choices=PRODUCTS, help="het product, bv. kijkglas-1")
        c.add_argument("--schooljaar", required=True, type=schooljaar, help="JJJJ-JJJJ, bv. 2024-2025")
        c.add_argument("--version", required=True, help=version_help)
        c.add_argument("--reason", required=True, help="de reden, bv. \"fout in bronbestand\"")
        c.add_argument("--outbox", required=True, type=Path, help=OUTBOX_HELP)
        # not argparse-required: the handler says in one line how to choose (`alle` is a choice too)
        c.add_argument("--swv", nargs="+", action="extend", default=None, metavar="CODE", type=swv_or_alle,
                       help=f"verplicht: deze SWV's, bv. --swv PO2001 VO2001 (of openbaar), of --swv {ALLE}: "
                            "elke SWV met die versie")

    status_change("withdraw", "trek een gepubliceerde versie in",
                  "Markeer een gepubliceerde versie `ingetrokken`, met een reden. De versie ervoor wordt "
                  "niet vanzelf weer actueel (zie restore).", "de versie, bv. v2 (of 2)")
    status_change("restore", "maak een eerdere versie weer actueel na een intrekking",
                  "Maak een eerdere (vervangen) versie weer actueel, met een reden; alleen als geen versie "
                  "actueel is (trek de actuele eerst in).", "de eerdere versie die terugkomt, bv. v1 (of 1)")

    a = sub.add_parser("audit", help="controleer dat geen SWV-map een leerling bevat die de regels haar niet geven",
                       description="Privacy-audit van de hele outbox tegen de extracten waaruit haar versies zijn gemaakt.")
    a.add_argument("--outbox", required=True, type=Path, help=OUTBOX_HELP)
    a.add_argument("--extracts", required=True, type=Path, help="een extractmap of een map met extracten, bv. /data/extracts")

    d = sub.add_parser("demo", help="maak een demo-extract, valideer het, draai een productie, toon de outbox",
                       description="De hoofdtaak uit de README op de ingebouwde standaard (lokale tijdelijke Prefect).")
    d.add_argument("--workdir", type=Path, default=Path("demo"), help="de werkmap, bv. demo (standaard)")
    return p


# Defaults for the embedded (ephemeral) Prefect server that `produce`, `run`, `backfill` and `demo`
# start when no PREFECT_API_URL is set; an operator's own environment wins. A fresh server needs
# more than Prefect's 20 s to migrate its database on 2 busy cores, and its usage-telemetry
# heartbeat competes for that same SQLite database ("database is locked" ERROR in every run).
# The server records each task run's state changes with one INSERT per event unless told to batch
# them: batched (flushed at 100 events or every second), the server's CPU on an April day (~390
# tasks) went from 16 to 10 s, on the same 2 cores as the renders. (Prefect rounds the interval down
# to whole seconds: keep it ≥ 1.)
EMBEDDED_PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_DATABASE_TIMEOUT": "60",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
}


def main(argv: list[str] | None = None) -> int:
    for key, value in EMBEDDED_PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    args = parser().parse_args(argv)
    handler = {
        "generate": commands.cli_generate,
        "validate": commands.cli_validate,
        "produce": commands.cli_produce,
        "run": commands.cli_run,
        "backfill": commands.cli_backfill,
        "serve": commands.cli_serve,
        "configure": commands.cli_configure,
        "status": commands.cli_status,
        "withdraw": commands.cli_withdraw,
        "restore": commands.cli_restore,
        "demo": commands.cli_demo,
        "audit": commands.cli_audit,
    }[args.command]
    rc = handler(args, load_settings())  # the settings are read once, here, and passed down
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
