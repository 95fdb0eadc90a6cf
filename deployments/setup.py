"""Everything a Prefect server needs from this project, once, idempotent (`make prefect-setup`):
the process work pool `kijkglas` with its two queues, the deployments of deployments/prefect.yaml,
and, with workers on several machines, the automation that marks runs of a dead worker Crashed. The production folders are set apart
(`kijkglas configure`), the notifications too (`python -m deployments.automations --apply …`): they
differ per server.

    PREFECT_API_URL=http://127.0.0.1:4200/api python -m deployments.setup [--machines 3] [--heartbeat-seconds 180]
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from deployments import automations
from deployments.definitions import PREFECT_YAML, QUEUE_KALENDER, QUEUE_PRODUCTEN, WORK_POOL

ROOT = Path(__file__).resolve().parents[1]
QUEUES = {QUEUE_PRODUCTEN: "De producties (kijkglas-1 … kijkglas-5): zwaar, één tegelijk per machine.",
          QUEUE_KALENDER: "Wat alleen op producties wacht of de outbox beheert: productie, backfill, intrekken, herstellen."}


def ensure_pool_and_queues() -> list[str]:
    """The pool and its queues, made when missing (an existing one is left as the operator set it)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.workers.process import ProcessWorker

    done = []
    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=WORK_POOL, type="process",
                                                   base_job_template=ProcessWorker.get_default_base_job_template()))
            done.append(f"work pool {WORK_POOL} gemaakt")
        except ObjectAlreadyExists:
            done.append(f"work pool {WORK_POOL} bestond al")
        for name, description in QUEUES.items():
            try:
                client.create_work_queue(name=name, work_pool_name=WORK_POOL, description=description)
                done.append(f"queue {name} gemaakt")
            except ObjectAlreadyExists:
                done.append(f"queue {name} bestond al")
    return done


def deploy() -> list[str]:
    """`prefect deploy --all` of deployments/prefect.yaml, from the project root (the runs execute there).
    Prefect's own advice after each deployment (start a worker of the whole pool) does not fit our two
    queues, so only the names are shown; the whole output when it fails."""
    prefect = str(Path(sys.executable).parent / "prefect")
    run = subprocess.run([prefect, "--no-prompt", "deploy", "--all", "--prefect-file",
                          str(PREFECT_YAML.relative_to(ROOT))], cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stdout + run.stderr)
        raise SystemExit(f"prefect deploy mislukte (exit {run.returncode})")
    return [f"deployment {name}: klaar" for name in re.findall(r"Deployment '([^']+)' successfully created",
                                                                  " ".join(run.stdout.split()))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Pool, queues, deployments and (several machines) the crash automation "
                                             "on the server of PREFECT_API_URL (idempotent).")
    ap.add_argument("--machines", type=int, default=1,
                    help="how many machines run workers; more than one: the crash automation too (default 1)")
    ap.add_argument("--heartbeat-seconds", type=int, default=automations.DEFAULT_HEARTBEAT_SECONDS,
                    help="PREFECT_FLOWS_HEARTBEAT_FREQUENCY of the workers (default 180)")
    args = ap.parse_args(argv)
    from prefect.settings import PREFECT_API_URL
    if not PREFECT_API_URL.value():
        print("zet PREFECT_API_URL op het adres van de server (make prefect-setup doet dat)", file=sys.stderr)
        return 2
    for line in ensure_pool_and_queues() + deploy():
        print(line)
    if args.machines > 1:
        # a worker machine that dies takes its runs' heartbeats with it; on one machine the worker sees its
        # runs end itself, and the automation's bookkeeping of every heartbeat would only load SQLite
        print(f"automation {automations.NAME!r}: {automations.apply(args.heartbeat_seconds)}")
    print("Nog te doen: `kijkglas configure --extracts DIR --outbox DIR` (de productiemappen), `make worker`, en de "
          "meldingen (`python -m deployments.automations --apply --webhook … / --smtp-…`, zie de README).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
