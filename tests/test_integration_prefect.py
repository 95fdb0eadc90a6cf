"""Integration: a real Prefect server on a throwaway PostgreSQL cluster, with the API's
authentication on; its own scheduler turns the deployed calendar into Scheduled runs; a process
work pool with two real workers deploying from deployments/prefect.yaml; a backfill deployment
whose productions spread over both workers; and the per-SWV fan-out on a real Dask cluster of two
processes. A server or worker that logs an ERROR fails the module.
Slow (a few minutes): `pytest -m "not integration"` leaves it out."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.settings import Settings
from deployments.definitions import load_calendar
from kijkglas.synthetic import generate_series
from outbox.status import check_outbox_integrity
from tests import handleiding_k1 as h
from tests.postgres import postgres_cluster
from tests.prefect_stack import (HEARTBEAT_SECONDS, PREFECT, ROOT, api, error_lines, healthy, prefect_server,
                                 submitted, tail, worker)
from tests.test_deployments import calendar_moments

pytestmark = pytest.mark.integration

STAND_PER = "2024-12-06"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SWVS = sorted([h.S, h.OTHER, h.VO])
WORKERS = ["werker-1", "werker-2"]


def assert_no_error_lines(log: Path) -> None:
    """A server or worker that logs an ERROR has failed, even when the run it served completed
    (the scheduler's failure in issue 13 was only ever visible there)."""
    if lines := error_lines(log):
        pytest.fail(f"{log.name} logged ERROR:\n" + "\n".join(lines))


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    return h.build().write(tmp_path_factory.mktemp("extracts") / STAND_PER)


# The scheduler, shortened for the test: a loop of 2 s, and every calendar moment of the coming
# year scheduled at once (min_runs = max_runs), so the Scheduled runs can be held against the whole calendar.
SCHEDULER_HORIZON = timedelta(days=366)
SCHEDULER_ENV = {
    "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    "PREFECT_SERVER_SERVICES_SCHEDULER_MIN_RUNS": "100",
    "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS": "100",
    "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME": f"P{SCHEDULER_HORIZON.days}D",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`prefect server start` on a throwaway PostgreSQL cluster (SQLite takes one writer at a time:
    "database is locked" under several workers), the API's authentication on. Yields (api_url, env
    for clients and workers, log folder). Fails when the server logged an ERROR."""
    tmp = tmp_path_factory.mktemp("prefect-server")
    with postgres_cluster() as database, prefect_server(tmp, database, SCHEDULER_ENV) as served:
        yield served
    assert_no_error_lines(tmp / "server.log")


@pytest.fixture(scope="module")
def deployed(server):
    """The `kijkglas` process pool, two workers in the project root (two runs at a time each), and
    `prefect deploy --all` of deployments/prefect.yaml. Yields (the moment just before the deploy,
    the workers' logs by name). Fails when a worker logged an ERROR."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    url, env, logs = server
    with api(url), get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="kijkglas", type="process",
                                               base_job_template=ProcessWorker.get_default_base_job_template()))
    processes: dict = {}
    with worker(env, WORKERS, logs, limit=2, processes=processes) as worker_logs:  # they warm up during the deploy
        deployed_at = datetime.now(timezone.utc)
        deploy = subprocess.run([PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml"],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        automation = subprocess.run([sys.executable, "-m", "deployments.automations", "--apply", "--heartbeat-seconds",
                                     str(HEARTBEAT_SECONDS)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert automation.returncode == 0, automation.stdout + automation.stderr
        yield deployed_at, worker_logs, processes
    for log in worker_logs.values():
        assert_no_error_lines(log)


def test_deploy_registers_every_deployment(server, deployed):
    from prefect.client.orchestration import get_client

    url, _, _ = server
    with api(url), get_client(sync_client=True) as client:
        found = {d.name: d for d in client.read_deployments()}
    assert set(found) == {"kijkglas-1", "kijkglas-2", "kijkglas-3", "kijkglas-4", "kijkglas-5",
                          "productie", "backfill", "intrekken", "herstellen"}
    assert found["kijkglas-1"].schedules[0].schedule.cron == "0 6 10 8-12 *"
    assert found["kijkglas-1"].pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}]


def _scheduled_runs(url: str) -> dict[str, list[datetime]]:
    """Per deployment, the start times of the runs the server's scheduler made, in Europe/Amsterdam."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType, FlowRunFilterTags
    from prefect.client.schemas.objects import StateType

    with api(url), get_client(sync_client=True) as client:
        names = {d.id: d.name for d in client.read_deployments()}
        runs = client.read_flow_runs(limit=200, flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
            tags=FlowRunFilterTags(all_=["auto-scheduled"])))
    out: dict[str, list[datetime]] = {}
    for r in runs:
        out.setdefault(names[r.deployment_id], []).append(r.expected_start_time.astimezone(AMSTERDAM))
    return {name: sorted(times) for name, times in out.items()}


def test_the_scheduler_makes_the_calendars_runs(server, deployed):
    """The server's own scheduler turns the deployed schedules into Scheduled runs: for each product
    exactly the calendar's moments of the coming year (its months, the 10th, 06:00 Europe/Amsterdam),
    and none for the manual deployments."""
    url, _, _ = server
    deployed_at, _, _ = deployed
    now = deployed_at.astimezone(AMSTERDAM).replace(tzinfo=None)
    products, tijdzone, uur = load_calendar()
    assert tijdzone == "Europe/Amsterdam"
    expected = {}
    for name, p in products.items():
        moments = [m for m in calendar_moments(p, uur, range(now.year, now.year + 2))
                   if now < m <= now + SCHEDULER_HORIZON]
        expected[name] = [m.replace(tzinfo=AMSTERDAM) for m in moments]
    deadline = time.monotonic() + 60
    while (found := _scheduled_runs(url)) != {k: v for k, v in expected.items() if v}:
        assert time.monotonic() < deadline, f"scheduled runs {found}\nexpected {expected}"
        time.sleep(1)
    for name, times in found.items():
        assert {(t.day, t.hour, t.minute) for t in times} == {(10, 6, 0)}, name
        assert {t.month for t in times} <= set(products[name].maanden), name
    assert len(found["kijkglas-2"]) == 12  # every month of the coming year
    assert "productie" not in found and "backfill" not in found


def test_a_scheduled_run_falls_due_and_a_worker_publishes_it(server, deployed, extract, tmp_path):
    """A run of the kijkglas-1 deployment scheduled seconds from now: the worker picks it up when it
    falls due and runs it to completion; every SWV's version lands in the outbox."""
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    url, _, _ = server
    _, worker_logs, _ = deployed
    worker_log = "\n".join(tail(log) for log in worker_logs.values())
    outbox = tmp_path / "outbox"
    due = datetime.now(timezone.utc) + timedelta(seconds=5)
    with api(url), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("kijkglas-1/kijkglas-1")
        run = client.create_flow_run_from_deployment(
            deployment.id, state=Scheduled(scheduled_time=due),
            parameters={"extract": str(extract), "outbox": str(outbox), "schooljaar": "2024-2025",
                        "productiedatum": "2024-12-10"})
        deadline = time.monotonic() + 180
        while not (state := client.read_flow_run(run.id).state).is_final():
            assert time.monotonic() < deadline, f"{state}\n{worker_log}"
            time.sleep(1)
        started = client.read_flow_run(run.id).start_time
    assert state.is_completed(), f"{state}\n{worker_log}"
    assert started >= due
    for swv in SWVS:
        manifest = json.loads((outbox / swv / "2024-2025" / "kijkglas-1" / "v1" / "manifest.json").read_text())
        assert manifest["status"] == "actueel"
        assert manifest["product"] == "kijkglas-1" and manifest["stand_per"] == STAND_PER


def _csv_bytes(outbox: Path) -> dict[str, bytes]:
    return {str(p.relative_to(outbox)): p.read_bytes()
            for p in sorted(outbox.glob("*/2024-2025/kijkglas-1/v1/data/*.csv"))}


DASK_RUN = """
import json, sys
from datetime import date
from distributed import LocalCluster
from flows.kijkglazen import kijkglas_1
if __name__ == "__main__":
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        outcomes = kijkglas_1(schooljaar="2024-2025", extract=sys.argv[1], outbox=sys.argv[2],
                              productiedatum=date(2024, 12, 10), dask_address=cluster.scheduler_address)
    print("@@" + json.dumps([o.__dict__ for o in outcomes]))
"""


def test_fan_out_on_a_dask_cluster(server, extract, tmp_path):
    """kijkglas_1 with dask_address: one publish task per SWV on a 2-process LocalCluster; the CSVs
    are byte for byte those of a plain local run. The flow runs in a process of its own: Prefect's
    process-wide clients (events, the global event loop) would otherwise keep talking to the
    session's test harness, and the publication slot's lease would be renewed on the wrong server."""
    from production.steps import run_production

    _, env, _ = server
    dask_outbox, local_outbox = tmp_path / "dask", tmp_path / "local"
    (tmp_path / "run.py").write_text(DASK_RUN)
    proc = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(extract), str(dask_outbox)], cwd=ROOT,
                          env={**env, "PREFECT_HOME": str(tmp_path / "home")}, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    outcomes = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("@@"))[2:])
    assert sorted((o["owner"], o["outcome"], o["version"]) for o in outcomes) == \
           [(s, "gepubliceerd", "v1") for s in SWVS]

    local = run_production("kijkglas-1", extract, local_outbox, "2024-2025", date(2024, 12, 10), settings=Settings(), processes=1)
    assert sorted(o.owner for o in local if o.outcome == "gepubliceerd") == SWVS
    dask_csvs, local_csvs = _csv_bytes(dask_outbox), _csv_bytes(local_outbox)
    assert {p.split("/")[0] for p in dask_csvs} == set(SWVS)
    assert dask_csvs == local_csvs


def test_an_anonymous_caller_is_refused(server):
    url, _, _ = server
    request = urllib.request.Request(f"{url}/deployments/filter", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert healthy(url)  # the health probe stays open (load balancers, k8s)


# Three chains (Kijkglas 3 and 4 in April, 5 in October) dispatched at once: with the backfill itself
# in one of the four slots, one worker alone cannot take them all, so both must work. (Each child
# run is a fresh process of ~25 s here; the chains' date order is tested in tests/test_kalender.py.)
SPREAD_PRODUCTS = ["kijkglas-3", "kijkglas-4", "kijkglas-5"]


def drain_event_and_log_workers() -> None:
    """Send what this process's Prefect event and log workers still hold for the server of this
    module now. Left for later, the session's test harness drains every such worker when it stops,
    after this module's server is gone: a worker that cannot reach its server then never finishes,
    and the whole test session hangs in the harness's teardown."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    EventsWorker.drain_all(timeout=60)
    APILogWorker.drain_all(timeout=60)


def _all_csvs(outbox: Path) -> dict[str, bytes]:
    return {p.relative_to(outbox).as_posix(): p.read_bytes()
            for p in sorted(outbox.glob("*/*/*/v*/data/*.csv"))}


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("series")
    generate_series(profile="small", schooljaar="2024-2025", out=root, seed=1)
    return root


def test_a_backfill_deployment_spreads_over_both_workers(server, deployed, series, tmp_path):
    """The backfill deployment for the small series: each production a run of its product's
    deployment, taken by either worker; the outbox is sound and its CSV tables equal those of a
    backfill run in one process."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    from flows.kalender import backfill

    url, _, _ = server
    _, worker_logs, _ = deployed
    spread, local = tmp_path / "verspreid", tmp_path / "lokaal"
    taken_before = {name: submitted(log) for name, log in worker_logs.items()}
    started = time.monotonic()
    with api(url), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("backfill/backfill")
        run = client.create_flow_run_from_deployment(deployment.id, parameters={
            "schooljaar": "2024-2025", "extracts": str(series), "outbox": str(spread), "producten": SPREAD_PRODUCTS})
        deadline = time.monotonic() + 600
        while not (state := client.read_flow_run(run.id).state).is_final():
            assert time.monotonic() < deadline, f"{state}\n" + "\n".join(tail(log) for log in worker_logs.values())
            time.sleep(2)
        wall = time.monotonic() - started
        assert state.is_completed(), f"{state}\n" + "\n".join(tail(log) for log in worker_logs.values())
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])))
    productions = {str(c.id) for c in children if c.deployment_id is not None}
    assert len(productions) == 3  # K3 and K4 in April, K5 in October
    taken = {name: (submitted(log) - taken_before[name]) & productions for name, log in worker_logs.items()}
    print(f"\nbackfill on two workers: {wall:.0f} s; productions per worker: "
          + ", ".join(f"{name} {len(ids)}" for name, ids in taken.items()))
    assert all(taken.values()), taken  # both workers ran productions
    assert set().union(*taken.values()) == productions

    assert check_outbox_integrity(spread) == []
    with api(url):
        backfill("2024-2025", str(series), str(local), producten=SPREAD_PRODUCTS)
        drain_event_and_log_workers()  # while this server still answers (see the function)
    assert _all_csvs(spread) == _all_csvs(local) and _all_csvs(spread)


def _wait_final(client, run_id, deadline_s: float, logs) -> object:
    deadline = time.monotonic() + deadline_s
    while not (state := client.read_flow_run(run_id).state).is_final():
        assert time.monotonic() < deadline, f"{state}\n" + "\n".join(tail(log) for log in logs)
        time.sleep(1)
    return state


def test_a_worker_that_dies_mid_production(server, deployed, series, tmp_path):
    """SIGKILL the worker (and the run it started) while a production publishes: the run is marked
    Crashed (no more heartbeats), nothing half-published is in the outbox, and the production run
    again completes the work with every version published once. Runs last: a worker is gone after it."""
    from prefect.client.orchestration import get_client

    url, _, _ = server
    _, worker_logs, workers = deployed
    outbox = tmp_path / "outbox"
    parameters = {"schooljaar": "2024-2025", "extract": str(series), "outbox": str(outbox),
                  "productiedatum": "2025-07-10"}
    with api(url), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("kijkglas-2/kijkglas-2")
        run = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
        deadline = time.monotonic() + 180
        while not any((outbox / ".staging").glob("*__kijkglas-2__*")):  # a version is being written
            assert not client.read_flow_run(run.id).state.is_final(), "the production ended before the kill"
            assert time.monotonic() < deadline, "\n".join(tail(log) for log in worker_logs.values())
            time.sleep(0.05)
        taker = next(name for name, log in worker_logs.items() if str(run.id) in submitted(log))
        # the machine dies: the worker, and the run's process with its render pool (a session of their own)
        os.killpg(workers[taker].pid, signal.SIGKILL)
        workers[taker].wait(10)
        run_pid = int(str(client.read_flow_run(run.id).infrastructure_pid).rsplit(":", 1)[-1])
        os.killpg(os.getpgid(run_pid), signal.SIGKILL)
        state = _wait_final(client, run.id, 6 * HEARTBEAT_SECONDS, worker_logs.values())
        assert state.is_crashed(), state

        leftovers = check_outbox_integrity(outbox)
        assert all("restant in de staging" in p for p in leftovers), leftovers  # never half a version
        again = client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
        state = _wait_final(client, again.id, 300, worker_logs.values())
        assert state.is_completed(), state
    assert check_outbox_integrity(outbox) == []
    versions = {p.parent.parent.parent.name: sorted(d.name for d in p.parent.parent.iterdir() if d.is_dir())
                for p in outbox.glob("*/2024-2025/kijkglas-2/v*/manifest.json")}
    assert versions and all(v == ["v1"] for v in versions.values()), versions  # nothing published twice
