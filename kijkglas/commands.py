"""The CLI's handlers: each translates its arguments, calls the layer that does the work (flows/
through Prefect, production/steps.py without it, outbox/, schemas/) and prints what happened.
Printing happens here and nowhere below. Each returns the exit code."""
from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from datetime import date
from pathlib import Path

from core.dates import format_datum, format_tijdstip
from core.files import LinkRefused, io_error_words
from core.settings import Settings
from flows.logs import quiet_user_errors
from outbox.layout import GEPUBLICEERD, ONGEWIJZIGD, OVERGESLAGEN
from production.failures import NothingPublished, PartlyPublished, ProductionsFailed
from production.refusals import ProductionRefused
from schemas.extract import ExtractFormatError
from schemas.validate import InvalidExtractError
from tasks.common import ReconciliationError


def _date(text: str | None, option: str) -> date:
    """The date an option gives (YYYY-MM-DD), today when empty; ValueError naming the option."""
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option} {text!r} is geen datum (JJJJ-MM-DD)") from None


def _not_an_outbox(outbox: Path) -> str:
    return f"Outbox {outbox} bestaat niet." if not outbox.exists() else f"Outbox {outbox} is geen map."


def _summary(rows: list, outbox: Path) -> None:
    """Per product and schooljaar what the production did (SwvOutcomes, from the flows and the plain run alike)."""
    from production.summary import is_dry_run, outcome_words
    if is_dry_run(rows):  # per SWV what would happen
        for r in sorted(rows, key=lambda r: (r.product, r.schooljaar, r.owner)):
            print(f"  {r.owner} {r.product} {r.schooljaar}: {outcome_words(r)}"
                  + (f" — {' '.join(r.wijzigingen)}" if r.wijzigingen else ""))
        print(f"droge run: er is niets geschreven (outbox {Path(outbox).resolve()})")
        return
    c = Counter(r.outcome for r in rows)
    per_product = Counter((r.product, r.schooljaar, r.outcome) for r in rows)
    for (product, sj, outcome), n in sorted(per_product.items()):
        print(f"  {product} {sj}: {n} × {outcome}")
    print(f"{c.get(GEPUBLICEERD, 0)} versie(s) gepubliceerd, {c.get(ONGEWIJZIGD, 0)} ongewijzigd, "
          f"{c.get(OVERGESLAGEN, 0)} overgeslagen")
    print(f"outbox: {Path(outbox).resolve()}")


def _guarded(fn):
    """Bad input and failed reconciliations end with a clear message and exit 1, never a traceback."""
    try:
        return fn()
    except (ExtractFormatError, InvalidExtractError) as exc:
        print(f"extract afgekeurd, niets gepubliceerd:\n{exc}", file=sys.stderr)
    except ReconciliationError as exc:
        print(f"reconciliatie mislukt, niets gepubliceerd:\n{exc}", file=sys.stderr)
    except ProductionRefused as exc:
        print(f"productie geweigerd: {exc}", file=sys.stderr)
    except ProductionsFailed as exc:
        print(f"productie(s) {exc}", file=sys.stderr)
    except NothingPublished as exc:
        print(f"productie mislukt: {exc}", file=sys.stderr)
    except PartlyPublished as exc:
        print(f"productie deels mislukt: {exc}", file=sys.stderr)
    except (OSError, sqlite3.OperationalError) as exc:  # a missing, unusable or full path; a register that fails
        print(f"fout: {io_error_words(exc)}", file=sys.stderr)
    except ValueError as exc:  # a malformed value, a folder that is a link
        print(f"fout: {exc}", file=sys.stderr)
    return None


def cli_generate(args, settings: Settings) -> int:
    from kijkglas.synthetic import cli_generate
    return cli_generate(args)


def cli_produce(args, settings: Settings) -> int:
    extract, outbox = args.extract.resolve(), args.outbox.resolve()
    if args.no_prefect:
        from kijkglas.progress import owners_progress
        from production.dry_run import dry_run_production
        from production.paths import OUTBOX_VARIABLE, production_path
        from production.request import production_request
        from production.steps import run_production

        def produce(progress):
            req = production_request(args.product, args.schooljaar, extract,
                                     production_path(str(outbox), None, "outbox", OUTBOX_VARIABLE, "/data/outbox"),
                                     _date(args.productiedatum, "--productiedatum"), args.buiten_kalender)
            if args.dry_run:
                return dry_run_production(req, args.swv, settings)
            return run_production(args.product, req.extract_dir, req.outbox, req.schooljaar, req.productiedatum,
                                  args.swv, settings=settings, progress=progress)
        with owners_progress(args.product) as progress:
            outcomes = _guarded(lambda: produce(progress))
    else:
        from flows.kijkglazen import product_runner
        quiet_user_errors()
        outcomes = _guarded(lambda: product_runner(args.product, args.dask_address)(
            args.schooljaar, str(extract), str(outbox), args.swv, _date(args.productiedatum, "--productiedatum"),
            droog=args.dry_run, buiten_kalender=args.buiten_kalender, dask_address=args.dask_address))
    if outcomes is None:
        return 1
    _summary(outcomes, outbox)
    return 0


def read_ahead(extracts: Path, datum: date, outbox: Path) -> None:
    """Start reading and validating the day's extract in the background while the embedded Prefect
    server starts (~8 s each); the flow's validation then finds it done. A failure here is left to
    the flow, which validates again and reports it."""
    import threading

    from production import kalender, steps
    from production.runtime import load_extract_once

    def read() -> None:
        try:
            found = kalender.newest_extract_on(Path(extracts), datum)
            if found is not None:
                load_extract_once(found, steps.validation_report_dir(Path(outbox), found))
        except Exception:  # noqa: BLE001 (the flow reports it)
            pass
    threading.Thread(target=read, name="read-ahead", daemon=True).start()


def cli_run(args, settings: Settings) -> int:
    from flows.kalender import productie
    quiet_user_errors()
    extracts, outbox = args.extracts.resolve(), args.outbox.resolve()
    if not args.dask_address and not args.dry_run:
        read_ahead(extracts, _date(args.date, "--date"), outbox)
    outcomes = _guarded(lambda: productie(_date(args.date, "--date"), str(extracts), str(outbox), args.swv, None,
                                          args.dry_run, args.dask_address))
    if outcomes is None:
        return 1
    _summary(outcomes, outbox)
    return 0


def cli_backfill(args, settings: Settings) -> int:
    from flows.kalender import backfill
    quiet_user_errors()
    extracts, outbox = args.extracts.resolve(), args.outbox.resolve()
    outcomes = _guarded(lambda: backfill(args.schooljaar, str(extracts), str(outbox), args.product,
                                         args.swv, args.dask_address))
    if outcomes is None:
        return 1
    _summary(outcomes, outbox)
    return 0


def _server_or_explain() -> str | None:
    from deployments.serve import LOCAL_API_URL, server_api_url
    url = server_api_url()
    if url is None:
        print("Er draait geen Prefect-server. Start er een (`make server`, zie de README) en zet\n"
              f"PREFECT_API_URL={LOCAL_API_URL} (of het adres van jullie server).", file=sys.stderr)
    return url


def cli_serve(args, settings: Settings) -> int:
    from deployments.serve import serve_all
    url = _server_or_explain()
    if url is None:
        return 2
    extracts = str(args.extracts.resolve()) if args.extracts else None
    outbox = str(args.outbox.resolve()) if args.outbox else None
    print(f"deployments serveren op {url} (UI: {url.removesuffix('/api')}); extracts "
          f"{extracts or '(variabele kijkglas_extracts)'}, outbox {outbox or '(variabele kijkglas_outbox)'}")
    serve_all(extracts, outbox, url)
    return 0


def cli_configure(args, settings: Settings) -> int:
    """Set the production folders on the server (Prefect Variables), checked as a run would check them."""
    from deployments.serve import configure_paths
    from production.paths import EXTRACTS_VARIABLE, OUTBOX_VARIABLE, production_path
    url = _server_or_explain()
    if url is None:
        return 2
    try:
        extracts = production_path(str(args.extracts.resolve()), None, "extractmap", EXTRACTS_VARIABLE, "/data/extracts")
        outbox = production_path(str(args.outbox.resolve()), None, "outbox", OUTBOX_VARIABLE, "/data/outbox")
    except ProductionRefused as exc:
        print(f"fout: {str(exc).replace(' Er is niets gepubliceerd.', '')}", file=sys.stderr)
        return 1
    if not extracts.is_dir():
        print(f"fout: extractmap {extracts} bestaat niet of is geen map", file=sys.stderr)
        return 1
    outbox.mkdir(parents=True, exist_ok=True)
    configure_paths(str(extracts), str(outbox))
    print(f"op {url}: {EXTRACTS_VARIABLE} = {extracts}, {OUTBOX_VARIABLE} = {outbox}\n"
          f"(te zien en te wijzigen in de UI: {url.removesuffix('/api')}/variables)")
    return 0


def cli_demo(args, settings: Settings) -> int:
    """Generate a small demo extract, validate it, and run Kijkglas 1 through Prefect."""
    from kijkglas.synthetic import generate_extract
    from production.steps import validation_report_dir
    from schemas.validate import load_valid_extract

    work = Path(args.workdir)
    extract_dir = work / "extracts" / "2024-12-06"
    outbox = work / "outbox"
    print(f"1/3 demo-extract genereren in {extract_dir}")
    generate_extract(profile="small", stand_per=date(2024, 12, 6), out=extract_dir, seed=1)
    print("2/3 extract valideren")
    report = validation_report_dir(outbox, extract_dir)
    if _guarded(lambda: load_valid_extract(extract_dir, report)) is None:
        return 1
    print(f"    geldig; rapport in {report}")
    print("3/3 Kijkglas 1 2024-2025 produceren via Prefect (lokale tijdelijke server)")
    from flows.kijkglazen import kijkglas_1
    outcomes = kijkglas_1(schooljaar="2024-2025", extract=str(extract_dir.resolve()), outbox=str(outbox.resolve()),
                          productiedatum=date(2024, 12, 10))
    _summary(outcomes, outbox)
    print("per SWV (open index.html in een browser):")
    for index in sorted(outbox.resolve().glob("*/index.html")):
        pdfs = sorted(index.parent.glob("2024-2025/kijkglas-1/v*/*.pdf"))
        print(f"  {index}" + (f"\n      {pdfs[-1]}" if pdfs else ""))
    return 0


def cli_validate(args, settings: Settings) -> int:
    """`kijkglas validate EXTRACT [--outbox DIR | --report DIR]`: 0 if valid, 1 on any failure. The
    report goes to the outbox's operator part or to --report; with neither, no file is written."""
    from production.steps import validation_report_dir
    from schemas.validate import check_extract_folder
    extract = Path(args.extract)

    def check():
        report_dir = (validation_report_dir(Path(args.outbox), extract) if getattr(args, "outbox", None)
                      else Path(args.report) if args.report else None)  # a link in the outbox is refused
        return check_extract_folder(extract, report_dir)
    outcome = _guarded(check)
    if outcome is None:  # the report folder could not be written
        return 1
    where = f"rapport: {outcome.report}" if outcome.report else "geen rapport geschreven (--outbox of --report)"
    if outcome.format_error is not None:
        for problem in outcome.format_error.problems:  # one line per file
            print(f"kijkglas validate: {problem}", file=sys.stderr)
        return 1
    failures = outcome.failures
    if failures.empty:
        print(f"extract geldig: {outcome.tables} tabellen, stand per {outcome.stand_per.isoformat()} ({where})")
        return 0
    counts = outcome.totals  # per rule in all (the report lists the first of each)
    print(f"extract ongeldig: {counts.sum()} fout(en) in {len(counts)} regel(s); {where}", file=sys.stderr)
    for (table, column, rule), n in counts.head(20).items():
        print(f"  {table}.{column}  {rule}: {n}", file=sys.stderr)
    if len(counts) > 20:
        print(f"  … en nog {len(counts) - 20} regel(s)", file=sys.stderr)
    return 1


_STATUS_LABELS = {"product": "product", "schooljaar": "schooljaar", "version": "versie",
                  "stand_per": "stand per", "bevestigd_tot": "bevestigd t/m", "status": "status",
                  "published_at": "gepubliceerd op", "reason": "reden"}


def cli_status(args, settings: Settings) -> int:
    """What is current per SWV, after reconciling the register with the manifests (a register that is
    no database is rebuilt); every damaged version by path, and then exit 1."""
    from outbox.status import current_versions, damaged_versions
    outbox = Path(args.outbox)
    if not outbox.is_dir():
        print(_not_an_outbox(outbox), file=sys.stderr)
        return 1
    try:
        df = current_versions(outbox, args.swv or None, register=settings.register_path)
        damaged = damaged_versions(outbox)
    except (OSError, sqlite3.OperationalError) as exc:
        print(f"fout: de status van outbox {outbox} kan niet worden bepaald: {io_error_words(exc)}", file=sys.stderr)
        return 1
    except LinkRefused as exc:  # a folder of the outbox that is a link: nothing written through it
        print(f"fout: {exc}", file=sys.stderr)
        return 1
    if df.empty:
        print(f"Geen gepubliceerde versies in {outbox}.")
    for swv, g in df.groupby("swv", sort=True):
        cols = ["product", "schooljaar", "version", "stand_per", "bevestigd_tot", "status", "published_at"]
        if g["reason"].notna().any():
            cols.append("reason")
        view = g[cols].fillna("").copy()
        for col in ("stand_per", "bevestigd_tot"):
            view[col] = view[col].map(format_datum)
        view["published_at"] = view["published_at"].map(format_tijdstip)
        view = view.rename(columns=_STATUS_LABELS)
        print(f"== {swv} ==")
        print(view.to_string(index=False))
        print()
    return _report_damage(damaged)


def _report_damage(damaged: list[str]) -> int:
    """Every damaged part of the outbox, one line each, and what to do (exit 1); 0 when none."""
    if not damaged:
        return 0
    print(f"BESCHADIGD ({len(damaged)}):", file=sys.stderr)
    for line in damaged:
        print(f"  {line}", file=sys.stderr)
    print("Zet de bestanden terug uit een back-up. Een productie weigert zolang de versie waarop ze voortbouwt "
          "beschadigd is; intrekken (kijkglas withdraw) laat haar een nieuwe versie maken.", file=sys.stderr)
    return 1


def _status_change(args, settings: Settings, change, command: str, verb: str) -> int:
    """withdraw / restore: every chosen SWV's line, then the count; a user's mistake is one Dutch
    line (exit 1), a missing SWV choice a usage error (exit 2)."""
    from production.withdrawal import swv_choice_error
    problem = swv_choice_error(args.swv)
    if problem:
        print(f"kijkglas {command}: fout: {problem}", file=sys.stderr)
        return 2
    done = _guarded(lambda: change(Path(args.outbox), args.product, args.schooljaar, args.version, args.reason,
                                   args.swv, register=settings.register_path))
    if done is None:
        return 1
    for change_ in done:
        print(change_.message)
    print(f"{sum(c.outcome == verb for c in done)} versie(s) {verb}.")
    return 0


def cli_withdraw(args, settings: Settings) -> int:
    from production.withdrawal import withdraw
    return _status_change(args, settings, withdraw, "withdraw", "ingetrokken")


def cli_restore(args, settings: Settings) -> int:
    from production.withdrawal import restore
    return _status_change(args, settings, restore, "restore", "hersteld")


def cli_audit(args, settings: Settings) -> int:
    """No SWV folder holds a pupil the rules do not give it (CSVs, workbooks and pages), and nothing
    published is damaged; exit 1 on any finding."""
    from outbox.status import damaged_versions
    from production.audit import audit_outbox, count_versions
    for option, folder in (("--outbox", Path(args.outbox)), ("--extracts", Path(args.extracts))):
        if not folder.is_dir():
            print(f"fout: {option} {folder} bestaat niet of is geen map", file=sys.stderr)
            return 1
    try:
        problems = audit_outbox(args.outbox, args.extracts, settings)
        damaged = damaged_versions(Path(args.outbox))
    except OSError as exc:
        print(f"fout: de audit kan niet worden gedaan: {io_error_words(exc)}", file=sys.stderr)
        return 1
    except (ExtractFormatError, InvalidExtractError) as exc:
        print(f"fout: een extract in {args.extracts} is niet te lezen: {' '.join(str(exc).split())[:500]}",
              file=sys.stderr)
        return 1
    for p in problems:
        print(p)
    print(f"{count_versions(args.outbox)} versie(s) gecontroleerd: "
          + ("geen lekken" if not problems else f"{len(problems)} lek(ken) of onleesbare versie(s)"))
    return max(1 if problems else 0, _report_damage(damaged))
