"""The production line on the small monthly series, through Prefect (one session harness):
backfill publishes what the calendar and the extracts call for, a second backfill changes no
byte, and a corrected re-issue run for its month gives the next version with a change report."""
from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from core.settings import Settings
from kijkglas.synthetic import generate_series
from schemas.extract import read_extract
from tests.test_flows import operator_note
from outbox.change_report import content_key_of_tables
from production import kalender
from production.audit import audit_outbox
from production.steps import compute

pytestmark = pytest.mark.usefixtures("prefect_harness")
SJ = "2024-2025"


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    root = tmp_path_factory.mktemp("series")
    generate_series(profile="small", schooljaar=SJ, out=root, seed=1)
    return root



def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".locks" not in p.parts
            and p not in operator_note(folder)  # when the last production ran may change
            and p.parent != folder / ".operator" / "producties"}  # what each run did: one file per run


def expected_k1_versions(series: Path) -> dict[str, int]:
    """Versions per SWV, worked out without the pipeline: one per production whose tables differ
    from the previous production's (Kijkglas 1 runs on the 10th of August … December)."""
    keys: dict[str, list[str]] = {}
    for p in kalender.production_dates(SJ, kalender.load_kalender(), ["kijkglas-1"]):
        ex = read_extract(kalender.newest_extract_on(series, p.datum))
        for r in compute("kijkglas-1", ex, SJ, p.datum, Settings()).per_swv:
            keys.setdefault(r.swv.swv_code, []).append(content_key_of_tables(r.tables))
    return {swv: 1 + sum(a != b for a, b in zip(k, k[1:])) for swv, k in keys.items()}


def test_backfill_publishes_what_the_calendar_calls_for_and_reruns_change_nothing(series, tmp_path):
    from flows.kalender import backfill
    outbox = tmp_path / "outbox"
    backfill(SJ, str(series), str(outbox), producten=["kijkglas-1", "kijkglas-4", "kijkglas-5"])
    expected = expected_k1_versions(series)
    for swv, n in expected.items():
        versions = sorted(p.name for p in (outbox / swv / SJ / "kijkglas-1").iterdir() if p.is_dir())
        assert versions == [f"v{i}" for i in range(1, n + 1)], swv
        statuses = [json.loads((outbox / swv / SJ / "kijkglas-1" / v / "manifest.json").read_text())["status"]
                    for v in versions]
        assert statuses == ["vervangen"] * (n - 1) + ["actueel"]
    assert max(expected.values()) > 1  # the months do differ
    # Kijkglas 4 once (April, PO SWVs only); Kijkglas 5 once (October, about 2023-2024)
    assert sorted(p.parts[-4] for p in outbox.glob("*/2024-2025/kijkglas-4/v1")) == sorted(
        s for s in expected if s.startswith("PO"))
    assert len(list(outbox.glob("PO*/2023-2024/kijkglas-5/v1/manifest.json"))) == len(
        [s for s in expected if s.startswith("PO")])
    assert audit_outbox(outbox, series, Settings()) == []

    before = tree_hashes(outbox)
    backfill(SJ, str(series), str(outbox), producten=["kijkglas-1", "kijkglas-4", "kijkglas-5"])
    assert tree_hashes(outbox) == before


def test_corrected_reissue_gives_the_next_version_with_a_change_report(series, tmp_path):
    from flows.kalender import productie
    outbox = tmp_path / "outbox"
    productie(date(2024, 11, 10), str(series), str(outbox), producten=["kijkglas-1"])
    correction = json.loads((series / "series.json").read_text())["correctie"]
    productie(date(2024, 11, 12), str(series), str(outbox), producten=["kijkglas-1"])  # uses 2024-11-11
    changed = [p for p in outbox.glob("*/2024-2025/kijkglas-1/v2")]
    assert changed, "the corrected extract changes at least one SWV's Kijkglas 1"
    for v2 in changed:
        m2 = json.loads((v2 / "manifest.json").read_text())
        m1 = json.loads((v2.parent / "v1" / "manifest.json").read_text())
        assert m1["status"] == "vervangen" and m2["status"] == "actueel"
        assert m2["stand_per"] == "2024-11-11" and (v2 / "wijzigingen.xlsx").exists()
        report = json.dumps(m2["wijzigingen"])
        assert "k1_" in report
    # the change reports name the corrected pupils (rows of bestand 2 added or changed)
    ex = read_extract(series / "2024-11-11")
    ids = {w["id"] for w in correction["wijzigingen"]}
    pupils = set(ex.inschrijvingen.loc[ex.inschrijvingen["inschrijving_id"].isin(ids), "leerling_id"])
    pupils |= set(ex.tlv.loc[ex.tlv["tlv_nummer"].isin(ids), "leerling_id"])
    named = set()
    for v2 in changed:
        wb = openpyxl.load_workbook(v2 / "wijzigingen.xlsx", read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                named |= {str(c) for c in row if c is not None}
    assert any(p in cell for p in pupils for cell in named)
