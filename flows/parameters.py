"""The parameters an operator fills in on the Prefect UI's run form (Deployments → Run → Custom
run), as types the form checks (schooljaar as JJJJ-JJJJ, products from the list, dates as dates,
SWV codes as PO/VO and four digits), so a malformed value is stopped there and not deep in a run.
Prefect takes each parameter's description from the flow's docstring (Args:), so the
descriptions are written there; these types carry the rule and an example."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Optional

from pydantic import Field

from products.registry import NAMES

SCHOOLJAAR_PATTERN = r"^\d{4}-\d{4}$"
SWV_PATTERN = r"^(PO|VO)\d{4}$"

ProductName = Literal[NAMES]  # kijkglas-1 … kijkglas-5, from the registry
SwvCode = Annotated[str, Field(pattern=SWV_PATTERN)]

Schooljaar = Annotated[str, Field(pattern=SCHOOLJAAR_PATTERN, examples=["2024-2025"],
                                  description="Het schooljaar, JJJJ-JJJJ, bv. 2024-2025.")]
SchooljaarOfKalender = Annotated[Optional[Annotated[str, Field(pattern=SCHOOLJAAR_PATTERN)]], Field(
    examples=["2024-2025"],
    description="Het schooljaar, JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.")]
Extract = Annotated[str, Field(examples=["/data/extracts"], description=(
    "Eén extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), "
    "bv. /data/extracts."))]
Extracts = Annotated[str, Field(examples=["/data/extracts"], description=(
    "De map met extracten, één submap per stand per (met extract.json), bv. /data/extracts."))]
Outbox = Annotated[str, Field(examples=["/data/outbox"], description="De outbox: één map per SWV, bv. /data/outbox.")]
Swv = Annotated[Optional[list[SwvCode]], Field(examples=[["PO2001", "VO2001"]], description=(
    "Alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle SWV's van het product."))]
Producten = Annotated[Optional[list[ProductName]], Field(examples=[["kijkglas-1"]], description=(
    "Alleen deze producten (kijkglas-1 … kijkglas-5); leeg = alle producten."))]
Productiedatum = Annotated[Optional[date], Field(examples=["2024-12-10"], description=(
    "De datum van de productie (aanmaakdatum), JJJJ-MM-DD; leeg = vandaag. Nooit vóór de stand per."))]
Datum = Annotated[date, Field(examples=["2024-12-10"], description="De productiedag, JJJJ-MM-DD, bv. 2024-12-10.")]
DaskAddress = Annotated[Optional[str], Field(examples=["tcp://dask-scheduler:8786"], description=(
    "Optioneel: het adres van een Dask-scheduler voor de per-SWV fan-out; leeg = in dit proces."))]
