"""Withdraw and restore (production/withdrawal.py, outbox/publish.py, `kijkglas withdraw/restore`):
an explicit SWV choice, a user's mistake in one Dutch line, and a restored version that every later
production treats as the actueel one. Fast, no Prefect."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kijkglas.cli import main
from outbox import change_report, layout, publish, reconcile, staging, status
from production import withdrawal
from production.steps import superseded_owners
from tests.test_publish import SJ, PRODUCT, manifest, meta, register_rows, render_into, tables

A, B = "PO2501", "PO2502"


@pytest.fixture(autouse=True)
def _default_register(monkeypatch):
    monkeypatch.delenv("KIJKGLAS_REGISTER", raising=False)


def produce(outbox: Path, owner: str, laag=(3, 1), stand_per="2024-11-01"):
    tabs = tables(laag=laag)
    report = change_report.change_report_for(outbox, owner, SJ, PRODUCT, tabs)
    report = report.tables if report is not None else None
    stage = staging.start_version(outbox, owner, SJ, PRODUCT)
    render_into(stage, tabs, "2024-11-05")
    return report, publish.publish_version(outbox, owner, SJ, PRODUCT, stage, meta(stand_per=stand_per))


@pytest.fixture
def outbox(tmp_path) -> Path:
    """A and B: v1 (stand per 01-11) replaced by v2 (01-12); PO2503 has v1 only."""
    out = tmp_path / "outbox"
    for owner in (A, B):
        produce(out, owner)
        produce(out, owner, laag=(5, 1), stand_per="2024-12-01")
    produce(out, "PO2503")
    return out


def statuses(outbox: Path, owner: str) -> dict[str, str]:
    return {v.name: v.manifest["status"] for v in layout.scan_versions(outbox, owner, SJ, PRODUCT)}


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        rc = main(list(argv))
    except SystemExit as exc:  # argparse's usage errors
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def test_withdraw_needs_an_explicit_swv_choice(outbox, capsys):
    before = {o: statuses(outbox, o) for o in (A, B)}
    base = ["withdraw", PRODUCT, "--schooljaar", SJ, "--version", "v2", "--reason", "fout", "--outbox", str(outbox)]
    rc, out, err = cli(capsys, *base)
    assert rc == 2 and "--swv" in err.strip().splitlines()[-1] and "Traceback" not in err
    rc, out, err = cli(capsys, *base, "--swv", "alle", A)
    assert rc == 2 and err.strip().splitlines() == ["kijkglas withdraw: fout: --swv alle of SWV-codes, niet allebei"]
    rc, out, err = cli(capsys, *base, "--swv", "iedereen")
    assert rc == 2 and "geen SWV-code" in err
    assert {o: statuses(outbox, o) for o in (A, B)} == before
    with pytest.raises(withdrawal.StatusChangeRefused, match="kies de SWV's"):
        withdrawal.withdraw(outbox, PRODUCT, SJ, "v2", "fout", [])


def test_withdraw_named_swv_only(outbox, capsys):
    rc, out, err = cli(capsys, "withdraw", PRODUCT, "--schooljaar", SJ, "--version", "2", "--reason", "fout in bron",
                       "--outbox", str(outbox), "--swv", A)
    assert rc == 0, err
    assert out.splitlines() == [f"{A}: {PRODUCT} {SJ} v2 ingetrokken (fout in bron)", "1 versie(s) ingetrokken."]
    assert statuses(outbox, A) == {"v1": "vervangen", "v2": "ingetrokken"}  # v1 does not come back by itself
    assert statuses(outbox, B) == {"v1": "vervangen", "v2": "actueel"}
    assert "Geen actuele versie" in (outbox / A / "index.html").read_text()
    assert "ingetrokken" in (outbox / "index.html").read_text()  # the operator overview is remade


def test_withdraw_alle_and_the_mistakes(outbox):
    done = withdrawal.withdraw(outbox, PRODUCT, SJ, "v2", "fout in bron", "alle")
    assert [(c.swv, c.outcome) for c in done] == [(A, "ingetrokken"), (B, "ingetrokken")]  # PO2503 has no v2
    again = withdrawal.withdraw(outbox, PRODUCT, SJ, "v2", "fout in bron", ["alle"])
    assert {c.outcome for c in again} == {"ongewijzigd"} and "al ingetrokken" in again[0].message
    for args, words in [(("v9", "x", "alle"), "Geen versie v9"),
                        (("v2", "x", [A, "PO2503"]), "niet gevonden bij PO2503"),
                        (("twee", "x", "alle"), "geen versie"),
                        (("v2", "  ", "alle"), "reden is verplicht")]:
        with pytest.raises(withdrawal.StatusChangeRefused, match=words):
            withdrawal.withdraw(outbox, PRODUCT, SJ, *args)
    with pytest.raises(ValueError, match="bestaat niet"):
        withdrawal.withdraw(outbox / "nergens", PRODUCT, SJ, "v2", "x", "alle")
    assert manifest(outbox, "v1", owner="PO2503")["status"] == "actueel"  # a refusal changed nothing


def test_restore_makes_the_previous_figures_current(outbox, capsys):
    withdrawal.withdraw(outbox, PRODUCT, SJ, "v2", "fout in bron", [A])
    # before the restore nothing is actueel, so an older extract is not held back
    assert A not in superseded_owners(outbox, PRODUCT, SJ, date(2024, 10, 15))
    rc, out, err = cli(capsys, "restore", PRODUCT, "--schooljaar", SJ, "--version", "v1",
                       "--reason", "v2 was fout; v1 klopt", "--outbox", str(outbox), "--swv", A)
    assert rc == 0, err
    assert out.splitlines() == [f"{A}: {PRODUCT} {SJ} v1 weer actueel (v2 was fout; v1 klopt)", "1 versie(s) hersteld."]
    assert statuses(outbox, A) == {"v1": "actueel", "v2": "ingetrokken"}
    m = manifest(outbox, "v1", owner=A)
    assert m["reason"] == "v2 was fout; v1 klopt" and m["replaced_by"] is None
    assert m["herstellingen"] == [{"op": m["status_changed_at"], "reden": "v2 was fout; v1 klopt",
                                   "na_intrekking_van": ["v2"]}]
    row = register_rows(outbox)[(A, SJ, PRODUCT, "v1")]
    assert (row["status"], row["reason"], row["status_changed_at"]) == ("actueel", m["reason"], m["status_changed_at"])
    assert "Geen actuele versie" not in (outbox / A / "index.html").read_text()
    assert "weer actueel sinds" in (outbox / A / "dashboard" / "historie.html").read_text()
    assert status.check_outbox_integrity(outbox) == []

    # the statuses live in the manifests: a register rebuilt from nothing says the same
    (outbox / layout.REGISTER_FILE).unlink()
    reconcile.reconcile_register(outbox)
    cur = status.current_versions(outbox, [A])
    assert cur[["version", "status", "reason"]].values.tolist() == [["v1", "actueel", "v2 was fout; v1 klopt"]]

    # every later production reads v1 as the actueel version
    assert A in superseded_owners(outbox, PRODUCT, SJ, date(2024, 10, 15))  # older than v1's stand per
    _, same = produce(outbox, A)  # v1's own tables again: nothing new
    assert same.outcome == "ongewijzigd" and same.version == "v1"
    report, new = produce(outbox, A, laag=(4, 2), stand_per="2025-01-01")
    assert (new.outcome, new.version, new.previous_version) == ("gepubliceerd", "v3", "v1")
    assert report[0]["compared_to"] == "v1" and new.manifest["wijzigingen"]["vergeleken_met"] == "v1"
    assert statuses(outbox, A) == {"v1": "vervangen", "v2": "ingetrokken", "v3": "actueel"}
    assert status.check_outbox_integrity(outbox) == []


def test_restore_is_refused_while_a_version_is_actueel(outbox):
    before = {o: json.dumps(statuses(outbox, o)) for o in (A, B)}
    withdrawal.withdraw(outbox, PRODUCT, SJ, "v2", "fout", [A])
    with pytest.raises(withdrawal.StatusChangeRefused) as info:  # B's v2 is still actueel
        withdrawal.restore(outbox, PRODUCT, SJ, "v1", "terug", [A, B])
    assert str(info.value) == (f"{B}: {PRODUCT} {SJ} v2 is actueel; trek die eerst in "
                               "(kijkglas withdraw … --version v2), dan kan v1 terugkomen; er is niets hersteld")
    assert statuses(outbox, A) == {"v1": "vervangen", "v2": "ingetrokken"}  # nothing restored for A either
    assert json.dumps(statuses(outbox, B)) == before[B]
    with pytest.raises(withdrawal.StatusChangeRefused, match="v2 is ingetrokken en komt niet terug"):
        withdrawal.restore(outbox, PRODUCT, SJ, "v2", "terug", [A])
    with pytest.raises(publish.StatusChangeRefused, match="v2 is actueel"):  # the outbox's own check, under the lock
        publish.restore_version(outbox, B, SJ, PRODUCT, "v1", "terug")


def test_restore_alle_and_a_version_already_actueel(outbox, capsys):
    withdrawal.withdraw(outbox, PRODUCT, SJ, "v2", "fout", "alle")
    done = withdrawal.restore(outbox, PRODUCT, SJ, "v1", "terug naar november", "alle")
    assert [(c.swv, c.outcome) for c in done] == [(A, "hersteld"), (B, "hersteld"), ("PO2503", "ongewijzigd")]
    assert done[2].message == f"PO2503: {PRODUCT} {SJ} v1 was al actueel"
    assert manifest(outbox, "v1", owner="PO2503").get("herstellingen") is None
    rc, out, err = cli(capsys, "restore", PRODUCT, "--schooljaar", SJ, "--version", "v1", "--reason", "x",
                       "--outbox", str(outbox))
    assert rc == 2 and "--swv" in err
