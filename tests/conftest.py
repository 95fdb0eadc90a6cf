import sys
from pathlib import Path

# tests import their helpers as `tests.<module>`
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


# --- Prefect: isolated, offline, one harness per test session -----------------------------------
# Set before anything imports prefect: a private PREFECT_HOME (profiles, local DB, results), no
# telemetry, and never an operator's server from the shell environment.
import atexit  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

import pytest  # noqa: E402

_PREFECT_HOME = tempfile.mkdtemp(prefix="kijkglas-test-prefect-")
atexit.register(shutil.rmtree, _PREFECT_HOME, True)
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("PREFECT_PROFILE", None)
os.environ.update({
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_UI_ENABLED": "false",  # the test servers need no UI (starts faster)
})


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API (SQLite in a temp dir) for every flow test of the session
    (starting one costs ~10 s). Rule and product tests do not use it."""
    from prefect.testing.utilities import prefect_test_harness
    with prefect_test_harness(server_startup_timeout=90):
        yield
