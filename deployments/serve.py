"""The one-machine setup: serve every deployment of the calendar from this process
(`kijkglas serve [--extracts X --outbox Y]`), on the Prefect server PREFECT_API_URL points at,
else on a local `prefect server start` at 127.0.0.1:4200. No work pool or worker needed: this
process runs the scheduled and manual runs. The same deployments as deployments/prefect.yaml,
from the same definitions.

It needs a running server: with Prefect's temporary (ephemeral) server each served run would
start a temporary server of its own and the serving one would never see it finish.
"""
from __future__ import annotations

import importlib
import os
import urllib.request

from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron, RRule

from deployments.definitions import DeploymentDef, Schedule, deployment_definitions


def _schedule(name: str, s: Schedule):
    kw = dict(timezone=s.timezone, slug=f"kalender-{name}")
    return Cron(s.cron, **kw) if s.cron else RRule(s.rrule, **kw)


def to_runner_deployment(d: DeploymentDef) -> RunnerDeployment:
    flow = getattr(importlib.import_module(d.module), d.function)
    # module entrypoints (flows.kijkglazen.kijkglas_1): the runs find the flow from any working directory
    return flow.to_deployment(name=d.name, schedules=[_schedule(d.name, s) for s in d.schedules],
                              parameters=d.parameters,
                              description=d.description, tags=list(d.tags),
                              entrypoint_type=EntrypointType.MODULE_PATH)


def build_deployments(extracts: str | None = None, outbox: str | None = None) -> list[RunnerDeployment]:
    """Every deployment; `extracts` (a folder of extracts) and `outbox`, when given (absolute), become
    the parameter defaults, else the runs read the server's Variables."""
    return [to_runner_deployment(d) for d in deployment_definitions(extracts=extracts, outbox=outbox)]


def configure_paths(extracts: str, outbox: str) -> None:
    """Set the server's production folders (Prefect Variables kijkglas_extracts, kijkglas_outbox)."""
    from prefect.variables import Variable

    from production.paths import EXTRACTS_VARIABLE, OUTBOX_VARIABLE
    Variable.set(EXTRACTS_VARIABLE, extracts, overwrite=True)
    Variable.set(OUTBOX_VARIABLE, outbox, overwrite=True)


LOCAL_API_URL = "http://127.0.0.1:4200/api"


def healthy(api_url: str) -> bool:
    """The server's open health probe answers 200 (it needs no authentication)."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=3) as r:
            return r.status == 200
    except OSError:
        return False


def server_api_url() -> str | None:
    """PREFECT_API_URL when set, else the local server when one answers, else None."""
    from prefect.settings import PREFECT_API_URL
    return PREFECT_API_URL.value() or (LOCAL_API_URL if healthy(LOCAL_API_URL) else None)


def serve_all(extracts: str | None, outbox: str | None, api_url: str, limit: int | None = 2) -> None:
    """Register the deployments on the server at `api_url` and run them until interrupted
    (Ctrl-C). `limit` runs at a time (the rendering of one production already uses every core)."""
    from prefect import serve
    from prefect.settings import PREFECT_API_URL, temporary_settings

    os.environ["PREFECT_API_URL"] = api_url  # the served runs (subprocesses) report to the same server
    with temporary_settings({PREFECT_API_URL: api_url}):
        serve(*build_deployments(extracts, outbox), limit=limit)
