"""argparse's own words in Dutch, so that everything the operator reads is in one language.

argparse looks its messages up through gettext at call time (the module-level `_`); we point that
lookup at the table below. A message not in the table stays as argparse wrote it.
"""
from __future__ import annotations

import argparse

DUTCH = {
    "usage: ": "gebruik: ",
    "positional arguments": "argumenten",
    "options": "opties",
    "show this help message and exit": "toon deze hulp en stop",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "onbekende argumenten: %s",
    "the following arguments are required: %s": "deze argumenten zijn verplicht: %s",
    "one of the arguments %s is required": "een van de argumenten %s is verplicht",
    "not allowed with argument %s": "niet toegestaan samen met argument %s",
    "ignored explicit argument %r": "argument %r genegeerd",
    "expected one argument": "verwacht één waarde",
    "expected at most one argument": "verwacht hoogstens één waarde",
    "expected at least one argument": "verwacht minstens één waarde",
    "ambiguous option: %(option)s could match %(matches)s": "dubbelzinnige optie: %(option)s kan %(matches)s zijn",
    "unexpected option string: %s": "onverwachte optie: %s",
    "invalid %(type)s value: %(value)r": "ongeldige %(type)s-waarde: %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "ongeldige keuze: %(value)r (kies uit %(choices)s)",
    "%(prog)s: error: %(message)s\n": "%(prog)s: fout: %(message)s\n",
    "can't open '%(filename)s': %(error)s": "kan '%(filename)s' niet openen: %(error)s",
}
DUTCH_PLURAL = {
    "expected %s argument": ("verwacht %s waarde", "verwacht %s waarden"),
}


def dutch(message: str) -> str:
    return DUTCH.get(message, message)


def dutch_plural(singular: str, plural: str, n: int) -> str:
    one, many = DUTCH_PLURAL.get(singular, (singular, plural))
    return one if n == 1 else many


def install() -> None:
    """Make argparse speak Dutch (idempotent)."""
    argparse._ = dutch
    argparse.ngettext = dutch_plural
