"""Integration: a real Prefect server, a process work pool with a real worker deploying from
deployments/prefect.yaml, and the per-SWV fan-out on a real Dask cluster of two processes.
Slow (about a minute): `pytest -m "not integration"` leaves it out."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from tests import handleiding_k1 as h

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).parent / "prefect")
STAND_PER = "2024-12-06"
SWVS = sorted([h.S, h.OTHER, h.VO])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _tail(path: Path, n: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else "(no log)"


def _stop(proc: subprocess.Popen | None, grace: float = 10) -> None:
    """Stop a process we started, and its children (its own session), by its id."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass


@contextmanager
def _api(url: str):
    """Talk to this server from the test process (whatever the session harness set)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    with temporary_settings({PREFECT_API_URL: url}):
        yield


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    return h.build().write(tmp_path_factory.mktemp("extracts") / STAND_PER)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`prefect server start` on a free port, with its own PREFECT_HOME and SQLite database.
    Yields (api_url, env for clients and workers, log folder)."""
    tmp = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ,
           "PREFECT_HOME": str(tmp / "home"),
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp / 'prefect.db'}",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false", "DO_NOT_TRACK": "1"}
    log = tmp / "server.log"
    proc = None
    try:
        with open(log, "wb") as out:
            proc = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                    cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while not _healthy(url):
            assert proc.poll() is None, f"server exited:\n{_tail(log)}"
            assert time.monotonic() < deadline, f"server not healthy after 90 s:\n{_tail(log)}"
            time.sleep(0.5)
        yield url, {**env, "PREFECT_API_URL": url}, tmp
    finally:
        _stop(proc)


def test_deploy_and_run_through_a_worker(server, extract, tmp_path):
    """prefect.yaml → `prefect deploy --all` → a worker in the project root runs kijkglas-1."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments import run_deployment
    from prefect.workers.process import ProcessWorker

    url, env, logs = server
    with _api(url), get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="kijkglas", type="process",
                                               base_job_template=ProcessWorker.get_default_base_job_template()))
    worker, worker_log = None, logs / "worker.log"
    try:
        with open(worker_log, "wb") as out:  # started first: it warms up while the deploy runs
            worker = subprocess.Popen([PREFECT, "worker", "start", "--pool", "kijkglas", "--type", "process"],
                                      cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                      env={**env, "PREFECT_WORKER_QUERY_SECONDS": "1"})
        deploy = subprocess.run([PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        with _api(url), get_client(sync_client=True) as client:
            deployed = {d.name: d for d in client.read_deployments()}
        assert set(deployed) == {"kijkglas-1", "kijkglas-2", "kijkglas-3", "kijkglas-4", "kijkglas-5",
                                 "productie", "backfill"}
        assert deployed["kijkglas-1"].schedules[0].schedule.cron == "0 6 10 8-12 *"
        assert deployed["kijkglas-1"].pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}]

        outbox = tmp_path / "outbox"
        with _api(url):
            run = run_deployment("kijkglas-1/kijkglas-1", timeout=180, parameters={
                "extract": str(extract), "outbox": str(outbox), "schooljaar": "2024-2025",
                "productiedatum": "2024-12-10"})
        assert run.state is not None and run.state.is_completed(), f"{run.state}\n{_tail(worker_log)}"
        for swv in SWVS:
            manifest = json.loads((outbox / swv / "2024-2025" / "kijkglas-1" / "v1" / "manifest.json").read_text())
            assert manifest["status"] == "actueel"
            assert manifest["product"] == "kijkglas-1" and manifest["stand_per"] == STAND_PER
    finally:
        _stop(worker)


def _csv_bytes(outbox: Path) -> dict[str, bytes]:
    return {str(p.relative_to(outbox)): p.read_bytes()
            for p in sorted(outbox.glob("*/2024-2025/kijkglas-1/v1/data/*.csv"))}


def test_fan_out_on_a_dask_cluster(server, extract, tmp_path, monkeypatch):
    """kijkglas_1 with dask_address: one publish task per SWV on a 2-process LocalCluster; the CSVs
    are byte for byte those of a plain local run."""
    from distributed import LocalCluster

    from flows.products import kijkglas_1
    from tasks.production import run_production

    url, _, _ = server
    monkeypatch.setenv("PREFECT_API_URL", url)  # the Dask worker processes report to the same server
    dask_outbox, local_outbox = tmp_path / "dask", tmp_path / "local"
    with _api(url), LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                 dashboard_address=None) as cluster:
        outcomes = kijkglas_1(schooljaar="2024-2025", extract=str(extract), outbox=str(dask_outbox),
                              productiedatum=date(2024, 12, 10), dask_address=cluster.scheduler_address)
    assert sorted((o["owner"], o["outcome"], o["version"]) for o in outcomes) == \
           [(s, "published", "v1") for s in SWVS]

    local = run_production("kijkglas-1", extract, local_outbox, "2024-2025", date(2024, 12, 10), processes=1)
    assert sorted(o.owner for o in local if o.outcome == "published") == SWVS
    dask_csvs, local_csvs = _csv_bytes(dask_outbox), _csv_bytes(local_outbox)
    assert {p.split("/")[0] for p in dask_csvs} == set(SWVS)
    assert dask_csvs == local_csvs
