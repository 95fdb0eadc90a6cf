"""A whole Kijkglas 1 production without Prefect: CSV/Excel/PDF as published, reruns, corrections,
older extracts, and the privacy audit. (The Prefect flows wire the same steps: tests/test_flows.py.)"""
from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from core.settings import Settings

from production.audit import audit_outbox
from production.steps import run_production
from tests import handleiding_k1 as h
from tests.readback import excel_text, read_csv_rows

SJ = "2024-2025"


def version_dir(outbox, swv=h.S, v="v1"):
    return Path(outbox) / swv / SJ / "kijkglas-1" / v


def as_csv_rows(expected):
    return [[str(x) for x in row] for row in expected]


@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    root = tmp_path_factory.mktemp("prod")
    extract = h.build().write(root / "extracts" / "2024-12-06")
    outbox = root / "outbox"
    outcomes = run_production("kijkglas-1", extract, outbox, SJ, date(2024, 12, 10), settings=Settings(), processes=2)
    return root, extract, outbox, outcomes


def test_handleiding_tables_come_out_exactly_in_the_csv(produced):
    data = version_dir(produced[2]) / "data"
    header = ["Regel", "Laag <8", "Laag 8+", "Midden <8", "Midden 8+", "Hoog <8", "Hoog 8+", "Totaal"]
    assert read_csv_rows(data / "k1_vso_totalen.csv") == [header] + as_csv_rows(h.EXPECTED_VSO_TOTALEN)
    assert read_csv_rows(data / "k1_bao_sbao.csv") == [["Regel", "Aantal"]] + as_csv_rows(h.EXPECTED_BAO_SBAO)
    per_vestiging = read_csv_rows(data / "k1_per_vestiging.csv")
    assert per_vestiging[0][:2] == ["Vestiging", "TLV SWV L <8"] and per_vestiging[0][-1] == "Totaal"
    assert per_vestiging[1:] == as_csv_rows(h.EXPECTED_PER_VESTIGING)
    assert len(read_csv_rows(data / "k1_inschrijvingen.csv")) == 1 + 196


def test_excel_equals_csv_and_pdf_holds_the_totals(produced):
    vd = version_dir(produced[2])
    wb = openpyxl.load_workbook(next(vd.glob("*bestand-2*.xlsx")))
    ws = wb[wb.sheetnames[-1]]
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    csv_rows = read_csv_rows(vd / "data" / "k1_inschrijvingen.csv")
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Groep")
    assert [str(x) for x in rows[start]] == csv_rows[0]
    body = rows[start + 1:start + 1 + len(csv_rows) - 1]
    assert [[excel_text(v) for v in r] for r in body] == csv_rows[1:]
    text = " ".join(p.extract_text() for p in PdfReader(next(vd.glob("*.pdf"))).pages)
    assert h.S in text and "196" in text and "25945" in text.replace(".", "")


def test_manifest_and_status(produced):
    m = json.loads((version_dir(produced[2]) / "manifest.json").read_text())
    assert m["status"] == "actueel" and m["version"] == "v1" and m["stand_per"] == "2024-12-06"
    assert {o.outcome for o in produced[3]} == {"gepubliceerd"} and len(produced[3]) == 3


def test_rerun_on_the_same_extract_is_a_no_op(produced):
    root, extract, outbox, _ = produced
    before = {p: p.read_bytes() for p in outbox.rglob("*") if p.is_file() and ".locks" not in p.parts}
    seen = []
    outcomes = run_production("kijkglas-1", extract, outbox, SJ, date(2024, 12, 11), settings=Settings(), processes=2,
                              progress=lambda owner, total: seen.append((owner, total)))
    assert sorted(seen) == [(o.owner, len(outcomes)) for o in sorted(outcomes, key=lambda o: o.owner)]  # one tick per SWV
    assert {o.outcome for o in outcomes} == {"ongewijzigd"}
    after = {p: p.read_bytes() for p in outbox.rglob("*") if p.is_file() and ".locks" not in p.parts}
    assert before.keys() == after.keys()
    # only the operator's note of the last production (when it ran) may change
    operator = {outbox / "index.html", outbox / ".operator" / "laatste-producties.json"}
    assert [p for p in before if before[p] != after[p] and p not in operator] == []


def test_corrected_extract_gives_next_version_with_change_report(produced, tmp_path):
    root, extract, outbox, _ = produced
    corrected = root / "extracts" / "2024-12-09"
    shutil.copytree(extract, corrected)
    meta = corrected / "extract.json"
    meta.write_text(json.dumps({"stand_per": "2024-12-09", "bron": "ROD"}))
    # correction: one tijdelijke plaatsing at 99AB00 turns out not to be bekostigd
    ins = read_csv_rows(corrected / "inschrijvingen.csv")
    col = ins[0].index("vestiging_code")
    target = next(i for i, r in enumerate(ins) if i and r[col] == "99AB00")
    ins[target][ins[0].index("bekostigd")] = "N"
    with open(corrected / "inschrijvingen.csv", "w", newline="") as f:
        csv.writer(f).writerows(ins)
    outcomes = {o.owner: o for o in run_production("kijkglas-1", corrected, outbox, SJ, date(2024, 12, 12), settings=Settings(), processes=2)}
    assert outcomes[h.S].outcome == "gepubliceerd" and outcomes[h.S].version == "v2"
    assert outcomes[h.OTHER].outcome == "ongewijzigd"
    v1 = json.loads((version_dir(outbox) / "manifest.json").read_text())
    v2dir = version_dir(outbox, v="v2")
    assert v1["status"] == "vervangen"
    assert (v2dir / "wijzigingen.xlsx").exists()
    m2 = json.loads((v2dir / "manifest.json").read_text())
    changed = {c["table"]: c for c in m2["wijzigingen"]} if isinstance(m2["wijzigingen"], list) else m2["wijzigingen"]
    assert "k1_vso_totalen" in json.dumps(changed) and "k1_inschrijvingen" in json.dumps(changed)
    assert read_csv_rows(v2dir / "data" / "k1_vso_totalen.csv")[-1][-1] == "195"
    text = " ".join(p.extract_text() for p in PdfReader(next(v2dir.glob("*.pdf"))).pages)
    assert "Wijzigingen" in text
    # every document names its version, what it replaces and why
    assert "Versie v2 (actueel bij publicatie)" in text
    assert "Vervangt v1: nieuwe stand per 09-12-2024 (was 06-12-2024)" in text
    assert f"{h.S} · Kijkglas 1 · teldatum 01-10-2024 · stand per 09-12-2024 · v2" in text  # the page footer
    for workbook in v2dir.glob("*.xlsx"):
        if workbook.name == "wijzigingen.xlsx":
            continue
        cells = [[excel_text(c) for c in row] for row in openpyxl.load_workbook(workbook).worksheets[0].values]
        assert ["Versie", "v2 (actueel bij publicatie)"] in [r[:2] for r in cells], workbook.name
        assert ["Vervangt", "v1: nieuwe stand per 09-12-2024 (was 06-12-2024)"] in [r[:2] for r in cells], workbook.name
    v1_text = " ".join(p.extract_text() for p in PdfReader(next(version_dir(outbox).glob("*.pdf"))).pages)
    assert "Versie v1 (actueel bij publicatie)" in v1_text and "Vervangt" not in v1_text
    # the older extract, run again (a backfill rerun), never replaces the corrected version
    again = {o.owner: o for o in run_production("kijkglas-1", extract, outbox, SJ, date(2024, 12, 10), settings=Settings(), processes=2)}
    assert again[h.S].outcome == "overgeslagen" and not version_dir(outbox, v="v3").exists()


def test_audit_finds_no_leak_and_catches_one(produced, tmp_path):
    root, extract, outbox, _ = produced
    assert audit_outbox(outbox, root / "extracts", Settings()) == []
    copy = tmp_path / "outbox"
    shutil.copytree(outbox, copy)
    # smuggle one of S's pupils into the neighbour's bestand 2
    src = read_csv_rows(version_dir(copy) / "data" / "k1_inschrijvingen.csv")
    dst_path = version_dir(copy, swv=h.OTHER) / "data" / "k1_inschrijvingen.csv"
    dst = read_csv_rows(dst_path)
    with open(dst_path, "w", newline="") as f:
        csv.writer(f).writerows(dst + [src[1]])
    problems = audit_outbox(copy, root / "extracts", Settings())
    assert len(problems) == 1 and h.OTHER in problems[0] and src[1][2] in problems[0]
