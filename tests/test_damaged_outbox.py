"""A damaged outbox is noticed (issue 25, items 3, 4, 6, 7): `status`, `audit` and a production check
the versions they rely on; a register that is no database is rebuilt; pages that lag behind the
folder are made again; an SWV folder or operator folder that is a link is refused; a failing disk is
one Dutch line. Each case is built from a small published outbox, damaged by hand."""
from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from core.settings import Settings
from kijkglas.cli import main
from outbox.layout import OPERATOR_DIR
from outbox.page_stamp import freshness
from outbox.reconcile import open_register, outbox_id
from production.refusals import ProductionRefused
from production.steps import run_production
from tests.extract_factory import LEERLINGEN, SWV_PO, SWV_VO, minimal_tables, write_extract

SJ = "2024-2025"
DAY = date(2024, 12, 10)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """An extract and the outbox one production of Kijkglas 1 made from it (both SWVs published)."""
    root = tmp_path_factory.mktemp("gepubliceerd")
    extract = write_extract(root, minimal_tables())
    outbox = root / "outbox"
    run_production("kijkglas-1", extract, outbox, SJ, DAY, settings=Settings(), processes=1)
    return extract, outbox


@pytest.fixture
def outbox(published, tmp_path):
    """A fresh copy of the published outbox (the extract stays where it is)."""
    copy = tmp_path / "outbox"
    shutil.copytree(published[1], copy)
    return copy


def v1(outbox: Path, owner: str = SWV_PO) -> Path:
    return outbox / owner / SJ / "kijkglas-1" / "v1"


def produce(extract: Path, outbox: Path):
    return run_production("kijkglas-1", extract, outbox, SJ, DAY, settings=Settings(), processes=1)


def published_files(outbox: Path) -> dict[str, bytes]:
    return {p.relative_to(outbox).as_posix(): p.read_bytes() for p in sorted(outbox.rglob("*"))
            if p.is_file() and not {OPERATOR_DIR, ".locks", ".staging"} & set(p.parts) and "register" not in p.name
            and p.parent != outbox}  # the operator's overview at the top names the time of each production


def edit_manifest(folder: Path, **fields) -> None:
    m = json.loads((folder / "manifest.json").read_text())
    m.update(fields)
    (folder / "manifest.json").write_text(json.dumps(m))


def _delete_csv(d: Path) -> str:
    (d / "data" / "k1_tlv.csv").unlink()
    return "data/k1_tlv.csv staat in het manifest maar ontbreekt"


def _replace_pdf(d: Path) -> str:
    pdf = d / f"kijkglas-1_{SWV_PO}.pdf"
    pdf.write_bytes(b"X" * pdf.stat().st_size)  # same size: only the SHA-256 tells
    return f"kijkglas-1_{SWV_PO}.pdf wijkt af van het manifest (SHA-256)"


def _edit_sha(d: Path) -> str:
    m = json.loads((d / "manifest.json").read_text())
    m["files"][0]["sha256"] = "0" * 64
    (d / "manifest.json").write_text(json.dumps(m))
    return f"{m['files'][0]['path']} wijkt af van het manifest (SHA-256)"


def _edit_swv(d: Path) -> str:
    edit_manifest(d, swv=SWV_VO)
    return f"het manifest zegt swv = '{SWV_VO}', de map zegt '{SWV_PO}'"


def _break_json(d: Path) -> str:
    (d / "manifest.json").write_text("{kapot")
    return "manifest.json ontbreekt of is geen geldig manifest"


DAMAGE = {"csv verwijderd": _delete_csv, "pdf vervangen": _replace_pdf, "sha256 bewerkt": _edit_sha,
          "swv bewerkt": _edit_swv, "manifest geen json": _break_json}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_status_audit_and_a_production_notice_a_damaged_version(published, outbox, damage, capsys, caplog):
    extract = published[0]
    said = damage(v1(outbox))
    assert main(["status", "--outbox", str(outbox)]) == 1
    out = capsys.readouterr()
    assert f"{v1(outbox)}: {said}" in out.err and "Traceback" not in out.err + out.out + caplog.text
    assert f"== {SWV_VO} ==" in out.out  # the sound SWV is still shown
    assert main(["audit", "--outbox", str(outbox), "--extracts", str(extract.parent)]) == 1
    assert f"{v1(outbox)}: {said}" in capsys.readouterr().err
    before = published_files(outbox)
    with pytest.raises(ProductionRefused) as refused:
        produce(extract, outbox)
    assert f"{SWV_PO}/{SJ}/kijkglas-1/v1: {said}" in str(refused.value)
    # the advice fits the damage: a version without a valid manifest cannot be withdrawn
    advice = ("Zet het manifest terug uit een back-up" if "geen geldig manifest" in said
              else "kijkglas withdraw kijkglas-1")
    assert advice in str(refused.value) and "Er is niets gepubliceerd." in str(refused.value)
    assert published_files(outbox) == before  # not ongewijzigd, no v2 built on it, no page touched


def test_a_production_refused_on_damage_is_one_dutch_line_on_the_command_line(published, outbox, capsys):
    _delete_csv(v1(outbox))
    rc = main(["produce", "kijkglas-1", "--schooljaar", SJ, "--extract", str(published[0]), "--outbox", str(outbox),
               "--no-prefect", "--productiedatum", DAY.isoformat()])
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("productie geweigerd: kijkglas-1 2024-2025: beschadigde gepubliceerde versie")
    assert len(err.strip().splitlines()) == 1


def test_a_withdrawn_damaged_version_lets_the_next_production_publish(published, outbox):
    _delete_csv(v1(outbox))
    assert main(["withdraw", "kijkglas-1", "--schooljaar", SJ, "--version", "v1", "--reason", "csv kwijt",
                 "--outbox", str(outbox), "--swv", SWV_PO]) == 0
    outcomes = {o.owner: o for o in produce(published[0], outbox)}
    assert (outcomes[SWV_PO].outcome, outcomes[SWV_PO].version) == ("gepubliceerd", "v2")
    assert outcomes[SWV_VO].outcome == "ongewijzigd"


def test_a_sound_outbox_passes_status_and_audit(published, outbox, capsys):
    assert main(["status", "--outbox", str(outbox)]) == 0
    assert main(["audit", "--outbox", str(outbox), "--extracts", str(published[0].parent)]) == 0
    assert "BESCHADIGD" not in capsys.readouterr().err


def test_a_register_overwritten_with_garbage_is_rebuilt_from_the_manifests(published, outbox, capsys, caplog):
    register = outbox / ".register.sqlite"
    for side in outbox.glob(".register.sqlite-*"):
        side.unlink()
    register.write_bytes(b"geen database " * 1000)
    with caplog.at_level(logging.WARNING):
        assert main(["status", "--outbox", str(outbox)]) == 0
    assert f"== {SWV_PO} ==" in capsys.readouterr().out
    notices = [r.getMessage() for r in caplog.records if "beschadigd" in r.getMessage()]
    assert len(notices) == 1 and "opnieuw opgebouwd uit de manifesten" in notices[0]
    assert [p.name for p in outbox.glob(".register.sqlite.beschadigd-*")]  # kept for inspection
    with open_register(outbox) as reg:
        assert {(r["owner"], r["version"], r["status"]) for r in reg.rows(outbox_id(outbox))} == {
            (SWV_PO, "v1", "actueel"), (SWV_VO, "v1", "actueel")}
    # a production on a garbage register rebuilds it too, and finds the same data
    register.unlink()
    register.write_bytes(b"\0" * 4096 + b"nog steeds geen database")
    assert {o.outcome for o in produce(published[0], outbox)} == {"ongewijzigd"}


# --- the audit reads the workbooks and the pages ---------------------------------------------------

def foreign_pupil(published) -> str:
    """A pupil of the extract that the rules give to neither SWV's bestand 2 in VO2707's folder."""
    rows = (v1(published[1], SWV_VO) / "data" / "k1_inschrijvingen.csv").read_text()
    return next(p for p in LEERLINGEN if p not in rows)


def test_audit_finds_a_foreign_pupil_planted_in_a_workbook(published, outbox, capsys):
    pupil = foreign_pupil(published)
    workbook = next(v1(outbox, SWV_VO).glob("*bestand-2*.xlsx"))
    wb = openpyxl.load_workbook(workbook)
    wb.worksheets[-1].append(["TLV", "T9", pupil])
    wb.save(workbook)
    assert main(["audit", "--outbox", str(outbox), "--extracts", str(published[0].parent)]) == 1
    out = capsys.readouterr().out
    assert f"{workbook}: 1 leerlingnummer(s) die de regels niet aan {SWV_VO} geven, bv. ['{pupil}']" in out


def test_audit_finds_a_foreign_pupil_planted_in_a_page(published, outbox, capsys):
    pupil = foreign_pupil(published)
    page = outbox / SWV_VO / "index.html"
    page.write_text(page.read_text().replace("</body>", f"<p>{pupil}</p></body>"))
    assert main(["audit", "--outbox", str(outbox), "--extracts", str(published[0].parent)]) == 1
    assert f"{page}: 1 leerlingnummer(s) die de regels niet aan {SWV_VO} geven" in capsys.readouterr().out


def test_the_pupils_an_swv_is_given_are_no_finding_in_its_workbooks_and_pages(published, outbox):
    from production.audit import audit_outbox, page_pupil_ids, workbook_pupil_ids
    assert audit_outbox(outbox, published[0].parent, Settings()) == []
    shown = set().union(*(workbook_pupil_ids(w) for w in v1(outbox).glob("*.xlsx")),
                        *(page_pupil_ids(p) for p in (outbox / SWV_PO).rglob("*.html")))
    assert shown and shown <= set(LEERLINGEN)  # the audit reads pupils where they are


def test_register_read_error_that_is_not_corruption_is_not_rebuilt(outbox, monkeypatch):
    """A locked or unreadable register (OperationalError) is never set aside and rebuilt."""
    import outbox.register as register

    def locked(self):
        raise sqlite3.OperationalError("database is locked")
    monkeypatch.setattr(register.Register, "_open", locked)
    with pytest.raises(sqlite3.OperationalError):
        open_register(outbox)
    assert not list(outbox.glob(".register.sqlite.beschadigd-*"))


# --- pages that lag behind the folder are made again -------------------------------------------------

def test_a_rerun_remakes_the_pages_a_broken_off_production_left_behind(published, tmp_path, monkeypatch):
    from production import steps
    outbox = tmp_path / "outbox"
    shutil.copytree(published[1], outbox)
    tables = minimal_tables()
    tables["vestigingen"].loc[tables["vestigingen"]["swv_code"] == SWV_PO, "naam"] += " (nieuw)"
    corrected = write_extract(tmp_path / "gecorrigeerd", tables, stand_per="2024-12-09")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("gestopt na het publiceren, voor de pagina's")
    monkeypatch.setattr(steps, "remake_pages", killed)
    with pytest.raises(KeyboardInterrupt):
        produce(corrected, outbox)
    monkeypatch.undo()
    index = outbox / SWV_PO / "index.html"
    assert (outbox / SWV_PO / SJ / "kijkglas-1" / "v2").is_dir() and "kijkglas-1/v2/" not in index.read_text()
    outcomes = {o.owner: o for o in produce(corrected, outbox)}
    assert (outcomes[SWV_PO].outcome, outcomes[SWV_PO].version) == ("ongewijzigd", "v2")
    assert "kijkglas-1/v2/" in index.read_text()  # the pages show the actueel version again
    # VO2707's confirmation, recorded by the broken-off run, is on its pages now too
    assert all(freshness(outbox, owner).fresh for owner in (SWV_PO, SWV_VO))
    before = published_files(outbox)
    produce(corrected, outbox)
    assert published_files(outbox) == before  # and a second rerun changes nothing


# --- links in the outbox are refused, reports replace a planted link -------------------------------

def test_an_swv_folder_that_is_a_link_is_refused_and_nothing_is_written_where_it_points(published, outbox, tmp_path,
                                                                                       capsys):
    elsewhere = tmp_path / "elders"
    shutil.move(outbox / SWV_PO, elsewhere)
    (outbox / SWV_PO).symlink_to(elsewhere)
    before = {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()}
    tables = minimal_tables()
    tables["vestigingen"].loc[tables["vestigingen"]["swv_code"] == SWV_PO, "naam"] += " (nieuw)"
    with pytest.raises(ProductionRefused, match=f"{outbox / SWV_PO} is een symbolische link"):
        produce(write_extract(tmp_path / "gecorrigeerd", tables, stand_per="2024-12-09"), outbox)
    assert {p: p.read_bytes() for p in elsewhere.rglob("*") if p.is_file()} == before
    assert main(["status", "--outbox", str(outbox)]) == 1
    assert f"{outbox / SWV_PO}: is een symbolische link" in capsys.readouterr().err


@pytest.mark.parametrize("linked", ["validatie", "kwaliteit"])
def test_an_operator_folder_that_is_a_link_is_refused(published, outbox, tmp_path, linked, capsys):
    target = tmp_path / "doel"
    target.mkdir()
    link = outbox / OPERATOR_DIR / linked
    shutil.rmtree(link)
    link.symlink_to(target)
    rc = main(["produce", "kijkglas-1", "--schooljaar", SJ, "--extract", str(published[0]), "--outbox", str(outbox),
               "--no-prefect", "--productiedatum", DAY.isoformat()])
    err = capsys.readouterr().err
    assert rc == 1 and f"fout: {link} is een symbolische link; er wordt niet doorheen geschreven." in err
    assert list(target.iterdir()) == []
    if linked == "validatie":
        assert main(["validate", str(published[0]), "--outbox", str(outbox)]) == 1
        assert "is een symbolische link" in capsys.readouterr().err and list(target.iterdir()) == []


def test_a_report_file_planted_as_a_link_is_replaced_not_written_through(published, tmp_path):
    report = tmp_path / "rapport"
    report.mkdir()
    victim = tmp_path / "belangrijk.txt"
    victim.write_text("niet overschrijven")
    (report / "validatie.txt").symlink_to(victim)
    (report / "validatie.csv").symlink_to(victim)
    assert main(["validate", str(published[0]), "--report", str(report)]) == 0
    assert victim.read_text() == "niet overschrijven"
    assert not (report / "validatie.txt").is_symlink() and "Geen fouten" in (report / "validatie.txt").read_text()


# --- a failing disk or register is one Dutch line, and the exit code tells what was published -------

@pytest.mark.parametrize("error, words", [
    ("unable to open database file", "het register kan niet worden geopend (alleen-lezen of geen toestemming?)"),
    ("attempt to write a readonly database", "het register is alleen-lezen"),
    ("disk I/O error", "een lees- of schrijffout van de schijf"),
])
def test_status_on_an_unusable_register_is_one_dutch_line(outbox, monkeypatch, capsys, error, words):
    import outbox.register as register

    def failing(self):
        raise sqlite3.OperationalError(error)
    monkeypatch.setattr(register.Register, "_open", failing)
    assert main(["status", "--outbox", str(outbox)]) == 1
    out = capsys.readouterr()
    assert out.err.strip() == f"fout: de status van outbox {outbox} kan niet worden bepaald: {words} ({error})"


def test_a_full_disk_after_the_version_landed_is_no_failure(published, outbox, tmp_path, monkeypatch, caplog):
    import outbox.register as register
    tables = minimal_tables()
    tables["vestigingen"].loc[tables["vestigingen"]["swv_code"] == SWV_PO, "naam"] += " (nieuw)"
    corrected = write_extract(tmp_path / "gecorrigeerd", tables, stand_per="2024-12-09")
    real_upsert = register.Register.upsert

    def full(self, row):
        if row["version"] == "v2":
            raise sqlite3.OperationalError("database or disk is full")
        real_upsert(self, row)
    monkeypatch.setattr(register.Register, "upsert", full)
    from concurrent.futures import ThreadPoolExecutor

    from production import runtime
    monkeypatch.setattr(runtime, "render_pool", lambda processes=None: ThreadPoolExecutor(1))  # the patch holds there
    with caplog.at_level(logging.WARNING):
        outcomes = {o.owner: o for o in produce(corrected, outbox)}
    assert (outcomes[SWV_PO].outcome, outcomes[SWV_PO].version) == ("gepubliceerd", "v2")
    assert outcomes[SWV_PO].reason == "gepubliceerd; daarna mislukt: de schijf is vol (database or disk is full)"
    assert "v2 gepubliceerd, daarna mislukt: de schijf is vol" in caplog.text
    monkeypatch.undo()
    assert main(["status", "--outbox", str(outbox)]) == 0  # the register follows the manifests again
    with open_register(outbox) as reg:
        rows = {r["version"]: r["status"] for r in reg.rows(outbox_id(outbox), SWV_PO)}
    assert rows == {"v1": "vervangen", "v2": "actueel"}


def test_a_full_disk_before_anything_landed_is_one_dutch_line(published, outbox, monkeypatch, capsys):
    import errno

    from production import steps

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(steps, "write_operator_files", full)
    rc = main(["produce", "kijkglas-1", "--schooljaar", SJ, "--extract", str(published[0]), "--outbox", str(outbox),
               "--no-prefect", "--productiedatum", DAY.isoformat()])
    assert rc == 1 and capsys.readouterr().err.strip() == "fout: de schijf is vol"


def corrected(tmp_path: Path) -> Path:
    """A re-issue in which both SWVs' figures change (every vestiging renamed)."""
    tables = minimal_tables()
    tables["vestigingen"]["naam"] += " (nieuw)"
    return write_extract(tmp_path / "gecorrigeerd", tables, stand_per="2024-12-09")


def produce_cli(extract: Path, outbox: Path) -> int:
    return main(["produce", "kijkglas-1", "--schooljaar", SJ, "--extract", str(extract), "--outbox", str(outbox),
                 "--no-prefect", "--productiedatum", DAY.isoformat()])


@pytest.mark.parametrize("linked", [".staging", ".locks"])
def test_a_staging_or_lock_folder_that_is_a_link_is_refused_and_what_it_points_to_is_untouched(
        published, outbox, tmp_path, capsys, linked):
    target = tmp_path / "belangrijk"
    target.mkdir()
    (target / "data.txt").write_text("niet weggooien")
    (target / "notities.lock").write_text("ook niet")
    shutil.rmtree(outbox / linked, ignore_errors=True)
    (outbox / linked).symlink_to(target)
    before = published_files(outbox)
    assert produce_cli(corrected(tmp_path), outbox) == 1
    assert f"{outbox / linked} is een symbolische link; er wordt niet doorheen geschreven" in capsys.readouterr().err
    assert tree_bytes(target) == {"data.txt": b"niet weggooien", "notities.lock": b"ook niet"}
    assert published_files(outbox) == before


def test_a_dashboard_folder_that_is_a_link_is_never_written_through(published, outbox, tmp_path, capsys):
    target = tmp_path / "elders"
    shutil.move(outbox / SWV_PO / "dashboard", target)
    (outbox / SWV_PO / "dashboard").symlink_to(target)
    before = tree_bytes(target)
    assert main(["status", "--outbox", str(outbox)]) == 1
    out = capsys.readouterr()
    assert f"{outbox / SWV_PO / 'dashboard'}: is een symbolische link" in out.err
    assert f"== {SWV_VO} ==" in out.out  # the other SWVs' status is still shown
    assert produce_cli(corrected(tmp_path), outbox) == 1
    capsys.readouterr()
    assert tree_bytes(target) == before


def test_a_full_disk_after_every_version_landed_exits_0_and_says_what_was_left(published, outbox, tmp_path,
                                                                              monkeypatch, capsys, caplog):
    import errno

    from production import steps

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(steps, "store_comparison", full)
    monkeypatch.setattr(steps, "remake_pages", full)
    with caplog.at_level(logging.WARNING):
        assert produce_cli(corrected(tmp_path), outbox) == 0  # both v2's are published: the exit says so
    assert "gepubliceerd, maar de vergelijking niet bijgewerkt: de schijf is vol" in caplog.text
    assert "gepubliceerd, maar de pagina's niet bijgewerkt: de schijf is vol" in caplog.text
    assert {p.parent.name for p in outbox.glob(f"*/{SJ}/kijkglas-1/v2/manifest.json")} == {"v2"}
    assert len(list(outbox.glob(f"*/{SJ}/kijkglas-1/v2/manifest.json"))) == 2


def test_a_publication_that_fails_for_one_swv_says_what_was_published_and_what_not(published, outbox, tmp_path,
                                                                                  monkeypatch, capsys):
    import errno

    from production import steps
    real = steps.publish_version

    def full_for_vo(outbox, owner, *args, **kwargs):
        if owner == SWV_VO:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(outbox, owner, *args, **kwargs)
    monkeypatch.setattr(steps, "publish_version", full_for_vo)
    assert produce_cli(corrected(tmp_path), outbox) == 1
    err = capsys.readouterr().err
    assert err.strip() == (f"productie deels mislukt: kijkglas-1 {SJ}: gepubliceerd voor 1 SWV('s) ({SWV_PO}), maar "
                           f"niet voor {SWV_VO}: de schijf is vol. Los dat op en draai de productie opnieuw: wat "
                           "gepubliceerd is, blijft zoals het is.")
    assert (v1(outbox, SWV_PO).parent / "v2").is_dir() and not (v1(outbox, SWV_VO).parent / "v2").exists()
    assert not [p for p in (outbox / ".staging").iterdir() if p.is_dir()]  # no half version left


# --- withdraw and restore never act through a link ----------------------------------------------------

def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def status_change(command: str, outbox: Path, swv: str = SWV_PO) -> int:
    return main([command, "kijkglas-1", "--schooljaar", SJ, "--version", "v1", "--reason", "fout in bron",
                 "--outbox", str(outbox), "--swv", swv])


@pytest.mark.parametrize("command", ["withdraw", "restore"])
@pytest.mark.parametrize("swv", [SWV_PO, "alle"])
def test_withdraw_and_restore_refuse_an_swv_folder_that_is_a_link(outbox, tmp_path, capsys, command, swv):
    elsewhere = tmp_path / "elders"
    shutil.move(outbox / SWV_PO, elsewhere)
    (outbox / SWV_PO).symlink_to(elsewhere)
    there, here = tree_bytes(elsewhere), tree_bytes(outbox)
    assert status_change(command, outbox, swv) == 1
    assert capsys.readouterr().err == (f"fout: {outbox / SWV_PO} is een symbolische link; er wordt niet doorheen "
                                       "geschreven. Vervang de link door een gewone map. Er is niets veranderd.\n")
    assert tree_bytes(elsewhere) == there and tree_bytes(outbox) == here  # nothing written, here or there


@pytest.mark.parametrize("command", ["withdraw", "restore"])
@pytest.mark.parametrize("linked", [OPERATOR_DIR, ".locks"])
def test_withdraw_and_restore_refuse_an_operator_or_lock_folder_that_is_a_link(outbox, tmp_path, capsys, command,
                                                                            linked):
    target = tmp_path / "doel"
    if (outbox / linked).exists():
        shutil.move(outbox / linked, target)
    else:
        target.mkdir()
    (outbox / linked).symlink_to(target)
    there, here = tree_bytes(target), tree_bytes(outbox)
    assert status_change(command, outbox) == 1
    assert capsys.readouterr().err == (f"fout: {outbox / linked} is een symbolische link; er wordt niet doorheen "
                                       "geschreven. Vervang de link door een gewone map. Er is niets veranderd.\n")
    assert tree_bytes(target) == there and tree_bytes(outbox) == here


def test_the_outbox_refuses_a_status_change_through_a_link_itself(outbox, tmp_path):
    from core.files import LinkRefused
    from outbox.publish import withdraw_version
    elsewhere = tmp_path / "elders"
    shutil.move(outbox / SWV_PO, elsewhere)
    (outbox / SWV_PO).symlink_to(elsewhere)
    there = tree_bytes(elsewhere)
    with pytest.raises(LinkRefused, match=f"{outbox / SWV_PO} is een symbolische link"):
        withdraw_version(outbox, SWV_PO, SJ, "kijkglas-1", "v1", "fout in bron")
    assert tree_bytes(elsewhere) == there


def test_a_rerun_after_a_crash_between_rename_and_marking_repairs_the_double_actueel(published, outbox, tmp_path):
    """Killed right after v2 was renamed in: v1 still says actueel. The rerun (ongewijzigd: its tables are
    v2's) makes v1 vervangen, the register and the pages follow; no `kijkglas status` needed."""
    correction = corrected(tmp_path)
    produce(correction, outbox)
    edit_manifest(v1(outbox), status="actueel", replaced_by=None)  # as the crash left it
    outcomes = {o.owner: o.outcome for o in produce(correction, outbox)}
    assert outcomes == {SWV_PO: "ongewijzigd", SWV_VO: "ongewijzigd"}
    assert json.loads((v1(outbox) / "manifest.json").read_text())["status"] == "vervangen"
    with open_register(outbox) as reg:
        rows = {r["version"]: r["status"] for r in reg.rows(outbox_id(outbox), SWV_PO)}
    assert rows == {"v1": "vervangen", "v2": "actueel"}
    history = (outbox / SWV_PO / "dashboard" / "historie.html").read_text(encoding="utf-8")
    assert history.count(">actueel<") == 1, history
