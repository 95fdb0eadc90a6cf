"""The publication calendar as data: what is due when, about which schooljaar, on which extract."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from production import kalender as k


def test_due_on_each_month():
    cal = k.load_kalender()
    due = lambda d: {(p.product, p.schooljaar) for p in k.due_on(d, cal)}  # noqa: E731
    assert due(date(2024, 8, 10)) == {("kijkglas-1", "2024-2025"), ("kijkglas-2", "2024-2025")}
    assert due(date(2024, 10, 10)) == {("kijkglas-1", "2024-2025"), ("kijkglas-2", "2024-2025"),
                                       ("kijkglas-5", "2023-2024")}
    assert due(date(2025, 4, 10)) == {("kijkglas-2", "2024-2025"), ("kijkglas-3", "2024-2025"),
                                      ("kijkglas-4", "2024-2025")}
    assert due(date(2025, 1, 10)) == {("kijkglas-2", "2024-2025")}


def test_last_date_switches_a_product_off():
    cal = k.load_kalender()
    cal["kijkglas-5"] = replace(cal["kijkglas-5"], laatste_datum=date(2022, 10, 31))
    assert "kijkglas-5" in {p.product for p in k.due_on(date(2022, 10, 10), cal)}
    assert "kijkglas-5" not in {p.product for p in k.due_on(date(2023, 10, 10), cal)}


def test_production_dates_of_a_schooljaar_in_order():
    plan = k.production_dates("2024-2025", k.load_kalender())
    assert [p.datum for p in plan] == sorted(p.datum for p in plan)
    assert sum(p.product == "kijkglas-1" for p in plan) == 5
    assert sum(p.product == "kijkglas-2" for p in plan) == 12
    assert [p.schooljaar for p in plan if p.product == "kijkglas-5"] == ["2023-2024"]
    assert plan[0] == k.Productie(date(2024, 8, 10), "kijkglas-1", "2024-2025")


def test_newest_extract_on(tmp_path):
    for sp in ["2024-10-06", "2024-11-06", "2024-11-11"]:
        (tmp_path / sp).mkdir()
        (tmp_path / sp / "extract.json").write_text(json.dumps({"stand_per": sp}))
    assert k.newest_extract_on(tmp_path, date(2024, 11, 10)).name == "2024-11-06"
    assert k.newest_extract_on(tmp_path, date(2024, 11, 11)).name == "2024-11-11"
    assert k.newest_extract_on(tmp_path, date(2024, 10, 5)) is None


def test_chains_keep_each_product_and_schooljaar_in_date_order():
    plan = k.production_dates("2024-2025", k.load_kalender(), ["kijkglas-1", "kijkglas-2", "kijkglas-5"])
    chains = k.chains(plan)
    assert [(c[0].product, c[0].schooljaar) for c in chains] == [
        ("kijkglas-1", "2024-2025"), ("kijkglas-2", "2024-2025"), ("kijkglas-5", "2023-2024")]
    assert [p.datum.month for p in chains[0]] == [8, 9, 10, 11, 12]
    assert [p.datum.month for p in chains[1]] == [8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7]
    assert sum(len(c) for c in chains) == len(plan)


def test_only_productions_with_an_extract_are_planned(tmp_path):
    (tmp_path / "2024-10-06").mkdir()
    (tmp_path / "2024-10-06" / "extract.json").write_text('{"stand_per": "2024-10-06"}')
    plan = k.production_dates("2024-2025", k.load_kalender(), ["kijkglas-1"])
    assert [p.datum.month for p in k.with_extracts(plan, tmp_path)] == [10, 11, 12]


def test_one_concurrency_limit_per_product_and_schooljaar():
    assert k.concurrency_name("kijkglas-1", "2024-2025") == "kijkglas-publicatie-kijkglas-1-2024-2025"


def test_quick_products_compute_first_then_the_calendars_order():
    day = date(2025, 4, 10)
    plan = [k.Productie(day, p, "2024-2025") for p in ("kijkglas-2", "kijkglas-3", "kijkglas-4")]
    assert [p.product for p in k.compute_order(plan)] == ["kijkglas-4", "kijkglas-2", "kijkglas-3"]
    october = [k.Productie(date(2024, 10, 10), p, sj) for p, sj in
               (("kijkglas-1", "2024-2025"), ("kijkglas-2", "2024-2025"), ("kijkglas-5", "2023-2024"))]
    assert [p.product for p in k.compute_order(october)] == ["kijkglas-5", "kijkglas-1", "kijkglas-2"]


def test_a_choice_of_vo_swvs_drops_the_products_made_for_po_only():
    from production.kalender import Productie, productions_for_swvs, swvs_for_product
    day = [Productie(date(2025, 4, 10), p, "2024-2025") for p in ("kijkglas-2", "kijkglas-3", "kijkglas-4")]
    assert [p.product for p in productions_for_swvs(day, ["VO3101"])] == ["kijkglas-2", "kijkglas-3"]
    assert productions_for_swvs(day, ["VO3101", "PO2303"]) == day and productions_for_swvs(day, None) == day
    assert swvs_for_product("kijkglas-4", ["PO2303", "VO3101"]) == ["PO2303"]
    assert swvs_for_product("kijkglas-2", ["PO2303", "VO3101"]) == ["PO2303", "VO3101"]
    assert swvs_for_product("kijkglas-4", None) is None
    assert swvs_for_product("kijkglas-4", ["XX0000"]) == ["XX0000"]  # not dropped: the product refuses it by name
    assert productions_for_swvs(day, []) == day and swvs_for_product("kijkglas-4", []) == []  # an empty choice as before
