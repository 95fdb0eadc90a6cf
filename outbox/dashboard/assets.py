"""The dashboard's static files, copied into each SWV folder so that a downloaded copy works
offline (`file://`, no CDN): the vendored npm libraries (vendor/npm/README.md) and our own
stylesheet and glue script (templates/dashboard/)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from core.files import real_folder, write_if_changed
from outbox.layout import DASHBOARD_DIR

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "vendor" / "npm"
OWN = ROOT / "templates" / "dashboard"
ASSETS_DIR = f"{DASHBOARD_DIR}/assets"  # relative to the owner's folder

# file name in assets/ -> its source; the licence of each library travels with it
ASSET_SOURCES = {
    "chart.umd.min.js": VENDOR / "chart.js@4.6.1" / "chart.umd.min.js",
    "chart.js-LICENSE.md": VENDOR / "chart.js@4.6.1" / "LICENSE.md",
    "simple-datatables.js": VENDOR / "simple-datatables@10.3.0" / "simple-datatables.js",
    "simple-datatables.css": VENDOR / "simple-datatables@10.3.0" / "style.css",
    "simple-datatables-LICENSE": VENDOR / "simple-datatables@10.3.0" / "LICENSE",
    "dashboard.css": OWN / "dashboard.css",
    "dashboard.js": OWN / "dashboard.js",
}


@lru_cache(maxsize=None)
def _source_bytes(source: Path) -> bytes:
    return source.read_bytes()  # read once per process, written into every owner's folder


def write_assets(owner_dir: Path) -> None:
    """Copy every asset into `<owner>/dashboard/assets/` (a file is rewritten only when it differs;
    not fsynced: every write of an owner's pages compares them again and rewrites one that is short or old)."""
    target = real_folder(Path(owner_dir), *Path(ASSETS_DIR).parts)  # never through a link
    for name, source in ASSET_SOURCES.items():
        write_if_changed(target / name, _source_bytes(source), durable=False)
