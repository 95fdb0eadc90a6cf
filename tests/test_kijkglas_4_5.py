"""Kijkglas 4 (groei sbao) and Kijkglas 5 (grensverkeer sbao), worked out by hand."""
from __future__ import annotations

from datetime import date

from core.settings import Settings
from tasks import kijkglas_4 as k4
from tasks import kijkglas_5 as k5
from tests.builder import ExtractBuilder

S, S2 = "PO0101", "PO0202"


def base(stand_per):
    b = ExtractBuilder(stand_per=stand_per)
    b.swv(S)
    b.swv(S2)
    b.pc4("1000", swv_po=S)
    b.vestiging("10SB00", "SBAO", S)
    b.vestiging("10SB01", "SBAO", S)
    b.vestiging("10BA00", "BAO", S)
    b.vestiging("20BA00", "BAO", S2)
    return b


def test_kijkglas_4_counts_per_sbao_vestiging(tmp_path):
    b = base("2025-04-10")

    def sbao(**kw):
        b.inschrijving(b.leerling(pc4="1000"), "10SB00", **kw)
    for _ in range(3):
        sbao(begindatum="2024-08-19")                          # both days
    for _ in range(2):
        sbao(begindatum="2024-08-19", einddatum="2024-12-15")  # October only
    for _ in range(4):
        sbao(begindatum="2025-01-05")                          # February only
    sbao(begindatum="2024-08-19", bekostigd="N")               # never
    sbao(begindatum="2025-02-01")                              # starts on the peildatum: February
    sbao(begindatum="2024-08-19", einddatum="2024-10-01")      # ends on the teldatum: October
    res = k4.kijkglas_4(b.extract(tmp_path), "2024-2025", date(2025, 4, 15), Settings())
    assert [r.swv.swv_code for r in res] == [S, S2]
    t = res[0].tables["k4_sbao"]
    assert list(t.columns) == ["Vestiging", "Naam vestiging", "Aantal 1 oktober", "Aantal 1 februari", "Verschil"]
    assert t.drop(columns="Naam vestiging").values.tolist() == [
        ["10SB00", 6, 8, 2], ["10SB01", 0, 0, 0], ["Totaal", 6, 8, 2]]
    assert res[1].tables["k4_sbao"].values.tolist() == [["Totaal", None, 0, 0, 0]]


def test_kijkglas_5_cases(tmp_path):
    b = base("2024-10-10")

    def pupil(bsn):
        return b.leerling(pc4="1000", bsn=bsn)
    a = pupil("0001")   # case: from S2's bao, S2's SBAO TLV, starts in January
    b.inschrijving(a, "20BA00", begindatum="2019-08-19", einddatum="2023-12-31")
    b.tlv(a, S2, "SBAO", begindatum="2024-01-01", afgiftedatum="2023-12-01")
    b.inschrijving(a, "10SB00", begindatum="2024-01-08")
    c = pupil("0002")   # case: counted on 1-10-2023
    b.inschrijving(c, "20BA00", begindatum="2019-08-19", einddatum="2023-07-31")
    b.tlv(c, S2, "SBAO", begindatum="2023-08-01", einddatum="2025-07-31", afgiftedatum="2023-06-01")
    b.inschrijving(c, "10SB00", begindatum="2023-08-21", einddatum="2024-06-30")
    d = pupil("0003")   # same SWV: no case
    b.inschrijving(d, "10BA00", begindatum="2019-08-19", einddatum="2023-08-31")
    b.tlv(d, S, "SBAO", begindatum="2023-09-01")
    b.inschrijving(d, "10SB00", begindatum="2023-09-04")
    e = pupil("0004")   # TLV from the sbao's own SWV, not from the bao's: no case
    b.inschrijving(e, "20BA00", begindatum="2019-08-19", einddatum="2023-08-31")
    b.tlv(e, S, "SBAO", begindatum="2023-09-01")
    b.inschrijving(e, "10SB00", begindatum="2023-09-04")
    f = pupil("0005")   # TLV issued before 1-8-2014: no case
    b.inschrijving(f, "20BA00", begindatum="2012-08-20", einddatum="2023-08-31")
    b.tlv(f, S2, "SBAO", begindatum="2014-07-01", afgiftedatum="2014-07-01")
    b.inschrijving(f, "10SB00", begindatum="2023-09-04")
    g = pupil("0006")   # sbao started the schooljaar before: no case
    b.inschrijving(g, "20BA00", begindatum="2018-08-20", einddatum="2022-12-31")
    b.tlv(g, S2, "SBAO", begindatum="2023-01-01", afgiftedatum="2022-12-01")
    b.inschrijving(g, "10SB00", begindatum="2023-01-09")
    h = pupil("0007")   # TLV ended before the sbao started: no case
    b.inschrijving(h, "20BA00", begindatum="2019-08-19", einddatum="2023-08-31")
    b.tlv(h, S2, "SBAO", begindatum="2022-09-01", einddatum="2023-08-31", afgiftedatum="2022-08-01")
    b.inschrijving(h, "10SB00", begindatum="2023-09-04")
    i = pupil("0008")   # the latest bao (S's own) decides, not an older one at S2: no case
    b.inschrijving(i, "20BA00", begindatum="2018-08-20", einddatum="2021-07-31")
    b.inschrijving(i, "10BA00", begindatum="2021-08-01", einddatum="2023-08-31")
    b.tlv(i, S2, "SBAO", begindatum="2023-09-01")
    b.inschrijving(i, "10SB00", begindatum="2023-09-04")
    res = {r.swv.swv_code: r for r in k5.kijkglas_5(b.extract(tmp_path), "2023-2024", date(2024, 10, 15), Settings())}
    ink = res[S].tables["k5_inkomend"]
    assert list(ink.columns) == k5.INKOMEND
    assert ink.astype(str).values.tolist() == [
        ["0002", "10SB00", "2023-08-21", "2024-06-30", "20BA00", S2, "J"],
        ["0001", "10SB00", "2024-01-08", "NaT", "20BA00", S2, "N"]]
    assert res[S].tables["k5_uitgaand"].empty and res[S2].tables["k5_inkomend"].empty
    uit = res[S2].tables["k5_uitgaand"]
    assert list(uit.columns) == k5.UITGAAND
    assert uit[["Laatste 4 cijfers bsn", "SWV sbao vestiging", "Afkomstig van bao-vestiging", "Bek 1/10"]].values.tolist() == [
        ["0002", S, "20BA00", "J"], ["0001", S, "20BA00", "N"]]
