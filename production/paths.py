"""Where a production reads and writes: the extracts folder and the outbox, set once per server
(Prefect Variables, read in flows/paths.py) or given per run, and never inside the project's
own code. A scheduled run has no working directory worth trusting: a relative default such as
`outbox` once landed in the Python package of that name."""
from __future__ import annotations

from pathlib import Path

from production.refusals import ProductionRefused

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# the names operators set on the server (UI: Variables) and the runs read
EXTRACTS_VARIABLE = "kijkglas_extracts"
OUTBOX_VARIABLE = "kijkglas_outbox"
# what of the checkout is not code: the demo's and the benchmark's own data folders
DATA_FOLDERS_IN_CHECKOUT = ("demo", "out", "bench/out")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def in_source_tree(path: Path, root: Path = PROJECT_ROOT) -> bool:
    """True for the checkout itself and anything in it except its data folders (demo/, bench/out/):
    a production must never write into (or read from) the code it runs."""
    path = Path(path).resolve()
    if not _inside(path, root):
        return False
    return not any(_inside(path, root / d) for d in DATA_FOLDERS_IN_CHECKOUT)


def production_path(given: str | None, configured: str | None, what: str, variable: str, example: str) -> Path:
    """The folder a run uses: the run's own parameter, else the server's Variable. Refused (one Dutch
    line saying what to set) when neither is set, when it is relative, or when it lies in the checkout."""
    value = (given or "").strip() or (configured or "").strip()
    if not value:
        raise ProductionRefused(
            f"geen {what} ingesteld: zet de Prefect-variabele {variable} (UI: Variables, of "
            f"`kijkglas configure`) of geef de parameter mee. Er is niets gepubliceerd.")
    path = Path(value).expanduser()
    if not path.is_absolute():
        raise ProductionRefused(
            f"{what} {value!r} is geen absoluut pad: een geplande run heeft geen vaste werkmap. "
            f"Geef een absoluut pad, bv. {example}. Er is niets gepubliceerd.")
    if in_source_tree(path):
        raise ProductionRefused(
            f"{what} {path} ligt in de code van het project ({PROJECT_ROOT}): kies een map daarbuiten, "
            f"bv. {example}. Er is niets gepubliceerd.")
    return path
