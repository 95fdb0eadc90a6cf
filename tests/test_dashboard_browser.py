"""The SWV dashboard, the public pages and the operator overview in a real browser: Debian's
Chromium driven by Playwright. An outbox is made from the small synthetic series (every product,
several Kijkglas 1 versions, one withdrawal), then every page is opened from disk (`file://`) with
the network cut off. Each page: no console error, no request outside the folder, charts drawn,
every link resolves to a file, no pupil number the SWV's own files do not hold, and axe-core finds
no WCAG 2.1 A/AA violation."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest

from kijkglas.cli import main

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "vendor" / "npm" / "axe-core@4.14.1" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SJ = "2024-2025"
SWV_PAGES = ["index.html", f"dashboard/{SJ}/1a.html", f"dashboard/{SJ}/1b.html", f"dashboard/{SJ}/2.html",
             f"dashboard/{SJ}/groei.html", "dashboard/historie.html"]
DUO_NUMBER = re.compile(r"(?<!\d)\d{9}(?!\d)")


def _run(*argv: str) -> None:
    assert main(list(argv)) == 0, argv


@pytest.fixture(scope="module")
def outbox(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("dashboard")
    extracts, out = work / "extracts", work / "outbox"
    _run("generate", "--series", SJ, "--out", str(extracts))
    common = ["--outbox", str(out), "--no-prefect"]
    for stand_per in ("2024-08-06", "2024-10-06", "2024-12-06"):  # Kijkglas 1 over the year: v1..v3
        _run("produce", "kijkglas-1", "--schooljaar", SJ, "--extract", str(extracts / stand_per), *common,
             "--productiedatum", stand_per[:8] + "10")  # each on its production day
    # a later extract with the same data confirms v3: a month without changes, marked on 1a's time axis
    shutil.copytree(extracts / "2024-12-06", extracts / "2024-12-20")
    (extracts / "2024-12-20" / "extract.json").write_text('{"stand_per": "2024-12-20", "bron": "ROD"}')
    _run("produce", "kijkglas-1", "--schooljaar", SJ, "--extract", str(extracts / "2024-12-20"), *common,
         "--productiedatum", "2024-12-20")
    for product in ("kijkglas-2", "kijkglas-3", "kijkglas-4"):
        _run("produce", product, "--schooljaar", SJ, "--extract", str(extracts / "2025-04-06"), *common,
             "--productiedatum", "2025-04-10")
    _run("produce", "kijkglas-5", "--schooljaar", "2023-2024", "--extract", str(extracts / "2024-10-06"), *common,
         "--productiedatum", "2024-10-10")
    _run("withdraw", "kijkglas-1", "--outbox", str(out), "--schooljaar", SJ, "--version", "v1",
         "--reason", "proef: ingetrokken", "--swv", "PO2001")
    return out


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make system-packages` installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def open_page(browser, path: Path):
    """The page loaded from disk with every non-file request refused; (page, errors, outside requests)."""
    page = browser.new_page()
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    page.route("**/*", only_files)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, outside


def own_pupils(owner_dir: Path) -> set[str]:
    found: set[str] = set()
    for csv in owner_dir.glob("*/*/v*/data/*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if "DUO-nummer leerling" in frame.columns:
            found |= set(frame["DUO-nummer leerling"])
    return found


def check_page(browser, path: Path) -> object:
    page, errors, outside = open_page(browser, path)
    assert not errors, (path, errors)
    assert not outside, (path, outside)
    charts = page.eval_on_selector_all("canvas[data-chart]", "cs => cs.map(c => c.dataset.drawn === 'true')")
    assert all(charts), (path, "a chart was not drawn")
    for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
        url = urlparse(href)
        assert url.scheme == "file", (path, href)
        assert Path(unquote(url.path)).is_file(), (path, "broken link", href)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA)
    violations = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]]
    assert not violations, (path, violations)
    return page


@pytest.mark.parametrize("owner", ["PO2001", "VO2001"])
def test_every_page_of_an_swv_loads_offline_is_accessible_and_holds_only_its_own_pupils(browser, outbox, owner):
    owner_dir = outbox / owner
    mine = own_pupils(owner_dir)
    for rel in SWV_PAGES:
        path = owner_dir / rel
        assert path.is_file(), path
        check_page(browser, path).close()
        shown = set(DUO_NUMBER.findall(path.read_text(encoding="utf-8")))
        assert shown <= mine, (rel, sorted(shown - mine)[:5])
    assert set(DUO_NUMBER.findall((owner_dir / f"dashboard/{SJ}/1b.html").read_text())), "1b lists the pupils"


def test_charts_are_drawn_with_a_table_behind_each(browser, outbox):
    page = check_page(browser, outbox / "PO2001" / f"dashboard/{SJ}/1a.html")
    assert page.eval_on_selector_all("canvas[data-chart]", "cs => cs.length") >= 2
    assert page.eval_on_selector_all("figure.chart table.behind", "ts => ts.length") >= 2
    assert "v3" in page.inner_text("figure.chart table.behind")
    page.close()


def test_1a_puts_the_versions_on_a_time_axis_and_marks_the_confirmation(browser, outbox):
    """PO2001: v1 withdrawn, v2 (06-10), v3 (06-12), v3 confirmed by the extract of 20-12: the points
    lie as far apart as their days (61 and 14), the confirmation is a mark of its own and a row of
    the table behind the chart."""
    page = check_page(browser, outbox / "PO2001" / f"dashboard/{SJ}/1a.html")
    xs = page.evaluate("""() => { const c = Chart.getChart(document.getElementById('k1-vso'));
        return c.data.datasets.map((d, i) => c.getDatasetMeta(i).data.map(p => p.x)); }""")
    v2, v3, confirmed = xs[0]
    assert abs((v3 - v2) / (confirmed - v3) - 61 / 14) < 0.05, xs[0]
    labels = page.evaluate("() => Chart.getChart(document.getElementById('k1-vso')).data.datasets.map(d => d.label)")
    assert labels[-1] == "Gecontroleerd, geen wijzigingen" and len(xs[-1]) == len(labels) - 1  # a mark per line
    ticks = page.evaluate("() => Chart.getChart(document.getElementById('k1-vso')).scales.x.ticks.map(t => t.label)")
    assert ticks == ["01-10", "01-11", "01-12", "01-01"]
    rows = page.eval_on_selector_all("figure.chart table.behind tbody th", "ths => ths.map(t => t.innerText)")
    assert "gecontroleerd 20-12-2024 (v3 ongewijzigd)" in rows
    assert "Een ruit markeert" in page.inner_text("main")
    if os.environ.get("KIJKGLAS_SCREENSHOTS"):  # a folder: to look at the page as an SWV sees it
        page.set_viewport_size({"width": 1366, "height": 900})
        page.screenshot(path=str(Path(os.environ["KIJKGLAS_SCREENSHOTS"]) / "1a.png"), full_page=True)
    page.close()


def test_a_filter_filters(browser, outbox):
    page, errors, _ = open_page(browser, outbox / "VO2001" / f"dashboard/{SJ}/1b.html")
    groups = lambda: page.eval_on_selector_all("#t-1b tbody tr", "rs => rs.map(r => r.cells[0].innerText)")  # noqa: E731
    before = groups()
    assert len(set(before)) > 1, before
    page.select_option("[data-filters-for='t-1b'] select[data-column='0']", "TLV")
    after = groups()
    assert after and set(after) == {"TLV"} and len(after) < len(before)
    page.select_option("[data-filters-for='t-1b'] select[data-column='0']", "")
    assert len(groups()) == len(before)
    assert not errors
    page.close()


def test_a_withdrawn_version_is_shown_as_such(browser, outbox):
    page = check_page(browser, outbox / "PO2001" / "dashboard" / "historie.html")
    text = page.inner_text("main")
    assert "ingetrokken" in text and "proef: ingetrokken" in text
    page.close()


def test_the_public_pages_and_the_operator_overview(browser, outbox):
    check_page(browser, outbox / "openbaar" / "index.html").close()
    schools = sorted((outbox / "openbaar" / "scholen").glob("*.html"))
    assert schools
    page = check_page(browser, schools[0])
    assert "Absolute groei" in page.inner_text("main")
    page.close()
    overview = outbox / "index.html"
    page = check_page(browser, overview)
    assert "Laatste productie" in page.inner_text("main")
    page.close()
    assert not DUO_NUMBER.findall(overview.read_text(encoding="utf-8")), "the operator overview holds no pupil"
