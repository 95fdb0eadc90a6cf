"""Which dashboard pages a set of publications makes again, and for whom (plain functions, no Prefect)."""
from __future__ import annotations

from pathlib import Path

from outbox.dashboard.pages import pages_to_make
from production.steps import SwvOutcome, changed_by_owner

SJ = "2024-2025"
ALL = [{"key": k} for k in ("1a", "1b", "2", "groei")]


def _existing(tmp_path: Path, keys=("1a", "1b", "2", "groei")) -> Path:
    folder = tmp_path / "dashboard" / SJ
    folder.mkdir(parents=True)
    for k in keys:
        (folder / f"{k}.html").write_text("x")
    return tmp_path


def test_every_page_when_nothing_is_named(tmp_path):
    assert pages_to_make(ALL, _existing(tmp_path), SJ, None) == ["1a", "1b", "2", "groei"]


def test_only_the_pages_of_the_products_published(tmp_path):
    owner_dir = _existing(tmp_path)
    assert pages_to_make(ALL, owner_dir, SJ, [(SJ, "kijkglas-1")]) == ["1a", "1b"]
    assert pages_to_make(ALL, owner_dir, SJ, [(SJ, "kijkglas-2"), (SJ, "kijkglas-4")]) == ["2", "groei"]
    # Kijkglas 3 and 4 share one page: made once
    assert pages_to_make(ALL, owner_dir, SJ, [(SJ, "kijkglas-3"), (SJ, "kijkglas-4")]) == ["groei"]


def test_no_page_of_a_schooljaar_nothing_was_published_for(tmp_path):
    owner_dir = _existing(tmp_path)
    assert pages_to_make(ALL, owner_dir, SJ, [("2023-2024", "kijkglas-1")]) == []
    assert pages_to_make(ALL, owner_dir, SJ, []) == []


def test_every_page_of_the_schooljaar_when_one_is_missing(tmp_path):
    # a new page changes the menu of the others
    owner_dir = _existing(tmp_path, keys=("1a", "1b"))
    assert pages_to_make(ALL, owner_dir, SJ, [(SJ, "kijkglas-2")]) == ["1a", "1b", "2", "groei"]


def _o(owner, product, outcome, schooljaar=SJ):
    return SwvOutcome(owner=owner, product=product, schooljaar=schooljaar, outcome=outcome, version="v1",
                      stand_per="2025-04-06")


def test_changed_by_owner_names_each_owner_once_with_what_got_a_new_version():
    outcomes = [_o("PO2001", "kijkglas-2", "gepubliceerd"), _o("PO2001", "kijkglas-3", "gepubliceerd"),
                _o("PO2002", "kijkglas-2", "ongewijzigd"), _o("openbaar", "kijkglas-3", "gepubliceerd"),
                _o("PO2003", "kijkglas-4", "overgeslagen"), _o("PO2001", "kijkglas-2", "gepubliceerd")]
    assert changed_by_owner(outcomes) == {"PO2001": [(SJ, "kijkglas-2"), (SJ, "kijkglas-3")],
                                          "openbaar": [(SJ, "kijkglas-3")]}
