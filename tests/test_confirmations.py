"""Confirmations: a production whose tables equal the actueel version's records that the newer extract
confirmed it (bevestigingen.json beside the versions, indexed in the register), and a correction
extract is judged against the newest stand per that made or confirmed a version, so it lands the
same way for every SWV. Two PO SWVs on hand-made Kijkglas 1 extracts, without Prefect:

    06-10  both get v1
    06-11  A: a late registration (v2); B: unchanged (v1 confirmed t/m 06-11)
    20-10  a correction of October, run afterwards: skipped for A and B alike
"""
from __future__ import annotations

import argparse
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from core.settings import Settings
from kijkglas import commands
from outbox.confirmations import record_confirmation
from outbox.layout import CONFIRMATIONS, REGISTER_FILE
from outbox.status import check_outbox_integrity, current_versions
from production.steps import SwvOutcome, changed_by_owner, run_production
from tests.builder import ExtractBuilder

SJ, PRODUCT = "2024-2025", "kijkglas-1"
A, B = "PO0101", "PO0202"


@pytest.fixture(autouse=True)
def _default_register(monkeypatch):
    monkeypatch.delenv("KIJKGLAS_REGISTER", raising=False)


def extract(root: Path, stand_per: str, late_pupil_a: bool = False, corrected: bool = False) -> Path:
    b = ExtractBuilder(stand_per=stand_per)
    for swv, pc4, school in ((A, "1000", "11BA00"), (B, "2000", "22BA00")):
        b.swv(swv)
        b.pc4(pc4, swv_po=swv)
        b.vestiging(school, "BAO", swv)
    for pc4, school in (("1000", "11BA00"), ("1000", "11BA00"), ("2000", "22BA00"), ("2000", "22BA00")):
        ended = "2024-08-31" if corrected else None  # the correction: everyone's second pupil left in August
        b.inschrijving(b.leerling(pc4=pc4, geboortedatum="2017-03-03"), school,
                       einddatum=ended if len(b.rows["inschrijvingen"]) % 2 else None)
    if late_pupil_a:  # registered in September, reported after the October extract
        b.inschrijving(b.leerling(pc4="1000", geboortedatum="2016-02-02"), "11BA00", begindatum="2024-09-02")
    return b.write(root / "extracts" / stand_per)


def produce(root: Path, folder: Path, on: str) -> dict[str, SwvOutcome]:
    outcomes = run_production(PRODUCT, folder, root / "outbox", SJ, date.fromisoformat(on), settings=Settings(),
                              processes=1)
    return {o.owner: o for o in outcomes}


def confirmations_file(outbox: Path, owner: str) -> Path:
    return outbox / owner / SJ / PRODUCT / CONFIRMATIONS


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """The outbox after October and November, and the outcomes of each."""
    root = tmp_path_factory.mktemp("confirm")
    october = produce(root, extract(root, "2024-10-06"), "2024-10-10")
    november = produce(root, extract(root, "2024-11-06", late_pupil_a=True), "2024-11-10")
    return root, october, november


def test_an_unchanged_month_records_the_confirmation_once(months):
    root, october, november = months
    outbox = root / "outbox"
    assert {o.outcome for o in october.values()} == {"gepubliceerd"}
    assert (november[A].outcome, november[A].version) == ("gepubliceerd", "v2")
    b = november[B]
    assert (b.outcome, b.version, b.bevestigd_tot, b.bevestiging_nieuw) == ("ongewijzigd", "v1", "2024-11-06", True)
    assert b.__dict__["bevestigd_tot"] == "2024-11-06"  # as the flows hand outcomes on (the run's summary says it)
    assert not confirmations_file(outbox, A).exists()
    recorded = json.loads(confirmations_file(outbox, B).read_text())
    assert [(c["version"], c["stand_per"], c["aanmaakdatum"]) for c in recorded["bevestigingen"]] == [
        ("v1", "2024-11-06", "2024-11-10")]
    assert recorded["bevestigingen"][0]["extract"]  # the extract's identity
    # the published version itself is not touched
    assert json.loads((outbox / B / SJ / PRODUCT / "v1" / "manifest.json").read_text())["stand_per"] == "2024-10-06"
    assert check_outbox_integrity(outbox) == []

    # the same production again, and again on a later day: nothing new
    before = confirmations_file(outbox, B).read_bytes()
    for day in ("2024-11-10", "2024-11-11"):
        again = produce(root, root / "extracts" / "2024-11-06", day)
        assert (again[B].outcome, again[B].bevestigd_tot, again[B].bevestiging_nieuw) == (
            "ongewijzigd", "2024-11-06", False)
        assert again[A].outcome == "ongewijzigd" and again[A].bevestigd_tot == "2024-11-06"
    assert confirmations_file(outbox, B).read_bytes() == before
    assert not confirmations_file(outbox, A).exists()  # A's v2 was made by that extract: no confirmation

    # an older stand per than the newest confirmation, or the version's own, changes nothing
    for stand_per in ("2024-10-20", "2024-10-06"):
        c = record_confirmation(outbox, B, SJ, PRODUCT, "v1", stand_per, "x" * 64, "2024-11-12")
        assert (c.recorded, c.through) == (False, "2024-11-06")
    # nor does a confirmation of a version that is no longer actueel
    assert not record_confirmation(outbox, A, SJ, PRODUCT, "v1", "2024-12-06", "x" * 64, "2024-12-10").recorded
    assert confirmations_file(outbox, B).read_bytes() == before


def test_a_correction_after_a_confirming_month_is_skipped_for_every_swv(months, tmp_path):
    root, _, _ = months
    outbox = root / "outbox"
    before = {p: p.read_bytes() for p in outbox.glob("*/*/*/v*/data/*.csv")}
    correction = produce(root, extract(root, "2024-10-20", corrected=True), "2024-11-12")
    # A's data changed in November, B's did not: the November extract stands for both
    assert {o: (c.outcome, c.version) for o, c in correction.items()} == {
        A: ("overgeslagen", None), B: ("overgeslagen", None)}
    assert sorted(p.name for p in (outbox / B / SJ / PRODUCT).glob("v*")) == ["v1"]
    assert {p: p.read_bytes() for p in outbox.glob("*/*/*/v*/data/*.csv")} == before


def test_the_register_is_rebuilt_and_migrated_from_the_folders(months, tmp_path):
    root, _, _ = months
    outbox = root / "outbox"
    want = {A: None, B: "2024-11-06"}
    (outbox / REGISTER_FILE).unlink()
    for suffix in ("-wal", "-shm"):
        (outbox / f"{REGISTER_FILE}{suffix}").unlink(missing_ok=True)
    cur = current_versions(outbox)  # rebuilt from the folders
    assert dict(zip(cur["swv"], cur["bevestigd_tot"])) == want
    # a register made before confirmations existed gets the table and its rows when opened
    with sqlite3.connect(outbox / REGISTER_FILE) as conn:
        conn.execute("DROP TABLE confirmations")
    cur = current_versions(outbox, reconcile=False)
    assert dict(zip(cur["swv"], cur["bevestigd_tot"])) == want
    assert check_outbox_integrity(outbox) == []
    # a row the folder does not hold is an integrity problem, and reconciling removes it
    with sqlite3.connect(outbox / REGISTER_FILE) as conn:
        conn.execute("DELETE FROM confirmations")
    assert any("bevestiging 2024-11-06 van v1 ontbreekt" in p for p in check_outbox_integrity(outbox))
    assert dict(zip(*current_versions(outbox)[["swv", "bevestigd_tot"]].T.values)) == want
    assert check_outbox_integrity(outbox) == []


def test_status_shows_how_far_a_version_is_confirmed(months, capsys):
    root, _, _ = months
    assert commands.cli_status(argparse.Namespace(outbox=root / "outbox", swv=None), Settings()) == 0
    out = capsys.readouterr().out
    section_b = out.split(f"== {B} ==")[1]
    header, row = section_b.strip().splitlines()[:2]
    assert "bevestigd t/m" in header
    assert "06-10-2024" in row and "06-11-2024" in row
    section_a = out.split(f"== {A} ==")[1].split("==")[0]
    assert "06-11-2024" in section_a.splitlines()[2] and section_a.count("06-11-2024") == 1  # v2's own stand per


def test_the_dashboard_shows_the_confirmation(months):
    root, _, _ = months
    outbox = root / "outbox"
    overview = (outbox / B / "index.html").read_text(encoding="utf-8")
    assert "gecontroleerd t/m stand per 06-11-2024: geen wijzigingen" in overview
    history = (outbox / B / "dashboard" / "historie.html").read_text(encoding="utf-8")
    check = history.index("gecontroleerd t/m stand per 06-11-2024: geen wijzigingen; v1 blijft actueel")
    assert check < history.index('status-actueel">actueel')  # newest first: after v1, the only version
    assert "productie van 10-11-2024" in history
    for page in ("index.html", "dashboard/historie.html"):
        assert "gecontroleerd t/m" not in (outbox / A / page).read_text(encoding="utf-8")


def test_a_new_confirmation_remakes_only_the_overview_and_history():
    def outcome(owner, result, nieuw=False):
        return SwvOutcome(owner=owner, product=PRODUCT, schooljaar=SJ, outcome=result, version="v1",
                          stand_per="2024-11-06", bevestigd_tot="2024-11-06" if result == "ongewijzigd" else None,
                          bevestiging_nieuw=nieuw)
    outcomes = [outcome(A, "gepubliceerd"), outcome(B, "ongewijzigd", nieuw=True), outcome("PO0303", "ongewijzigd"),
                outcome("openbaar", "ongewijzigd", nieuw=True)]
    assert changed_by_owner(outcomes) == {A: [(SJ, PRODUCT)], B: []}
