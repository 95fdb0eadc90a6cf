"""The deployments, checked without a server: deployments/prefect.yaml is what `prefect deploy`
accepts, every entrypoint imports, parameters fit the flows' signatures, and the schedules are
exactly the publication calendar (deployments/kalender.yaml)."""
from __future__ import annotations

import asyncio
import importlib
import inspect
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from deployments import definitions as defs
from production import kalender

ROOT = Path(__file__).resolve().parents[1]
PREFECT_YAML = ROOT / "deployments" / "prefect.yaml"
CALENDAR = kalender.load_kalender()
PRODUCTS = list(CALENDAR)
# parameters without a default that the operator fills in for each manual run, with an example value
ASKED_PER_RUN = {"productie": {"datum": "2024-12-10"}, "backfill": {"schooljaar": "2024-2025"},
                 **{name: {"product": "kijkglas-1", "schooljaar": "2024-2025", "versie": "v2", "reden": "fout in bronbestand",
                           "swv": ["alle"]} for name in ("intrekken", "herstellen")}}


@pytest.fixture(scope="module")
def prefect_file() -> dict:
    return yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))


def _deployments(prefect_file: dict) -> dict[str, dict]:
    return {d["name"]: d for d in prefect_file["deployments"]}


def _flow(entrypoint: str):
    """Import an entrypoint `path/to/file.py:function` as the module `path.to.file` (as the
    worker does from the project root)."""
    path, func = entrypoint.split(":")
    assert (ROOT / path).is_file(), entrypoint
    return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), func)


def _run_times(schedule: dict, start: datetime, end: datetime) -> list[datetime]:
    """The moments the Prefect server schedules for this prefect.yaml schedule, in its timezone."""
    from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule
    from prefect.server.schemas import schedules as server_schedules

    client_schedule = _schedule_config_to_deployment_schedule(schedule)["schedule"]
    server_cls = {"CronSchedule": server_schedules.CronSchedule,
                  "RRuleSchedule": server_schedules.RRuleSchedule}[type(client_schedule).__name__]
    server_schedule = server_cls(**client_schedule.model_dump())
    tz = ZoneInfo(schedule["timezone"])
    dates = asyncio.run(server_schedule.get_dates(n=500, start=start.replace(tzinfo=tz), end=end.replace(tzinfo=tz)))
    return [datetime.fromtimestamp(d.timestamp(), tz).replace(tzinfo=None) for d in dates]


def calendar_moments(p: kalender.ProductKalender, uur: int, years: range) -> list[datetime]:
    return sorted(datetime(y, m, p.dag, uur) for y in years for m in p.maanden
                  if p.laatste_datum is None or date(y, m, p.dag) <= p.laatste_datum)


# --- the file ----------------------------------------------------------------------------------

def test_prefect_yaml_is_accepted_by_prefect_deploy(prefect_file):
    """The model `prefect deploy` validates with; it skips an invalid file with only a warning."""
    from prefect.cli.deploy._models import PrefectYamlModel, RawScheduleConfig

    model = PrefectYamlModel.model_validate(prefect_file)
    assert [d.name for d in model.deployments] == PRODUCTS + ["productie", "backfill", "intrekken", "herstellen"]
    for d in prefect_file["deployments"]:
        assert d["work_pool"]["name"] == defs.WORK_POOL == "kijkglas"
        for s in d["schedules"]:
            RawScheduleConfig.model_validate(s)


def test_runs_start_in_the_project_root(prefect_file):
    """A build step records the directory of `prefect deploy` (the project root); the pull step of
    every run goes there, so the worker's runs import `flows.*` and find relative paths."""
    (build,) = prefect_file["build"]
    step = build["prefect.deployments.steps.run_shell_script"]
    assert step["script"] == "pwd"
    (pull,) = prefect_file["pull"]
    assert pull["prefect.deployments.steps.set_working_directory"]["directory"] == f"{{{{ {step['id']}.stdout }}}}"
    assert all("pull" not in d and "build" not in d for d in prefect_file["deployments"])


def test_definitions_and_prefect_yaml_agree(prefect_file):
    """prefect.yaml is written from definitions.py (`python -m deployments.definitions --write`)."""
    assert prefect_file == defs.prefect_yaml(), "prefect.yaml is stale: python -m deployments.definitions --write"
    assert yaml.safe_load(defs.render_prefect_yaml()) == prefect_file


# --- entrypoints and parameters -----------------------------------------------------------------

@pytest.mark.parametrize("name", PRODUCTS + ["productie", "backfill", "intrekken", "herstellen"])
def test_entrypoint_imports_and_parameters_fit_the_flow(prefect_file, name):
    from prefect import Flow

    d = _deployments(prefect_file)[name]
    flow = _flow(d["entrypoint"])
    assert isinstance(flow, Flow)
    assert flow.name == name  # `prefect deployment run <name>/<name>`
    sig = inspect.signature(flow.fn).parameters
    given, asked = set(d["parameters"]), set(ASKED_PER_RUN.get(name, {}))
    assert given <= set(sig), f"{name}: parameters not in the flow's signature: {given - set(sig)}"
    assert asked <= set(sig) and not asked & given
    required = {p for p, v in sig.items() if v.default is inspect.Parameter.empty}
    assert required == asked, f"{name}: required parameters {required} must be given or asked per run"
    # the values validate against the flow's types (as the server's parameter schema does)
    flow.validate_parameters({**d["parameters"], **ASKED_PER_RUN.get(name, {})})


@pytest.mark.parametrize("name", PRODUCTS)
def test_product_parameters_are_what_an_operator_fills_in(prefect_file, name):
    params = _deployments(prefect_file)[name]["parameters"]
    # schooljaar empty = from the calendar; every SWV; no folder: the runs read the server's Variables
    # (a relative default once made a scheduled run write into the checkout)
    assert params == {"schooljaar": None, "swv": None}
    assert _deployments(prefect_file)[name]["work_pool"] == {"name": "kijkglas", "work_queue_name": "producten"}


def test_calendar_flows_are_manual(prefect_file):
    deps = _deployments(prefect_file)
    assert deps["productie"]["schedules"] == [] and deps["backfill"]["schedules"] == []
    assert {"producten", "swv"} <= set(deps["backfill"]["parameters"])
    assert not {"extracts", "outbox"} & set(deps["backfill"]["parameters"])
    for name in ("productie", "backfill", "intrekken", "herstellen"):  # they wait; they never take a production's slot
        assert deps[name]["work_pool"]["work_queue_name"] == "kalender"


def parameter_help(flow) -> dict[str, str]:
    """Each parameter's description as flows/parameters.py declares it on the parameter's type."""
    import typing

    from flows.parameters import description_of
    hints = typing.get_type_hints(flow.fn, include_extras=True)
    return {name: description_of(hints[name]) for name in inspect.signature(flow.fn).parameters}


def form_help(schema: dict) -> dict[str, str | None]:
    return {name: p.get("description") for name, p in schema["properties"].items()}


@pytest.mark.parametrize("name", PRODUCTS + ["productie", "backfill", "intrekken", "herstellen"])
def test_the_run_form_describes_every_parameter_from_flows_parameters(prefect_file, name):
    """The schema `prefect deploy` stores as the deployment's parameter_openapi_schema (it loads the
    entrypoint and asks the flow, prefect/cli/deploy/_core.py) describes every parameter in Dutch, with
    the text of flows/parameters.py: the one place of the help."""
    from prefect.flows import load_flow_from_entrypoint

    entrypoint = _deployments(prefect_file)[name]["entrypoint"]
    flow = load_flow_from_entrypoint(str(ROOT / entrypoint))
    help_ = parameter_help(flow)
    assert all(help_.values()), f"{name}: a parameter type without a description: {help_}"
    assert form_help(parameter_schema_of(flow)) == help_


def test_the_product_flows_are_one_definition():
    """Five flows, one per product, made by one function: the same parameters, the same help."""
    from flows.kijkglazen import PRODUCT_FLOWS, product_flow

    assert list(PRODUCT_FLOWS) == PRODUCTS
    schemas = {name: parameter_schema_of(f) for name, f in PRODUCT_FLOWS.items()}
    assert all(s == schemas["kijkglas-1"] for s in schemas.values())
    assert {f.fn.__code__ for f in PRODUCT_FLOWS.values()} == {product_flow("kijkglas-1").fn.__code__}


def parameter_schema_of(flow) -> dict:
    from prefect.utilities.callables import parameter_schema
    return parameter_schema(flow).model_dump_for_openapi()


# --- schedules = the calendar ---------------------------------------------------------------------

@pytest.mark.parametrize("product", PRODUCTS)
def test_schedule_is_the_calendar(prefect_file, product):
    """One schedule, in Europe/Amsterdam, whose run moments over two years are exactly day `dag` at
    `uur`:00 in the product's months, as the server computes them."""
    raw = yaml.safe_load(kalender.KALENDER_PATH.read_text(encoding="utf-8"))
    p = CALENDAR[product]
    (schedule,) = _deployments(prefect_file)[product]["schedules"]
    assert schedule["timezone"] == raw["tijdzone"] == "Europe/Amsterdam"
    assert schedule["active"] is True
    moments = _run_times(schedule, datetime(2024, 1, 1), datetime(2025, 12, 31, 23, 59))
    assert moments == calendar_moments(p, raw["uur"], range(2024, 2026))


@pytest.mark.parametrize("product, cron", [
    ("kijkglas-1", "0 6 10 8-12 *"), ("kijkglas-2", "0 6 10 * *"), ("kijkglas-3", "0 6 10 4 *"),
    ("kijkglas-4", "0 6 10 4 *"), ("kijkglas-5", "0 6 10 10 *"),
])
def test_cron_strings(prefect_file, product, cron):
    assert _deployments(prefect_file)[product]["schedules"][0]["cron"] == cron


def test_months_compress_to_ranges():
    p = replace(CALENDAR["kijkglas-1"], maanden=(1, 3, 4, 5, 11))
    assert defs.cron_for(p, 6) == "0 6 10 1,3-5,11 *"


def test_a_last_date_ends_the_schedule(tmp_path):
    """DUO stopped Kijkglas 5 after October 2022: with laatste_datum set the schedule is an rrule
    that fires on the same moments and not after that date."""
    raw = yaml.safe_load(kalender.KALENDER_PATH.read_text(encoding="utf-8"))
    raw["producten"]["kijkglas-5"]["laatste_datum"] = "2022-10-31"
    path = tmp_path / "kalender.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    d = {x.name: x for x in defs.deployment_definitions(kalender_path=path)}["kijkglas-5"]
    (s,) = d.schedules
    assert s.cron is None and "UNTIL=20221031" in s.rrule
    schedule = defs.schedule_yaml(d.name, s)
    moments = _run_times(schedule, datetime(2019, 1, 1), datetime(2025, 12, 31))
    assert moments == [datetime(y, 10, 10, 6) for y in range(2019, 2023)]


# --- the served deployments (kijkglas serve) --------------------------------------------------------

def test_served_deployments_match_the_definitions():
    from deployments.serve import build_deployments

    served = {d.name: d for d in build_deployments(extracts="/data/extracts", outbox="/data/outbox")}
    assert list(served) == PRODUCTS + ["productie", "backfill", "intrekken", "herstellen"]
    for d in defs.deployment_definitions(extracts="/data/extracts", outbox="/data/outbox"):
        r = served[d.name]
        assert r.parameters == d.parameters
        assert r.entrypoint == f"{d.module}.{d.function}"   # module path: runs from any directory
        assert [(s.schedule.cron, s.schedule.timezone) for s in r.schedules] == \
               [(s.cron, s.timezone) for s in d.schedules]
    assert served["kijkglas-1"].parameters["extract"] == "/data/extracts"
    for name, r in served.items():  # the served run forms say the same
        assert form_help(r._parameter_openapi_schema.model_dump_for_openapi()) == \
            parameter_help(_flow(_deployments(yaml.safe_load(PREFECT_YAML.read_text()))[name]["entrypoint"]))
