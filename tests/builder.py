"""Hand-made extracts for rule and product tests: add rows by name, write a valid extract folder."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from schemas.extract import TABLES, read_extract


@dataclass
class ExtractBuilder:
    stand_per: str = "2024-12-06"
    rows: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in TABLES})
    _n: int = 0

    def _next(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:06d}"

    def swv(self, code, naam=None, adres="Straat 1", postcode="1234 AB", plaats="Ergens"):
        self.rows["samenwerkingsverbanden"].append(dict(
            swv_code=code, naam=naam or f"SWV {code}", sector=code[:2], adres=adres, postcode=postcode, plaats=plaats))
        return code

    def pc4(self, pc4, swv_po=None, swv_vo=None, gemeente="Gemeente"):
        self.rows["regio_indeling"].append(dict(pc4=pc4, gemeente=gemeente, swv_po=swv_po, swv_vo=swv_vo))
        return pc4

    def vestiging(self, code, soort, swv_code, kernsoort=None, naam=None):
        self.rows["vestigingen"].append(dict(vestiging_code=code, naam=naam or f"School {code}", soort=soort,
                                             kernsoort=kernsoort, swv_code=swv_code, plaats="Ergens"))
        return code

    def leerling(self, geboortedatum="2012-05-05", pc4=None, bsn="1234", leerling_id=None):
        lid = leerling_id or f"{300000000 + len(self.rows['leerlingen']) + 1}"
        self.rows["leerlingen"].append(dict(leerling_id=lid, bsn_laatste4=bsn, geboortedatum=geboortedatum,
                                            pc4_woonadres=pc4))
        return lid

    def inschrijving(self, leerling_id, vestiging_code, begindatum="2024-08-01", einddatum=None, bekostigd="J",
                     residentieel=None, lwoo=None, pro=None, vavo=None, inschrijving_id=None):
        soort = next(v["soort"] for v in self.rows["vestigingen"] if v["vestiging_code"] == vestiging_code)
        if soort in ("SO", "VSO") and residentieel is None:
            residentieel = "N"
        if soort == "VO":
            lwoo, pro, vavo = lwoo or "N", pro or "N", vavo or "N"
        iid = inschrijving_id or self._next("I")
        self.rows["inschrijvingen"].append(dict(
            inschrijving_id=iid, leerling_id=leerling_id, vestiging_code=vestiging_code, begindatum=begindatum,
            einddatum=einddatum, bekostigd=bekostigd, residentieel=residentieel, lwoo=lwoo, pro=pro, vavo=vavo))
        return iid

    def tlv(self, leerling_id, swv_code, soort, categorie=None, begindatum="2024-08-01", einddatum=None,
            afgiftedatum=None, tlv_nummer=None):
        nr = tlv_nummer or self._next("T")
        self.rows["tlv"].append(dict(tlv_nummer=nr, leerling_id=leerling_id, swv_code=swv_code, soort=soort,
                                     categorie=categorie, afgiftedatum=afgiftedatum or begindatum,
                                     begindatum=begindatum, einddatum=einddatum))
        return nr

    def cvi(self, leerling_id, soort_indicatie, begindatum="2012-08-01", einddatum=None, cvi_nummer=None):
        nr = cvi_nummer or self._next("C")
        self.rows["cvi_indicaties"].append(dict(cvi_nummer=nr, leerling_id=leerling_id,
                                                soort_indicatie=soort_indicatie, begindatum=begindatum,
                                                einddatum=einddatum))
        return nr

    def bekostiging(self, swv_code, onderdeel, bedrag, vastgesteld_op="2024-11-01"):
        self.rows["bekostiging"].append(dict(swv_code=swv_code, onderdeel=onderdeel, bedrag=bedrag,
                                             vastgesteld_op=vastgesteld_op))

    def write(self, folder: Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "extract.json").write_text(json.dumps({"stand_per": self.stand_per, "bron": "ROD"}))
        for name, cols in TABLES.items():
            if name == "bekostiging" and not self.rows[name]:
                continue
            pd.DataFrame(self.rows[name], columns=list(cols)).to_csv(folder / f"{name}.csv", index=False)
        return folder

    def extract(self, folder: Path):
        return read_extract(self.write(folder))
