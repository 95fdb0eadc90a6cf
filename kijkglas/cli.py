"""The `kijkglas` command line: the parser, and one handler per subcommand (kijkglas/commands.py)."""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from core.settings import load_settings
from kijkglas import commands
from products.registry import NAMES as PRODUCTS


def schooljaar(text: str) -> str:
    """argparse type: JJJJ-JJJJ with consecutive years (a usage error otherwise, exit 2)."""
    first, _, second = text.partition("-")
    if not (len(first) == len(second) == 4 and first.isdigit() and second.isdigit() and int(second) == int(first) + 1):
        raise argparse.ArgumentTypeError(f"{text!r} is geen schooljaar (JJJJ-JJJJ, bv. 2024-2025)")
    return text


def swv_code(text: str) -> str:
    """argparse type: PO or VO and four digits, as DUO numbers the SWV's."""
    if not re.fullmatch(r"(PO|VO)\d{4}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is geen SWV-code (PO of VO en vier cijfers, bv. PO2001)")
    return text


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kijkglas", description="Kijkglazen productie voor samenwerkingsverbanden passend onderwijs.",
        epilog="Exit codes: 0 klaar; 1 geweigerd of ongeldige gegevens (niets gepubliceerd); 2 verkeerd gebruik.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser("generate", help="write a synthetic source extract (or a monthly series)",
                       description="Write a synthetic, contract-valid source extract.")
    g.add_argument("--profile", choices=["small", "national"], default="small")
    g.add_argument("--stand-per", help="stand per date (YYYY-MM-DD) of a single extract")
    g.add_argument("--series", metavar="SCHOOLJAAR", help="write one extract per month of this schooljaar (e.g. 2024-2025) plus one corrected re-issue")
    g.add_argument("--out", required=True, type=Path)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--format", choices=["csv", "parquet"], default=None, help="table file format (default: csv for small, parquet for national)")
    g.add_argument("--regio-indeling", type=Path, help="CSV PC4,gemeente,PO_SWV,VO_SWV with real SWV codes and postcodes")

    v = sub.add_parser("validate", help="check an extract against the input contract",
                       description="Check every contract rule at once; exit 1 and write a report on any failure.")
    v.add_argument("extract", type=Path)
    v.add_argument("--report", type=Path, default=None, help="folder for the report (default: <extract>/validatie)")

    pr = sub.add_parser("produce", help="compute and publish one product for a schooljaar",
                        description="Compute one Kijkglas from one extract and publish it into the outbox.")
    pr.add_argument("product", choices=PRODUCTS)
    pr.add_argument("--schooljaar", required=True, type=schooljaar, help="bv. 2024-2025")
    pr.add_argument("--extract", required=True, type=Path)
    pr.add_argument("--outbox", required=True, type=Path)
    pr.add_argument("--swv", nargs="+", action="extend", default=None, metavar="CODE", type=swv_code, help="alleen deze SWV's, bv. --swv PO2001 VO2001 (herhalen mag: --swv PO2001 --swv VO2001); standaard alle")
    pr.add_argument("--productiedatum", default=None, help="date of the production (default: today)")
    pr.add_argument("--dask-address", default=None, help="run the per-SWV fan-out on this Dask scheduler")
    pr.add_argument("--no-prefect", action="store_true", help="run the plain functions without Prefect")

    r = sub.add_parser("run", help="run what the publication calendar says is due on a date",
                       description="Run the production day: every product due on --date, on the newest extract on or before it.")
    r.add_argument("--date", required=True)
    r.add_argument("--extracts", required=True, type=Path, help="folder of extracts, one sub-folder per stand per")
    r.add_argument("--outbox", required=True, type=Path)
    r.add_argument("--swv", nargs="+", action="extend", default=None, metavar="CODE", type=swv_code, help="alleen deze SWV's, bv. --swv PO2001 VO2001 (herhalen mag: --swv PO2001 --swv VO2001); standaard alle")
    r.add_argument("--dask-address", default=None)

    b = sub.add_parser("backfill", help="run every production of a schooljaar in date order",
                       description="Run every production day of a schooljaar that the calendar and extracts call for.")
    b.add_argument("--schooljaar", required=True, type=schooljaar, help="bv. 2024-2025")
    b.add_argument("--extracts", required=True, type=Path)
    b.add_argument("--outbox", required=True, type=Path)
    b.add_argument("--product", choices=PRODUCTS, nargs="+", action="extend", default=None, help="alleen deze producten, bv. --product kijkglas-1 kijkglas-2; standaard alle")
    b.add_argument("--swv", nargs="+", action="extend", default=None, metavar="CODE", type=swv_code, help="alleen deze SWV's, bv. --swv PO2001 VO2001 (herhalen mag: --swv PO2001 --swv VO2001); standaard alle")
    b.add_argument("--dask-address", default=None)

    s = sub.add_parser("serve", help="serve the calendar's deployments on the local Prefect server",
                       description="Serve the deployments of deployments/prefect.yaml with their schedules (one-machine setup).")
    s.add_argument("--extracts", type=Path, default=Path("extracts"))
    s.add_argument("--outbox", type=Path, default=Path("outbox"))

    st = sub.add_parser("status", help="list what is current per SWV",
                        description="List the current (actueel) version of every product per SWV from the register.")
    st.add_argument("--outbox", required=True, type=Path)
    st.add_argument("--swv", nargs="+", action="extend", default=None, metavar="CODE", type=swv_code, help="alleen deze SWV's, bv. --swv PO2001")

    w = sub.add_parser("withdraw", help="withdraw (intrekken) a published version",
                       description="Mark a published version `ingetrokken` with a reason.")
    w.add_argument("product", choices=PRODUCTS)
    w.add_argument("--schooljaar", required=True, type=schooljaar, help="bv. 2024-2025")
    w.add_argument("--version", required=True)
    w.add_argument("--reason", required=True)
    w.add_argument("--outbox", required=True, type=Path)
    w.add_argument("--swv", nargs="+", action="extend", default=None, metavar="CODE", type=swv_code, help="only these SWVs, e.g. --swv PO2001 (default: every SWV holding that version)")

    a = sub.add_parser("audit", help="check that no SWV folder holds a pupil the rules do not give it",
                       description="Privacy audit of the whole outbox against the extracts its versions were made from.")
    a.add_argument("--outbox", required=True, type=Path)
    a.add_argument("--extracts", required=True, type=Path, help="an extract folder or a folder of extracts")

    d = sub.add_parser("demo", help="generate a demo extract, validate it, run a production, print the outbox",
                       description="The README's main job on the embedded default (local ephemeral Prefect).")
    d.add_argument("--workdir", type=Path, default=Path("demo"))
    return p


# Defaults for the embedded (ephemeral) Prefect server that `produce`, `run`, `backfill` and `demo`
# start when no PREFECT_API_URL is set; an operator's own environment wins. A fresh server needs
# more than Prefect's 20 s to migrate its database on 2 busy cores, and its usage-telemetry
# heartbeat competes for that same SQLite database ("database is locked" ERROR in every run).
EMBEDDED_PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_DATABASE_TIMEOUT": "60",
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
        "status": commands.cli_status,
        "withdraw": commands.cli_withdraw,
        "demo": commands.cli_demo,
        "audit": commands.cli_audit,
    }[args.command]
    rc = handler(args, load_settings())  # the settings are read once, here, and passed down
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
