"""Hostile sizes (issue 25): how long `kijkglas validate` takes, how much memory it uses and how large
its report gets on an extract with one table of millions of junk rows (within the table's row limit).

A small synthetic extract is generated once; each case copies it and replaces one table by a junk one
with the contract's header:
- `garbage`: every value random letters and digits (dates too);
- `garbage, dates ok`: random text, but the date columns hold valid ISO dates (passes reading);
- `realistic`: rows that look right but are wrong (unknown leerling_id / vestiging, einddatum before
  begindatum, born after the stand per).

    .venv/bin/python bench/bench_junk.py [--rows 5000000] [--cases leerlingen-garbage,...]
        [--cap-gb 8] [--timeout 600] [--out bench/out/junk] [--code CHECKOUT]

Each run is `/usr/bin/time -v kijkglas validate EXTRACT --report DIR`; a watchdog ends it when its
RSS passes `--cap-gb` or it runs longer than `--timeout` (reported as such). Prints one markdown row
per case: wall, peak RSS, report size, exit code and the first line of the verdict.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.csv as pa_csv

ROOT = Path(__file__).resolve().parents[1]
KIJKGLAS = ROOT / ".venv" / "bin" / "kijkglas"
STAND_PER = "2024-12-06"
CASES = ["leerlingen-garbage", "leerlingen-garbage-dates-ok", "leerlingen-realistic",
         "inschrijvingen-garbage", "inschrijvingen-garbage-dates-ok", "inschrijvingen-realistic"]


def garbage(rng: np.random.Generator, n: int, width: int = 10) -> pa.Array:
    alphabet = np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8)
    raw = alphabet[rng.integers(0, len(alphabet), size=(n, width))]
    return pa.array(raw.view(f"S{width}").ravel()).cast(pa.string())


def dates(rng: np.random.Generator, n: int, first: str, last: str) -> pa.Array:
    lo, hi = np.datetime64(first, "D").astype(np.int64), np.datetime64(last, "D").astype(np.int64)
    days = rng.integers(lo, hi + 1, size=n).astype("datetime64[D]")
    return pa.array(np.datetime_as_string(days, unit="D"))


def numbered(prefix: str, n: int, start: int = 0, width: int = 9) -> pa.Array:
    return pa.array(np.char.add(prefix, np.char.zfill(np.arange(start, start + n).astype(str), width)))


def junk_table(table: str, kind: str, n: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    g = lambda: garbage(rng, n)  # noqa: E731
    if table == "leerlingen":
        if kind == "realistic":  # valid ids and postcodes, born after the stand per
            return pa.table({"leerling_id": numbered("", n, 500_000_000), "bsn_laatste4": numbered("", n, 0, 4).cast(pa.string()),
                             "geboortedatum": dates(rng, n, "2025-01-01", "2030-12-31"),
                             "pc4_woonadres": pa.array(np.char.zfill(rng.integers(1000, 9999, n).astype(str), 4))})
        birth = dates(rng, n, "2005-01-01", "2020-12-31") if kind == "garbage-dates-ok" else g()
        return pa.table({"leerling_id": g(), "bsn_laatste4": g(), "geboortedatum": birth, "pc4_woonadres": g()})
    if kind == "realistic":  # unknown pupils at an unknown vestiging, ending before they begin
        empty = pa.nulls(n, pa.string())
        return pa.table({"inschrijving_id": numbered("I", n), "leerling_id": numbered("", n, 900_000_000),
                         "vestiging_code": pa.array(np.repeat("99ZZ99", n)),
                         "begindatum": dates(rng, n, "2024-08-01", "2024-12-06"),
                         "einddatum": dates(rng, n, "2023-08-01", "2024-07-31"),
                         "bekostigd": pa.array(np.repeat("J", n)), "residentieel": empty, "lwoo": empty,
                         "pro": empty, "vavo": empty})
    ok = kind == "garbage-dates-ok"
    return pa.table({"inschrijving_id": g(), "leerling_id": g(), "vestiging_code": g(),
                     "begindatum": dates(rng, n, "2020-08-01", "2024-12-06") if ok else g(),
                     "einddatum": dates(rng, n, "2024-12-07", "2026-07-31") if ok else g(),
                     "bekostigd": g(), "residentieel": g(), "lwoo": g(), "pro": g(), "vavo": g()})


def base_extract(out: Path) -> Path:
    base = out / "basis"
    if not (base / "extract.json").exists():
        subprocess.run([str(KIJKGLAS), "generate", "--profile", "small", "--stand-per", STAND_PER, "--out", str(base),
                        "--format", "csv"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return base


def case_extract(out: Path, case: str, rows: int) -> Path:
    table, kind = case.split("-", 1)
    folder = out / f"{case}-{rows}"
    if (folder / "extract.json").exists():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(base_extract(out), tmp)
    pa_csv.write_csv(junk_table(table, kind, rows), tmp / f"{table}.csv")
    tmp.rename(folder)
    return folder


def run(extract: Path, report: Path, cap: int, timeout: float, code: Path) -> dict:
    shutil.rmtree(report, ignore_errors=True)
    kijkglas = [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(code)!r}); from kijkglas.cli import main; "
                "sys.exit(main(sys.argv[1:]))"]
    cmd = ["/usr/bin/time", "-v", *kijkglas, "validate", str(extract), "--report", str(report)]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=code, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped: list[str] = []

    def watch():  # the cap: end the run before it takes the machine's memory from the others
        while proc.poll() is None:
            try:
                tree = psutil.Process(proc.pid).children(recursive=True)
                rss = sum(p.memory_info().rss for p in tree)
            except psutil.Error:
                rss = 0
            if rss > cap or time.monotonic() - start > timeout:
                stopped.append(f"> {cap / 1e9:.0f} GB" if rss > cap else f"> {timeout:.0f} s")
                for p in tree:
                    p.kill()
                return
            time.sleep(0.2)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    wall = time.monotonic() - start
    watcher.join()
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    verdict = next((line for line in (out + err).splitlines() if line.strip() and not line.startswith("\t")), "")
    size = sum(p.stat().st_size for p in report.rglob("*") if p.is_file()) if report.exists() else 0
    return {"wall": wall, "peak": int(peak.group(1)) * 1024 if peak else 0, "report": size,
            "rc": proc.returncode, "verdict": verdict, "stopped": stopped[0] if stopped else ""}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--cap-gb", type=float, default=8.0)
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "junk")
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout whose code validates (e.g. an older commit)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print("| case | rows | file | wall | peak RSS | report | exit | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        extract = case_extract(args.out, case, args.rows)
        table = case.split("-", 1)[0]
        r = run(extract, args.out / "rapport" / case, int(args.cap_gb * 1e9), args.timeout, args.code.resolve())
        wall = f"{r['wall']:.1f} s" + (f" (stopped: {r['stopped']})" if r["stopped"] else "")
        verdict = r["verdict"][:140].replace("|", "\\|")
        print(f"| {case} | {args.rows:,} | {(extract / f'{table}.csv').stat().st_size / 1e6:.0f} MB | {wall} | "
              f"{r['peak'] / 1e9:.2f} GB | {r['report'] / 1e6:.2f} MB | {r['rc']} | {verdict} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
