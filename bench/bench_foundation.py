"""Benchmark of the foundation: generate the national extract, then read + validate it.

    .venv/bin/python bench/bench_foundation.py [--out DIR] [--regio-indeling ../shared/data/regio-indeling-swv-pc4.csv]

Prints row counts per table, the registrations counted on 1 October (per soort, next to the national
targets, with the deviation), the size on disk, and per phase the wall time and the peak memory.

Each phase (`kijkglas generate`, `kijkglas validate`) runs as a subprocess under a fresh wrapper
process (this script, re-invoked with --_child-rusage), which reads
`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` after its one child ended. RUSAGE_CHILDREN keeps the
maximum over *all* reaped children, so measuring both phases from one parent would report the larger
phase twice; the wrapper keeps them apart. Exit status: 1 when the extract is invalid, else 0
(budget overruns are reported, not failed: this is a benchmark, not a test).
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TABLES = ["samenwerkingsverbanden", "regio_indeling", "vestigingen", "leerlingen", "inschrijvingen", "tlv",
          "cvi_indicaties", "bekostiging"]
# ~ the country on 1 October (the brief's targets; DUO publishes the real figures)
TARGETS = {"BAO": 1_400_000, "SBAO": 40_000, "SO": 35_000, "VSO": 40_000, "VO": 950_000}
BUDGET_SECONDS, BUDGET_GB = 60, 4.0


def _child_rusage(result_path: str, cmd: list[str]) -> int:
    """Wrapper mode: run cmd as the only child, then write its wall time and peak RSS as JSON."""
    t0 = time.perf_counter()
    rc = subprocess.call(cmd)
    seconds = time.perf_counter() - t0
    maxrss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: kilobytes
    Path(result_path).write_text(json.dumps({"rc": rc, "seconds": seconds, "maxrss_kb": maxrss_kb}))
    return 0


def measured(cmd: list[str], label: str) -> dict:
    with tempfile.TemporaryDirectory() as d:
        res = Path(d) / "rusage.json"
        print(f"$ {' '.join(cmd)}", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--_child-rusage", str(res), "--", *cmd],
                       cwd=REPO, check=True)
        out = json.loads(res.read_text())
    out["label"] = label
    return out


def kijkglas_cmd() -> list[str]:
    script = Path(sys.executable).parent / "kijkglas"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kijkglas.cli"]


def table_rows(folder: Path) -> dict[str, int]:
    import pyarrow.parquet as pq
    rows = {}
    for name in TABLES:
        pqf, csvf = folder / f"{name}.parquet", folder / f"{name}.csv"
        if pqf.exists():
            rows[name] = pq.ParquetFile(pqf).metadata.num_rows
        elif csvf.exists():
            with csvf.open("rb") as f:
                rows[name] = sum(1 for _ in f) - 1   # (no embedded newlines in generated values)
    return rows


def counted_on(folder: Path, day: date) -> dict[str, int]:
    """Registrations counted on `day` (active and bekostigd = J) per soort of the vestiging."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    def read(name, cols):
        p = folder / f"{name}.parquet"
        if p.exists():
            return pq.read_table(p, columns=cols)
        types = {c: pa.date32() for c in cols if c in ("begindatum", "einddatum")}
        return pacsv.read_csv(folder / f"{name}.csv",
                              convert_options=pacsv.ConvertOptions(include_columns=cols, column_types=types,
                                                                   strings_can_be_null=True))

    ins = read("inschrijvingen", ["vestiging_code", "begindatum", "einddatum", "bekostigd"])
    d = pa.scalar(day, pa.date32())
    active = pc.and_kleene(pc.less_equal(ins["begindatum"], d),
                            pc.or_kleene(pc.is_null(ins["einddatum"]), pc.greater_equal(ins["einddatum"], d)))
    mask = pc.and_kleene(active, pc.equal(ins["bekostigd"], "J"))  # (Kleene: true or null = true)
    per_vest = pd.Series(pc.filter(ins["vestiging_code"], mask).to_numpy(zero_copy_only=False)).value_counts()
    vest = read("vestigingen", ["vestiging_code", "soort"]).to_pandas().set_index("vestiging_code").soort
    per_soort = per_vest.groupby(vest.reindex(per_vest.index).to_numpy()).sum()
    return {s: int(per_soort.get(s, 0)) for s in TARGETS}


def disk_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_child-rusage"]:
        return _child_rusage(argv[1], argv[3:])

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="extract folder (default: a temporary folder, removed afterwards)")
    ap.add_argument("--regio-indeling", type=Path, help="real PC4 -> SWV file (../shared/data/regio-indeling-swv-pc4.csv)")
    ap.add_argument("--stand-per", default="2024-12-06")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=["csv", "parquet"], default=None)
    ap.add_argument("--profile", choices=["small", "national"], default="national")
    args = ap.parse_args(argv)

    tmp = None
    if args.out is None:
        tmp = Path(tempfile.mkdtemp(prefix="kijkglas-bench-"))
        folder = tmp / "extract"
    else:
        folder = args.out.resolve()
    report_dir = (tmp or folder.parent) / f"{folder.name}-validatie"
    try:
        gen = [*kijkglas_cmd(), "generate", "--profile", args.profile, "--stand-per", args.stand_per,
               "--out", str(folder), "--seed", str(args.seed)]
        if args.format:
            gen += ["--format", args.format]
        if args.regio_indeling:
            gen += ["--regio-indeling", str(args.regio_indeling.resolve())]
        g = measured(gen, "generate")
        if g["rc"] != 0:
            print(f"generate failed (exit {g['rc']})")
            return 1
        size = disk_size(folder)
        v = measured([*kijkglas_cmd(), "validate", str(folder), "--report", str(report_dir)], "validate")

        sp = date.fromisoformat(args.stand_per)
        teldatum = date(sp.year if sp.month >= 8 else sp.year - 1, 10, 1)
        rows = table_rows(folder)
        counts = counted_on(folder, teldatum)

        print()
        print(f"Kijkglazen foundation benchmark: profile {args.profile}, seed {args.seed}, stand per {args.stand_per}, "
              f"regio-indeling {args.regio_indeling.name if args.regio_indeling else 'invented'}")
        print(f"extract: {folder}")
        print()
        print("rows per table")
        for name, n in rows.items():
            print(f"  {name:<24}{n:>12,}")
        print()
        print(f"counted on {teldatum.isoformat()} (active, bekostigd = J)")
        print(f"  {'soort':<6}{'counted':>12}{'target':>12}{'deviation':>11}")
        worst = 0.0
        for s, target in TARGETS.items():
            dev = (counts[s] - target) / target * 100
            if args.profile == "national":
                worst = max(worst, abs(dev))
                print(f"  {s.lower():<6}{counts[s]:>12,}{target:>12,}{dev:>+10.1f}%")
            else:
                print(f"  {s.lower():<6}{counts[s]:>12,}{'-':>12}{'-':>11}")
        print()
        print(f"size on disk      {size / 1e6:>8.1f} MB")
        for ph in (g, v):
            print(f"{ph['label']:<10} {ph['seconds']:>8.1f} s   peak RSS {ph['maxrss_kb'] / 1024 ** 2:>5.2f} GB")
        print(f"(this script's own peak RSS, reading the counts: "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2:.2f} GB)")
        print()
        if args.profile == "national":
            over = []
            if g["seconds"] > BUDGET_SECONDS:
                over.append(f"generate {g['seconds']:.0f} s > {BUDGET_SECONDS} s")
            if g["maxrss_kb"] / 1024 ** 2 > BUDGET_GB:
                over.append(f"generate peak {g['maxrss_kb'] / 1024 ** 2:.2f} GB > {BUDGET_GB} GB")
            if worst > 10:
                over.append(f"a 1-October count is {worst:.1f} % off target (> 10 %)")
            print("budget: " + ("OK (generate <= 60 s, <= 4 GB; counts within 10 %)" if not over else "; ".join(over)))
        valid = v["rc"] == 0
        print("validate: " + ("valid, no failures" if valid else f"INVALID (exit {v['rc']}), report in {report_dir}"))
        return 0 if valid else 1
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
