"""What the logs show when a production fails on the operator's input (a missing folder, a malformed
file, a bad schooljaar, a refused period): the run's one Dutch line, never a Python traceback. A
traceback is for bugs. The flows return such a failure as a Failed state whose message is that line
(`refused`); this filter keeps Prefect's engine from adding the traceback again, in the terminal,
in the worker's log and in the run's log in the UI."""
from __future__ import annotations

import logging

from prefect.states import Failed

from production.failures import NothingPublished, PartlyPublished, ProductionsFailed
from production.refusals import ProductionRefused
from schemas.extract import ExtractFormatError
from schemas.validate import InvalidExtractError
from tasks.common import ReconciliationError

# refusals of what was given (bad extract, impossible period, unknown SWV code or path), not bugs; and a
# production that published nothing because some SWV's documents failed (each failure's traceback is
# logged where it happened, the run's state says the line)
USER_ERRORS = (ProductionRefused, ProductionsFailed, NothingPublished, PartlyPublished, ExtractFormatError, InvalidExtractError, ReconciliationError,
               FileNotFoundError, NotADirectoryError, ValueError)
# the engine's own wrappers around an exception a run reports in its state message anyway
ENGINE_WRAPPERS = ("Engine execution exited with unexpected exception", "exited with unexpected exception",
                   "Encountered exception during execution", "Task run failed with exception")


def refusal_line(exc: BaseException) -> str:
    """The one line a run's state shows for a user's mistake."""
    if isinstance(exc, InvalidExtractError):
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        return "extract afgekeurd, niets gepubliceerd: " + "; ".join(lines[1:5])[:900]
    if isinstance(exc, ReconciliationError):
        return "reconciliatie mislukt, niets gepubliceerd: " + " ".join(str(exc).split())[:900]
    if isinstance(exc, ProductionsFailed):
        return "niet gelukt: " + "; ".join(exc.failed)
    return " ".join(str(exc).split())


class RunRefused(ProductionRefused):
    """A user's mistake met inside a task, on its way to the flow as one line (the task's state says
    that line, not a report of many); `original` is what was raised, for a direct caller (the CLI)."""

    def __init__(self, original: BaseException):
        super().__init__(refusal_line(original))
        self.original = original

    def __reduce__(self):
        return RunRefused, (self.original,)


def refusing(fn, *args, **kwargs):
    """Call a step inside a task: a user's mistake becomes a RunRefused."""
    try:
        return fn(*args, **kwargs)
    except RunRefused:
        raise
    except USER_ERRORS as exc:
        raise RunRefused(exc) from None


def refused(exc: BaseException, log=None) -> Failed:
    """The Failed state of a run or task refused for a user's mistake: its message is the Dutch line,
    its data the exception (so a direct caller, the CLI, gets the exception itself)."""
    exc = exc.original if isinstance(exc, RunRefused) else exc
    line = refusal_line(exc)
    if log is not None:
        log.warning(line)
    return Failed(message=line, data=exc)


class NoTracebackForUserErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], USER_ERRORS):
            if any(w in str(record.msg) for w in ENGINE_WRAPPERS):
                return False  # the run's state and its own log line already say it
            record.exc_info, record.exc_text = None, None
        return True


def quiet_user_errors() -> None:
    """Drop the tracebacks of user errors from Prefect's handlers (terminal and the API's run log).
    Call inside a flow run (Prefect's logging is set up by then); adding it twice does nothing."""
    seen = set()
    for name in ("", "prefect", "prefect.flow_runs", "prefect.task_runs", "prefect.engine"):
        for handler in logging.getLogger(name).handlers:
            if id(handler) not in seen and not any(isinstance(f, NoTracebackForUserErrors) for f in handler.filters):
                handler.addFilter(NoTracebackForUserErrors())
            seen.add(id(handler))
