"""The server-side automation that turns a production whose worker died into a Crashed run.

A flow run sends a heartbeat event every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (Prefect's
default: 180). When a worker machine dies, its runs stop sending them and would stay Running
for ever; this automation marks a run Crashed when no heartbeat (and no final state) follows
the last one within two and a half heartbeats. Then a rerun of the production or backfill does
the work again (and publishes nothing twice: the outbox recognises what is already there).

    python -m deployments.automations --apply [--heartbeat-seconds 180]   # once per server
"""
from __future__ import annotations

import argparse
import sys
from datetime import timedelta

NAME = "kijkglas: runs zonder hartslag worden Crashed"
DEFAULT_HEARTBEAT_SECONDS = 180


def zombie_automation(heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS):
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=NAME,
        description="Een productie waarvan de worker is weggevallen stuurt geen hartslag meer: markeer haar als Crashed.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=int(heartbeat_seconds * 2.5)),
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED,
                                    message="Geen hartslag meer van deze run: de worker is weggevallen.")],
    )


def apply(heartbeat_seconds: int = DEFAULT_HEARTBEAT_SECONDS) -> str:
    """Create the automation on the server PREFECT_API_URL names, replacing an earlier one of
    the same name. Returns its id."""
    from prefect.automations import Automation

    while True:  # every earlier one of this name
        try:
            Automation.read(name=NAME).delete()
        except ValueError:  # Prefect: "Automation with name … not found"
            break
    return str(zombie_automation(heartbeat_seconds).create().id)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Create the automation that marks runs of a dead worker Crashed.")
    ap.add_argument("--apply", action="store_true")
    ap.add_argument("--heartbeat-seconds", type=int, default=DEFAULT_HEARTBEAT_SECONDS,
                    help="PREFECT_FLOWS_HEARTBEAT_FREQUENCY of the workers (default 180)")
    args = ap.parse_args(argv)
    if not args.apply:
        sys.stdout.write(zombie_automation(args.heartbeat_seconds).model_dump_json(indent=2) + "\n")
        return 0
    print(f"automation {NAME!r}: {apply(args.heartbeat_seconds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
