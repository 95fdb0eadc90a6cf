"""The terminal's share of Prefect's log when a production fails on the operator's input: the
ERROR line says what failed, and the CLI says what to do; the Python traceback is for bugs only.
(The run's log in the Prefect UI keeps everything.)"""
from __future__ import annotations

import logging

from production.refusals import ProductionRefused, ProductionsFailed
from schemas.extract import ExtractFormatError
from schemas.validate import InvalidExtractError
from tasks.common import ReconciliationError

# refusals of what was given (bad extract, impossible period, unknown SWV code or path), not bugs
USER_ERRORS = (ProductionRefused, ProductionsFailed, ExtractFormatError, InvalidExtractError, ReconciliationError,
               FileNotFoundError, NotADirectoryError, ValueError)


class NoTracebackForUserErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], USER_ERRORS):
            record.exc_info, record.exc_text = None, None
        return True


def quiet_user_errors() -> None:
    """Drop the tracebacks of user errors from Prefect's console handler (call after Prefect's
    logging is set up, i.e. after importing a flow)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for handler in logging.getLogger().handlers + logging.getLogger("prefect").handlers:
        if isinstance(handler, PrefectConsoleHandler) and not any(
                isinstance(f, NoTracebackForUserErrors) for f in handler.filters):
            handler.addFilter(NoTracebackForUserErrors())
