"""Flow tests: the Prefect flows on the handleiding's Kijkglas 1 extract, against one temporary
Prefect API for the whole session (tests/conftest.py `prefect_harness`)."""
from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from tests import handleiding_k1 as h

pytestmark = pytest.mark.usefixtures("prefect_harness")

STAND_PER = "2024-12-06"
SWVS = [h.S, h.OTHER, h.VO]  # PO9901, PO9902, VO9901
DAG = date(2024, 12, 10)     # a Kijkglas 1 production day


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:
    """A folder of extracts holding the handleiding extract (stand per 6-12-2024)."""
    folder = tmp_path_factory.mktemp("extracts")
    h.build().write(folder / STAND_PER)
    return folder


def tree_hashes(outbox: Path) -> dict[str, str]:
    """SHA-256 of every file in the outbox (the register included), but the operator's notes of
    when the last production ran and what each run did."""
    return {str(p.relative_to(outbox)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(outbox.rglob("*")) if p.is_file() and p not in operator_note(outbox)
            and p.parent != outbox / ".operator" / "producties"}


def operator_note(outbox: Path) -> set[Path]:
    return {outbox / "index.html", outbox / ".operator" / "laatste-producties.json"}


def version_dirs(outbox: Path) -> list[Path]:
    return sorted(p for p in outbox.glob("*/*/*/v*") if p.is_dir() and not p.parts[-4].startswith("."))


def read_artifact(flow_run_id, key: str):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[key]), flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    assert len(found) == 1, f"artifact {key} of flow run {flow_run_id}: {found}"
    return found[0]


def run_k1(extract: Path, outbox: Path, schooljaar: str | None = "2024-2025"):
    """The kijkglas-1 flow for 2024-2025 on 10-12-2024; returns (outcomes, flow run id)."""
    from flows.kijkglazen import kijkglas_1

    state = kijkglas_1(schooljaar, str(extract), str(outbox), None, DAG, return_state=True)
    return state.result(), state.state_details.flow_run_id


@pytest.fixture(scope="module")
def first_run(extracts, tmp_path_factory):
    """Schooljaar empty, as in a scheduled run: the calendar gives 2024-2025 for 10-12-2024."""
    outbox = tmp_path_factory.mktemp("outbox")
    outcomes, run_id = run_k1(extracts / STAND_PER, outbox, schooljaar=None)
    return outbox, outcomes, run_id, tree_hashes(outbox)


def test_produce_product_publishes_every_swv_with_artifacts(first_run):
    from prefect.client.orchestration import get_client

    outbox, outcomes, run_id, _ = first_run
    assert sorted((o.owner, o.schooljaar, o.outcome, o.version) for o in outcomes) == \
           [(s, "2024-2025", "gepubliceerd", "v1") for s in sorted(SWVS)]
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run_id).name == "kijkglas-1 2024-2025 · 10-12-2024"
    for swv in SWVS:
        manifest = json.loads((outbox / swv / "2024-2025" / "kijkglas-1" / "v1" / "manifest.json").read_text())
        assert manifest["status"] == "actueel" and manifest["stand_per"] == STAND_PER

    table = read_artifact(run_id, "publicaties-kijkglas-1-2024-2025")
    assert table.type == "table"
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    assert sorted((r["SWV"], r["uitkomst"]) for r in rows) == [(s, "nieuwe versie v1") for s in sorted(SWVS)]
    assert all(r["documenten"] == f"{r['SWV']}/2024-2025/kijkglas-1/v1" for r in rows)
    assert "3 nieuwe versie(s)" in table.description and "Validatierapport: " in table.description
    recon = read_artifact(run_id, "reconciliatie-kijkglas-1-2024-2025")
    assert recon.type == "markdown" and "Reconciliatie kijkglas-1-2024-2025" in recon.data
    assert "✅" in recon.data
    kwaliteit = read_artifact(run_id, "kwaliteit-kijkglas-1-2024-2025")
    assert kwaliteit.type == "table"
    assert list((outbox / ".operator" / "kwaliteit").glob("kijkglas-1_2024-2025_*.csv"))


def test_rerun_on_the_same_extract_changes_nothing(first_run, extracts):
    outbox, _, _, before = first_run
    outcomes, _ = run_k1(extracts / STAND_PER, outbox)
    assert {o.outcome for o in outcomes} == {"ongewijzigd"} and len(outcomes) == len(SWVS)
    assert tree_hashes(outbox) == before  # not one byte, the register included
    assert [p.name for p in version_dirs(outbox)] == ["v1"] * len(SWVS)


def test_invalid_extract_fails_and_publishes_nothing(extracts, tmp_path):
    from schemas.validate import InvalidExtractError

    bad = shutil.copytree(extracts / STAND_PER, tmp_path / "extracts" / STAND_PER)
    lines = (bad / "leerlingen.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (bad / "leerlingen.csv").write_text("".join(lines + [lines[1]]), encoding="utf-8")  # a duplicate leerling_id
    outbox = tmp_path / "outbox"
    with pytest.raises(InvalidExtractError):
        run_k1(bad, outbox)
    assert version_dirs(outbox) == []
    assert not any(p.is_dir() for p in outbox.glob("[!.]*"))  # no SWV folder at all
    (report,) = (outbox / ".operator" / "validatie").glob(f"{STAND_PER}-*")  # keyed by folder and identity
    assert (report / "validatie.txt").is_file() and (report / "validatie.csv").is_file()
    assert "leerling_id" in (report / "validatie.csv").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def productie_run(extracts, tmp_path_factory):
    from flows.kalender import productie

    outbox = tmp_path_factory.mktemp("outbox-productie")
    outcomes = productie(DAG, extracts=str(extracts), outbox=str(outbox), producten=["kijkglas-1"])
    return outbox, outcomes


def test_productie_runs_what_the_calendar_calls_for(productie_run):
    """10 December: Kijkglas 1 (teldatum 1-10-2024 → 2024-2025) on the newest extract on or before it."""
    outbox, outcomes = productie_run
    assert sorted((o.product, o.schooljaar, o.owner, o.outcome) for o in outcomes) == \
           [("kijkglas-1", "2024-2025", s, "gepubliceerd") for s in sorted(SWVS)]
    assert len(version_dirs(outbox)) == len(SWVS)


def test_productie_without_an_extract_yet_is_refused_with_the_reason(extracts, tmp_path):
    from flows.kalender import productie
    from production.refusals import ProductionRefused

    with pytest.raises(ProductionRefused, match="geen extract met stand per op of vóór 10-11-2024"):
        productie(date(2024, 11, 10), extracts=str(extracts), outbox=str(tmp_path), producten=["kijkglas-1"])
    assert list(tmp_path.iterdir()) == []


def test_backfill_after_productie_is_a_no_op(productie_run, extracts):
    """The whole schooljaar again: August–November have no extract yet, December's is unchanged."""
    from flows.kalender import backfill

    outbox, _ = productie_run
    before = tree_hashes(outbox)
    outcomes = backfill("2024-2025", extracts=str(extracts), outbox=str(outbox), producten=["kijkglas-1"])
    assert sorted((o.owner, o.outcome) for o in outcomes) == [(s, "ongewijzigd") for s in sorted(SWVS)]
    assert tree_hashes(outbox) == before


def test_a_refused_product_fails_by_name_while_the_days_others_run(extracts, tmp_path):
    """10 April on a December extract: Kijkglas 2 can be right and is published; Kijkglas 3 and 4
    need a stand per on or after the peildatum and fail by name; nothing of theirs is written."""
    from flows.kalender import productie
    from production.failures import ProductionsFailed

    with pytest.raises(ProductionsFailed) as failed:
        productie(date(2025, 4, 10), extracts=str(extracts), outbox=str(tmp_path),
                  producten=["kijkglas-2", "kijkglas-3", "kijkglas-4"])
    assert [f.split(":")[0] for f in failed.value.failed] == ["kijkglas-3 2024-2025 op 10-04-2025",
                                                              "kijkglas-4 2024-2025 op 10-04-2025"]
    assert all("op of na 01-02-2025" in f for f in failed.value.failed)
    assert {p.parent.name for p in tmp_path.glob("*/2024-2025/*/v1")} == {"kijkglas-2"}


def test_intrekken_and_herstellen_from_the_ui_need_an_explicit_choice(extracts, tmp_path):
    """The UI's withdrawal: a reason and the SWV's are required (codes, or only the word alle); a
    mistake is one line in the run's state; herstellen makes the previous version actueel again."""
    from prefect.exceptions import ParameterTypeError

    from flows.intrekken import herstellen, intrekken

    outbox = tmp_path / "outbox"
    run_k1(extracts / STAND_PER, outbox)
    with pytest.raises(ParameterTypeError):
        intrekken("kijkglas-1", "2024-2025", "v1", "fout in bron", [], str(outbox))
    state = intrekken("kijkglas-1", "2024-2025", "v3", "fout in bron", [h.S], str(outbox), return_state=True)
    assert state.is_failed() and "\n" not in state.message and "v3" in state.message
    assert intrekken("kijkglas-1", "2024-2025", "v1", "fout in bron", [h.S], str(outbox)) == \
        [f"{h.S}: kijkglas-1 2024-2025 v1 ingetrokken (fout in bron)"]
    manifest = json.loads((outbox / h.S / "2024-2025" / "kijkglas-1" / "v1" / "manifest.json").read_text())
    assert manifest["status"] == "ingetrokken"
    other = json.loads((outbox / h.OTHER / "2024-2025" / "kijkglas-1" / "v1" / "manifest.json").read_text())
    assert other["status"] == "actueel"  # only the SWV named
    state = herstellen("kijkglas-1", "2024-2025", "v1", "was goed", [h.S], str(outbox), return_state=True)
    assert state.is_failed()  # a withdrawn version is never restored: one line says what to do
    assert "ingetrokken" in state.message and "\n" not in state.message
