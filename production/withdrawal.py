"""Withdrawing a version, and restoring an earlier one, for the SWV's the operator names: the plain
functions behind `kijkglas withdraw` / `kijkglas restore` (and the Prefect flows that call them).

The SWV choice is always explicit: a list of codes, or `alle` (every owner that has the version,
`openbaar` included). A user's mistake (no reason, no choice, a version an SWV does not have, a
restore the outbox does not allow) raises StatusChangeRefused with a Dutch message and changes
nothing: every named SWV is checked before any is changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.files import LinkRefused, no_links
from outbox.dashboard.operator import write_operator_overview
from outbox.dashboard.pages import render_page
from outbox.layout import INGETROKKEN, LOCKS, OPENBAAR, OPERATOR_DIR, normalize_version, owner_names, scan_versions
from outbox.publish import StatusChangeRefused, restore_refusal, restore_version, withdraw_version
from products import registry
from schemas.models import is_swv_code
from tasks import rules

__all__ = ["ALLE", "StatusChange", "StatusChangeRefused", "restore", "withdraw"]

ALLE = "alle"
HERSTELD = "hersteld"
UNCHANGED = "ongewijzigd"  # already withdrawn with that reason, or already actueel


@dataclass
class StatusChange:
    """What a withdrawal or restore did for one SWV (or openbaar)."""
    swv: str
    product: str
    schooljaar: str
    version: str
    outcome: str   # ingetrokken | hersteld | ongewijzigd
    message: str   # one Dutch line, naming the SWV


def _codes(swv) -> list[str]:
    return [swv] if isinstance(swv, str) else list(swv or [])


def swv_choice_error(swv) -> str | None:
    """Why `swv` is not an explicit choice (None: it is): a list of codes, or `alle` alone."""
    codes = _codes(swv)
    if not codes:
        return f"kies de SWV's: --swv CODE … of --swv {ALLE} (elke SWV met die versie)"
    if ALLE in codes and len(set(codes)) > 1:
        return f"--swv {ALLE} of SWV-codes, niet allebei"
    bad = [c for c in codes if c != ALLE and c != OPENBAAR and not is_swv_code(c)]
    if bad:
        return f"{', '.join(map(repr, bad))} is geen SWV-code (PO of VO en vier cijfers, bv. PO2001, of {ALLE})"
    return None


def _version_of(text: str) -> str:
    try:
        return normalize_version(text)
    except ValueError:
        raise StatusChangeRefused(f"{str(text)!r} is geen versie (v1, v2, …)") from None


def _owners(outbox: Path, product: str, schooljaar: str, version: str, reason: str, swv) -> list[str]:
    """The owners the request is about, after every check that needs no lock."""
    if not Path(outbox).is_dir():
        raise StatusChangeRefused(f"Outbox {outbox} {'is geen map' if Path(outbox).exists() else 'bestaat niet'}.")
    if product not in registry.NAMES:
        raise StatusChangeRefused(f"{product!r} is geen product (kies uit {', '.join(registry.NAMES)})")
    try:
        rules.schooljaar_start_year(schooljaar)
    except ValueError:
        raise StatusChangeRefused(f"{schooljaar!r} is geen schooljaar (JJJJ-JJJJ, bv. 2024-2025)") from None
    if not (reason or "").strip():
        raise StatusChangeRefused("een reden is verplicht, bv. \"fout in bronbestand\"")
    problem = swv_choice_error(swv)
    if problem:
        raise StatusChangeRefused(problem)
    has = {o for o in owner_names(outbox)
           if any(v.name == version and v.manifest for v in scan_versions(outbox, o, schooljaar, product))}
    if ALLE in _codes(swv):
        if not has:
            raise StatusChangeRefused(f"Geen versie {version} van {product} {schooljaar} gevonden in {outbox}.")
        return sorted(has)
    named = list(dict.fromkeys(_codes(swv)))
    missing = [o for o in named if o not in has]
    if missing:
        raise StatusChangeRefused(f"{product} {schooljaar} {version} niet gevonden bij {', '.join(missing)}; "
                                  "er is niets veranderd")
    return named


def _refuse_links(outbox: Path, owners: list[str], schooljaar: str, product: str) -> None:
    """A folder the change would write or read through that is a link (an SWV's, its schooljaar's or
    product's; the operator's, the locks') refuses the whole request before anything changes, as a
    production refuses it (core.files.no_links)."""
    try:
        for parts in [(OPERATOR_DIR,), (LOCKS,), *((owner, schooljaar, product) for owner in owners)]:
            no_links(outbox, *parts)
    except LinkRefused as exc:
        raise StatusChangeRefused(f"{exc} Er is niets veranderd.") from None


def withdraw(outbox: Path, product: str, schooljaar: str, version: str, reason: str, swv: list[str] | str,
             register: Path | None = None) -> list[StatusChange]:
    """Mark `version` `ingetrokken` with `reason` for each chosen SWV (`swv`: codes, or "alle");
    remake their pages and the operator overview. A withdrawn actueel version leaves the product
    without an actueel version: the one before it does not come back (see `restore`)."""
    outbox, version, reason = Path(outbox), _version_of(version), (reason or "").strip()
    owners = _owners(outbox, product, schooljaar, version, reason, swv)
    _refuse_links(outbox, owners, schooljaar, product)
    done = []
    for owner in owners:
        before = next(v.manifest for v in scan_versions(outbox, owner, schooljaar, product) if v.name == version)
        m = withdraw_version(outbox, owner, schooljaar, product, version, reason, register=register)
        same = before["status"] == INGETROKKEN and before.get("reason") == reason
        done.append(StatusChange(owner, product, schooljaar, version, UNCHANGED if same else INGETROKKEN,
                                 f"{owner}: {product} {schooljaar} {version} "
                                 + ("was al ingetrokken" if same else "ingetrokken") + f" ({m['reason']})"))
    write_operator_overview(outbox, render_page)
    return done


def restore(outbox: Path, product: str, schooljaar: str, version: str, reason: str, swv: list[str] | str,
            register: Path | None = None) -> list[StatusChange]:
    """Make the earlier `vervangen` version `version` actueel again for each chosen SWV, when none
    of its versions is actueel (the newer one was withdrawn); refused, for all, when any chosen
    SWV has an actueel version or `version` is withdrawn. Pages and overview are remade."""
    outbox, version, reason = Path(outbox), _version_of(version), (reason or "").strip()
    owners = _owners(outbox, product, schooljaar, version, reason, swv)
    _refuse_links(outbox, owners, schooljaar, product)
    refusals = [f"{o}: {product} {schooljaar} {why}" for o in owners
                if (why := restore_refusal(scan_versions(outbox, o, schooljaar, product), version))]
    if refusals:
        raise StatusChangeRefused("\n".join([*refusals, "er is niets hersteld"]) if len(refusals) > 1
                                  else f"{refusals[0]}; er is niets hersteld")
    done = []
    for owner in owners:
        m = restore_version(outbox, owner, schooljaar, product, version, reason, register=register)
        done.append(StatusChange(owner, product, schooljaar, version, UNCHANGED if m is None else HERSTELD,
                                 f"{owner}: {product} {schooljaar} {version} "
                                 + ("was al actueel" if m is None else f"weer actueel ({reason})")))
    write_operator_overview(outbox, render_page)
    return done
