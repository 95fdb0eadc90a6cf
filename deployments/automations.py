"""The server-side automation that turns a production whose worker died into a Crashed run.

A flow run sends a heartbeat event every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (Prefect's
default: 180). When a worker machine dies, its runs stop sending them and would stay Running
for ever; this automation marks a run Crashed when no heartbeat (and no final state) follows
the last one within two and a half heartbeats. Then a rerun of the production or backfill does
the work again (and publishes nothing twice: the outbox recognises what is already there).

With a channel the same command also sets up the notifications of deployments/notifications.py
(a message on every Failed or Crashed run tagged `kijkglas`, through a webhook and/or e-mail):

    python -m deployments.automations --apply [--heartbeat-seconds 180]   # once per server
    SMTP_WACHTWOORD=… python -m deployments.automations --apply --smtp-host mail.example.nl \\
        --smtp-user kijkglas --smtp-password-env SMTP_WACHTWOORD --mail-from … --mail-to …
    KIJKGLAS_WEBHOOK_TOKEN=… python -m deployments.automations --apply --webhook https://… \\
        --webhook-token-env KIJKGLAS_WEBHOOK_TOKEN
Secrets never go on the command line: the options name an environment variable (or a Prefect
Secret block) that holds them.
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta

from deployments.notifications import NAME as NOTIFICATION_NAME
from deployments.notifications import SMTP, apply_notifications, replace_automation

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
    return replace_automation(zombie_automation(heartbeat_seconds))


def _secret(args: argparse.Namespace, env_option: str, block_option: str) -> str | None:
    """A secret from the environment variable or the Prefect Secret block the options name."""
    variable, block = getattr(args, env_option), getattr(args, block_option)
    if variable:
        if not os.environ.get(variable):
            raise SystemExit(f"de omgevingsvariabele {variable} is niet gezet of leeg")
        return os.environ[variable]
    if block:
        from prefect.blocks.system import Secret
        try:
            return str(Secret.load(block).get())
        except ValueError:
            raise SystemExit(f"geen Prefect Secret-block met de naam {block!r}") from None
    return None


def _smtp(args: argparse.Namespace, ap: argparse.ArgumentParser) -> SMTP | None:
    if not args.smtp_host:
        if args.mail_to or args.mail_from:
            ap.error("--mail-to en --mail-from horen bij --smtp-host")
        return None
    if not args.mail_to or not args.mail_from:
        ap.error("e-mail via --smtp-host vraagt ook --mail-from en ten minste één --mail-to")
    password = _secret(args, "smtp_password_env", "smtp_password_secret")
    if password and not args.smtp_user:
        ap.error("een SMTP-wachtwoord vraagt ook --smtp-user")
    return SMTP(host=args.smtp_host, port=args.smtp_port, security=args.smtp_security, username=args.smtp_user,
                password=password, mail_from=args.mail_from, mail_to=tuple(args.mail_to))


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description="Create the automations of the Prefect server: runs of a dead worker"
                                             " become Crashed and, with a channel, failed runs send a message.")
    ap.add_argument("--apply", action="store_true", help="create them (without: print the crash automation)")
    ap.add_argument("--heartbeat-seconds", type=int, default=DEFAULT_HEARTBEAT_SECONDS,
                    help="PREFECT_FLOWS_HEARTBEAT_FREQUENCY of the workers (default 180)")
    hook = ap.add_argument_group("notification by webhook (a JSON POST with text, subject and body)")
    hook.add_argument("--webhook", metavar="URL", help="the webhook's URL")
    hook.add_argument("--webhook-token-env", metavar="VAR",
                      help="environment variable holding a token, sent as 'Authorization: Bearer …'")
    hook.add_argument("--webhook-token-secret", metavar="BLOCK", help="or the Prefect Secret block holding it")
    mail = ap.add_argument_group("notification by e-mail over SMTP")
    mail.add_argument("--smtp-host", metavar="H")
    mail.add_argument("--smtp-port", metavar="P", type=int, default=587, help="default 587")
    mail.add_argument("--smtp-security", choices=["starttls", "ssl", "geen"], default="starttls",
                      help="starttls (default), ssl (port 465) or geen (a relay in one's own network)")
    mail.add_argument("--smtp-user", metavar="U")
    mail.add_argument("--smtp-password-env", metavar="VAR", help="environment variable holding the password")
    mail.add_argument("--smtp-password-secret", metavar="BLOCK", help="or the Prefect Secret block holding it")
    mail.add_argument("--mail-from", metavar="A", help="sender address")
    mail.add_argument("--mail-to", metavar="A", action="append", help="recipient (repeat for more)")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    smtp = _smtp(args, ap)
    token = _secret(args, "webhook_token_env", "webhook_token_secret")
    if token and not args.webhook:
        ap.error("een webhook-token vraagt ook --webhook")
    if not args.apply:
        if smtp or args.webhook:
            ap.error("meldingen worden alleen met --apply ingesteld")
        sys.stdout.write(zombie_automation(args.heartbeat_seconds).model_dump_json(indent=2) + "\n")
        return 0
    print(f"automation {NAME!r}: {apply(args.heartbeat_seconds)}")
    if smtp or args.webhook:
        print(f"automation {NOTIFICATION_NAME!r}: {apply_notifications(args.webhook, token, smtp)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
