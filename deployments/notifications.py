"""Failures reach someone: the automation that sends a message when a production fails, crashes
or is refused, and the Prefect notification blocks it sends through.

A run of any deployment tagged `kijkglas` (kijkglas-1 … 5, productie, backfill, intrekken,
herstellen) that ends Failed (a refusal too: its state message is the one Dutch line; TimedOut
too) or Crashed (also when the zombie automation in deployments/automations.py marks it so) makes
the server send one message: the run's name, its deployment, the state, the state message and a
link to the run in the UI. The server sends it itself (Prefect's SendNotification action); no worker is needed.

Two channels, either or both, each a Prefect block the automation names:
- a webhook (Prefect's CustomWebhookNotificationBlock): a JSON POST with `text`, `subject`, `body`;
- e-mail over SMTP (`SMTPEmail` below, sent by Apprise). Prefect's core has no SMTP block and
  prefect-email's credentials are no notification block, so this project defines one; the server
  finds it through the `prefect.collections` entry point in pyproject.toml.
Secrets (the SMTP password, a webhook token) are stored in the blocks as secret fields (the UI
shows them masked); the command takes them from an environment variable or a Prefect Secret block.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode

from pydantic import Field, SecretStr
from prefect.blocks.notifications import AbstractAppriseNotificationBlock

NAME = "kijkglas: melding bij mislukte productie"
TAG = "kijkglas"
WEBHOOK_BLOCK = "kijkglas-melding-webhook"
EMAIL_BLOCK = "kijkglas-melding-email"

# Jinja, rendered by the server with the run, its deployment and the filter ui_url (the link needs
# PREFECT_UI_URL, or PREFECT_API_URL, in the server's environment).
SUBJECT = "Kijkglas-run mislukt ({{ flow_run.state.name }}): {{ flow_run.name }}"
BODY = """\
Run: {{ flow_run.name }}
Deployment: {{ deployment.name if deployment else "(geen)" }}
Status: {{ flow_run.state.name }}
Reden: {{ flow_run.state.message or "(geen reden opgegeven)" }}
{% set link = flow_run|ui_url %}{% if link %}In de UI: {{ link }}{% endif %}"""


class SMTPEmail(AbstractAppriseNotificationBlock):
    """E-mail over SMTP as a Prefect notification block (Apprise's e-mail plugin)."""

    _block_type_name = "Kijkglas SMTP e-mail"
    _block_type_slug = "kijkglas-smtp-email"
    _description = "Stuurt meldingen als e-mail via een SMTP-server."

    host: str = Field(description="De SMTP-server.")
    port: int = Field(default=587, description="De poort van de SMTP-server.")
    security: Literal["starttls", "ssl", "geen"] = Field(
        default="starttls",
        description="starttls (poort 587), ssl (poort 465) of geen (een relay in het eigen netwerk).")
    username: str | None = Field(default=None,
                                 description="Gebruikersnaam bij de SMTP-server (leeg: zonder aanmelden).")
    password: SecretStr | None = Field(default=None, description="Wachtwoord bij de SMTP-server.")
    mail_from: str = Field(description="Afzender.")
    mail_to: list[str] = Field(description="Ontvangers.")
    notify_type: Literal["info", "success", "warning", "failure"] = "failure"

    def apprise_url(self) -> SecretStr:
        """Apprise's mailto:// URL for these settings (it holds the password, hence secret)."""
        auth = ""
        if self.username:
            auth = quote(self.username, safe="")
            if self.password:
                auth += ":" + quote(self.password.get_secret_value(), safe="")
            auth += "@"
        query = {"from": self.mail_from, "to": ",".join(self.mail_to), "format": "text"}
        if self.security != "geen":
            query["mode"] = self.security
        schema = "mailto" if self.security == "geen" else "mailtos"
        return SecretStr(f"{schema}://{auth}{self.host}:{self.port}?{urlencode(query)}")

    def block_initialization(self) -> None:
        self._start_apprise_client(self.apprise_url())


@dataclass(frozen=True)
class SMTP:
    """Where the e-mail goes and how it gets there; `password` is the secret itself."""
    host: str
    mail_from: str
    mail_to: tuple[str, ...]
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = None


def webhook_block(url: str, token: str | None = None):
    """A JSON POST to `url` (Slack, Teams and most chat tools read `text`); with a token, sent as
    `Authorization: Bearer …`."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    return CustomWebhookNotificationBlock(
        name="kijkglas", url=url, method="POST",
        json_data={"text": "{{subject}}\n\n{{body}}", "subject": "{{subject}}", "body": "{{body}}"},
        headers={"Authorization": "Bearer {{token}}"} if token else None,
        secrets={"token": token} if token else {})


def email_block(smtp: SMTP) -> SMTPEmail:
    return SMTPEmail(host=smtp.host, port=smtp.port, security=smtp.security, username=smtp.username,
                     password=smtp.password, mail_from=smtp.mail_from, mail_to=list(smtp.mail_to))


def notification_automation(block_ids: list):
    """On a Failed (TimedOut too) or Crashed flow run tagged `kijkglas`: one message per block."""
    from prefect.automations import Automation
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=NAME,
        description="Een productie (of backfill, productiedag, intrekking) die mislukt, crasht of wordt"
                    " geweigerd: stuur een melding met de run, de reden en een link naar de UI.",
        trigger=EventTrigger(
            # events are named by the state's name: TimedOut is a Failed state of its own name
            expect={"prefect.flow-run.Failed", "prefect.flow-run.TimedOut", "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"}),
            match_related=ResourceSpecification({"prefect.resource.role": "tag",
                                                 "prefect.resource.id": f"prefect.tag.{TAG}"}),
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY) for block_id in block_ids],
    )


def replace_automation(automation) -> str:
    """Create `automation` on the server PREFECT_API_URL names, replacing every earlier one of the
    same name (so applying twice leaves one). Returns its id."""
    from prefect.automations import Automation

    while True:
        try:
            Automation.read(name=automation.name).delete()
        except ValueError:  # Prefect: "Automation with name … not found"
            break
    return str(automation.create().id)


def apply_notifications(webhook_url: str | None = None, webhook_token: str | None = None,
                        smtp: SMTP | None = None) -> str:
    """Save the blocks for the channels given (overwriting earlier ones of the same name) and
    (re)create the automation that sends through them. Returns the automation's id."""
    if not webhook_url and not smtp:
        raise ValueError("geen kanaal voor meldingen: geef een webhook of een SMTP-server")
    block_ids = []
    if webhook_url:
        block_ids.append(webhook_block(webhook_url, webhook_token).save(WEBHOOK_BLOCK, overwrite=True))
    if smtp:
        block_ids.append(email_block(smtp).save(EMAIL_BLOCK, overwrite=True))
    return replace_automation(notification_automation(block_ids))
