"""The handleiding's Kijkglas 1 example (section 2) as a hand-made extract, with noise that must not count.

SWV PO9901 ("S") has seven SO vestigingen 99AA06 … 99AE00, BAO and SBAO vestigingen; PO9902 is
a neighbour. Teldatum 1-10-2024; age is measured on 31-12-2024: born 2017 → <8, born 2016 → 8+.
Expected (handleiding): (v)so 71 91 0 0 0 0 162 / 0 0 8 8 3 15 34 / 196; bao 25205, sbao 740;
per vestiging as in EXPECTED_PER_VESTIGING.
"""
from __future__ import annotations

from tests.builder import ExtractBuilder

S, OTHER, VO = "PO9901", "PO9902", "VO9901"
PC_S, PC_OTHER, PC_UNKNOWN = "9901", "9902", "9999"
JONG, OUD = "2017-03-03", "2014-06-06"  # <8 and 8+ on 31-12-2024

EXPECTED_VSO_TOTALEN = [
    ["Deelnemende (V)SO", 71, 91, 0, 0, 0, 0, 162],
    ["Niet deelnemende (V)SO", 0, 0, 8, 8, 3, 15, 34],
    ["Totaal", 71, 91, 8, 8, 3, 15, 196],
]
EXPECTED_BAO_SBAO = [["Deelnemende bao", 25205], ["Deelnemende sbao", 740], ["Totaal", 25945]]
EXPECTED_PER_VESTIGING = [
    ["99AA06", 0, 0, 0, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 26],
    ["99AB00", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 21, 0, 0, 0, 0, 27],
    ["99AC00", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 11, 0, 0, 0, 0, 24],
    ["99AD00", 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5],
    ["99AD03", 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5],
    ["99AD04", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 39, 0, 0, 0, 0, 46],
    ["99AE00", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 15, 0, 0, 0, 0, 29],
    ["Niet deelnemende (V)SO", 0, 0, 0, 3, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 8, 5, 3, 10, 34],
    ["Totaal", 5, 5, 0, 3, 0, 5, 26, 0, 0, 0, 0, 0, 40, 86, 8, 5, 3, 10, 196],
]


def build() -> ExtractBuilder:
    b = ExtractBuilder(stand_per="2024-12-06")
    b.swv(S, naam="Passend Onderwijs Voorbeeldregio", adres="Schoolstraat 1", postcode="9901 AB", plaats="Voorbeeld")
    b.swv(OTHER, naam="SWV Buurregio")
    b.swv(VO, naam="SWV VO Voorbeeldregio")
    b.pc4(PC_S, swv_po=S, swv_vo=VO)
    b.pc4(PC_OTHER, swv_po=OTHER, swv_vo=VO)
    for code in ["99AA06", "99AB00", "99AC00", "99AD00", "99AD03", "99AD04", "99AE00"]:
        b.vestiging(code, "SO", S, kernsoort="ZMLK")
    b.vestiging("88AA00", "SO", OTHER, kernsoort="LG")   # neighbour's school, midden
    b.vestiging("88AB00", "SO", OTHER, kernsoort="MG")   # neighbour's school, hoog
    b.vestiging("99BA00", "BAO", S)
    b.vestiging("99BB00", "BAO", S)
    b.vestiging("99SB00", "SBAO", S)
    b.vestiging("88BA00", "BAO", OTHER)
    b.vestiging("77VS00", "VSO", VO, kernsoort="ZMLK")

    def pupils(n, vestiging, born, pc4=PC_S, **kw):
        return [b.inschrijving(b.leerling(born, pc4=pc4), vestiging, **kw) for _ in range(n)]

    # 99AA06: 26 RP, laag, <8. Half responsible via an earlier registration at S's bao
    # (RP after a registration elsewhere), half via their home postcode.
    for i in range(26):
        lid = b.leerling(JONG, pc4=PC_S if i % 2 else PC_OTHER)
        if i % 2 == 0:
            b.inschrijving(lid, "99BA00", begindatum="2023-08-21", einddatum="2024-05-31")
        b.inschrijving(lid, "99AA06", begindatum="2024-06-01", residentieel="J")
    # tijdelijke plaatsingen and CvI pupils (geen TLV niet RP), laag, home in S
    for vest, jong, oud in [("99AB00", 6, 21), ("99AC00", 13, 11), ("99AD04", 7, 39), ("99AE00", 14, 15)]:
        pupils(jong, vest, JONG)
        for i in range(oud):
            lid = b.leerling(OUD, pc4=PC_S)
            if i % 3 == 0:  # an old CvI indication of a laag kind
                b.cvi(lid, "LZ", begindatum="2013-08-01")
            b.inschrijving(lid, vest, begindatum="2022-08-22")
    # TLV of S, laag: 5 <8 at 99AD00, 5 8+ at 99AD03 (one TLV starting on the teldatum itself,
    # one whose registration ends on the teldatum: both count)
    for i in range(5):
        lid = b.leerling(JONG, pc4=PC_OTHER)
        b.tlv(lid, S, "SO", "L", begindatum="2024-10-01" if i == 0 else "2024-08-01", einddatum="2026-07-31")
        b.inschrijving(lid, "99AD00", begindatum="2024-08-26", einddatum="2024-10-01" if i == 1 else None)
    for i in range(5):
        lid = b.leerling(OUD, pc4=PC_S)
        if i == 0:  # an expired TLV followed by a renewal: the renewal is the one in force
            b.tlv(lid, S, "SO", "H", begindatum="2022-08-01", einddatum="2024-07-31")
        b.tlv(lid, S, "SO", "L", begindatum="2024-08-01", einddatum="2027-07-31")
        b.inschrijving(lid, "99AD03", begindatum="2020-08-24")
    # niet deelnemend: S's TLVs at the neighbour's schools (M 8+ ×3, H 8+ ×5)
    for _ in range(3):
        lid = b.leerling(OUD, pc4=PC_OTHER)
        b.tlv(lid, S, "SO", "M", begindatum="2023-08-01", einddatum="2025-07-31")
        b.inschrijving(lid, "88AA00", begindatum="2023-08-21")
    for _ in range(5):
        lid = b.leerling(OUD, pc4=PC_OTHER)
        b.tlv(lid, S, "SO", "H", begindatum="2023-08-01")
        b.inschrijving(lid, "88AB00", begindatum="2023-08-21")
    # niet deelnemend without TLV, home in S: M <8 ×8, M 8+ ×5 (LG school), H <8 ×3, H 8+ ×10 (MG)
    pupils(8, "88AA00", JONG)
    pupils(5, "88AA00", OUD)
    pupils(3, "88AB00", JONG)
    for i in range(10):
        lid = b.leerling(OUD, pc4=PC_S)
        if i < 4:  # CvI MG at a LG-school would be M by kernsoort; the indication decides: H
            b.cvi(lid, "MG", begindatum="2012-08-01")
            b.inschrijving(lid, "88AA00", begindatum="2019-08-19")
        else:
            b.inschrijving(lid, "88AB00", begindatum="2019-08-19")

    # bao and sbao of S
    for i in range(25205):
        b.inschrijving(b.leerling("2016-01-01", pc4=PC_S), "99BA00" if i % 2 else "99BB00", begindatum="2024-08-19")
    for _ in range(740):
        b.inschrijving(b.leerling("2015-01-01", pc4=PC_S), "99SB00", begindatum="2023-08-21")

    add_noise(b)
    return b


def add_noise(b: ExtractBuilder) -> None:
    """Registrations that must not appear in S's Kijkglas 1."""
    # not bekostigd, at S's school, home in S
    b.inschrijving(b.leerling(JONG, pc4=PC_S), "99AB00", bekostigd="N")
    b.inschrijving(b.leerling(JONG, pc4=PC_S), "99BA00", bekostigd="N")
    # ended the day before the teldatum / starting the day after
    b.inschrijving(b.leerling(OUD, pc4=PC_S), "99AC00", begindatum="2024-08-01", einddatum="2024-09-30")
    b.inschrijving(b.leerling(OUD, pc4=PC_S), "99AC00", begindatum="2024-10-02")
    b.inschrijving(b.leerling(OUD, pc4=PC_S), "99SB00", begindatum="2024-10-02")
    # expired TLV of S (ended 30-9) at S's school, home elsewhere → responsible is the neighbour
    lid = b.leerling(OUD, pc4=PC_OTHER)
    b.tlv(lid, S, "SO", "H", begindatum="2022-08-01", einddatum="2024-09-30")
    b.inschrijving(lid, "99AD03", begindatum="2022-08-22")
    # a TLV of another SWV at S's school, home in S → responsible is the neighbour
    lid = b.leerling(JONG, pc4=PC_S)
    b.tlv(lid, OTHER, "SO", "M", begindatum="2024-08-01")
    b.inschrijving(lid, "99AD00", begindatum="2024-08-26")
    # an SBAO TLV does not count as a TLV in the so
    lid = b.leerling(OUD, pc4=PC_OTHER)
    b.tlv(lid, S, "SBAO", None, begindatum="2024-08-01")
    b.inschrijving(lid, "99AB00", begindatum="2024-08-26")
    # a vso pupil living in S (sector VO: not in a PO Kijkglas)
    b.inschrijving(b.leerling(OUD, pc4=PC_S), "77VS00", begindatum="2024-08-26")
    # pupils of the neighbour at S's vestigingen (home there, no TLV)
    for _ in range(4):
        b.inschrijving(b.leerling(JONG, pc4=PC_OTHER), "99AE00", begindatum="2024-08-26")
    # RP whose earlier registration was at the neighbour's bao → the neighbour is responsible
    lid = b.leerling(JONG, pc4=PC_S)
    b.inschrijving(lid, "88BA00", begindatum="2023-08-21", einddatum="2024-06-30")
    b.inschrijving(lid, "99AA06", begindatum="2024-07-01", residentieel="J")
    # bao pupils of the neighbour
    for _ in range(7):
        b.inschrijving(b.leerling("2016-01-01", pc4=PC_S), "88BA00", begindatum="2024-08-19")
    # a pupil with an unknown postcode in the so: no responsible SWV (data-quality list)
    b.inschrijving(b.leerling(JONG, pc4=PC_UNKNOWN), "99AB00", begindatum="2024-08-26")
    b.inschrijving(b.leerling(JONG, pc4=None), "99AC00", begindatum="2024-08-26")
