"""Publication into the outbox (outbox/): versions, no-op reruns, change report,
withdrawal, crash recovery (SIGKILL) and concurrent publishers. Fast, no Prefect."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from core.settings import Settings
from kijkglas import commands
from outbox import change_report, layout, publish, reconcile, staging, status

REPO = Path(__file__).resolve().parents[1]
OWNER, SJ, PRODUCT = "PO2501", "2024-2025", "kijkglas-1"


@pytest.fixture(autouse=True)
def _default_register(monkeypatch):
    monkeypatch.delenv("KIJKGLAS_REGISTER", raising=False)


# ------------------------------------------------------------------------------------------
# helpers (also used by the child processes, which import this module)
# ------------------------------------------------------------------------------------------
def tables(laag=(3, 1), pupils=None) -> dict[str, pd.DataFrame]:
    """A small Kijkglas-1-like product: a count table and a pupil-level table."""
    d, n = laag
    totalen = pd.DataFrame({
        "Regel": ["Deelnemende (V)SO", "Niet deelnemende (V)SO", "Totaal"],
        "Laag <8": [d, n, d + n],
        "Totaal": [d, n, d + n],
    })
    pupils = pupils if pupils is not None else [("1001", "01AB00"), ("1002", "01AB00"), ("1003", "02CD00")]
    inschr = pd.DataFrame({
        "Groep": ["TLV"] * len(pupils),
        "DUO-nummer leerling": [p[0] for p in pupils],
        "Vestiging": [p[1] for p in pupils],
        "Begindatum inschrijving": [pd.Timestamp("2024-08-20")] * len(pupils),
        "Bekostigingscategorie L/M/H": ["L"] * len(pupils),
    })
    return {"k1_vso_totalen": totalen, "k1_inschrijvingen": inschr}


def meta(aanmaak="2024-11-05", stand_per="2024-11-01", extract="e" * 64) -> dict:
    return {"period": "2024-10-01", "stand_per": stand_per, "aanmaakdatum": aanmaak,
            "extract": extract, "counts": {"rows": 3}, "swv_naam": "SWV Test"}


def render_into(stage: Path, tabs: dict[str, pd.DataFrame], aanmaak: str) -> None:
    """Stand-in for the renderer: CSVs plus an xlsx and pdf that carry the aanmaakdatum."""
    for stem, df in tabs.items():
        df.to_csv(stage / "data" / f"{stem}.csv", index=False, date_format="%Y-%m-%d")
    with pd.ExcelWriter(stage / f"{PRODUCT}.xlsx") as xw:
        pd.DataFrame({"Aanmaakdatum": [aanmaak]}).to_excel(xw, sheet_name="Algemene gegevens", index=False)
        for stem, df in tabs.items():
            df.to_excel(xw, sheet_name=stem[:31], index=False)
    (stage / f"{PRODUCT}.pdf").write_bytes(f"%PDF-1.7 aanmaakdatum {aanmaak}\n".encode())


def produce(outbox: Path, tabs=None, aanmaak="2024-11-05", owner=OWNER, sj=SJ, product=PRODUCT):
    tabs = tabs if tabs is not None else tables()
    report = change_report.change_report_for(outbox, owner, sj, product, tabs)
    report = report.tables if report is not None else None
    stage = staging.start_version(outbox, owner, sj, product)
    render_into(stage, tabs, aanmaak)
    outcome = publish.publish_version(outbox, owner, sj, product, stage, meta(aanmaak))
    return report, outcome


def tree_hash(root: Path) -> dict[str, str]:
    """Every file and folder under root (including the dot-folders) -> hash of its bytes."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        out[rel_dir + "/"] = "dir"
        for name in filenames:
            p = Path(dirpath) / name
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def version_dirs(outbox: Path, owner=OWNER, sj=SJ, product=PRODUCT) -> list[str]:
    pdir = outbox / owner / sj / product
    return sorted(d.name for d in pdir.iterdir()) if pdir.is_dir() else []


def manifest(outbox: Path, version: str, owner=OWNER, sj=SJ, product=PRODUCT) -> dict:
    return json.loads((outbox / owner / sj / product / version / "manifest.json").read_text())


def register_rows(outbox: Path) -> dict[tuple, dict]:
    con = sqlite3.connect(outbox / ".register.sqlite")
    con.row_factory = sqlite3.Row
    rows = {(r["owner"], r["schooljaar"], r["product"], r["version"]): dict(r)
            for r in con.execute("SELECT * FROM versions")}
    con.close()
    return rows


def assert_whole_versions(outbox: Path) -> None:
    """Every version folder under the outbox is complete: manifest present and all hashes right."""
    for owner, sj, product in layout.product_keys(outbox):
        for v in layout.scan_versions(outbox, owner, sj, product):
            assert v.manifest is not None, f"{v.path} without manifest"
            assert layout.verify_version_dir(v.path) == [], v.path


# ------------------------------------------------------------------------------------------
# the life of a product
# ------------------------------------------------------------------------------------------
def test_first_publish_is_v1_actueel(tmp_path):
    outbox = tmp_path / "outbox"
    report, o = produce(outbox)
    assert report is None and o.outcome == "gepubliceerd" and o.version == "v1"
    assert o.path == outbox / OWNER / SJ / PRODUCT / "v1"
    assert version_dirs(outbox) == ["v1"]

    m = manifest(outbox, "v1")
    assert (m["product"], m["swv"], m["schooljaar"], m["version"], m["status"]) == (PRODUCT, OWNER, SJ, "v1", "actueel")
    assert (m["period"], m["stand_per"], m["aanmaakdatum"]) == ("2024-10-01", "2024-11-01", "2024-11-05")
    assert m["extract"] == "e" * 64 and m["wijzigingen"] is None and m["replaces"] is None
    paths = [f["path"] for f in m["files"]]
    assert paths == sorted(paths) == ["data/k1_inschrijvingen.csv", "data/k1_vso_totalen.csv",
                                      f"{PRODUCT}.pdf", f"{PRODUCT}.xlsx"]
    for f in m["files"]:
        b = (o.path / f["path"]).read_bytes()
        assert f["size"] == len(b) and f["sha256"] == hashlib.sha256(b).hexdigest()
    raw = (o.path / "manifest.json").read_text()
    assert raw == json.dumps(m, indent=2, sort_keys=True, ensure_ascii=False) + "\n"  # deterministic form
    assert m["content_key"] == change_report.content_key(o.path / "data")

    rows = register_rows(outbox)
    assert rows[(OWNER, SJ, PRODUCT, "v1")]["status"] == "actueel"
    html = (outbox / OWNER / "index.html").read_text()
    assert "v1" in html and "2024-2025/kijkglas-1/v1/kijkglas-1.pdf" in html
    assert "2024-2025/kijkglas-1/v1/kijkglas-1.xlsx" in html and "01-11-2024" in html
    assert not list((outbox / ".staging").iterdir())
    assert status.check_outbox_integrity(outbox) == []


def test_rerun_on_same_content_is_a_noop(tmp_path):
    outbox = tmp_path / "outbox"
    produce(outbox, aanmaak="2024-11-05")
    before = tree_hash(outbox)
    # another day: the xlsx/pdf differ (aanmaakdatum), the CSV tables do not
    report, o = produce(outbox, aanmaak="2024-12-01")
    assert o.outcome == "ongewijzigd" and o.version == "v1" and not o.published
    assert report is not None and all(r["added"] == r["removed"] == r["changed"] == 0 for r in report)
    assert version_dirs(outbox) == ["v1"]
    assert tree_hash(outbox) == before  # not one byte changed, register and index included


def test_changed_content_publishes_v2_and_replaces_v1(tmp_path):
    outbox = tmp_path / "outbox"
    produce(outbox)
    new = tables(laag=(4, 1), pupils=[("1001", "01AB00"), ("1003", "02CD00"), ("1004", "02CD00")])
    report, o = produce(outbox, new, aanmaak="2024-12-05")
    assert o.outcome == "gepubliceerd" and o.version == "v2" and o.previous_version == "v1"
    assert version_dirs(outbox) == ["v1", "v2"]

    m1, m2 = manifest(outbox, "v1"), manifest(outbox, "v2")
    assert m1["status"] == "vervangen" and m1["replaced_by"] == "v2"
    assert m2["status"] == "actueel" and m2["replaces"] == "v1"
    rows = register_rows(outbox)
    assert rows[(OWNER, SJ, PRODUCT, "v1")]["status"] == "vervangen"
    assert rows[(OWNER, SJ, PRODUCT, "v2")]["status"] == "actueel"

    # the report computed before rendering equals the one publish wrote
    assert report == o.change_report == m2["wijzigingen"]["tabellen"]
    by = {r["table"]: r for r in report}
    tot = by["k1_vso_totalen"]
    assert (tot["added"], tot["removed"], tot["changed"]) == (0, 0, 2)
    # a totals row is named by its label, values as a Dutch sentence shows them (issue 24)
    assert any(e.startswith("Gewijzigd: Totaal: ") and "4 → 5" in e for e in tot["examples"]), tot["examples"]
    ins = by["k1_inschrijvingen"]
    assert (ins["added"], ins["removed"], ins["changed"]) == (1, 1, 0)
    assert ins["key_columns"] == ["DUO-nummer leerling", "Vestiging", "Begindatum inschrijving"]
    assert any("1004" in e for e in ins["examples"]) and any("1002" in e for e in ins["examples"])

    wb = load_workbook(o.path / "wijzigingen.xlsx")
    assert wb.sheetnames == ["Samenvatting", "Tabel (v)so", "Bestand 2 inschrijvingen"]
    cells = [[c.value for c in row] for row in wb["Tabel (v)so"].iter_rows(min_row=4)]
    assert cells[0] == ["Wijziging", "Regel", "Laag <8 (oud)", "Laag <8 (nieuw)", "Totaal (oud)", "Totaal (nieuw)"]
    assert ["Gewijzigd", "Totaal", 4, 5, 4, 5] in cells
    assert "wijzigingen.xlsx" in [f["path"] for f in m2["files"]]

    html = (outbox / OWNER / "index.html").read_text()
    assert "2024-2025/kijkglas-1/v2/kijkglas-1.pdf" in html and "vervangt v1" in html
    assert "vervangen door v2" in (outbox / OWNER / "dashboard" / "historie.html").read_text()
    df = status.current_versions(outbox)
    assert df[["swv", "product", "version", "status"]].values.tolist() == [[OWNER, PRODUCT, "v2", "actueel"]]
    assert status.check_outbox_integrity(outbox) == []


def test_withdraw_and_no_automatic_reinstatement(tmp_path):
    outbox = tmp_path / "outbox"
    produce(outbox)
    produce(outbox, tables(laag=(5, 1)))
    m = publish.withdraw_version(outbox, OWNER, SJ, PRODUCT, "v2", "DUO trok de gegevens in")
    assert m["status"] == "ingetrokken" and m["reason"] == "DUO trok de gegevens in"
    assert manifest(outbox, "v2")["status"] == "ingetrokken"
    assert manifest(outbox, "v1")["status"] == "vervangen"  # not made actueel again
    rows = register_rows(outbox)
    assert rows[(OWNER, SJ, PRODUCT, "v2")]["status"] == "ingetrokken"
    assert rows[(OWNER, SJ, PRODUCT, "v2")]["reason"] == "DUO trok de gegevens in"
    html = (outbox / OWNER / "index.html").read_text()
    assert "Geen actuele versie" in html and "DUO trok de gegevens in" in html
    cur = status.current_versions(outbox)
    assert cur[["version", "status", "reason"]].values.tolist() == [["v2", "ingetrokken", "DUO trok de gegevens in"]]
    assert status.check_outbox_integrity(outbox) == []

    # the same content as the withdrawn v2 again: nothing is actueel, so it is a new version,
    # compared with the newest version that is not withdrawn (v1)
    report, o = produce(outbox, tables(laag=(5, 1)))
    assert o.outcome == "gepubliceerd" and o.version == "v3" and o.previous_version is None
    assert report[0]["compared_to"] == "v1"
    assert manifest(outbox, "v2")["status"] == "ingetrokken"
    with pytest.raises(FileNotFoundError):
        publish.withdraw_version(outbox, OWNER, SJ, PRODUCT, "v9", "bestaat niet")


def test_cli_withdraw_and_status(tmp_path, capsys):
    outbox = tmp_path / "outbox"
    for owner in ("PO2501", "PO2502"):
        produce(outbox, owner=owner)
    produce(outbox, owner="PO2503", sj="2023-2024")
    args = argparse.Namespace(product=PRODUCT, schooljaar=SJ, version="1", reason="fout in bron",
                              outbox=outbox, swv=None)
    assert commands.cli_withdraw(args, Settings()) == 2  # every SWV only when asked for by name
    args.swv = ["alle"]
    assert commands.cli_withdraw(args, Settings()) == 0
    out = capsys.readouterr().out
    assert "PO2501" in out and "PO2502" in out and "PO2503" not in out
    assert manifest(outbox, "v1", owner="PO2502")["status"] == "ingetrokken"
    assert manifest(outbox, "v1", owner="PO2503", sj="2023-2024")["status"] == "actueel"
    args.version = "v7"
    assert commands.cli_withdraw(args, Settings()) == 1

    assert commands.cli_status(argparse.Namespace(outbox=outbox, swv=None), Settings()) == 0
    out = capsys.readouterr().out
    assert "== PO2501 ==" in out and "== PO2503 ==" in out and "ingetrokken" in out and "fout in bron" in out
    assert commands.cli_status(argparse.Namespace(outbox=outbox, swv=["PO2503"]), Settings()) == 0
    out = capsys.readouterr().out
    assert "PO2503" in out and "PO2501" not in out


def test_a_register_passed_down_is_the_one_used(tmp_path, monkeypatch):
    """Settings.register_path reaches the register through the arguments, not the environment."""
    outbox, elsewhere = tmp_path / "outbox", tmp_path / "registers" / "kijkglas.sqlite"
    elsewhere.parent.mkdir()
    monkeypatch.setenv("KIJKGLAS_REGISTER", str(tmp_path / "never.sqlite"))  # read by load_settings only
    tabs = tables()
    stage = staging.start_version(outbox, OWNER, SJ, PRODUCT)
    render_into(stage, tabs, "2024-11-05")
    publish.publish_version(outbox, OWNER, SJ, PRODUCT, stage, meta(), register=elsewhere)
    assert elsewhere.exists() and not (outbox / layout.REGISTER_FILE).exists()
    assert not (tmp_path / "never.sqlite").exists()
    assert list(status.current_versions(outbox, register=elsewhere)["version"]) == ["v1"]
    assert status.check_outbox_integrity(outbox, register=elsewhere) == []
    publish.withdraw_version(outbox, OWNER, SJ, PRODUCT, "v1", "proef", register=elsewhere)
    assert list(status.current_versions(outbox, register=elsewhere)["status"]) == ["ingetrokken"]


def test_openbaar_owner_uses_same_mechanism(tmp_path):
    outbox = tmp_path / "outbox"
    _, o = produce(outbox, owner=layout.OPENBAAR, product="kijkglas-3")
    assert o.path == outbox / "openbaar" / SJ / "kijkglas-3" / "v1"
    assert "Kijkglas 3" in (outbox / "openbaar" / "index.html").read_text()


def test_table_key_columns_defaults_and_override(monkeypatch):
    assert change_report.table_key_columns("k1_vso_totalen", ["Regel", "Laag <8"]) == ["Regel"]
    assert change_report.table_key_columns("k1_per_vestiging", ["Vestiging", "TLV SWV L <8"]) == ["Vestiging"]
    assert change_report.table_key_columns("k3a", ["SWV", "BRIN (v)so", "Instroom L"]) == ["SWV", "BRIN (v)so"]
    k2 = ["DUO-nummer leerling", "Vestiging", "Naam vestiging", "Begindatum inschrijving",
          "Begindatum geldigheid gegevens", "Instroom"]
    assert change_report.table_key_columns("k2_tlv", k2) == ["DUO-nummer leerling", "Vestiging", "Begindatum inschrijving",
                                                 "Begindatum geldigheid gegevens"]
    k5 = ["Laatste 4 cijfers bsn", "Sbao-vestiging", "Begindatum inschrijving", "Bek 1/10"]
    assert change_report.table_key_columns("k5_inkomend", k5) == ["Laatste 4 cijfers bsn", "Sbao-vestiging", "Begindatum inschrijving"]
    monkeypatch.setitem(change_report.TABLE_KEY_OVERRIDES, "k4_sbao", ["Naam vestiging"])
    assert change_report.table_key_columns("k4_sbao", ["Vestiging", "Naam vestiging"]) == ["Naam vestiging"]


def test_integrity_check_finds_problems(tmp_path):
    outbox = tmp_path / "outbox"
    _, o = produce(outbox)
    assert status.check_outbox_integrity(outbox) == []
    (o.path / "data" / "k1_vso_totalen.csv").write_text("Regel\nvervalst\n")
    (o.path / "extra.txt").write_text("x")
    stray = outbox / OWNER / SJ / PRODUCT / "v5"
    stray.mkdir()
    leftover = outbox / ".staging" / "dead"
    leftover.mkdir()
    os.utime(leftover, (time.time() - 2 * staging.STALE_UNLOCKED_STAGE_SECONDS,) * 2)
    problems = "\n".join(status.check_outbox_integrity(outbox))
    assert "k1_vso_totalen.csv" in problems and "extra.txt staat niet in het manifest" in problems
    assert "v5: manifest.json ontbreekt of is geen geldig manifest" in problems
    assert "dead: restant in de staging" in problems
    # a stage of a live production is not a leftover and is not cleaned
    live = staging.start_version(outbox, OWNER, SJ, PRODUCT)  # cleans dead stages first
    assert not leftover.exists()
    assert staging.clean_staging(outbox) == []
    assert live.is_dir() and "restant in de staging" not in "\n".join(status.check_outbox_integrity(outbox))
    staging.discard_version(live)
    assert not live.exists()


def test_bad_stage_is_refused_and_discarded(tmp_path):
    outbox = tmp_path / "outbox"
    stage = staging.start_version(outbox, OWNER, SJ, PRODUCT)
    (stage / f"{PRODUCT}.pdf").write_bytes(b"pdf")
    with pytest.raises(layout.PublishError, match="no CSV"):
        publish.publish_version(outbox, OWNER, SJ, PRODUCT, stage, meta())
    assert not stage.exists() and not (outbox / OWNER).exists()
    elsewhere = tmp_path / "elders"
    (elsewhere / "data").mkdir(parents=True)
    with pytest.raises(layout.PublishError, match="not a staging folder"):
        publish.publish_version(outbox, OWNER, SJ, PRODUCT, elsewhere, meta())
    assert elsewhere.is_dir()  # never deletes a folder it does not own
    with pytest.raises(ValueError):
        staging.start_version(outbox, "../x", SJ, PRODUCT)


# ------------------------------------------------------------------------------------------
# child processes: SIGKILL and concurrency
# ------------------------------------------------------------------------------------------
CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import test_publish as T
from outbox import publish

cfg = json.loads(sys.argv[1])
outbox = Path(cfg["outbox"])

def hook(point):
    if point == cfg.get("pause_at"):
        Path(cfg["signal"]).write_text(point)
        time.sleep(cfg.get("pause", 600))
publish.fault_hook = hook

tabs = T.tables(laag=tuple(cfg["laag"]))
if cfg.get("ready"):
    Path(cfg["ready"]).write_text("ready")
    while not Path(cfg["go"]).exists():
        time.sleep(0.002)
if cfg.get("withdraw"):
    publish.withdraw_version(outbox, T.OWNER, T.SJ, T.PRODUCT, cfg["withdraw"], "kill test")
    o = None
else:
    _, o = T.produce(outbox, tabs, aanmaak=cfg.get("aanmaak", "2024-11-05"))
print(json.dumps({"outcome": o.outcome, "version": o.version} if o else {}))
"""


def _child(tmp_path: Path, cfg: dict) -> subprocess.Popen:
    script = tmp_path / "child.py"
    if not script.exists():
        script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("KIJKGLAS_REGISTER", None)
    return subprocess.Popen([sys.executable, str(script), json.dumps(cfg), str(Path(__file__).resolve().parent)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("child did not reach the checkpoint")
        time.sleep(0.01)


@pytest.mark.parametrize("point", ["before_rename", "after_rename", "after_previous_manifest", "after_register"])
def test_sigkill_during_publish_leaves_no_partial_version_and_rerun_completes(tmp_path, point):
    outbox = tmp_path / "outbox"
    produce(outbox)  # v1
    signal_file = tmp_path / "reached"
    proc = _child(tmp_path, {"outbox": str(outbox), "laag": [7, 2], "pause_at": point, "signal": str(signal_file)})
    _wait_for(signal_file, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)  # reaps it and closes its pipes
    assert proc.returncode == -signal.SIGKILL

    # right after the kill: whole versions only, never half of one
    assert_whole_versions(outbox)
    expected = ["v1"] if point == "before_rename" else ["v1", "v2"]
    assert version_dirs(outbox) == expected
    if point == "before_rename":
        assert [p.name for p in (outbox / ".staging").iterdir() if p.is_dir()]  # the dead stage is left over

    # the rerun on the same extract completes the production
    _, o = produce(outbox, tables(laag=(7, 2)), aanmaak="2024-11-06")
    assert o.version == "v2"
    assert o.outcome == ("gepubliceerd" if point == "before_rename" else "ongewijzigd")
    assert version_dirs(outbox) == ["v1", "v2"]
    assert manifest(outbox, "v1")["status"] == "vervangen" and manifest(outbox, "v2")["status"] == "actueel"
    rows = register_rows(outbox)
    assert [rows[(OWNER, SJ, PRODUCT, v)]["status"] for v in ("v1", "v2")] == ["vervangen", "actueel"]
    assert not [p for p in (outbox / ".staging").iterdir() if p.is_dir()]
    assert status.check_outbox_integrity(outbox) == []


def test_sigkill_during_withdraw_is_reconciled(tmp_path):
    outbox = tmp_path / "outbox"
    produce(outbox)
    signal_file = tmp_path / "reached"
    proc = _child(tmp_path, {"outbox": str(outbox), "laag": [3, 1], "withdraw": "v1",
                             "pause_at": "withdraw_after_manifest", "signal": str(signal_file)})
    _wait_for(signal_file, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)  # reaps it and closes its pipes
    assert register_rows(outbox)[(OWNER, SJ, PRODUCT, "v1")]["status"] == "actueel"  # not yet updated
    assert any("register" in p for p in status.check_outbox_integrity(outbox))
    fixes = reconcile.reconcile_register(outbox)
    assert fixes and register_rows(outbox)[(OWNER, SJ, PRODUCT, "v1")]["status"] == "ingetrokken"
    assert status.check_outbox_integrity(outbox) == []


def _race(tmp_path: Path, outbox: Path, laags: list[list[int]]) -> list[dict]:
    procs, readies = [], []
    go = tmp_path / "go"
    for i, laag in enumerate(laags):
        ready = tmp_path / f"ready{i}"
        readies.append(ready)
        # a short pause inside the locked section makes the two publishers really contend
        procs.append(_child(tmp_path, {"outbox": str(outbox), "laag": laag, "ready": str(ready), "go": str(go),
                                       "pause_at": "before_rename", "pause": 0.3,
                                       "signal": str(tmp_path / f"sig{i}")}))
    for ready, proc in zip(readies, procs):
        _wait_for(ready, proc)
    go.write_text("go")
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_concurrent_publishers_same_content_make_one_version(tmp_path):
    outbox = tmp_path / "outbox"
    results = _race(tmp_path, outbox, [[3, 1], [3, 1]])
    assert sorted(r["outcome"] for r in results) == ["gepubliceerd", "ongewijzigd"]
    assert {r["version"] for r in results} == {"v1"}
    assert version_dirs(outbox) == ["v1"]
    assert list(register_rows(outbox)) == [(OWNER, SJ, PRODUCT, "v1")]
    assert status.check_outbox_integrity(outbox) == []


def test_concurrent_publishers_different_content_make_v1_and_v2(tmp_path):
    outbox = tmp_path / "outbox"
    results = _race(tmp_path, outbox, [[3, 1], [8, 1]])
    assert sorted(r["version"] for r in results) == ["v1", "v2"]
    assert all(r["outcome"] == "gepubliceerd" for r in results)
    assert version_dirs(outbox) == ["v1", "v2"]
    assert_whole_versions(outbox)
    statuses = {v: manifest(outbox, v)["status"] for v in ("v1", "v2")}
    assert statuses == {"v1": "vervangen", "v2": "actueel"}
    rows = register_rows(outbox)
    assert {v: rows[(OWNER, SJ, PRODUCT, v)]["status"] for v in ("v1", "v2")} == statuses
    assert status.check_outbox_integrity(outbox) == []


def test_concurrent_threads_share_the_lock(tmp_path):
    """Dask may run productions as threads of one process: flock on separate opens still excludes."""
    from concurrent.futures import ThreadPoolExecutor

    outbox = tmp_path / "outbox"
    with ThreadPoolExecutor(4) as pool:
        outcomes = [f.result()[1] for f in [pool.submit(produce, outbox, tables(laag=(i, 1))) for i in range(4)]]
    assert sorted(o.version for o in outcomes) == ["v1", "v2", "v3", "v4"]
    assert sum(manifest(outbox, v)["status"] == "actueel" for v in version_dirs(outbox)) == 1
    assert status.check_outbox_integrity(outbox) == []
