"""How a date reads for a person: dd-mm-jjjj (the handleiding's notation) in every document,
page and CLI listing. Files for machines (CSV, manifests) keep ISO dates."""
from __future__ import annotations

from datetime import date, datetime


def format_datum(value) -> str:
    """dd-mm-jjjj of a date, a datetime or ISO text ('2024-10-01'); '' for nothing; any other
    text unchanged (a schooljaar such as '2024-2025' stays as it is)."""
    if value is None or value == "":
        return ""
    if isinstance(value, (date, datetime)):  # pd.Timestamp is a datetime too
        return value.strftime("%d-%m-%Y")
    text = str(value)
    try:
        return date.fromisoformat(text).strftime("%d-%m-%Y") if len(text) == 10 else text
    except ValueError:
        return text


def format_tijdstip(value) -> str:
    """dd-mm-jjjj hh:mm of a datetime or ISO timestamp (local time as recorded); '' for nothing;
    other text unchanged."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d-%m-%Y %H:%M")
    try:
        return datetime.fromisoformat(str(value)).strftime("%d-%m-%Y %H:%M")
    except ValueError:
        return str(value)
