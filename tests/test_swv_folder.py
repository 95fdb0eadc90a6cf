"""An SWV's folder delivered alone (issue 24): `cp -r <outbox>/PO2001 elsewhere` must work on its own.
Every page of the copy is read: each local href and src resolves to a file inside the copy, nothing
points outside it (no `../openbaar/…`), and every version's documents (PDF, workbooks, wijzigingen.xlsx)
can be reached from a page. Then the copy is walked in Chromium from `file://` with the network cut off."""
from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.test_dashboard_browser import SJ, browser, check_page, outbox  # noqa: F401 (fixtures)

OWNERS = ["PO2001", "VO2001"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.refs += [v for k, v in attrs if k in ("href", "src") and v]


def local_refs(page: Path) -> list[str]:
    """Every href and src of a page that is not an in-page anchor."""
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return [r for r in parser.refs if not r.startswith("#")]


@pytest.fixture(scope="module")
def copies(outbox, tmp_path_factory):  # noqa: F811
    """Each SWV's folder copied alone into a folder of its own, far from the outbox."""
    out = {}
    for owner in OWNERS:
        target = tmp_path_factory.mktemp(f"alleen-{owner}") / owner
        shutil.copytree(outbox / owner, target)
        out[owner] = target
    return out


@pytest.mark.parametrize("owner", OWNERS)
def test_every_local_link_of_every_page_resolves_inside_the_copy(copies, owner):
    root = copies[owner].resolve()
    pages = sorted(root.rglob("*.html"))
    assert len(pages) >= 6, pages
    reached: set[Path] = set()
    for page in pages:
        for ref in local_refs(page):
            url = urlparse(ref)
            assert not url.scheme and not url.netloc, (page.relative_to(root), "link leaves the folder", ref)
            target = (page.parent / unquote(url.path)).resolve()
            assert target.is_relative_to(root), (page.relative_to(root), "link leaves the folder", ref)
            assert target.is_file(), (page.relative_to(root), "broken link", ref)
            reached.add(target)
    # every version's documents can be opened from a page, not only the current ones
    documents = [root / m.parent.relative_to(root) / e["path"]
                 for m in root.glob("*/*/v*/manifest.json")
                 for e in json.loads(m.read_text(encoding="utf-8"))["files"]
                 if e["path"].endswith((".pdf", ".xlsx"))]
    assert any(d.name.endswith(".pdf") for d in documents)
    unreachable = sorted(str(d.relative_to(root)) for d in documents if d.resolve() not in reached)
    assert not unreachable, unreachable


def test_the_groei_page_and_its_school_pages_stay_inside_the_folder(copies):
    root = copies["PO2001"]
    groei = root / "dashboard" / SJ / "groei.html"
    text = groei.read_text(encoding="utf-8")
    assert "openbaar" not in "".join(local_refs(groei))
    schools = sorted((root / "dashboard" / SJ).glob("school-*.html"))
    assert schools, "the schools' pages are copied into the SWV's folder"
    assert all(s.name in text for s in schools)
    assert "Groei die meetelt" in schools[0].read_text(encoding="utf-8")


@pytest.mark.parametrize("owner", OWNERS)
def test_the_copy_in_chromium(browser, copies, owner):  # noqa: F811
    """Opened from file:// with only file requests allowed: no error, every link a file (check_page)."""
    root = copies[owner]
    for page in sorted(root.rglob("*.html")):
        check_page(browser, page).close()
