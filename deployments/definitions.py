"""The deployments as data, derived from the publication calendar (deployments/kalender.yaml).

One deployment per product (`kijkglas-1` … `kijkglas-5`), scheduled on the calendar's day and
hour in the product's months (timezone from the calendar, Europe/Amsterdam), plus two manual ones:
`productie` (one production day, parameter `datum`) and `backfill` (a whole schooljaar).

Two consumers, one source:
- `deployments/prefect.yaml` (work pool + worker; `prefect --no-prompt deploy --all
  --prefect-file deployments/prefect.yaml`). It is written from these definitions:
  `python -m deployments.definitions --write`; tests/test_deployments.py checks the two agree.
- `deployments/serve.py` (one machine, `kijkglas serve`): builds them with `flow.to_deployment`.

No Prefect and no flow imports here: entrypoints are strings, checked by the tests. What each
parameter means is not repeated here: the run form shows it from flows/parameters.py.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from production import kalender
from products import registry

WORK_POOL = "kijkglas"
PREFECT_YAML = Path(__file__).resolve().parent / "prefect.yaml"
PREFECT_VERSION = "3.8.8"
# The first date a schedule with an end (laatste_datum) counts from: the start of passend onderwijs.
RRULE_START = date(2014, 8, 1)

# Two queues of the pool: productions (heavy, limited per machine) and the flows that only wait for them
# (a production day, a backfill, a withdrawal), so that a waiting parent never takes a production's slot.
QUEUE_PRODUCTEN = "producten"
QUEUE_KALENDER = "kalender"


@dataclass(frozen=True)
class Schedule:
    """A cron schedule, or (when the calendar sets a laatste_datum) an rrule that ends on that date."""
    timezone: str
    cron: str | None = None
    rrule: str | None = None


@dataclass(frozen=True)
class DeploymentDef:
    name: str                      # deployment name; the flow has the same name
    entrypoint: str                # path/to/file.py:function, relative to the project root
    parameters: dict[str, Any]     # defaults an operator sees (and may change) in the UI
    description: str
    schedules: tuple[Schedule, ...] = ()
    tags: tuple[str, ...] = field(default=("kijkglas",))
    work_queue: str = QUEUE_PRODUCTEN

    @property
    def flow_name(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        """`<flow>/<deployment>`, as `prefect deployment run` wants it."""
        return f"{self.flow_name}/{self.name}"

    @property
    def module(self) -> str:
        return self.entrypoint.split(":")[0].removesuffix(".py").replace("/", ".")

    @property
    def function(self) -> str:
        return self.entrypoint.split(":")[1]


def _ranges(values: list[int]) -> str:
    """[8, 9, 10, 11, 12] → '8-12'; [1, 3, 4, 5] → '1,3-5'."""
    out, run = [], []
    for v in sorted(set(values)):
        if run and v == run[-1] + 1:
            run.append(v)
        else:
            if run:
                out.append(run)
            run = [v]
    out.append(run)
    return ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in out)


def cron_for(p: kalender.ProductKalender, uur: int) -> str:
    """Minute 0 of hour `uur` on day `dag` in the product's months: '0 6 10 8-12 *'."""
    months = "*" if sorted(set(p.maanden)) == list(range(1, 13)) else _ranges(list(p.maanden))
    return f"0 {uur} {p.dag} {months} *"


def rrule_for(p: kalender.ProductKalender, uur: int) -> str:
    """The same moments as `cron_for`, ending on the product's laatste_datum."""
    assert p.laatste_datum is not None
    return (f"DTSTART:{RRULE_START:%Y%m%d}T{uur:02d}0000\n"
            f"RRULE:FREQ=MONTHLY;BYMONTH={','.join(str(m) for m in sorted(set(p.maanden)))};"
            f"BYMONTHDAY={p.dag};BYHOUR={uur};BYMINUTE=0;BYSECOND=0;UNTIL={p.laatste_datum:%Y%m%d}T235959")


def load_calendar(path: Path | None = None) -> tuple[dict[str, kalender.ProductKalender], str, int]:
    """The products, the timezone and the hour of the scheduled runs."""
    raw = yaml.safe_load(Path(path or kalender.KALENDER_PATH).read_text(encoding="utf-8"))
    return kalender.load_kalender(path), str(raw.get("tijdzone", "Europe/Amsterdam")), int(raw.get("uur", 6))


def schedule_for(p: kalender.ProductKalender, tijdzone: str, uur: int) -> Schedule:
    if p.laatste_datum is None:
        return Schedule(timezone=tijdzone, cron=cron_for(p, uur))
    return Schedule(timezone=tijdzone, rrule=rrule_for(p, uur))


def deployment_definitions(extracts: str | None = None, outbox: str | None = None,
                           kalender_path: Path | None = None) -> list[DeploymentDef]:
    """Every deployment. `extracts` (a folder of extracts, one sub-folder per stand per) and `outbox`,
    when given (`kijkglas serve --extracts … --outbox …`), become the parameter defaults; without them
    (deployments/prefect.yaml) the runs read the server's Prefect Variables. Never a relative path:
    a scheduled run has no working directory to be relative to."""
    products, tijdzone, uur = load_calendar(kalender_path)
    extract_param = {"extract": extracts} if extracts else {}
    folders = {**({"extracts": extracts} if extracts else {}), **({"outbox": outbox} if outbox else {})}
    defs = [
        DeploymentDef(
            name=name,
            entrypoint=f"flows/kijkglazen.py:{name.replace('-', '_')}",  # the flows are named as the products
            parameters={"schooljaar": None, **extract_param, **({"outbox": outbox} if outbox else {}), "swv": None},
            description=registry.product(name).description,
            schedules=(schedule_for(p, tijdzone, uur),),
            tags=("kijkglas", "product"),
        )
        for name, p in products.items()
    ]
    defs.append(DeploymentDef(
        name="productie",
        entrypoint="flows/kalender.py:productie",
        parameters={**folders, "swv": None, "producten": None},
        description=("Eén productiedag met de hand: alles wat de kalender op `datum` vraagt, elk op het nieuwste"
                     " extract met stand per op of vóór die datum."),
        tags=("kijkglas", "kalender"), work_queue=QUEUE_KALENDER,
    ))
    defs.append(DeploymentDef(
        name="backfill",
        entrypoint="flows/kalender.py:backfill",
        parameters={**folders, "producten": None, "swv": None},
        description=("Alle productiedagen van een schooljaar (bv. 2024-2025) op datumvolgorde. Veilig om opnieuw"
                     " te draaien: dezelfde gegevens publiceren niets, een ouder extract vervangt nooit een nieuwere"
                     " versie."),
        tags=("kijkglas", "kalender"), work_queue=QUEUE_KALENDER,
    ))
    for name, what in (("intrekken", "Trek een gepubliceerde versie in"),
                       ("herstellen", "Maak een eerdere versie weer actueel (nadat de versie erna is ingetrokken)")):
        defs.append(DeploymentDef(
            name=name, entrypoint=f"flows/intrekken.py:{name}", parameters={**({"outbox": outbox} if outbox else {})},
            description=f"{what} voor de gekozen SWV's.",
            tags=("kijkglas", "beheer"), work_queue=QUEUE_KALENDER))
    return defs


def schedule_yaml(name: str, s: Schedule) -> dict:
    out: dict[str, Any] = {"cron": s.cron} if s.cron else {"rrule": s.rrule}
    out.update(timezone=s.timezone, active=True, slug=f"kalender-{name}")
    return out


def prefect_yaml(defs: list[DeploymentDef] | None = None) -> dict:
    """The content of deployments/prefect.yaml. Runs execute in the directory `prefect deploy`
    was run from (the project root): a build step records it, a pull step goes there."""
    defs = deployment_definitions() if defs is None else defs
    return {
        "name": "kijkglazen",
        "prefect-version": PREFECT_VERSION,
        "build": [{"prefect.deployments.steps.run_shell_script": {
            "id": "project-root", "script": "pwd", "stream_output": False}}],
        "pull": [{"prefect.deployments.steps.set_working_directory": {
            "directory": "{{ project-root.stdout }}"}}],
        "deployments": [
            {
                "name": d.name,
                "description": d.description,
                "tags": list(d.tags),
                "entrypoint": d.entrypoint,
                "parameters": dict(d.parameters),
                "work_pool": {"name": WORK_POOL, "work_queue_name": d.work_queue},
                "schedules": [schedule_yaml(d.name, s) for s in d.schedules],
            }
            for d in defs
        ],
    }


HEADER = """\
# GENERATED from deployments/kalender.yaml by `python -m deployments.definitions --write`; do not edit
# by hand (tests/test_deployments.py checks that this file and the calendar agree).
#
# From the project root: `make prefect-setup` (pool, queues, this file deployed, automations), then
# `make worker`. The runs read their folders from the server's Prefect Variables kijkglas_extracts and
# kijkglas_outbox (`kijkglas configure --extracts DIR --outbox DIR`). Runs execute in the directory the
# deploy was run from (build step `project-root`, pull step); they never write there.
"""


def render_prefect_yaml(defs: list[DeploymentDef] | None = None) -> str:
    return HEADER + yaml.safe_dump(prefect_yaml(defs), sort_keys=False, allow_unicode=True, width=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write or check deployments/prefect.yaml from the calendar.")
    ap.add_argument("--write", action="store_true", help=f"write {PREFECT_YAML}")
    ap.add_argument("--check", action="store_true", help="exit 1 when the file differs from the calendar")
    args = ap.parse_args(argv)
    text = render_prefect_yaml()
    if args.write:
        PREFECT_YAML.write_text(text, encoding="utf-8")
        print(f"geschreven: {PREFECT_YAML}")
        return 0
    if args.check:
        ok = PREFECT_YAML.exists() and yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8")) == prefect_yaml()
        print("prefect.yaml komt overeen met de kalender" if ok else "prefect.yaml wijkt af: draai --write")
        return 0 if ok else 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
