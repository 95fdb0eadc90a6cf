"""The one jinja2 environment over templates/: the PDFs and the outbox's index pages share its
loader, escaping, strictness and filters."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from core.dates import format_datum, format_tijdstip
from documents.values import format_aantal, format_euro, format_nl

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"


@lru_cache(maxsize=None)
def template_environment(keep_trailing_newline: bool = False):
    """Autoescaped, StrictUndefined (a missing value is an error, not an empty cell), with the
    filters `nl`, `euro`, `aantal`, `datum` and `tijdstip`. An index page keeps its final newline."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
    env.filters.update(nl=format_nl, euro=format_euro, aantal=format_aantal, datum=format_datum,
                       tijdstip=format_tijdstip)
    return env
