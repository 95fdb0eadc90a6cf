"""The one-machine setup: serve every deployment of the calendar from this process
(`kijkglas serve --extracts X --outbox Y`), on the Prefect server PREFECT_API_URL points at
(or a local one). No work pool or worker needed: this process runs the scheduled and manual runs.
The same deployments as deployments/prefect.yaml, from the same definitions.
"""
from __future__ import annotations

import importlib

from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron, RRule

from deployments.definitions import DeploymentDef, Schedule, deployment_definitions


def _schedule(name: str, s: Schedule):
    kw = dict(timezone=s.timezone, slug=f"kalender-{name}")
    return Cron(s.cron, **kw) if s.cron else RRule(s.rrule, **kw)


def to_runner_deployment(d: DeploymentDef) -> RunnerDeployment:
    flow = getattr(importlib.import_module(d.module), d.function)
    # module entrypoints (flows.products.kijkglas_1): the runs find the flow from any working directory
    return flow.to_deployment(name=d.name, schedules=[_schedule(d.name, s) for s in d.schedules],
                              parameters=d.parameters,
                              description=d.description, tags=list(d.tags),
                              entrypoint_type=EntrypointType.MODULE_PATH)


def build_deployments(extracts: str, outbox: str) -> list[RunnerDeployment]:
    """Every deployment, with `extracts` (a folder of extracts) and `outbox` as parameter defaults.
    Relative paths are relative to the directory the serving process runs in (the CLI passes
    absolute ones)."""
    return [to_runner_deployment(d) for d in deployment_definitions(extracts=extracts, outbox=outbox)]


def serve_all(extracts: str, outbox: str, limit: int | None = 2) -> None:
    """Register the deployments and run them until interrupted (Ctrl-C). `limit` runs at a time
    (the rendering of one production already uses every core)."""
    from prefect import serve
    serve(*build_deployments(extracts, outbox), limit=limit)
