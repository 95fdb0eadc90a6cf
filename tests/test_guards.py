"""Guards against the mistakes that publish (issue 23): a production outside the calendar's window
for its schooljaar, a backfill or day that finds nothing to do, a production folder in the checkout,
and the dry run that computes everything and writes nothing. Hand-worked; no Prefect server."""
from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from kijkglas.cli import main
from production import kalender, paths, refusals
from tests import handleiding_k1 as h

CAL = kalender.load_kalender()


@pytest.mark.parametrize("product, d, expected", [
    ("kijkglas-1", date(2024, 12, 10), "2024-2025"),  # in its months: the teldatum's schooljaar
    ("kijkglas-1", date(2025, 1, 15), "2024-2025"),   # after December: still the last one made
    ("kijkglas-1", date(2025, 7, 31), "2024-2025"),
    ("kijkglas-1", date(2025, 8, 1), "2025-2026"),    # August: the next cycle begins
    ("kijkglas-1", date(2026, 12, 7), "2026-2027"),
    ("kijkglas-2", date(2025, 7, 10), "2024-2025"),
    ("kijkglas-2", date(2025, 8, 10), "2025-2026"),
    ("kijkglas-3", date(2025, 4, 10), "2024-2025"),
    ("kijkglas-3", date(2025, 6, 20), "2024-2025"),   # a correction in June belongs to April's cycle
    ("kijkglas-3", date(2026, 3, 31), "2024-2025"),   # until the next April
    ("kijkglas-3", date(2026, 4, 1), "2025-2026"),
    ("kijkglas-5", date(2024, 10, 10), "2023-2024"),  # October: the schooljaar before
    ("kijkglas-5", date(2025, 9, 30), "2023-2024"),
])
def test_the_schooljaar_the_calendar_is_on(product, d, expected):
    assert kalender.schooljaar_on(CAL[product], d) == expected


def test_a_production_outside_the_calendars_window_is_refused_unless_asked_for():
    with pytest.raises(refusals.ProductionRefused) as refused:
        refusals.check_in_calendar_window("kijkglas-1", "2019-2020", date(2026, 12, 7), CAL)
    message = str(refused.value)
    assert "kijkglas-1 2019-2020 valt buiten de kalender" in message and "2026-2027" in message
    assert "buiten_kalender" in message and "--buiten-kalender" in message
    refusals.check_in_calendar_window("kijkglas-1", "2019-2020", date(2026, 12, 7), CAL, buiten_kalender=True)
    refusals.check_in_calendar_window("kijkglas-3", "2024-2025", date(2025, 4, 21), CAL)  # a correction


def test_the_cli_refuses_an_old_schooljaar_without_the_switch(tmp_path, capsys):
    extract = h.build().write(tmp_path / "extracts" / "2024-12-06")
    outbox = tmp_path / "outbox"
    rc = main(["produce", "kijkglas-1", "--schooljaar", "2024-2025", "--extract", str(extract), "--outbox",
               str(outbox), "--productiedatum", "2026-12-07", "--no-prefect"])
    assert rc == 1 and "valt buiten de kalender" in capsys.readouterr().err
    assert not outbox.exists() or not [p for p in outbox.iterdir() if not p.name.startswith(".")]
    rc = main(["produce", "kijkglas-1", "--schooljaar", "2024-2025", "--extract", str(extract), "--outbox",
               str(outbox), "--productiedatum", "2026-12-07", "--no-prefect", "--buiten-kalender"])
    assert rc == 0 and (outbox / h.S / "2024-2025" / "kijkglas-1" / "v1").is_dir()


def test_production_folders_are_never_in_the_checkout_nor_relative():
    root = paths.PROJECT_ROOT
    for inside in (root, root / "outbox", root / "flows" / "x", root / "extracts"):
        with pytest.raises(refusals.ProductionRefused, match="ligt in de code van het project"):
            paths.production_path(str(inside), None, "outbox", paths.OUTBOX_VARIABLE, "/data/outbox")
    with pytest.raises(refusals.ProductionRefused, match="geen absoluut pad"):
        paths.production_path("outbox", None, "outbox", paths.OUTBOX_VARIABLE, "/data/outbox")
    with pytest.raises(refusals.ProductionRefused, match="zet de Prefect-variabele kijkglas_outbox"):
        paths.production_path(None, None, "outbox", paths.OUTBOX_VARIABLE, "/data/outbox")
    assert paths.production_path(None, "/data/outbox", "outbox", paths.OUTBOX_VARIABLE, "x") == Path("/data/outbox")
    assert paths.production_path("/srv/o", "/data/outbox", "outbox", paths.OUTBOX_VARIABLE, "x") == Path("/srv/o")
    assert not paths.in_source_tree(root / "demo" / "outbox")  # the demo's own data folder


def test_a_backfill_without_extracts_for_its_days_says_why(tmp_path):
    from flows.kalender import backfill_plan, day_plan

    with pytest.raises(refusals.ProductionRefused, match="geen extracten in"):
        backfill_plan("2024-2025", str(tmp_path), None, None)
    h.build().write(tmp_path / "2024-12-06")
    with pytest.raises(refusals.ProductionRefused, match="de eerste is 10-08-2019.*stand per 06-12-2024"):
        backfill_plan("2019-2020", str(tmp_path), None, None)
    assert {p.product for p in backfill_plan("2024-2025", str(tmp_path), ["kijkglas-1"], None)} == {"kijkglas-1"}

    class Log:
        def info(self, *a):
            pass
    with pytest.raises(refusals.ProductionRefused, match="vraagt de kalender geen enkel product van kijkglas-3"):
        day_plan(date(2024, 12, 10), str(tmp_path), None, ["kijkglas-3"], Log())
    with pytest.raises(refusals.ProductionRefused, match="geen extract met stand per op of vóór 10-11-2024"):
        day_plan(date(2024, 11, 10), str(tmp_path), None, None, Log())


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_dry_run_says_per_swv_what_would_happen_and_writes_nothing(tmp_path, capsys):
    extract = h.build().write(tmp_path / "extracts" / "2024-12-06")
    outbox = tmp_path / "outbox"
    base = ["produce", "kijkglas-1", "--schooljaar", "2024-2025", "--extract", str(extract), "--outbox", str(outbox),
            "--productiedatum", "2024-12-10", "--no-prefect"]
    assert main(base + ["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"{h.S} kijkglas-1 2024-2025: zou gepubliceerd worden: v1 (eerste versie)" in out
    assert "droge run: er is niets geschreven" in out and not outbox.exists()  # not even a report

    assert main(base) == 0
    before = _tree(outbox)
    capsys.readouterr()
    assert main(base + ["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"{h.S} kijkglas-1 2024-2025: zou ongewijzigd blijven: v1" in out
    assert _tree(outbox) == before

    # a corrected extract without the (v)so registration I000002: v2 would be published, with the change in words
    ins = (extract / "inschrijvingen.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert ins[2].startswith("I000002,")
    (extract / "inschrijvingen.csv").write_text("".join(ins[:2] + ins[3:]), encoding="utf-8")
    assert main(base + ["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "zou gepubliceerd worden: v2 (" in out and _tree(outbox) == before


def test_a_dask_address_is_a_scheduler_address_or_nothing(capsys):
    from prefect.exceptions import ParameterTypeError

    from flows.kijkglazen import kijkglas_1
    with pytest.raises(ParameterTypeError):
        kijkglas_1.validate_parameters({"dask_address": "file:///etc/passwd"})
    assert kijkglas_1.validate_parameters({"dask_address": "tcp://dask:8786"})["dask_address"] == "tcp://dask:8786"
    with pytest.raises(SystemExit) as usage:
        main(["run", "--date", "2024-12-10", "--extracts", ".", "--outbox", "o", "--dask-address", "http://x/y"])
    assert usage.value.code == 2 and "geen adres van een Dask-scheduler" in capsys.readouterr().err


def test_an_empty_schooljaar_is_the_one_the_calendar_is_on(tmp_path):
    """A manual Kijkglas 1 in March without a schooljaar reruns last October's teldatum, not one to come."""
    from production.request import production_request

    extract = h.build().write(tmp_path / "2024-12-06")
    req = production_request("kijkglas-1", None, tmp_path, tmp_path / "outbox", date(2025, 3, 10))
    assert req.schooljaar == "2024-2025" and req.extract_dir == extract
    assert production_request("kijkglas-1", None, tmp_path, tmp_path, date(2024, 12, 10)).schooljaar == "2024-2025"
