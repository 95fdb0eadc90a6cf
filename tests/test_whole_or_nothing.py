"""A production is whole or nothing across its SWVs (issue 25): every owner's documents are made and
checked before the first is published; when one owner's fail, no owner's version is published, the
earlier versions stay actueel, no stage is left behind, and the message names the owner and why.
The render pool is a thread pool here, so that a failure can be planted in one owner's documents."""
from __future__ import annotations

import csv
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from core.settings import Settings
from outbox.layout import STAGING
from outbox.publish import withdraw_version
from outbox.change_report import content_key_of_tables, current_content_key
from production import steps
from production.failures import NothingPublished
from tests import handleiding_k1 as h
from tests.readback import read_csv_rows

SJ = "2024-2025"
PRODUCT = "kijkglas-1"
DAY = date(2024, 12, 10)


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    return h.build().write(tmp_path_factory.mktemp("extracts") / "2024-12-06")


def corrected_copy(extract: Path, folder: Path) -> Path:
    """The extract re-issued (stand per 9-12-2024) with the first registration at every vestiging not
    bekostigd: every SWV's figures change."""
    shutil.copytree(extract, folder)
    (folder / "extract.json").write_text(json.dumps({"stand_per": "2024-12-09", "bron": "ROD"}))
    rows = read_csv_rows(folder / "inschrijvingen.csv")
    vestiging, bekostigd, seen = rows[0].index("vestiging_code"), rows[0].index("bekostigd"), set()
    for row in rows[1:]:
        if row[vestiging] not in seen:
            seen.add(row[vestiging])
            row[bekostigd] = "N"
    with open(folder / "inschrijvingen.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return folder


@pytest.fixture
def failing_render(monkeypatch):
    """Documents that fail for the owners put in the returned set (in this process: a thread pool)."""
    failing: set[str] = set()
    render = steps.render_documents

    def render_or_fail(result, folder, report=None):
        written = render(result, folder, report)  # the files are made; the check after them fails
        if steps.owner_of(result) in failing:
            raise ValueError(f"illegal character in {steps.owner_of(result)}")
        return written
    monkeypatch.setattr(steps, "render_documents", render_or_fail)
    monkeypatch.setattr(steps.runtime, "render_pool", lambda processes=None: ThreadPoolExecutor(2))
    return failing


def produce(extract: Path, outbox: Path, day: date = DAY):
    return steps.run_production(PRODUCT, extract, outbox, SJ, day, settings=Settings(), processes=2)


def versions(outbox: Path) -> dict[str, list[tuple[str, str]]]:
    """Per owner its versions with their status."""
    out: dict[str, list[tuple[str, str]]] = {}
    for m in sorted(outbox.glob(f"*/{SJ}/{PRODUCT}/v*/manifest.json")):
        manifest = json.loads(m.read_text())
        out.setdefault(manifest["swv"], []).append((manifest["version"], manifest["status"]))
    return out


def published_files(outbox: Path) -> dict[str, bytes]:
    return {str(p.relative_to(outbox)): p.read_bytes() for p in sorted(outbox.glob(f"*/{SJ}/**/*")) if p.is_file()}


def stages_left(outbox: Path) -> list[str]:
    return sorted(p.name for p in (outbox / STAGING).glob("*")) if (outbox / STAGING).is_dir() else []


def test_one_owner_failing_publishes_no_owner_and_says_which_and_why(extract, tmp_path, failing_render):
    outbox = tmp_path / "outbox"
    failing_render.add(h.VO)  # the last owner: the others' documents are made first
    with pytest.raises(NothingPublished) as failed:
        produce(extract, outbox)
    message = str(failed.value)
    assert message.startswith(f"{PRODUCT} {SJ}: niets gepubliceerd")
    assert f"{h.VO}: ValueError: illegal character in {h.VO}" in message
    assert h.S not in message and h.OTHER not in message
    assert versions(outbox) == {}
    assert not any(p.is_dir() for p in outbox.glob("[!.]*"))  # no SWV folder at all
    assert stages_left(outbox) == []  # no stage and no stage lock left behind

    failing_render.clear()  # the cause mended: the rerun publishes every owner
    assert {o.owner: o.outcome for o in produce(extract, outbox)} == {
        h.S: "gepubliceerd", h.OTHER: "gepubliceerd", h.VO: "gepubliceerd"}
    assert stages_left(outbox) == []


def test_a_failing_correction_leaves_every_actueel_version_as_it_was(extract, tmp_path, failing_render):
    outbox = tmp_path / "outbox"
    produce(extract, outbox)
    before = published_files(outbox)
    corrected = corrected_copy(extract, tmp_path / "extracts" / "2024-12-09")
    failing_render.add(h.OTHER)
    with pytest.raises(NothingPublished, match=h.OTHER):
        produce(corrected, outbox, date(2024, 12, 11))
    assert published_files(outbox) == before  # not one byte of any SWV's folder changed
    assert versions(outbox) == {h.S: [("v1", "actueel")], h.OTHER: [("v1", "actueel")], h.VO: [("v1", "actueel")]}
    assert stages_left(outbox) == []

    failing_render.clear()
    outcomes = {o.owner: (o.outcome, o.version) for o in produce(corrected, outbox, date(2024, 12, 11))}
    assert outcomes == {owner: ("gepubliceerd", "v2") for owner in (h.S, h.OTHER, h.VO)}  # whole, once it can


def test_the_cli_says_the_failure_in_one_line_and_exits_1(extract, tmp_path, failing_render, capsys):
    from kijkglas.cli import main

    outbox = tmp_path / "outbox"
    failing_render.add(h.S)
    code = main(["produce", PRODUCT, "--schooljaar", SJ, "--extract", str(extract), "--outbox", str(outbox),
                 "--productiedatum", DAY.isoformat(), "--no-prefect"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"productie mislukt: {PRODUCT} {SJ}: niets gepubliceerd" in err and f"{h.S}: ValueError" in err
    assert "Traceback" not in err
    assert versions(outbox) == {}


def test_documents_made_before_a_withdrawal_are_made_again_against_the_new_basis(extract, tmp_path):
    """A withdrawal between making the documents and publishing them: the version they name and the
    change report they hold are no longer right, so they are made again before the rename."""
    outbox = tmp_path / "outbox"
    produce(extract, outbox)
    corrected = corrected_copy(extract, tmp_path / "extracts" / "2024-12-09")
    production = steps.compute(PRODUCT, steps.load_extract_once(corrected, None), SJ, date(2024, 12, 11), Settings())
    changed = next(r for r in production.per_swv if content_key_of_tables(r.tables)
                   != current_content_key(outbox, steps.owner_of(r), SJ, PRODUCT)[1])
    owner = steps.owner_of(changed)
    with steps.stages_for([changed], outbox) as (stage,):
        prepared = steps.prepare_for_owner(changed, outbox, "x", stage)
        assert prepared.plan["vervangt"] == "v1" and prepared.changes.basis == "v1"
        withdraw_version(outbox, owner, SJ, PRODUCT, "v1", "fout in de bron")
        outcome = steps.publish_prepared(prepared, changed, outbox, "x")
    assert (outcome.outcome, outcome.version) == ("gepubliceerd", "v2")
    manifest = json.loads((outbox / owner / SJ / PRODUCT / "v2" / "manifest.json").read_text())
    # v1 is withdrawn: nothing is left to compare with, and the documents say why v2 came
    assert manifest["replaces"] is None and manifest["wijzigingen"] is None
    assert versions(outbox)[owner] == [("v1", "ingetrokken"), ("v2", "actueel")]


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_fails_with_the_line_and_publishes_nothing(extract, tmp_path, failing_render, monkeypatch):
    from flows import prefect_tasks
    from flows.kijkglazen import kijkglas_1

    pool = ThreadPoolExecutor(2)
    monkeypatch.setattr(prefect_tasks, "render_pool", lambda: pool)
    outbox = tmp_path / "outbox"
    failing_render.add(h.OTHER)
    state = kijkglas_1(SJ, str(extract), str(outbox), None, DAY, return_state=True)
    assert state.is_failed()
    assert state.message.startswith(f"{PRODUCT} {SJ}: niets gepubliceerd")
    assert f"{h.OTHER}: ValueError: illegal character in {h.OTHER}" in state.message
    assert versions(outbox) == {} and stages_left(outbox) == []

    failing_render.clear()
    state = kijkglas_1(SJ, str(extract), str(outbox), None, DAY, return_state=True)
    assert {o.owner: o.outcome for o in state.result()} == {
        h.S: "gepubliceerd", h.OTHER: "gepubliceerd", h.VO: "gepubliceerd"}
    assert stages_left(outbox) == []
