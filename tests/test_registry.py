"""The product registry is the one list of products: the calendar, the CLI, the deployments, the
flows and the index pages all read it, and each product's functions are really there."""
from __future__ import annotations

import importlib

import pytest

from deployments.definitions import deployment_definitions
from kijkglas.cli import parser
from production import kalender
from products import registry


def test_names_are_unique_and_ordered():
    assert registry.NAMES == tuple(sorted(set(registry.NAMES)))


def test_the_calendar_schedules_exactly_the_registered_products():
    assert tuple(kalender.load_kalender()) == registry.NAMES


def test_an_unknown_product_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="kijkglas-1, kijkglas-2"):
        registry.product("kijkglas-9")


def test_the_cli_offers_the_registered_products():
    produce = parser().parse_args(["produce", "kijkglas-5", "--schooljaar", "2024-2025", "--extract", ".",
                                    "--outbox", "o"])
    assert produce.product == "kijkglas-5"
    with pytest.raises(SystemExit):
        parser().parse_args(["produce", "kijkglas-9", "--schooljaar", "2024-2025", "--extract", ".",
                              "--outbox", "o"])


@pytest.mark.parametrize("product", registry.PRODUCTS, ids=lambda p: p.name)
def test_every_definition_loads(product):
    """Each product's deployment names a flow that exists, under the product's own name, and the
    product's functions and tables are declared."""
    d = {x.name: x for x in deployment_definitions()}[product.name]
    flow = getattr(importlib.import_module(d.module), d.function)
    assert flow.name == product.name and flow.description == product.description
    assert d.description.startswith(product.description)
    assert callable(product.compute) and callable(product.write_documents) and product.tables
    assert product.periode in (registry.TELDATUM, registry.SCHOOLJAAR, registry.VORIG_SCHOOLJAAR)
    assert product.title.startswith(product.kort.split(" – ")[0] + " – ")
