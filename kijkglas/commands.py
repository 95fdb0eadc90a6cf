"""CLI handlers for the production commands. They only translate arguments and report; the
work happens in flows/ (through Prefect) or tasks/production.py (--no-prefect)."""
from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from pathlib import Path

from schemas.extract import ExtractFormatError
from schemas.validate import InvalidExtractError
from tasks.common import ReconciliationError


def _date(text: str | None) -> date:
    return date.fromisoformat(text) if text else date.today()


def _summary(outcomes: list, outbox: Path) -> None:
    rows = [o if isinstance(o, dict) else o.__dict__ for o in outcomes]
    c = Counter(r["outcome"] for r in rows)
    per_product = Counter((r["product"], r["schooljaar"], r["outcome"]) for r in rows)
    for (product, sj, outcome), n in sorted(per_product.items()):
        print(f"  {product} {sj}: {n} × {outcome}")
    print(f"{c.get('published', 0)} versie(s) gepubliceerd, {c.get('unchanged', 0)} ongewijzigd, "
          f"{c.get('skipped', 0)} overgeslagen")
    print(f"outbox: {Path(outbox).resolve()}")


def _guarded(fn):
    """Bad input and failed reconciliations end with a clear message and exit 1, never a traceback."""
    try:
        return fn()
    except (ExtractFormatError, InvalidExtractError) as exc:
        print(f"extract afgekeurd, niets gepubliceerd:\n{exc}", file=sys.stderr)
    except ReconciliationError as exc:
        print(f"reconciliatie mislukt, niets gepubliceerd:\n{exc}", file=sys.stderr)
    except (FileNotFoundError, ValueError) as exc:
        print(f"fout: {exc}", file=sys.stderr)
    return None


def cli_produce(args) -> int:
    datum = _date(args.productiedatum)
    if args.no_prefect:
        from tasks.production import run_production
        outcomes = _guarded(lambda: run_production(args.product, args.extract, args.outbox, args.schooljaar,
                                                   datum, args.swv))
    else:
        from flows.products import product_runner
        outcomes = _guarded(lambda: product_runner(args.dask_address)(
            args.product, args.schooljaar, str(args.extract), str(args.outbox), args.swv, datum, args.dask_address))
    if outcomes is None:
        return 1
    _summary(outcomes, args.outbox)
    return 0


def cli_run(args) -> int:
    from flows.calendar_flows import productie
    outcomes = _guarded(lambda: productie(_date(args.date), str(args.extracts), str(args.outbox), args.swv, None,
                                          args.dask_address))
    if outcomes is None:
        return 1
    _summary(outcomes, args.outbox)
    return 0


def cli_backfill(args) -> int:
    from flows.calendar_flows import backfill
    outcomes = _guarded(lambda: backfill(args.schooljaar, str(args.extracts), str(args.outbox), args.product,
                                         args.swv, args.dask_address))
    if outcomes is None:
        return 1
    _summary(outcomes, args.outbox)
    return 0


def cli_serve(args) -> int:
    from deployments.serve import serve_all
    serve_all(extracts=str(args.extracts.resolve()), outbox=str(args.outbox.resolve()))
    return 0


def cli_demo(args) -> int:
    """Generate a small demo extract, validate it, and run Kijkglas 1 through Prefect."""
    from kijkglas.synthetic import generate_extract
    from schemas.validate import load_valid_extract

    work = Path(args.workdir)
    extract_dir = work / "extracts" / "2024-12-06"
    outbox = work / "outbox"
    print(f"1/3 demo-extract genereren in {extract_dir}")
    generate_extract(profile="small", stand_per=date(2024, 12, 6), out=extract_dir, seed=1)
    print("2/3 extract valideren")
    if _guarded(lambda: load_valid_extract(extract_dir, work / "validatie")) is None:
        return 1
    print(f"    geldig; rapport in {work / 'validatie'}")
    print("3/3 Kijkglas 1 2024-2025 produceren via Prefect (lokale tijdelijke server)")
    from flows.products import kijkglas_1
    outcomes = kijkglas_1(schooljaar="2024-2025", extract=str(extract_dir), outbox=str(outbox),
                          productiedatum=date(2024, 12, 10))
    _summary(outcomes, outbox)
    print(f"open {outbox.resolve()}/<SWV>/index.html om de publicaties per SWV te zien")
    return 0
