"""Failures reach someone: `python -m deployments.automations --apply` with a webhook and an SMTP
server sets up the automation, and a failed (refused) or crashed run of a `kijkglas` deployment
makes a real `prefect server start` send one message to each: a local HTTP receiver and a local
SMTP server (aiosmtpd, with a login) started here. Applied twice (the SMTP password once from an
environment variable, once from a Prefect Secret block), it leaves one automation. A run without the
tag sends nothing. The server logs no ERROR line."""
from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deployments import automations
from deployments.notifications import NAME, SMTPEmail
from tests.prefect_stack import ROOT, api, error_lines, free_port, prefect_server

UI = "http://kijkglas.test"  # the server's PREFECT_UI_URL: the base of the link in the message
TOKEN, PASSWORD = "webhook-geheim-123", "smtp-geheim:456@"
REDEN = "Kijkglas 2 van 2024-2025 geweigerd: geen extract met stand per op of na 01-08-2024 in /data/extracts."


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


class Mailbox:
    """aiosmtpd's handler and authenticator: keeps every message and every login."""

    def __init__(self):
        self.messages, self.logins = [], []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"kijkglas", PASSWORD.encode()))


def _wait_for(found, what: str, seconds: float = 40):
    deadline = time.monotonic() + seconds
    while not (result := found()):
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {seconds} s")
        time.sleep(0.5)
    return result


@pytest.mark.integration
def test_a_failed_or_crashed_production_reaches_the_webhook_and_the_mailbox(tmp_path, monkeypatch):
    from aiosmtpd.controller import Controller
    from prefect import flow
    from prefect.blocks.system import Secret
    from prefect.client.orchestration import get_client
    from prefect.events.worker import EventsWorker
    from prefect.states import Crashed, Failed, Running

    Receiver.received = []
    http = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    webhook = f"http://127.0.0.1:{http.server_address[1]}/melding"
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port(), authenticator=mailbox, auth_require_tls=False)
    smtp.start()
    try:
        with prefect_server(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/prefect.db", {"PREFECT_UI_URL": UI}) as (url, env, _):
            options = ["--webhook", webhook, "--webhook-token-env", "TEST_WEBHOOK_TOKEN",
                       "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port), "--smtp-security", "geen",
                       "--smtp-user", "kijkglas", "--mail-from", "kijkglas@example.nl", "--mail-to", "beheer@example.nl"]
            applied = subprocess.run([sys.executable, "-m", "deployments.automations", "--apply", *options,
                                      "--smtp-password-env", "TEST_SMTP_PASSWORD"], cwd=ROOT,
                                     env={**env, "TEST_WEBHOOK_TOKEN": TOKEN, "TEST_SMTP_PASSWORD": PASSWORD},
                                     capture_output=True, text=True, timeout=60)
            assert applied.returncode == 0, applied.stdout + applied.stderr
            assert TOKEN not in applied.stdout + applied.stderr and PASSWORD not in applied.stdout + applied.stderr

            with api(url), get_client(sync_client=True) as client:
                # applying again (in-process, the SMTP password now from a Prefect Secret block) leaves one
                Secret(value=PASSWORD).save("smtp-wachtwoord")
                monkeypatch.setenv("TEST_WEBHOOK_TOKEN", TOKEN)
                assert automations.main(["--apply", *options, "--smtp-password-secret", "smtp-wachtwoord"]) == 0
                names = [a.name for a in client.read_automations()]
                assert sorted(names) == sorted([NAME, automations.NAME])

                flow_id = client.create_flow(flow(lambda: None, name="kijkglas-2"))
                deployment_id = client.create_deployment(flow_id, "kijkglas-2", tags=["kijkglas"])
                untagged = client.create_flow_run(flow(lambda: None, name="iets-anders"), name="niet-van-kijkglas")
                refused = client.create_flow_run_from_deployment(deployment_id, name="kijkglas-2 2024-2025 · 10-03-2025")
                crashed = client.create_flow_run_from_deployment(deployment_id, name="kijkglas-2 2024-2025 · 10-04-2025")
                for run, end in [(untagged, Failed(message="niet melden")), (refused, Failed(message=REDEN)),
                                 (crashed, Crashed(message="Geen hartslag meer van deze run: de worker is weggevallen."))]:
                    client.set_flow_run_state(run.id, Running(), force=True)
                    client.set_flow_run_state(run.id, end, force=True)

                # what this process's event client still holds goes to this server now: the session's
                # test harness drains every events worker when it stops, and this server will be gone
                EventsWorker.drain_all(timeout=60)
            posts = _wait_for(lambda: len(Receiver.received) >= 2 and Receiver.received, "two webhook calls")
            mails = _wait_for(lambda: len(mailbox.messages) >= 2 and mailbox.messages, "two e-mails")
            time.sleep(2)  # a message for the untagged run would have come by now
        assert not (lines := error_lines(tmp_path / "server.log")), "server logged ERROR:\n" + "\n".join(lines)
    finally:
        smtp.stop()
        http.shutdown()

    by_run = {p["subject"].split(": ", 1)[1]: (headers, p) for headers, p in posts}
    assert set(by_run) == {refused.name, crashed.name}
    headers, post = by_run[refused.name]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert post["subject"] == f"Kijkglas-run mislukt (Failed): {refused.name}"
    assert post["body"] == (f"Run: {refused.name}\nDeployment: kijkglas-2\nStatus: Failed\nReden: {REDEN}\n"
                            f"In de UI: {UI}/runs/flow-run/{refused.id}")
    assert post["text"] == post["subject"] + "\n\n" + post["body"]
    assert "Status: Crashed\nReden: Geen hartslag meer" in by_run[crashed.name][1]["body"]

    assert mailbox.logins[0] == ("kijkglas", PASSWORD)
    mail = next(m for m in mails if refused.name in m["Subject"])
    assert (mail["From"], mail["To"]) == ("kijkglas@example.nl", "beheer@example.nl")
    assert mail.get_content().splitlines() == post["body"].splitlines()  # CRLF in mail
    assert len(Receiver.received) == len(mailbox.messages) == 2  # nothing for the untagged run


def test_the_smtp_url_quotes_user_and_password():
    block = SMTPEmail(host="mail.example.nl", port=465, security="ssl", username="kijk glas", password="p@ss:w/rd?",
                      mail_from="kijkglas@example.nl", mail_to=["a@example.nl", "b@example.nl"])
    assert block.apprise_url().get_secret_value() == (
        "mailtos://kijk%20glas:p%40ss%3Aw%2Frd%3F@mail.example.nl:465"
        "?from=kijkglas%40example.nl&to=a%40example.nl%2Cb%40example.nl&format=text&mode=ssl")


@pytest.mark.parametrize("argv, message", [
    (["--smtp-host", "h", "--mail-from", "a@b.nl"], "--mail-from en ten minste één --mail-to"),
    (["--mail-to", "a@b.nl"], "--mail-to en --mail-from horen bij --smtp-host"),
    (["--webhook", "http://h/x"], "alleen met --apply"),
])
def test_incomplete_options_are_a_one_line_usage_error(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        automations.main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_secret_from_an_unset_variable_is_refused_in_one_line(monkeypatch):
    monkeypatch.delenv("KIJKGLAS_TEST_LEEG", raising=False)
    with pytest.raises(SystemExit, match="^de omgevingsvariabele KIJKGLAS_TEST_LEEG is niet gezet of leeg$"):
        automations.main(["--apply", "--webhook", "http://h/x", "--webhook-token-env", "KIJKGLAS_TEST_LEEG"])
