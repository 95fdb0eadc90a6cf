"""An operator's month as the README's "Running it in production" tells it, on one machine: `make
server` (SQLite), `make prefect-setup`, `kijkglas configure`, `make worker`, and the notifications
with a webhook. Then a Scheduled run of a product falls due seconds from now, with nothing but the
deployment's own parameters (as the calendar makes them), and the worker runs it: the documents land
in the configured outbox and nothing new appears in the checkout. A production the calendar refuses
fails with one Dutch line, and the local webhook receiver gets the message naming it and why. The
server's and the worker's logs hold no ERROR line and no traceback."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from datetime import date, datetime, timedelta, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from kijkglas.synthetic import generate_extract
from tests.prefect_stack import ROOT, error_lines, free_port, healthy, stop, tail
from tests.test_notifications import Receiver, _wait_for

pytestmark = pytest.mark.integration
VENV = ROOT / ".venv" / "bin"


def _checkout_files() -> set[str]:
    """What is in the checkout besides tracked files (untracked and ignored), but caches."""
    out = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return {line[3:] for line in out.splitlines()
            if line[:2] in ("??", "!!") and "__pycache__" not in line and ".pytest_cache" not in line
            and not line[3:].startswith((".venv/", "demo/", "bench/out/", "kijkglas_productie.egg-info/"))}


def _make(target: str, env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(["make", "-s", target], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _wait_final(client, run_id, seconds: float = 240):
    return _wait_for(lambda: (r := client.read_flow_run(run_id)).state and r.state.is_final() and r, "final state",
                     seconds)


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """The README's one-machine setup, with a webhook; yields (env, extracts, outbox, receiver, logs)."""
    tmp = tmp_path_factory.mktemp("operator")
    extracts, outbox = tmp / "data" / "extracts", tmp / "data" / "outbox"
    stand_per = date.today() - timedelta(days=1)  # a scheduled run's production date is today
    generate_extract(profile="small", stand_per=stand_per, out=extracts / stand_per.isoformat(), seed=3)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DO_NOT_TRACK"))}
    env.update(PREFECT_HOME=str(tmp / "home"), PREFECT_PORT=str(free_port()), PREFECT_UI_ENABLED="false")
    api_url = f"http://127.0.0.1:{env['PREFECT_PORT']}/api"
    Receiver.received = []
    http = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    before = _checkout_files()
    server = worker = None
    try:
        server = _make("server", env, tmp / "server.log")
        _wait_for(lambda: healthy(api_url) or (server.poll() is not None and pytest.fail(tail(tmp / "server.log"))),
                  "healthy server", 120)
        client_env = {**env, "PREFECT_API_URL": api_url}
        setup = subprocess.run(["make", "-s", "prefect-setup"], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=300)
        assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
        configure = subprocess.run([str(VENV / "kijkglas"), "configure", "--extracts", str(extracts), "--outbox",
                                    str(outbox)], cwd=ROOT, env=client_env, capture_output=True, text=True, timeout=120)
        assert configure.returncode == 0, configure.stderr
        notify = subprocess.run([str(VENV / "python"), "-m", "deployments.automations", "--apply", "--webhook",
                                 f"http://127.0.0.1:{http.server_address[1]}/melding"],
                                cwd=ROOT, env=client_env, capture_output=True, text=True, timeout=120)
        assert notify.returncode == 0, notify.stdout + notify.stderr
        worker = _make("worker", env, tmp / "worker.log")
        yield client_env, extracts, outbox, Receiver.received, tmp, before
    finally:
        for proc in (worker, server):
            stop(proc)
            if proc is not None:  # what make started in the background dies with it
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        http.shutdown()


def production_day() -> date:
    """A run's production date: today in the calendar's time zone (Europe/Amsterdam), not the
    machine's (between 23:00 and 0:00 UTC in winter they differ)."""
    from zoneinfo import ZoneInfo

    from production.kalender import tijdzone
    return datetime.now(ZoneInfo(tijdzone())).date()


def test_every_run_form_on_the_server_says_what_each_field_wants(month):
    """What `make prefect-setup` (prefect deploy) stored as each deployment's run form: every
    parameter with its Dutch description from flows/parameters.py."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from deployments.definitions import deployment_definitions
    from tests.test_deployments import _flow, form_help, parameter_help

    env = month[0]
    with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}), get_client(sync_client=True) as client:
        for d in deployment_definitions():
            form = client.read_deployment_by_name(d.full_name).parameter_openapi_schema
            assert form_help(form) == parameter_help(_flow(d.entrypoint)), d.full_name
            assert all(form_help(form).values()), d.full_name


def test_a_scheduled_run_publishes_into_the_configured_outbox_and_nothing_into_the_checkout(month):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.states import Scheduled

    env, extracts, outbox, _, tmp, before = month
    with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("kijkglas-1/kijkglas-1")
        assert deployment.parameters == {"schooljaar": None, "swv": None}  # no path in the deployment
        due = datetime.now(timezone.utc) + timedelta(seconds=5)
        run = client.create_flow_run_from_deployment(deployment.id, state=Scheduled(scheduled_time=due))
        final = _wait_final(client, run.id)
    assert final.state.is_completed(), f"{final.state}\n{tail(tmp / 'worker.log', 60)}"
    today = production_day()
    schooljaar = f"{today.year}-{today.year + 1}" if today.month >= 8 else f"{today.year - 1}-{today.year}"
    assert final.name == f"kijkglas-1 {schooljaar} · {today:%d-%m-%Y}"
    pdfs = sorted(outbox.glob(f"*/{schooljaar}/kijkglas-1/v1/*.pdf"))
    assert len(pdfs) >= 2 and (outbox / "index.html").is_file()
    assert _checkout_files() == before, "the run wrote into the checkout"


def test_a_refused_production_fails_in_one_line_and_the_webhook_hears_of_it(month):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    env, _, outbox, received, tmp, _ = month
    with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}), get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("kijkglas-1/kijkglas-1")
        run = client.create_flow_run_from_deployment(deployment.id, parameters={"schooljaar": "2019-2020"})
        final = _wait_final(client, run.id)
    assert final.state.is_failed()
    assert final.state.message.startswith("kijkglas-1 2019-2020 valt buiten de kalender")
    assert "\n" not in final.state.message and "Traceback" not in (tmp / "worker.log").read_text()
    message = _wait_for(lambda: [b for _, b in received if "2019-2020" in b["text"]], "notification", 60)[0]
    assert "valt buiten de kalender" in message["body"] and f"kijkglas-1 2019-2020 · {production_day():%d-%m-%Y}" in \
        message["body"]
    assert not list(outbox.glob("*/2019-2020"))


def sqlite_retries_removed(text: str) -> str:
    """The log without Prefect's retried SQLite lock in its event consumer: a deferred transaction of the
    automations' bookkeeping that meets another writer fails at once (SQLite gives no busy wait to a
    read that upgrades to a write), Prefect logs it with its traceback and retries the message, which
    then goes through (the notification arrives: the test above). Any other ERROR stays."""
    blocks = re.split(r"(?m)^(?=\d\d:\d\d:\d\d\.\d+ \| )", text)
    return "".join(b for b in blocks if not ("| ERROR" in b and "Failed in consume_loop" in b
                                             and "database is locked" in b and "automation_bucket" in b))


def test_the_server_and_the_worker_log_no_error(month):
    _, _, _, _, tmp, _ = month
    assert not error_lines(tmp / "worker.log"), "\n".join(error_lines(tmp / "worker.log"))
    server = sqlite_retries_removed((tmp / "server.log").read_text(errors="replace"))
    (tmp / "server-zonder-sqlite-herhalingen.log").write_text(server)
    assert not error_lines(tmp / "server-zonder-sqlite-herhalingen.log"), server[-5000:]
