"""The golden outbox (issue 27): everything the product publishes, pinned as text under tests/golden/,
so that a refactor can show it changed nothing (the test passes, `git diff tests/golden` is empty).

Scenarios: the hand-made extracts the other tests use, each through the products it was made for, and
a small synthetic series through three production days, one of them the corrected re-issue (new
versions, change reports, confirmations). Productions run as `run_production` does, without Prefect.

tests/golden/<scenario>/ mirrors that scenario's outbox:
- every CSV, byte for byte; every JSON (manifests, the pages' stamps) with its run-dependent values masked;
- `<name>.pdf.txt` the PDF's text (pypdf), `<name>.xlsx.txt` the workbook's cells per sheet (openpyxl),
  `<name>.html.txt` the page's visible text;
- `_files.txt`: every file of the outbox and how it is pinned (so a file that appears or goes shows).

After a deliberate change of the output, regenerate and review the diff:
    KIJKGLAS_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py     (or `make golden`)
"""
from __future__ import annotations

import contextlib
import dataclasses
import difflib
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from core.settings import Settings
from kijkglas.synthetic import PROFILES, generate_series
from production import runtime, steps
from tests import handleiding_k1
from tests import test_kijkglas_2_3 as handleiding_k2_k3
from tests import test_kijkglas_4_5 as cases_k4_k5
from tests.extract_factory import minimal_tables, write_extract
from tests.readback import excel_text

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("KIJKGLAS_UPDATE_GOLDEN") == "1"


@dataclass(frozen=True)
class Run:
    product: str
    schooljaar: str
    extract: str            # the extract's folder under <root>/extracts
    productiedatum: date
    swv: tuple[str, ...] | None = None    # None: every SWV


# --- the scenarios: write the extracts into <root>/extracts, return the productions in order --------

def handleiding_1(extracts: Path) -> list[Run]:
    """Section 2 of the handleiding (stand per 6-12-2024): Kijkglas 1, and Kijkglas 5 of the schooljaar
    before. (Kijkglas 3 and 4 are refused on it: stand per before 1 February. Kijkglas 2 is left out: its
    lists of this extract would triple the golden files; handleiding_2_3 and the series pin it.)"""
    handleiding_k1.build().write(extracts / "2024-12-06")
    day = date(2024, 12, 10)
    return [Run("kijkglas-1", "2024-2025", "2024-12-06", day), Run("kijkglas-5", "2023-2024", "2024-12-06", day)]


def handleiding_2_3(extracts: Path) -> list[Run]:
    """Section 3.3 of the handleiding and the spec's cuts and marks (schooljaar 2014-2015, stand per
    10-4-2015), through the products it was made for: Kijkglas 2 (with marks), 3 and 4."""
    handleiding_k2_k3.build().write(extracts / "2015-04-10")
    return [Run(p, "2014-2015", "2015-04-10", date(2015, 4, 15)) for p in ("kijkglas-2", "kijkglas-3", "kijkglas-4")]


def sbao_cases(extracts: Path) -> list[Run]:
    """The Kijkglas 4 and 5 cases of tests/test_kijkglas_4_5.py. Those tests build their extracts inline
    and write them into the folder they are given: called here for that folder (their asserts hold too)."""
    cases_k4_k5.test_kijkglas_4_counts_per_sbao_vestiging(extracts / "2025-04-10")
    cases_k4_k5.test_kijkglas_5_cases(extracts / "2024-10-10")
    return [Run("kijkglas-4", "2024-2025", "2025-04-10", date(2025, 4, 15)),
            Run("kijkglas-5", "2023-2024", "2024-10-10", date(2024, 10, 15))]


def minimal(extracts: Path) -> list[Run]:
    """tests/extract_factory.py's extract, one example of each case (stand per 6-12-2024), through
    Kijkglas 1 (Kijkglas 3 and 4 are refused on it; its Kijkglas 5 is empty; Kijkglas 2 is pinned by the others)."""
    write_extract(extracts, minimal_tables(), name="2024-12-06")
    day = date(2024, 12, 10)
    return [Run("kijkglas-1", "2024-2025", "2024-12-06", day)]


# The small profile with two SWVs per sector and a third of its pupils (1,500), produced for two of them:
# the golden files stay small and each production takes about a second. With seed 1 the corrected
# re-issue of 11-11-2024 gives VO2601 a v2 of Kijkglas 1 and 2 with change reports, and confirms
# PO2001's Kijkglas 1 (ongewijzigd: "bevestigd t/m" in its history). Kijkglas 3's national part holds all four.
TINY = dataclasses.replace(PROFILES["small"], n_po=2, n_vo=2, cohort=100)
SERIES_SWVS = ("PO2001", "VO2601")


def synthetic_series(extracts: Path) -> list[Run]:
    """`kijkglas generate --profile small --series 2024-2025 --seed 1` with the profile shrunk to TINY,
    produced on 10-11-2024 (Kijkglas 1, 2, and 5 of the schooljaar before), after the corrected re-issue
    of 11-11-2024 (Kijkglas 1 and 2) and on 10-4-2025 (Kijkglas 3 and 4; Kijkglas 2 with marks: see
    handleiding_2_3)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(PROFILES, "small", TINY)
        generate_series("small", "2024-2025", extracts, seed=1)
    po = tuple(s for s in SERIES_SWVS if s.startswith("PO"))
    november, correction, april = date(2024, 11, 10), date(2024, 11, 12), date(2025, 4, 10)
    return [Run("kijkglas-1", "2024-2025", "2024-11-06", november, SERIES_SWVS),
            Run("kijkglas-2", "2024-2025", "2024-11-06", november, SERIES_SWVS),
            Run("kijkglas-5", "2023-2024", "2024-11-06", november, po),
            Run("kijkglas-1", "2024-2025", "2024-11-11", correction, SERIES_SWVS),
            Run("kijkglas-2", "2024-2025", "2024-11-11", correction, SERIES_SWVS),
            Run("kijkglas-3", "2024-2025", "2025-04-06", april, SERIES_SWVS),
            Run("kijkglas-4", "2024-2025", "2025-04-06", april, po)]


SCENARIOS = {f.__name__.replace("_", "-"): f for f in (handleiding_1, handleiding_2_3, sbao_cases, minimal,
                                                        synthetic_series)}


# --- reading an outbox back as text -------------------------------------------------------------------

# Run-dependent values are masked. In JSON, every time of the run's clock (not of the data): when a
# version was published or changed status (`published_at`, `status_changed_at`), a confirmation was
# recorded (`recorded_at`), the operator's overview last noted a production (`at`).
# (PDFs and workbooks are byte for byte the same in every run: they carry the aanmaakdatum, not the
# clock, so the manifests pin their hashes too.)
MASK = "<per run>"


def masked_json(value, key: str | None = None):
    if isinstance(value, dict):
        return {k: masked_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked_json(v, key) for v in value]
    run_time = key is not None and (key == "at" or key.endswith("_at"))
    return MASK if run_time and value is not None else value


def cell_text(value) -> str:
    if isinstance(value, datetime) and value.time() != datetime.min.time():
        return value.isoformat()
    return excel_text(value)


def workbook_text(path: Path) -> str:
    out = []
    for ws in openpyxl.load_workbook(path, read_only=True).worksheets:
        out.append(f"## {ws.title}")
        rows = ["\t".join(cell_text(v) for v in row).rstrip("\t") for row in ws.iter_rows(values_only=True)]
        while rows and not rows[-1]:
            rows.pop()
        out += rows
    return "\n".join(out) + "\n"


def pdf_text(path: Path) -> str:
    reader = PdfReader(path)
    pages = [f"## pagina {i}\n{page.extract_text()}" for i, page in enumerate(reader.pages, 1)]
    return f"titel: {reader.metadata.title if reader.metadata else None}\n" + "\n".join(pages) + "\n"


class _VisibleText(HTMLParser):
    """What a reader sees of a page: its title and the text outside scripts and styles, a line per
    block, table cells separated by ' | '."""
    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "br", "table", "caption", "figcaption",
              "section", "header", "footer", "nav", "main", "ul", "ol", "dt", "dd", "title", "details", "summary"}
    HIDDEN = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


# On a page, the time of the run's clock: the operator's overview and the openbaar index say when each
# production was published ("08-12-2026 06:01"); a date of the data never carries a time of day.
PAGE_RUN_TIME = re.compile(r"\b\d{2}-\d{2}-\d{4} \d{2}:\d{2}\b")


def page_text(path: Path) -> str:
    parser = _VisibleText()
    parser.feed(path.read_text(encoding="utf-8"))
    lines = (" ".join(line.split()).strip(" |") for line in "".join(parser.parts).split("\n"))
    return PAGE_RUN_TIME.sub(MASK, "\n".join(line for line in lines if line) + "\n")


# Left out: the publishing locks (bookkeeping of concurrent runs, nothing published). Listed, not pinned:
# the register (SQLite, with the times of the run; what it holds is each manifest's, and those are pinned).
LOCKS, REGISTER = ".locks/", ".register.sqlite"


def snapshot(root: Path) -> dict[str, bytes]:
    """{golden path: content} of everything <root>/outbox holds."""
    outbox = root / "outbox"
    out: dict[str, bytes] = {}
    listing = []
    for path in sorted(p for p in outbox.rglob("*") if p.is_file()):
        rel = path.relative_to(outbox).as_posix()
        if rel.startswith(LOCKS):
            continue
        if rel == REGISTER:
            listing.append(f"{rel}  (not pinned)")
            continue
        if path.suffix == ".csv":
            out[rel], how = path.read_bytes(), "bytes"
        elif path.suffix == ".json":
            out[rel], how = (json.dumps(masked_json(json.loads(path.read_bytes())), indent=1, sort_keys=True,
                                        ensure_ascii=False) + "\n").encode(), "masked"
        elif path.suffix in (".pdf", ".xlsx", ".html"):
            read = {".pdf": pdf_text, ".xlsx": workbook_text, ".html": page_text}[path.suffix]
            out[f"{rel}.txt"], how = read(path).encode(), "text"
        elif path.suffix == ".txt":  # the validation report names the extract by its absolute path
            out[rel], how = path.read_text(encoding="utf-8").replace(str(root), "<tmp>").encode(), "tmp path masked"
        else:  # the vendored assets of the pages
            how = "sha256 " + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        listing.append(f"{rel}  ({how})")
    out["_files.txt"] = ("\n".join(listing) + "\n").encode()
    return out


def read_golden(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write_golden(folder: Path, files: dict[str, bytes]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for rel, content in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)


def differences(expected: dict[str, bytes], actual: dict[str, bytes], shown: int = 3, lines: int = 40) -> str:
    """What differs, readable: the files missing, new and changed, with a unified diff of the first few."""
    missing = sorted(expected.keys() - actual.keys())
    new = sorted(actual.keys() - expected.keys())
    changed = sorted(k for k in expected.keys() & actual.keys() if expected[k] != actual[k])
    if not (missing or new or changed):
        return ""
    out = [f"{len(changed)} changed, {len(missing)} missing, {len(new)} new"]
    out += [f"missing: {k}" for k in missing[:10]] + [f"new: {k}" for k in new[:10]]
    for k in changed[:shown]:
        diff = list(difflib.unified_diff(expected[k].decode(errors="replace").splitlines(),
                                         actual[k].decode(errors="replace").splitlines(),
                                         f"golden/{k}", f"produced/{k}", lineterm=""))
        out += diff[:lines] + ([f"... ({len(diff) - lines} more diff lines)"] if len(diff) > lines else [])
    if len(changed) > shown:
        out.append(f"... and {len(changed) - shown} more changed: {', '.join(changed[shown:shown + 10])}")
    return "\n".join(out)


# --- the tests --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_pool():
    """One render pool (one worker process) for every production here, as a flow worker shares one:
    a pool per production would spawn and import WeasyPrint again each time (~1 s)."""
    pool = runtime.render_pool(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(steps.runtime, "render_pool", lambda processes=None: contextlib.nullcontext(pool))
        yield
    pool.shutdown()


def produce(scenario: str, root: Path) -> None:
    extracts, outbox = root / "extracts", root / "outbox"
    for run in SCENARIOS[scenario](extracts):
        steps.run_production(run.product, extracts / run.extract, outbox, run.schooljaar, run.productiedatum,
                             list(run.swv) if run.swv else None, settings=Settings(), processes=1)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_outbox_equals_golden(scenario, shared_pool, tmp_path):
    produce(scenario, tmp_path)
    actual = snapshot(tmp_path)
    folder = GOLDEN / scenario
    if UPDATE:
        write_golden(folder, actual)
        return
    assert folder.is_dir(), f"no golden files for {scenario}: KIJKGLAS_UPDATE_GOLDEN=1 makes them"
    report = differences(read_golden(folder), actual)
    if report:
        pytest.fail(f"the outbox of {scenario} differs from tests/golden/{scenario} (if meant: "
                    f"KIJKGLAS_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py)\n{report}", pytrace=False)


def test_golden_holds_exactly_the_scenarios():
    """No golden folder of a scenario that is gone (regenerating removes it)."""
    stale = [p for p in GOLDEN.iterdir() if p.is_dir() and p.name not in SCENARIOS]
    if UPDATE:
        for folder in stale:
            shutil.rmtree(folder)
        stale = []
    assert stale == [] and all((GOLDEN / s).is_dir() for s in SCENARIOS), stale
