"""The outbox's layout and the reading of it (outputs.md, "Distribution (the outbox)")::

    <outbox>/<owner>/<schooljaar>/<product>/<version>/   xlsx, pdf, data/*.csv, [wijzigingen.xlsx], manifest.json
    <outbox>/<owner>/<schooljaar>/<product>/bevestigingen.json   later extracts that confirmed a version unchanged
    <outbox>/<owner>/index.html                          what is current for this owner, links and history
    <outbox>/.staging/<id>/  (+ <id>.lock)               versions being written (never part of the outbox proper)
    <outbox>/.locks/*.lock                               flock files (never deleted)
    <outbox>/.register.sqlite                            the register (unless Settings.register_path is set)

`owner` is an SWV code, or `openbaar` for the national Kijkglas 3 (same mechanism). Versions are
named v1, v2, … (ordered by their number, not as text). The folders with a valid manifest.json
are the truth; the register is an index rebuilt from them.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from core.dates import format_datum
from core.files import atomic_write, flock, sha256_file
from tasks.rules import SCHOOLJAAR_PATTERN

OPENBAAR = "openbaar"
# a version's status (manifest and register)
ACTUEEL, VERVANGEN, INGETROKKEN = "actueel", "vervangen", "ingetrokken"
STATUSES = (ACTUEEL, VERVANGEN, INGETROKKEN)
# what a production did for one owner: a new version, nothing (same data), or nothing (a newer extract is current)
GEPUBLICEERD, ONGEWIJZIGD, OVERGESLAGEN = "gepubliceerd", "ongewijzigd", "overgeslagen"
OUTCOMES = (GEPUBLICEERD, ONGEWIJZIGD, OVERGESLAGEN)

MANIFEST = "manifest.json"
CHANGES_XLSX = "wijzigingen.xlsx"
INDEX = "index.html"
DASHBOARD_DIR = "dashboard"  # an owner's pages below its folder (outbox/dashboard/)
STAGING = ".staging"
LOCKS = ".locks"
OPERATOR_DIR = ".operator"  # operator-only: validation reports, data-quality lists, the last productions
REGISTER_FILE = ".register.sqlite"
MANIFEST_FORMAT = 1
# a product folder's confirmations: a published version's manifest is never rewritten for them (its
# files are hashed and SWVs may hold copies), so they live beside the versions
CONFIRMATIONS = "bevestigingen.json"
CONFIRMATIONS_FORMAT = 1
CONFIRMATION_FIELDS = ("version", "stand_per", "extract", "aanmaakdatum", "recorded_at")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# a schooljaar folder; an owner's other folders (its dashboard, openbaar/scholen) hold no versions
SCHOOLJAAR_RE = re.compile(SCHOOLJAAR_PATTERN)
_VERSION_RE = re.compile(r"^v(\d+)$")


class PublishError(RuntimeError):
    """A version that cannot be published as it stands (the renderer's output breaks a rule)."""


def version_name(number: int) -> str:
    return f"v{int(number)}"


def version_number(name: str) -> int | None:
    m = _VERSION_RE.match(str(name))
    return int(m.group(1)) if m else None


def normalize_version(text: str) -> str:
    """'2', 'v2', 'V2', 'v002' -> 'v2'."""
    t = str(text).strip().lower()
    if t.isdigit():
        return version_name(int(t))
    n = version_number(t)
    if n is None:
        raise ValueError(f"not a version: {text!r} (expected v1, v2, …)")
    return version_name(n)


def check_name(kind: str, value: str) -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value) or ".." in value:
        raise ValueError(f"invalid {kind}: {value!r}")
    return value


def check_key(owner: str, schooljaar: str, product: str) -> None:
    check_name("owner", owner)
    check_name("schooljaar", schooljaar)
    check_name("product", product)


def timestamp_now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)



def jsonable(obj):
    """Make meta values JSON-serialisable and deterministic (str keys, ISO dates)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted(jsonable(v) for v in obj)
    if isinstance(obj, (datetime, date)):
        return iso(obj)
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)


def dump_json(obj: dict) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def read_manifest(version_dir: Path) -> dict | None:
    """The manifest of a version folder, or None when missing or not a valid manifest."""
    try:
        m = json.loads((version_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(m, dict):
        return None
    if not {"version", "status", "files", "content_key"} <= m.keys() or m.get("status") not in STATUSES:
        return None
    if not isinstance(m["files"], list) or not all(_file_entry(e) for e in m["files"]):
        return None
    return m


def _file_entry(e) -> bool:
    """A manifest's file entry as publishing writes it: a plain relative path, a size and a SHA-256."""
    return (isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("size"), int)
            and isinstance(e.get("sha256"), str) and not e["path"].startswith("/")
            and ".." not in e["path"].split("/"))


def write_manifest(version_dir: Path, manifest: dict) -> None:
    atomic_write(version_dir / MANIFEST, dump_json(manifest))



# ---------------------------------------------------------------------------------------
# confirmations: a production whose tables equal the actueel version's confirms it up to its stand per
# ---------------------------------------------------------------------------------------
def read_confirmations(product_folder: Path) -> list[dict] | None:
    """The confirmations recorded in a product folder, oldest stand per first ([] when there is no
    file); None when the file is there but not valid (it is then never overwritten)."""
    try:
        data = json.loads((Path(product_folder) / CONFIRMATIONS).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return None
    entries = data.get("bevestigingen") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and all(isinstance(e.get(f), str) for f in CONFIRMATION_FIELDS) for e in entries):
        return None
    return sorted(({f: e[f] for f in CONFIRMATION_FIELDS} for e in entries),
                  key=lambda e: (e["stand_per"], e["recorded_at"], e["version"]))


def write_confirmations(product_folder: Path, owner: str, schooljaar: str, product: str, entries: list[dict]) -> None:
    """Write a product folder's confirmations (call under its key lock)."""
    atomic_write(Path(product_folder) / CONFIRMATIONS, dump_json({
        "format": CONFIRMATIONS_FORMAT, "swv": owner, "schooljaar": schooljaar, "product": product,
        "bevestigingen": sorted(entries, key=lambda e: (e["stand_per"], e["recorded_at"], e["version"]))}))


def confirmed_through(manifest: dict, version: str, entries: list[dict]) -> str:
    """The newest stand per that made (`manifest`) or confirmed `version` (ISO date)."""
    return max([str(manifest.get("stand_per") or "")] + [e["stand_per"] for e in entries if e["version"] == version])


def key_lock(outbox: Path, owner: str, schooljaar: str, product: str, timeout: float | None = None):
    return flock(Path(outbox) / LOCKS / f"{owner}__{schooljaar}__{product}.lock", timeout)


def index_lock(outbox: Path, owner: str):
    return flock(Path(outbox) / LOCKS / f"{owner}__index.lock")



# ---------------------------------------------------------------------------------------
# versions on disk
# ---------------------------------------------------------------------------------------
@dataclass
class Version:
    number: int
    name: str
    path: Path
    manifest: dict | None


def product_dir(outbox: Path, owner: str, schooljaar: str, product: str) -> Path:
    return Path(outbox) / owner / schooljaar / product


def scan_versions(outbox: Path, owner: str, schooljaar: str, product: str) -> list[Version]:
    pdir = product_dir(outbox, owner, schooljaar, product)
    if not pdir.is_dir():
        return []
    out = []
    for d in pdir.iterdir():
        n = version_number(d.name)
        if n is not None and d.is_dir():
            out.append(Version(n, d.name, d, read_manifest(d)))
    return sorted(out, key=lambda v: v.number)


def actueel_version(versions: list[Version]) -> Version | None:
    act = [v for v in versions if v.manifest and v.manifest["status"] == ACTUEEL]
    return act[-1] if act else None


def comparison_basis(versions: list[Version]) -> Version | None:
    cur = actueel_version(versions)
    if cur is not None:
        return cur
    rest = [v for v in versions if v.manifest and v.manifest["status"] != INGETROKKEN]
    return rest[-1] if rest else None


def product_keys(outbox: Path) -> list[tuple[str, str, str]]:
    """Every (owner, schooljaar, product) folder in the outbox."""
    outbox = Path(outbox)
    keys = []
    if not outbox.is_dir():
        return keys
    for odir in sorted(outbox.iterdir()):
        if odir.name.startswith(".") or not odir.is_dir():
            continue
        for sdir in sorted(odir.iterdir()):
            if not SCHOOLJAAR_RE.match(sdir.name) or not sdir.is_dir():
                continue
            for pdir in sorted(sdir.iterdir()):
                if pdir.name.startswith(".") or not pdir.is_dir():
                    continue
                keys.append((odir.name, sdir.name, pdir.name))
    return keys


def owner_names(outbox: Path) -> list[str]:
    outbox = Path(outbox)
    if not outbox.is_dir():
        return []
    return sorted(d.name for d in outbox.iterdir() if d.is_dir() and not d.name.startswith("."))



def file_entries(root: Path) -> list[dict]:
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if rel == MANIFEST:
                continue
            if p.is_symlink():
                raise PublishError(f"symlink not allowed in a version: {rel}")
            entries.append({"path": rel, "size": p.stat().st_size, "sha256": sha256_file(p)})
    return sorted(entries, key=lambda e: e["path"])


def verify_version_dir(version_dir: Path, manifest: dict | None = None) -> list[str]:
    """Problems of one version folder, in Dutch: manifest present and its files (and only those) match."""
    m = manifest if manifest is not None else read_manifest(version_dir)
    if m is None:
        return [f"{version_dir}: manifest.json ontbreekt of is geen geldig manifest"]
    problems = []
    listed = {}
    for e in m.get("files", []):
        listed[e["path"]] = e
        p = version_dir / e["path"]
        if p.is_symlink() or not p.is_file():
            problems.append(f"{version_dir}: {e['path']} staat in het manifest maar ontbreekt"
                            + (" (het is een symbolische link)" if p.is_symlink() else ""))
        elif p.stat().st_size != e["size"]:
            problems.append(f"{version_dir}: {e['path']} is {p.stat().st_size} bytes, het manifest zegt {e['size']}")
        elif sha256_file(p) != e["sha256"]:
            problems.append(f"{version_dir}: {e['path']} wijkt af van het manifest (SHA-256)")
    for dirpath, _d, filenames in os.walk(version_dir):
        for name in filenames:
            rel = (Path(dirpath) / name).relative_to(version_dir).as_posix()
            if rel != MANIFEST and rel not in listed:
                problems.append(f"{version_dir}: {rel} staat niet in het manifest")
    if m.get("status") == INGETROKKEN and not m.get("reason"):
        problems.append(f"{version_dir}: ingetrokken zonder reden")
    return problems


def version_damage(v: Version, owner: str, schooljaar: str, product: str) -> list[str]:
    """What is wrong with a published version folder (empty: sound), in Dutch: its manifest, its
    files against the manifest's sizes and SHA-256, and the manifest's own key against its folder."""
    if v.manifest is None:
        return [f"{v.path}: manifest.json ontbreekt of is geen geldig manifest"]
    problems = verify_version_dir(v.path, v.manifest)
    for fld, want in (("version", v.name), ("product", product), ("swv", owner), ("schooljaar", schooljaar)):
        if v.manifest.get(fld) != want:
            problems.append(f"{v.path}: het manifest zegt {fld} = {v.manifest.get(fld)!r}, de map zegt {want!r}")
    return problems


def next_version(outbox: Path, owner: str, schooljaar: str, product: str, stand_per) -> dict:
    """What a publish now would make, for the documents to say: {versie, status, vervangt, reden}.
    `publish_version` checks under its lock that it still would (`version_plan`)."""
    return version_plan(scan_versions(Path(outbox), owner, schooljaar, product), stand_per)


def version_plan(versions: list[Version], stand_per) -> dict:
    """The next version among `versions` as its documents name it: {versie, status, vervangt, reden}."""
    info = {"versie": version_name(max((v.number for v in versions), default=0) + 1), "status": ACTUEEL,
            "vervangt": None, "reden": None}
    current = actueel_version(versions)
    published = [v for v in versions if v.manifest]
    if current is not None:
        old, new = str(current.manifest.get("stand_per")), iso(stand_per)
        info["vervangt"] = current.name
        info["reden"] = (f"gecorrigeerd extract, stand per {format_datum(new)}" if old == new
                         else f"nieuwe stand per {format_datum(new)} (was {format_datum(old)})")
    elif published:
        info["vervangt"] = published[-1].name
        info["reden"] = f"{published[-1].name} is ingetrokken ({published[-1].manifest.get('reason') or 'zonder reden'})"
    return info
