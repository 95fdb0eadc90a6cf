"""A successful production on the embedded (ephemeral) Prefect server, run as an operator runs it
(`kijkglas produce` in its own process, none of the test suite's telemetry switches), logs no ERROR
or WARNING line and no traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import handleiding_k1 as h

REPO = Path(__file__).resolve().parents[1]


def test_a_successful_cli_run_on_the_embedded_server_logs_no_error(tmp_path):
    extract = h.build().write(tmp_path / "extracts" / "2024-12-06")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "DO_NOT_TRACK"))}  # the CLI's own defaults must do it
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # a fresh machine: no profile, no database
    run = subprocess.run(
        [sys.executable, "-m", "kijkglas.cli", "produce", "kijkglas-1", "--schooljaar", "2024-2025",
         "--extract", str(extract), "--outbox", str(tmp_path / "outbox"), "--productiedatum", "2024-12-10"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "| INFO" in log  # the log is Prefect's, in its usual format
    assert "gepubliceerd" in log
    bad = [line for line in log.splitlines() if "| ERROR" in line or "| WARNING" in line or "Traceback" in line]
    assert not bad, "\n".join(bad)
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir() if not p.name.startswith("."))
