"""A real Prefect stack for the integration tests and the worker benchmark: `prefect server start`
on a given database with the API's authentication on, and process workers of the `kijkglas` pool,
each in its own session so that it can be stopped (or killed) with everything it started."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from deployments.serve import healthy  # noqa: F401  (the tests use it too)

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).parent / "prefect")
# The server's API authentication (Prefect's basic auth string); clients and workers carry it.
AUTH = "kijkglas:integratie-" + os.urandom(8).hex()
HEARTBEAT_SECONDS = 30  # Prefect's minimum; the zombie automation waits 2.5 heartbeats
# Prefect's console format: "12:00:00.000 | ERROR   | logger - message"
ERROR_LINE = re.compile(r"\|\s*(ERROR|CRITICAL)\s*\|")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, n: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else "(no log)"


def error_lines(log: Path) -> list[str]:
    """The ERROR lines of a log and the 30 lines after the first (empty: none)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if ERROR_LINE.search(line)), None)
    return [] if first is None else lines[first:first + 30]


def stop(proc: subprocess.Popen | None, grace: float = 10) -> None:
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
def api(url: str):
    """Talk to this server from this process (whatever a session harness set)."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
    with temporary_settings({PREFECT_API_URL: url, PREFECT_API_AUTH_STRING: AUTH}):
        yield


@contextmanager
def prefect_server(tmp: Path, database: str, extra_env: dict | None = None) -> Iterator[tuple[str, dict, Path]]:
    """`prefect server start` on a free port with its own PREFECT_HOME, on `database`, the API's
    authentication on. Yields (api_url, env for clients and workers, the folder of the logs)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp / "home"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_DATABASE_TIMEOUT": "60"}
    log = tmp / "server.log"
    proc = None
    try:
        with open(log, "wb") as out:
            proc = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                    cwd=tmp, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**env, **(extra_env or {}), "PREFECT_API_DATABASE_CONNECTION_URL": database,
                                         "PREFECT_SERVER_API_AUTH_STRING": AUTH})
        deadline = time.monotonic() + 90
        while not healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not healthy after 90 s:\n{tail(log)}")
            time.sleep(0.5)
        yield url, {**env, "PREFECT_API_URL": url, "PREFECT_API_AUTH_STRING": AUTH}, tmp
    finally:
        stop(proc)


@contextmanager
def worker(env: dict, names: list[str], logs: Path, limit: int = 2,
           processes: dict | None = None) -> Iterator[dict[str, Path]]:
    """Process workers of the `kijkglas` pool in the project root, `limit` runs at a time each,
    polling every second. Yields their logs by name; `processes` (when given) receives the Popen
    of each, by name."""
    started, worker_logs = {}, {name: logs / f"{name}.log" for name in names}
    try:
        for name, log in worker_logs.items():
            with open(log, "wb") as out:
                started[name] = subprocess.Popen(
                    [PREFECT, "worker", "start", "--pool", "kijkglas", "--type", "process", "--name", name,
                     "--limit", str(limit)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                    env={**env, "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "0",
                         "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS)})
        if processes is not None:
            processes.update(started)
        yield worker_logs
    finally:
        for proc in started.values():
            stop(proc)


def submitted(log: Path) -> set[str]:
    """The flow runs a worker took (its own log line for each)."""
    return set(re.findall(r"submitting flow run '([0-9a-f-]{36})'", log.read_text(errors="replace")))
