"""What a production refuses before anything is written: a period the extract cannot support, an
extract without a registration in the period, SWV codes the product is not made for. Each message
names the product, the dates and what to do. No Prefect."""
from __future__ import annotations

from datetime import date

import pytest

from kijkglas.cli import main
from production import kalender, refusals
from schemas.extract import read_extract
from tasks.compute import check_swv_codes
from tests import handleiding_k1 as h

CAL = kalender.load_kalender()


@pytest.mark.parametrize("product, schooljaar, stand_per, first", [
    ("kijkglas-1", "2025-2026", date(2025, 4, 10), "01-08-2025"),   # teldatum still to come
    ("kijkglas-2", "2025-2026", date(2025, 7, 31), "01-08-2025"),
    ("kijkglas-3", "2024-2025", date(2024, 12, 6), "01-02-2025"),   # before the growth peildatum
    ("kijkglas-4", "2024-2025", date(2025, 1, 31), "01-02-2025"),
    ("kijkglas-5", "2024-2025", date(2025, 4, 10), "31-07-2025"),   # the schooljaar is not over
])
def test_a_stand_per_before_the_first_usable_one_is_refused(product, schooljaar, stand_per, first):
    with pytest.raises(refusals.ProductionRefused) as refused:
        refusals.check_period(product, schooljaar, stand_per, stand_per, CAL)
    message = str(refused.value)
    assert product in message and schooljaar in message and f"{stand_per:%d-%m-%Y}" in message
    assert f"Lever een extract met stand per op of na {first}" in message


@pytest.mark.parametrize("product, schooljaar, stand_per", [
    ("kijkglas-1", "2024-2025", date(2024, 8, 1)), ("kijkglas-2", "2024-2025", date(2024, 8, 6)),
    ("kijkglas-3", "2024-2025", date(2025, 2, 1)), ("kijkglas-4", "2024-2025", date(2025, 4, 6)),
    ("kijkglas-5", "2023-2024", date(2024, 7, 31)),
])
def test_the_first_usable_stand_per_is_accepted(product, schooljaar, stand_per):
    refusals.check_period(product, schooljaar, stand_per, stand_per, CAL)


def test_a_production_date_before_the_stand_per_is_refused():
    with pytest.raises(refusals.ProductionRefused, match="productiedatum 01-03-2025 ligt vóór de stand per 10-04-2025"):
        refusals.check_period("kijkglas-2", "2024-2025", date(2025, 4, 10), date(2025, 3, 1), CAL)


def test_a_malformed_schooljaar_is_refused_in_one_line():
    with pytest.raises(ValueError, match="'2024/2025' is geen schooljaar"):
        refusals.check_period("kijkglas-1", "2024/2025", date(2024, 12, 6), date(2024, 12, 6), CAL)


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    return h.build().write(tmp_path_factory.mktemp("k1") / "2024-12-06")


def test_a_schooljaar_without_a_single_registration_is_refused(extract):
    ex = read_extract(extract)
    refusals.check_not_empty("kijkglas-1", "2024-2025", ex)
    with pytest.raises(refusals.ProductionRefused, match="geen enkele inschrijving in het schooljaar 2001-2002"):
        refusals.check_not_empty("kijkglas-2", "2001-2002", ex)


def test_swv_codes_a_product_is_not_made_for_are_refused_with_the_valid_choice(extract):
    ex = read_extract(extract)
    check_swv_codes(ex, [h.S, h.VO], "kijkglas-1")
    with pytest.raises(ValueError, match=f"kijkglas-4 is er alleen voor PO-samenwerkingsverbanden, niet voor {h.VO}; "
                                         f"kies uit {h.S}, {h.OTHER}"):
        check_swv_codes(ex, [h.S, h.VO], "kijkglas-4", ("PO",))
    with pytest.raises(ValueError, match="onbekende SWV-code\\(s\\): XX0000"):
        check_swv_codes(ex, ["XX0000"], "kijkglas-1")


def test_the_cli_refuses_and_publishes_nothing(extract, tmp_path, capsys):
    outbox = tmp_path / "outbox"
    rc = main(["produce", "kijkglas-1", "--schooljaar", "2025-2026", "--extract", str(extract),
               "--outbox", str(outbox), "--no-prefect"])
    err = capsys.readouterr().err
    assert rc == 1 and "productie geweigerd: kijkglas-1 2025-2026" in err and "Traceback" not in err
    assert not [p for p in outbox.glob("*") if not p.name.startswith(".")]  # no SWV folder, no version


def test_an_option_given_twice_adds_up_and_a_bare_one_is_a_usage_error(capsys):
    from kijkglas.cli import parser
    args = parser().parse_args(["produce", "kijkglas-1", "--schooljaar", "2024-2025", "--extract", ".",
                                "--outbox", "o", "--swv", "PO2001", "--swv", "VO2001"])
    assert args.swv == ["PO2001", "VO2001"]
    with pytest.raises(SystemExit) as usage:
        parser().parse_args(["produce", "kijkglas-1", "--schooljaar", "2024-2025", "--extract", ".",
                             "--outbox", "o", "--swv"])
    assert usage.value.code == 2


def test_malformed_values_are_usage_errors_that_say_what_is_expected(capsys):
    from kijkglas.cli import parser
    base = ["produce", "kijkglas-1", "--extract", ".", "--outbox", "o"]
    for wrong, expected in ((["--schooljaar", "2024/2025"], "geen schooljaar (JJJJ-JJJJ, bv. 2024-2025)"),
                            (["--schooljaar", "2024-2025", "--swv", "po2001"], "geen SWV-code")):
        with pytest.raises(SystemExit) as usage:
            parser().parse_args(base + wrong)
        assert usage.value.code == 2 and expected in capsys.readouterr().err


def test_the_run_form_checks_schooljaar_products_and_swv_codes():
    """The parameter schema the Prefect UI's run form validates against, with a description each."""
    from prefect.utilities.callables import parameter_schema

    from flows.kalender import backfill
    from flows.kijkglazen import kijkglas_4
    schema = parameter_schema(backfill.fn).model_dump()["properties"]
    assert schema["schooljaar"]["pattern"] == r"^\d{4}-\d{4}$"
    assert schema["producten"]["anyOf"][0]["items"]["enum"] == ["kijkglas-1", "kijkglas-2", "kijkglas-3",
                                                                 "kijkglas-4", "kijkglas-5"]
    assert schema["swv"]["anyOf"][0]["items"]["pattern"] == r"^(PO|VO)\d{4}$"
    assert all(p.get("description") for p in schema.values())
    product = parameter_schema(kijkglas_4.fn).model_dump()["properties"]
    assert all(p.get("description") for p in product.values())
    assert product["productiedatum"]["anyOf"][0]["format"] == "date"


def test_the_terminal_shows_no_traceback_for_a_users_mistake_but_keeps_one_for_a_bug():
    import logging
    import sys

    from flows.logs import NoTracebackForUserErrors

    def record_of(exc):
        try:
            raise exc
        except Exception:
            return logging.LogRecord("prefect.flow_runs", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    mistake, bug = record_of(refusals.ProductionRefused("geweigerd")), record_of(KeyError("bug"))
    assert NoTracebackForUserErrors().filter(mistake) and mistake.exc_info is None
    assert NoTracebackForUserErrors().filter(bug) and bug.exc_info is not None


def test_argparse_speaks_dutch_too(capsys):
    from kijkglas.cli import parser
    with pytest.raises(SystemExit):
        parser().parse_args(["produce", "kijkglas-1", "--schooljaar", "2024-2025", "--extract", ".",
                             "--outbox", "o", "--swv"])
    err = capsys.readouterr().err
    assert err.startswith("gebruik: kijkglas produce") and "fout: argument --swv: verwacht minstens één waarde" in err
    help_text = parser().format_help()
    assert "opties:" in help_text and "toon deze hulp en stop" in help_text and "options:" not in help_text
