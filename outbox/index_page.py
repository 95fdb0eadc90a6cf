"""The pages of each owner's folder, rewritten under the owner's lock after a publication or
withdrawal (a production day makes them once per owner, after all its publications): an SWV's
dashboard (outbox/dashboard/pages.py), or the public pages of `openbaar`
(outbox/dashboard/openbaar.py). `index.html` is the entry of either."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Collection

from core.files import real_folder, write_below
from outbox.dashboard.assets import write_assets
from outbox.dashboard.openbaar import openbaar_pages
from outbox.dashboard.pages import owner_pages, render_page
from outbox.layout import INDEX, OPENBAAR, check_name, index_lock, read_manifest
from outbox.page_stamp import freshness, write_stamp

log = logging.getLogger(__name__)


def _naam(owner_dir: Path) -> str | None:
    """The SWV's name as its newest manifest that has one gives it."""
    manifests = sorted(((m.stat().st_mtime_ns, m) for m in owner_dir.glob("*/*/v*/manifest.json")), reverse=True)
    for _, path in manifests:
        naam = (read_manifest(path.parent) or {}).get("swv_naam")  # a damaged manifest: the integrity check names it
        if naam:
            return naam
    return None


def pages_of(outbox: Path, owner: str, changed: Collection[tuple[str, str]] | None = None) -> dict[str, bytes]:
    """The pages of an owner's folder: {path relative to the folder: bytes}; every page, or those
    publications of `changed` = [(schooljaar, product), …] can change."""
    if owner == OPENBAAR:
        return openbaar_pages(outbox, render_page)
    return owner_pages(outbox, owner, _naam(Path(outbox) / owner), changed)


def render_index(outbox: Path, owner: str) -> str:
    """What `<outbox>/<owner>/index.html` should hold now."""
    return pages_of(outbox, owner)[INDEX].decode("utf-8")


def write_pages(owner_dir: Path, pages: dict[str, bytes], made_here: list[str]) -> bool:
    """Write `pages` (only files whose bytes change) and the assets; remove pages in the folders
    `made_here` that are no longer made. True when anything changed. (The assets are not fsynced:
    they are compared and rewritten here every time.)"""
    owner_dir = real_folder(owner_dir.parent, owner_dir.name)  # never through a link (nor a folder below)
    write_assets(owner_dir)
    changed = False
    for rel, data in pages.items():
        changed |= write_below(owner_dir, rel, data)
    for pattern in made_here:
        for old in owner_dir.glob(pattern):
            if old.relative_to(owner_dir).as_posix() not in pages:
                old.unlink()
                changed = True
    return changed


def write_index(outbox: Path, owner: str, changed: Collection[tuple[str, str]] | None = None) -> bool:
    """(Re)write the pages of `<outbox>/<owner>/` under the owner's lock; after publications of
    `changed` = [(schooljaar, product), …], only those they can change. True when any changed."""
    outbox = Path(outbox)
    check_name("owner", owner)
    owner_dir = outbox / owner
    if not owner_dir.is_dir():
        return False
    with index_lock(outbox, owner):
        for tmp in owner_dir.glob(f".{INDEX}.*.tmp"):
            tmp.unlink(missing_ok=True)
        was = freshness(outbox, owner)  # pages an earlier, broken-off production left behind are made too
        if changed is not None and not was.fresh:
            changed = None if was.behind is None else sorted(set(changed) | set(was.behind))
        # a page no longer made is removed only when every page is made
        made_here = ["scholen/*.html"] if owner == OPENBAAR else [] if changed is not None else ["dashboard/*/*.html"]
        try:
            pages = pages_of(outbox, owner, changed)
        except Exception:  # the version is published; a page that cannot be made must not undo that
            log.exception("de pagina's van %s konden niet worden gemaakt; `kijkglas status` meldt ze als verouderd", owner)
            return False
        wrote = write_pages(owner_dir, pages, made_here)
        write_stamp(outbox, owner, was, changed)
        return wrote


def write_index_if_behind(outbox: Path, owner: str) -> bool:
    """Make the pages of an owner that lag behind its folder (`page_stamp`); nothing when they do not.
    True when any page changed."""
    if not (Path(outbox) / owner).is_dir() or freshness(outbox, owner).fresh:
        return False
    return write_index(outbox, owner, [])
