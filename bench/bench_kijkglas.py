"""Benchmark of the products on the synthetic national extract. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_kijkglas.py [--extract DIR] [--out DIR] [--regio-indeling CSV]

Each phase runs in its own child process, so its wall time and peak memory (max RSS) are its own:
  read+validate          the extract, all contract rules
  compute K1/K2/K3       the rules and tables alone (no I/O), per product
  K1 plain               validate + compute + Excel/CSV/PDF for every SWV + publish (no Prefect)
  K1 Prefect             the same through the Prefect flow on the local ephemeral server
  K2 + K3 plain          Kijkglas 2 for every SWV and the national Kijkglas 3 (+ per SWV)
The Prefect overhead is (K1 Prefect − K1 plain) / K1 plain; the ephemeral server's start-up is
measured separately and subtracted, as a deployed server is already running.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
KIJKGLAS = str(Path(PY).parent / "kijkglas")
REGIO = ROOT.parent / "shared" / "data" / "regio-indeling-swv-pc4.csv"


def run(cmd: list[str], env: dict | None = None) -> str:
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                          text=True, cwd=ROOT)
    if proc.returncode != 0:
        print(proc.stdout[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return proc.stdout


def measured(label: str, cmd: list[str], env: dict | None = None) -> float:
    """Run `cmd` under a tiny wrapper that reports the peak RSS of the whole process tree."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "r = subprocess.run(sys.argv[1:]); "
               "print('@@', time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
               "sys.exit(r.returncode)")
    out = run([PY, "-c", wrapper, *cmd], env)
    line = next(x for x in out.splitlines() if x.startswith("@@"))
    _, secs, rss_kb = line.split()
    print(f"{label:<34} {float(secs):8.1f} s   peak {int(rss_kb) / 1e6:5.2f} GB", flush=True)
    for x in out.splitlines():  # the child's own figures, indented
        if x.startswith("  ") and "compute only" in x:
            print(x)
    return float(secs)


COMPUTE = """
import sys, time
from datetime import date
from schemas.extract import read_extract
from core.settings import Settings
from production.steps import compute
ex = read_extract(sys.argv[1])
t = time.perf_counter()
p = compute(sys.argv[2], ex, sys.argv[3], date(2025, 4, 10), Settings())
print(f"  {sys.argv[2]} compute only: {time.perf_counter() - t:.1f} s for {len(p.per_swv)} SWVs"
      f" (+{len(p.openbaar)} openbaar), {len(p.kwaliteit)} data-quality rows")
"""


# Kijkglas 2 for every SWV and the national Kijkglas 3 in one process, as on a production day
# (the extract is validated once); the SWVs' own Kijkglas 3 documents are the "K3 … per SWV" run.
DAY = """
import sys
from datetime import date
from core.settings import load_settings
from production.steps import run_production
settings = load_settings()
run_production("kijkglas-2", sys.argv[1], sys.argv[2], "2024-2025", date(2025, 4, 10), settings=settings)
run_production("kijkglas-3", sys.argv[1], sys.argv[2], "2024-2025", date(2025, 4, 10), swv_codes=[], settings=settings)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--extract", type=Path, help="an existing national extract (default: generate one)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--regio-indeling", type=Path, default=REGIO if REGIO.exists() else None)
    ap.add_argument("--skip-prefect", action="store_true")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")

    extract = args.extract
    if extract is None:
        extract = args.out / "national" / "2025-04-06"
        if not (extract / "extract.json").exists():
            cmd = [KIJKGLAS, "generate", "--profile", "national", "--stand-per", "2025-04-06", "--out", str(extract)]
            if args.regio_indeling:
                cmd += ["--regio-indeling", str(args.regio_indeling)]
            measured("generate national", cmd)
    size = sum(p.stat().st_size for p in Path(extract).iterdir() if p.is_file()) / 1e6
    print(f"extract: {extract} ({size:.0f} MB)")

    measured("read + validate", [KIJKGLAS, "validate", str(extract), "--report", str(args.out / "validatie")])
    for product, sj in [("kijkglas-1", "2024-2025"), ("kijkglas-2", "2024-2025"), ("kijkglas-3", "2024-2025")]:
        measured(f"read + compute {product}", [PY, "-c", COMPUTE, str(extract), product, sj])

    def outbox(name: str) -> Path:
        p = args.out / name
        shutil.rmtree(p, ignore_errors=True)
        return p

    produce = [KIJKGLAS, "produce", "kijkglas-1", "--schooljaar", "2024-2025", "--extract", str(extract),
               "--productiedatum", "2024-12-10"]
    plain = measured("K1 all SWVs, plain (full)", produce + ["--outbox", str(outbox("k1-plain")), "--no-prefect"])
    n_pdf = len(list((args.out / "k1-plain").glob("*/2024-2025/kijkglas-1/v1/*.pdf")))
    print(f"  {n_pdf} SWVs published (xlsx ×2, pdf, csv each)")

    if not args.skip_prefect:
        home = Path(tempfile.mkdtemp(prefix="prefect-bench-"))
        env = {"PREFECT_HOME": str(home), "PREFECT_LOGGING_LEVEL": "WARNING"}
        startup = measured("  ephemeral server start (empty flow)",
                           [PY, "-c", "from prefect import flow\n@flow\ndef f(): pass\nf()"], env)
        flowed = measured("K1 all SWVs, Prefect flow (full)", produce + ["--outbox", str(outbox("k1-prefect"))], env)
        print(f"  Prefect overhead: {100 * (flowed - startup - plain) / plain:+.0f} % "
              f"(flow {flowed:.1f} s − server start {startup:.1f} s vs plain {plain:.1f} s)")
        shutil.rmtree(home, ignore_errors=True)

    k2 = [KIJKGLAS, "produce", "kijkglas-2", "--schooljaar", "2024-2025", "--extract", str(extract),
          "--productiedatum", "2025-04-10", "--no-prefect", "--outbox"]
    k3 = [KIJKGLAS, "produce", "kijkglas-3", "--schooljaar", "2024-2025", "--extract", str(extract),
          "--productiedatum", "2025-04-10", "--no-prefect", "--outbox"]
    a = measured("K2 all SWVs, plain (full)", k2 + [str(outbox("k2-plain"))])
    b = measured("K3 national + per SWV, plain (full)", k3 + [str(outbox("k3-plain"))])
    print(f"  K2 + K3 as two runs: {a + b:.1f} s")
    measured("K2 all SWVs + national K3, one run", [PY, "-c", DAY, str(extract), str(outbox("k23-day"))])


if __name__ == "__main__":
    main()
