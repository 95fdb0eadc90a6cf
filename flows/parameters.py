"""The parameters an operator fills in on the Prefect UI's run form (Deployments → Run → Custom
run), as types the form checks (schooljaar as JJJJ-JJJJ, products from the list, dates as dates,
SWV codes as PO/VO and four digits), so a malformed value is stopped there and not deep in a run.
Each type carries the rule, an example and the Dutch description the form shows: this is the one
place of the parameters' help (`with_parameter_help` gives it to a flow)."""
from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal, Optional

from pydantic import Field
from pydantic.fields import FieldInfo

from products.registry import NAMES
from schemas.models import SWV_CODE, SWV_CODE_FORM
from tasks.rules import SCHOOLJAAR_PATTERN

ProductName = Literal[NAMES]  # kijkglas-1 … kijkglas-5, from the registry
SwvCode = Annotated[str, Field(pattern=SWV_CODE)]
Product = Annotated[ProductName, Field(examples=["kijkglas-1"], description="Het product, bv. kijkglas-1.")]

Schooljaar = Annotated[str, Field(pattern=SCHOOLJAAR_PATTERN, examples=["2024-2025"],
                                  description="Het schooljaar, JJJJ-JJJJ, bv. 2024-2025.")]
SchooljaarOfKalender = Annotated[Optional[Annotated[str, Field(pattern=SCHOOLJAAR_PATTERN)]], Field(
    examples=["2024-2025"],
    description="Het schooljaar, JJJJ-JJJJ, bv. 2024-2025; leeg = volgens de kalender voor de productiedatum.")]
Extract = Annotated[Optional[str], Field(examples=["/data/extracts"], description=(
    "Eén extractmap, of een map met extracten (dan het nieuwste met stand per op of vóór de productiedatum), "
    "bv. /data/extracts; leeg = de Prefect-variabele kijkglas_extracts."))]
Extracts = Annotated[Optional[str], Field(examples=["/data/extracts"], description=(
    "De map met extracten, één submap per stand per (met extract.json), bv. /data/extracts; leeg = de "
    "Prefect-variabele kijkglas_extracts."))]
Outbox = Annotated[Optional[str], Field(examples=["/data/outbox"], description=(
    "De outbox: één map per SWV, bv. /data/outbox; leeg = de Prefect-variabele kijkglas_outbox."))]
Swv = Annotated[Optional[list[SwvCode]], Field(examples=[["PO2001", "VO2001"]], description=(
    "Alleen deze SWV's (PO of VO en vier cijfers, bv. PO2001); leeg = alle SWV's van het product."))]
Producten = Annotated[Optional[list[ProductName]], Field(examples=[["kijkglas-1"]], description=(
    "Alleen deze producten (kijkglas-1 … kijkglas-5); leeg = alle producten."))]
Productiedatum = Annotated[Optional[date], Field(examples=["2024-12-10"], description=(
    "De datum van de productie (aanmaakdatum), JJJJ-MM-DD; leeg = de geplande dag van de run (met de hand: "
    "vandaag). Nooit vóór de stand per."))]
Datum = Annotated[date, Field(examples=["2024-12-10"], description="De productiedag, JJJJ-MM-DD, bv. 2024-12-10.")]
# a Dask scheduler's address and nothing else (no path, query or spaces): tcp://host:8786, tls://…
_PORT = r"(:([1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5]))?"  # 1 … 65535
DASK_ADDRESS_PATTERN = (rf"^(tcp|tls|ucx|ws|wss)://[A-Za-z0-9][A-Za-z0-9._\-]*{_PORT}$"
                        rf"|^(tcp|tls|ucx|ws|wss)://\[[0-9A-Fa-f:]+\]{_PORT}$")
DaskAddress = Annotated[Optional[Annotated[str, Field(pattern=DASK_ADDRESS_PATTERN)]], Field(
    examples=["tcp://dask-scheduler:8786"], description=(
        "Optioneel: het adres van een Dask-scheduler voor de per-SWV fan-out (tcp://host:8786); leeg = in dit proces."))]
Droog = Annotated[bool, Field(description=(
    "Aan: alleen berekenen en per SWV melden wat er gepubliceerd zou worden (nieuwe versie, ongewijzigd, "
    "overgeslagen); er wordt niets geschreven."))]
BuitenKalender = Annotated[bool, Field(description=(
    "Aan: ook een schooljaar waar de kalender op de productiedatum niet (meer) over gaat, bv. een correctie "
    "van een oud schooljaar. Uit (standaard): zo'n productie wordt geweigerd."))]
Paginas = Annotated[bool, Field(description=(
    "Uit: de dashboardpagina's niet bijwerken (een productiedag doet dat één keer, na al zijn producten)."))]
VERSIE_PATTERN = r"^v?[1-9]\d*$"
VersieIntrekken = Annotated[str, Field(pattern=VERSIE_PATTERN, examples=["v2"], description=(
    "De versie die wordt ingetrokken, bv. v2."))]
VersieHerstellen = Annotated[str, Field(pattern=VERSIE_PATTERN, examples=["v1"], description=(
    "De eerdere versie die weer actueel wordt, bv. v1."))]
Reden = Annotated[str, Field(min_length=3, examples=["fout in bronbestand"], description=(
    "Waarom (verplicht); staat in het manifest en op de Historie-pagina van de SWV."))]
SwvKeuze = Annotated[list[Annotated[str, Field(pattern=rf"^({SWV_CODE_FORM}|openbaar|alle)$")]], Field(
    min_length=1, examples=[["PO2001"]], description=(
        "Verplicht: de SWV's (bv. PO2001), of alleen het woord alle voor elke SWV met die versie."))]


def description_of(annotation) -> str | None:
    """The description a parameter type above declares (the first of its `Field`s that has one)."""
    if typing.get_origin(annotation) is not Annotated:
        return None
    return next((m.description for m in annotation.__metadata__ if isinstance(m, FieldInfo) and m.description),
                None)


def with_parameter_help(fn: Callable) -> Callable:
    """`fn` with an Args section written from its parameters' types, before `@flow` wraps it.
    Prefect's run form takes a parameter's description only from the flow's docstring (a type's own
    description is overwritten: `process_v2_params`, PrefectHQ/prefect#13912); the Flow reads it when it
    is made, and `prefect deploy` imports the entrypoint and asks the Flow, so the help is written once,
    on the types."""
    hints = typing.get_type_hints(fn, include_extras=True)
    lines = [f"    {name}: {text}" for name in inspect.signature(fn).parameters
             if (text := description_of(hints.get(name)))]
    fn.__doc__ = inspect.cleandoc(fn.__doc__ or "") + "\n\nArgs:\n" + "\n".join(lines) + "\n"
    return fn
