"""How a backfill spreads over workers: the small series' whole schooljaar (every product) as the
`backfill` deployment, on a PostgreSQL-backed Prefect server with one worker, then with two.
Prints the wall time and how many productions each worker ran.

    .venv/bin/python bench/bench_workers.py [--workers 1 2] [--limit 2]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kijkglas.synthetic import generate_series  # noqa: E402
from outbox.status import check_outbox_integrity  # noqa: E402
from tests.postgres import postgres_cluster  # noqa: E402
from tests.prefect_stack import PREFECT, api, prefect_server, submitted, worker  # noqa: E402


def backfill_on(n_workers: int, limit: int, series: Path, outbox: Path) -> tuple[float, dict[str, int], str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    with tempfile.TemporaryDirectory() as tmp, postgres_cluster() as database, \
            prefect_server(Path(tmp), database) as (url, env, logs):
        with api(url), get_client(sync_client=True) as client:
            client.create_work_pool(WorkPoolCreate(name="kijkglas", type="process",
                                                   base_job_template=ProcessWorker.get_default_base_job_template()))
        subprocess.run([PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml"],
                       cwd=ROOT, env=env, capture_output=True, check=True, timeout=300)
        names = [f"werker-{i + 1}" for i in range(n_workers)]
        with worker(env, names, logs, limit) as worker_logs:
            time.sleep(5)  # the workers poll
            with api(url), get_client(sync_client=True) as client:
                deployment = client.read_deployment_by_name("backfill/backfill")
                started = time.monotonic()
                run = client.create_flow_run_from_deployment(deployment.id, parameters={
                    "schooljaar": "2024-2025", "extracts": str(series), "outbox": str(outbox)})
                while not (state := client.read_flow_run(run.id).state).is_final():
                    time.sleep(1)
                wall = time.monotonic() - started
            per_worker = {name: len(submitted(log)) for name, log in worker_logs.items()}
    return wall, per_worker, state.name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--limit", type=int, default=2, help="runs at a time per worker (default 2)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        series = Path(tmp) / "extracts"
        generate_series(profile="small", schooljaar="2024-2025", out=series, seed=1)
        for n in args.workers:
            outbox = Path(tmp) / f"outbox-{n}"
            wall, per_worker, state = backfill_on(n, args.limit, series, outbox)
            problems = check_outbox_integrity(outbox)
            print(f"backfill 2024-2025 (small series, every product) on {n} worker(s), limit {args.limit}: "
                  f"{wall:.0f} s, {state}; flow runs per worker (the backfill itself included): "
                  + ", ".join(f"{k} {v}" for k, v in per_worker.items())
                  + ("; outbox sound" if not problems else f"; {len(problems)} integrity problem(s)"), flush=True)


if __name__ == "__main__":
    main()
