"""Benchmark of the production days and the backfill (issue 11). Prints figures; asserts nothing.

    .venv/bin/python bench/bench_day.py [--profile small|national] [--days april,october,december]
                                        [--skip-backfill] [--only-backfill] [--backfill-floor] [--out DIR]
                                        [--product DIR] [--prefect-home migrated|fresh]

1. The monthly series of schooljaar 2024-2025 (`kijkglas generate --series`, with the real
   regio-indeling of ../shared/data), generated once into <out>/<profile>-series and reused after.
2. Per production day — April 2025-04-10 (K2+K3+K4), October 2024-10-10 (K1+K2+K5), December
   2024-12-10 (K1+K2) — the real production through Prefect: `kijkglas run --date D` on a fresh local
   ephemeral server (a fresh copy of a PREFECT_HOME whose database exists, as on an operator's
   machine after the first run; `--prefect-home fresh`: an empty one) into a fresh outbox. Wall time; peak memory as
   the peak of the sum of RSS over the whole process tree (server, render workers), sampled every
   0.15 s, and the largest single process.
3. Compute only: in a child process the extract is read and validated once, then each product of the
   day is computed (production.steps.compute: rules, tables, reconciliations); no documents.
4. The render floor of the documents that run just published (bench/render_floor.py).
5. Per day: wall, peak, compute only, floor, wall/floor (goal ≤ 1.3), and for April wall ≤ 60 s; and
   the least any production of these documents could take here: the floor's CPU plus the compute's
   seconds (one thread) over the cores (the floor has no validation or computation).
6. The backfill of the schooljaar (`kijkglas backfill`) on a fresh server and outbox: wall, peak
   (and its course, to see whether memory grows with the days), versions published. Goal ≤ 10 min, ≤ 4 GB.
   With --backfill-floor also the render floor of every document it published.

Every command's output goes to <out>/logs/; the warnings and errors it printed are summarised. How
busy the machine was with other work during each phase is printed as "others … cores".
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import proctree
import render_floor
from proctree import Measurement, gb

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
KIJKGLAS = str(Path(PY).parent / "kijkglas")
REGIO = "../shared/data/regio-indeling-swv-pc4.csv"   # relative to the project root, read from there
SCHOOLJAAR = "2024-2025"
DAYS = {  # the calendar's production dates (deployments/kalender.yaml: the 10th) in the schooljaar
    "april": date(2025, 4, 10),      # kijkglas-2, -3, -4
    "october": date(2024, 10, 10),   # kijkglas-1, -2, -5 (K5 about 2023-2024)
    "december": date(2024, 12, 10),  # kijkglas-1, -2
}
GOAL_RATIO, GOAL_APRIL_S, GOAL_GB, GOAL_BACKFILL_S = 1.3, 60.0, 4.0, 600.0
CORES = len(os.sched_getaffinity(0))   # the cores this bench (and the production it runs) may use

COMPUTE = """
import json, sys, time
from datetime import date
from pathlib import Path
from core.settings import load_settings
from production import kalender
from production.steps import compute
from schemas.validate import load_valid_extract
extracts, day, report = Path(sys.argv[1]), date.fromisoformat(sys.argv[2]), Path(sys.argv[3])
settings = load_settings()
folder = kalender.newest_extract_on(extracts, day)
t = time.perf_counter()
ex = load_valid_extract(folder, report)
out = {"extract": folder.name, "validate": time.perf_counter() - t, "products": []}
for p in kalender.due_on(day, kalender.load_kalender()):
    t = time.perf_counter()
    prod = compute(p.product, ex, p.schooljaar, day, settings)
    out["products"].append({"product": p.product, "schooljaar": p.schooljaar, "seconds": time.perf_counter() - t,
                            "swvs": len(prod.per_swv), "openbaar": len(prod.openbaar)})
    del prod
print("@@" + json.dumps(out))
"""


def product_root(cwd: Path) -> Path:
    """Where the product the venv runs lives (installed editable: maybe another checkout than this one)."""
    out = subprocess.run([PY, "-c", "import pathlib, production; print(pathlib.Path(production.__file__).resolve().parents[1])"],
                         cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()
    return Path(out)


def git_line(folder: Path) -> str:
    head = subprocess.run(["git", "log", "-1", "--format=%h %s"], cwd=folder, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=folder, capture_output=True,
                           text=True).stdout.splitlines()
    return f"{head[:70]}" + (f" + {len(dirty)} uncommitted file(s)" if dirty else "")


def fresh_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env["PREFECT_HOME"] = str(home)
    return env


# The PREFECT_HOME each run starts from: "migrated" (default) a copy of one whose database an empty
# flow has created and migrated (untimed), as on an operator's machine after its first run; "fresh"
# an empty one, so that the run's server also creates its database (~7 s and ~7 CPU-s more here).
HOME_TEMPLATE: Path | None = None


def migrated_home_template(logs: Path) -> Path:
    global HOME_TEMPLATE
    if HOME_TEMPLATE is None:
        HOME_TEMPLATE = Path(tempfile.mkdtemp(prefix="prefect-bench-template-"))
        env = {**fresh_env(HOME_TEMPLATE), "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        m = measure("prefect database", [PY, "-c", "from prefect import flow\n@flow\ndef f(): pass\nf()"], logs, env,
                    quiet=True)
        print(f"prefect: each run's PREFECT_HOME is a copy of one whose database was created and migrated once "
              f"({m.wall:.1f} s, untimed)" if m.rc == 0 else "prefect: could not migrate a database; runs start fresh")
        if m.rc != 0:
            shutil.rmtree(HOME_TEMPLATE, ignore_errors=True)
            HOME_TEMPLATE = Path(tempfile.mkdtemp(prefix="prefect-bench-template-"))
    return HOME_TEMPLATE


def run_home(kind: str, logs: Path) -> Path:
    home = Path(tempfile.mkdtemp(prefix="prefect-bench-run-"))
    if kind == "migrated":
        shutil.copytree(migrated_home_template(logs), home, dirs_exist_ok=True)
    return home


def fresh_dir(p: Path) -> Path:
    shutil.rmtree(p, ignore_errors=True)
    return p


def measure(label: str, cmd: list[str], logs: Path, env: dict | None = None, quiet: bool = False,
            cwd: Path = ROOT) -> Measurement:
    m = proctree.run_measured(label, cmd, cwd=cwd, env=env or dict(os.environ),
                              log=logs / (re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") + ".log"))
    if not quiet:
        print(f"  {label:<28} {m.wall:7.1f} s   {m.peak_text()}", flush=True)
        print(f"  {'':<28} cpu {m.own_cpu:6.1f} s of the tree; others on the machine {m.other_cores:.2f} cores")
        print(f"  {'':<28} largest processes (GB, each its own peak): {m.top_text()}")
        print(f"  {'':<28} CPU per process (s): {m.cpu_text()}")
    if m.leftovers:
        print(f"  !! still running after the command ended, ended by the bench: {'; '.join(m.leftovers)}")
    if m.rc != 0:
        print(f"  !! exit code {m.rc}{' (killed: SIGKILL, from outside)' if m.rc == -9 else ''}: {' '.join(cmd)}")
        print("     " + "\n     ".join(m.log.read_text(errors="replace").splitlines()[-25:]))
    return m


def notes(m: Measurement) -> None:
    found = proctree.log_notes(m.log)
    print(f"  log {m.log.relative_to(ROOT) if m.log.is_relative_to(ROOT) else m.log}: "
          f"{len(found) and 'warnings/errors printed:' or 'no warning or error printed'}")
    for line in found:
        print(f"      {line}")


def outbox_counts(outbox: Path) -> dict:
    def visible(p: Path) -> bool:
        return not any(part.startswith(".") for part in p.relative_to(outbox).parts)
    files = [p for p in outbox.rglob("*") if p.is_file() and visible(p)]
    versions = [p for p in outbox.glob("*/*/*/v*") if p.is_dir() and visible(p) and re.fullmatch(r"v\d+", p.name)]
    return {"versions": len(versions), "owners": len({v.parts[-4] for v in versions}),
            **{ext: sum(1 for f in files if f.suffix == f".{ext}") for ext in ("xlsx", "pdf", "csv", "html")},
            "bytes": sum(f.stat().st_size for f in files)}


def published_line(c: dict) -> str:
    return (f"{c['versions']} versions for {c['owners']} owners: {c['xlsx']} xlsx, {c['pdf']} pdf, {c['csv']} csv, "
            f"{c['html']} html (dashboard/index pages, not in the floor); {c['bytes'] / 1e6:.0f} MB")


def summary_of(log: Path) -> str:
    m = re.findall(r"^(\d+) versie\(s\) gepubliceerd, (\d+) ongewijzigd, (\d+) overgeslagen", log.read_text(errors="replace"), re.M)
    return f"{m[-1][0]} gepubliceerd, {m[-1][1]} ongewijzigd, {m[-1][2]} overgeslagen" if m else "no summary printed"


@dataclass
class DayResult:
    name: str
    day: date
    run: Measurement
    compute: dict | None
    floor: float | None
    floor_check: dict | None
    floor_text: float | None = None
    bound: float | None = None     # lower_bound: floor CPU + compute CPU over the cores


def bench_day(name: str, day: date, series: Path, out: Path, logs: Path, profile: str, product: Path,
              home_kind: str) -> DayResult:
    home = run_home(home_kind, logs)
    print(f"\n== {name} {day} ==  ({proctree.machine_line()})", flush=True)
    outbox = fresh_dir(out / f"{profile}-day-{name}" / "outbox")
    try:
        run = measure(f"{profile} {name} run", [KIJKGLAS, "run", "--date", day.isoformat(), "--extracts", str(series),
                                                "--outbox", str(outbox)], logs, fresh_env(home))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"  kijkglas's summary: {summary_of(run.log)}")
    for line in run.log.read_text(errors="replace").splitlines():
        if re.match(r"^  kijkglas-\d ", line):
            print(f"    {line.strip()}")
    print(f"  published: {published_line(outbox_counts(outbox))}")
    notes(run)

    comp = measure(f"{profile} {name} compute only",
                   [PY, "-c", COMPUTE, str(series), day.isoformat(), str(out / f"{profile}-day-{name}" / "validatie")],
                   logs, quiet=True, cwd=product)  # the same code as the CLI's, not this folder's copy
    result = None
    if comp.rc == 0:
        line = next(x for x in comp.log.read_text().splitlines() if x.startswith("@@"))
        result = json.loads(line[2:])
        total = result["validate"] + sum(p["seconds"] for p in result["products"])
        print(f"  compute only (extract {result['extract']}), child process {comp.wall:.1f} s, {comp.peak_text()}")
        print(f"    read + validate            {result['validate']:7.1f} s")
        for p in result["products"]:
            print(f"    {p['product']} {p['schooljaar']}       {p['seconds']:7.1f} s   ({p['swvs']} SWVs"
                  f"{', +' + str(p['openbaar']) + ' openbaar' if p['openbaar'] else ''})")
        result["total"] = total
        result["compute"] = total - result["validate"]
        print(f"    total                      {total:7.1f} s   (compute alone {result['compute']:.1f} s)")

    floor = check = bound = None
    seconds: dict = {}
    if run.rc == 0:
        t = time.perf_counter()
        docs = render_floor.prepare(outbox, out / f"{profile}-day-{name}" / "floor")
        prep = time.perf_counter() - t
        seconds = render_floor.render(docs)
        check = render_floor.check(docs)
        floor = seconds["tables"]
        print(f"  render floor                 {floor:7.1f} s   ({render_floor.PROCESSES} processes; preparation {prep:.1f} s untimed; "
              f"PDFs as text + tables; others on the machine {seconds['tables_others']:.2f} cores)")
        print(f"    the same with the PDFs as preformatted text only: {seconds['text']:.1f} s "
              f"(others {seconds['text_others']:.2f} cores)")
        print(f"    {check['workbooks']} workbooks, {check['sheets']} sheets, {check['cells']:,} cells; "
              f"{check['pdfs']} PDFs, {check['pages']} pages ({check['pdf_chars']:,} characters) → floor "
              + ", ".join(f"{n} pages ({mode})" for mode, n in check["floor_pages"].items()))
        print_short([s for v in check["short"].values() for s in v])
        if result is not None:
            # the compute's own seconds (after the child's imports), one thread: a CPU figure on the low side
            bound = lower_bound(seconds["tables_cpu"], result["total"])
            print(f"    floor CPU {seconds['tables_cpu']:.1f} s + compute {result['total']:.1f} s on {CORES} cores: "
                  f"with these libraries no production of these documents can take less than {bound:.1f} s = {bound / floor:.2f}× the floor")
    return DayResult(name, day, run, result, floor, check, seconds.get("text") if run.rc == 0 else None, bound)


def lower_bound(floor_cpu: float, compute_seconds: float) -> float:
    """The least wall time of a production on this machine: its documents cost at least the floor's
    CPU and it must read, validate and compute too (`compute_seconds`: one thread, so CPU seconds),
    all on the same cores (server, orchestration, publication and pages only add to it)."""
    return (floor_cpu + compute_seconds) / CORES


def day_line(r: DayResult) -> str:
    comp = f"{r.compute['total']:6.1f} s" if r.compute else "   n/a  "
    if r.floor:
        ratio = r.run.wall / r.floor
        floor = f"{r.floor:6.1f} s   {ratio:5.2f}× ({'≤' if ratio <= GOAL_RATIO else '>'} {GOAL_RATIO})"
        text = f"   [text-only floor {r.floor_text:.1f} s: {r.run.wall / r.floor_text:.2f}×]"
        if r.bound:
            text = f"   least possible {r.bound / r.floor:.2f}×" + text
    else:
        floor, text = "   n/a", ""
    april = ""
    if r.name == "april":
        april = f"   ≤ {GOAL_APRIL_S:.0f} s: {'yes' if r.run.wall <= GOAL_APRIL_S else 'no'}"
    fail = "" if r.run.rc == 0 else f"   FAILED (exit {r.run.rc})"
    return (f"  {r.name:<9} {r.run.wall:6.1f} s   {gb(r.run.peak_sum):4.2f} / {gb(r.run.peak_single):4.2f} GB"
            f"   {comp}   {floor}{april}{text}{fail}")


def bench_backfill(series: Path, out: Path, logs: Path, profile: str, home_kind: str, with_floor: bool) -> None:
    home = run_home(home_kind, logs)
    print(f"\n== backfill {SCHOOLJAAR} ==  ({proctree.machine_line()})", flush=True)
    outbox = fresh_dir(out / f"{profile}-backfill" / "outbox")
    try:
        m = measure(f"{profile} backfill", [KIJKGLAS, "backfill", "--schooljaar", SCHOOLJAAR, "--extracts", str(series),
                                            "--outbox", str(outbox)], logs, fresh_env(home))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    c = outbox_counts(outbox)
    print(f"  kijkglas's summary: {summary_of(m.log)}")
    print(f"  published: {published_line(c)}")
    # the course of memory: the peak of the sum per tenth of the run
    n = 10
    buckets = [0] * n
    for t, rss in m.samples:
        i = min(n - 1, int(n * t / m.wall)) if m.wall else 0
        buckets[i] = max(buckets[i], rss)
    print("  peak per tenth of the run (GB): " + " ".join(f"{gb(b):.2f}" for b in buckets))
    notes(m)
    print(f"  backfill: {m.wall:.0f} s ({m.wall / 60:.1f} min; ≤ {GOAL_BACKFILL_S / 60:.0f} min: "
          f"{'yes' if m.wall <= GOAL_BACKFILL_S else 'no'}), peak {gb(m.peak_sum):.2f} GB sum / {gb(m.peak_single):.2f} GB largest "
          f"(≤ {GOAL_GB:.0f} GB: {'yes' if m.peak_sum <= GOAL_GB * 1e9 else 'no'}), {c['versions']} versions"
          + ("" if m.rc == 0 else f", FAILED (exit {m.rc})"))
    if with_floor and m.rc == 0:
        work = out / f"{profile}-backfill" / "floor"
        try:
            backfill_floor(outbox, work, m.wall)
        except Exception as exc:  # noqa: BLE001 (a figure missing, not the rest of the bench)
            print(f"  render floor of the backfill's documents: failed ({type(exc).__name__}: {exc})")
        finally:
            shutil.rmtree(work, ignore_errors=True)


def backfill_floor(outbox: Path, work: Path, wall: float) -> None:
    """The render floor of every document the backfill published (all its versions), PDFs as text +
    tables only: whether the documents alone, rendered the plainest way, fit the backfill's goal."""
    t = time.perf_counter()
    docs = render_floor.prepare(outbox, work)
    prep = time.perf_counter() - t
    seconds = render_floor.render(docs, modes=(render_floor.MODES[0],))
    check = render_floor.check(docs, modes=(render_floor.MODES[0],))
    floor = seconds["tables"]
    print(f"  render floor of the backfill's documents {floor:7.1f} s ({floor / 60:.1f} min; ≤ {GOAL_BACKFILL_S / 60:.0f} min: "
          f"{'yes' if floor <= GOAL_BACKFILL_S else 'no'}); CPU {seconds['tables_cpu']:.0f} s; preparation {prep:.0f} s untimed; "
          f"others on the machine {seconds['tables_others']:.2f} cores")
    ratio = f"; backfill/floor {wall / floor:.2f}×" if floor else ""
    print(f"    {check['workbooks']} workbooks, {check['cells']:,} cells; {check['pdfs']} PDFs, {check['pages']} pages{ratio}")
    print_short(check["short"][render_floor.MODES[0]])


def print_short(short: list[str]) -> None:
    """Whether every floor PDF has at least its original's pages (else the floor is no fair bound)."""
    print(f"    every floor PDF has as many pages as its original or more: {'yes' if not short else f'NO ({len(short)})'}")
    for line in short[:5]:
        print(f"      short: {line}")


def shown(path: Path) -> str:
    """A path as the operator reads it: relative to the project when it lies inside."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def series_of(profile: str, out: Path, logs: Path) -> Path:
    series = out / f"{profile}-series"
    if (series / "series.json").exists():
        print(f"series: {shown(series)} reused (generated earlier)")
    else:
        fresh_dir(series)
        m = measure(f"generate {profile} series", [KIJKGLAS, "generate", "--profile", profile, "--series", SCHOOLJAAR,
                                                   "--out", str(series), "--regio-indeling", REGIO],
                    logs, quiet=True)
        if m.rc != 0:
            raise SystemExit(f"generate failed, see {m.log}")
        print(f"series: generated {shown(series)} in {m.wall:.1f} s, {m.peak_text()}")
    meta = json.loads((series / "series.json").read_text())
    size = sum(p.stat().st_size for p in series.rglob("*") if p.is_file())
    print(f"  {len(meta['extracts'])} extracts ({meta['profile']}, {meta['format']}, regio-indeling "
          f"{meta['regio_indeling']}), {size / 1e6:.0f} MB; correction {meta['correctie']['stand_per']} "
          f"re-issues {meta['correctie']['vervangt']}")
    return series


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=["small", "national"], default="national")
    ap.add_argument("--days", default=",".join(DAYS), help=f"comma-separated, of {', '.join(DAYS)}; empty: none")
    ap.add_argument("--skip-backfill", action="store_true")
    ap.add_argument("--only-backfill", action="store_true", help="the backfill alone (same as --days '')")
    ap.add_argument("--backfill-floor", action="store_true",
                    help="also the render floor of every document the backfill published (~15 min more, national)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--prefect-home", choices=["migrated", "fresh"], default="migrated",
                    help="each run's PREFECT_HOME: a copy of a migrated one (default, as after an operator's first "
                         "run) or empty (the server also creates its database)")
    ap.add_argument("--product", type=Path, help="run the product from this checkout (first on PYTHONPATH) instead of "
                    "the one installed in the venv, e.g. a git worktree at the commit to measure")
    args = ap.parse_args()
    if args.product:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(args.product.resolve())] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    days = [] if args.only_backfill else [d for d in args.days.split(",") if d]
    unknown = [d for d in days if d not in DAYS]
    if unknown:
        ap.error(f"unknown day(s) {', '.join(unknown)}: choose from {', '.join(DAYS)}")
    out = args.out.resolve()
    logs = out / "logs"
    out.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    product = product_root(out)
    if args.product and product != args.product.resolve():
        raise SystemExit(f"--product {args.product}: the venv still imports the product from {product}")
    print(f"bench_day: profile {args.profile}; {os.cpu_count()} cores; python {sys.version.split()[0]}")
    print(f"bench: {ROOT} at {git_line(ROOT)}")
    if product != ROOT:
        print(f"product ({'--product' if args.product else 'the venv imports it'}): {product} at {git_line(product)}")
    print(f"machine at start: {proctree.machine_line()}")
    series = series_of(args.profile, out, logs)

    results = [bench_day(name, DAYS[name], series, out, logs, args.profile, product, args.prefect_home)
               for name in days]
    if not args.skip_backfill:
        bench_backfill(series, out, logs, args.profile, args.prefect_home, args.backfill_floor)
    if HOME_TEMPLATE is not None:
        shutil.rmtree(HOME_TEMPLATE, ignore_errors=True)

    if results:
        print(f"\n== production days, {args.profile}, through Prefect (ephemeral server), all SWVs ==")
        print(f"  {'day':<9} {'wall':>8}   {'peak sum/largest':>16}   {'compute':>8}   {'floor':>8}   wall/floor")
        for r in results:
            print(day_line(r))
        print(f"  compute = read + validate + compute of the day's products, one child process; "
              f"peak goal ≤ {GOAL_GB:.0f} GB")
        print(f"  least possible = (the floor's CPU + the compute's seconds) / {CORES} cores, over the floor: what even "
              f"documents as cheap as the floor's, with no server, orchestration or pages, would take")
    print(f"\nmachine at end: {proctree.machine_line()}; bench took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
