"""A chart over time for the dashboard: the figures of each version at its stand per and the days a
later extract confirmed a version, on an axis of day numbers (dashboard.js draws it with Chart.js's
linear scale: its time scale needs a date adapter, which is not vendored)."""
from __future__ import annotations

from datetime import date

from outbox.dashboard import figures

_EPOCH = date(1970, 1, 1)
CONFIRMED = "Gecontroleerd, geen wijzigingen"


def _day_number(day: date) -> int:
    return (day - _EPOCH).days


def time_axis(days: list[date]) -> dict:
    """An x axis of day numbers from the first of the first month to the first of the month after the
    last day, a tick labelled dd-mm on the first of each month (Chart.js's own time scale needs a date
    adapter; this needs none)."""
    first, last = min(days), max(days)
    months, month = [], date(first.year, first.month, 1)
    while not months or months[-1] <= last:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return {"min": _day_number(months[0]), "max": _day_number(months[-1]), "title": "stand per",
            "ticks": [[_day_number(m), f"{m:%d-%m}"] for m in months]}


def time_chart_view(chart_id: str, title_text: str, moments: list[dict], series: dict[str, list[int]]) -> dict:
    """A line chart over the stand per (figures.k1_series): a version holds until the next (a stepped
    line), a point at each version, and the days a later extract confirmed a version marked apart;
    the table beside it lists every moment, confirmations included."""
    def point(m: dict, value: int) -> dict:
        return {"x": _day_number(m["day"]), "y": value, "t": m["label"]}
    datasets = [{"label": k, "data": [point(m, v) for m, v in zip(moments, values)], "stepped": True,
                 "pointRadius": [3 if m["kind"] == figures.VERSIE else 0 for m in moments]}
                for k, values in series.items()]
    marks = [point(m, values[i]) for i, m in enumerate(moments) if m["kind"] == figures.BEVESTIGING
             for values in series.values()]
    if marks:
        datasets.append({"label": CONFIRMED, "data": marks, "showLine": False, "pointStyle": "rectRot",
                         "pointRadius": 6, "borderColor": "#000000", "backgroundColor": "#ffffff", "borderWidth": 2})
    return {"id": chart_id, "title": title_text,
            "spec": {"type": "line", "x": time_axis([m["day"] for m in moments]), "datasets": datasets},
            "table": {"columns": ["", *series], "rows": [[m["label"], *(s[i] for s in series.values())]
                                                          for i, m in enumerate(moments)]}}
