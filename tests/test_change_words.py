"""The change report in words (documents/changes.py), worked by hand: Kijkglas 3a's flows read as
growth, 3b's as moves between (v)so schools that are no growth (handleiding 4.2); Kijkglas 1's
funding table by its name."""
from __future__ import annotations

from documents.changes import ChangeWords, change_summary, table_sentence
from documents.kijkglas_1 import CHANGES as K1
from documents.kijkglas_3 import CHANGES as K3


def flows(instroom, uitstroom, saldo):
    return [{"label": "Instroom", "old": instroom[0], "new": instroom[1]},
            {"label": "Uitstroom", "old": uitstroom[0], "new": uitstroom[1]},
            {"label": "Saldo", "old": saldo[0], "new": saldo[1]}]


def test_3a_reads_as_growth():
    entry = {"table": "k3a", "changed": 1, "totals": flows((5, 6), (2, 2), (3, 4))}
    assert table_sentence(entry, K3) == ("Kijkglas-3a: In-uitstroom in het (v)so – Gewijzigd: 1 regel. "
                                         "Groei van 3 naar 4 (instroom 5 → 6, uitstroom 2 → 2).")


def test_3b_reads_as_moves_never_as_a_saldo_or_growth():
    for stem in ("k3b", "k3b_po", "k3b_vo"):
        entry = {"table": stem, "changed": 2, "totals": flows((1, 3), (2, 2), (-1, 1))}
        sentence = table_sentence(entry, K3)
        assert sentence.endswith("Gewijzigd: 2 regels. Instroom van andere (v)so 1 → 3; uitstroom naar andere "
                                 "(v)so blijft 2. Dit telt niet mee voor de groei."), sentence
        assert "Saldo" not in sentence and "Groei van" not in sentence


def test_a_table_of_flows_without_words_keeps_the_saldo():
    entry = {"table": "x", "changed": 1, "totals": flows((5, 5), (2, 3), (3, 2))}
    assert table_sentence(entry, ChangeWords()) == "x – Gewijzigd: 1 regel. Saldo van 3 naar 2 (instroom 5 → 5, uitstroom 2 → 3)."


def test_the_funding_table_by_its_name_and_what_to_do():
    report = [{"table": "k1_bekostiging", "changed": 2, "compared_to": "v1",
               "totals": [{"label": "Aantal regels", "old": 2, "new": 2}]},
              {"table": "k1_vso_totalen", "compared_to": "v1", "totals": []}]
    words = change_summary(report, K1)
    assert words[:2] == ["Ten opzichte van versie v1 is 1 van de 2 tabellen gewijzigd.",
                         "Vastgestelde bekostiging – Gewijzigd: 2 regels."]  # no row came or went
    assert words[2].endswith("Is de vastgestelde bekostiging gewijzigd, leg de bedragen dan naast uw beschikking.")


def test_a_table_counted_by_its_rows_names_the_count_when_rows_came_or_went():
    entry = {"table": "k1_inschrijvingen", "added": 2, "removed": 1,
             "totals": [{"label": "Aantal regels", "old": 196, "new": 197}]}
    assert table_sentence(entry, K1).endswith("Nieuw: 2 regels, Vervallen: 1 regel. Aantal regels: 196 → 197.")
