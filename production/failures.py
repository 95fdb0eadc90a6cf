"""How a production ends when something failed that is no refusal of what was asked
(production/refusals.py): one production whose documents could not all be made (nothing published),
and a production day or backfill in which some productions failed while the others went on."""
from __future__ import annotations

import sqlite3

from core.files import io_error_words


def failure_words(exc: BaseException) -> str:
    """Why something failed, in one line: a disk's trouble in words, else the error's kind and message."""
    if isinstance(exc, (OSError, sqlite3.OperationalError)):
        return io_error_words(exc)
    words = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {words}"[:300] if words else type(exc).__name__


def owners_with_why(failed: list[tuple[str, str]]) -> str:
    """`PO2001: de schijf is vol; VO2001: …`: the owners that failed, each with why (in a sentence)."""
    return "; ".join(f"{owner}: {why.rstrip('.')}" for owner, why in failed)


class NothingPublished(Exception):
    """A production of which some owner's documents could not be made or checked: none of its
    owners' versions is published (whole or nothing). Names each owner with why."""

    def __init__(self, product: str, schooljaar: str, failed: list[tuple[str, str]]):
        super().__init__(product, schooljaar, list(failed))  # in args, so that the exception survives pickling
        self.product, self.schooljaar, self.failed = product, schooljaar, list(failed)

    def __str__(self) -> str:
        owners = owners_with_why(self.failed)
        return (f"{self.product} {self.schooljaar}: niets gepubliceerd, want de documenten van "
                f"{len(self.failed)} SWV('s) konden niet worden gemaakt — {owners}. De vorige versies blijven "
                "actueel. Los de fout op en draai de productie opnieuw.")


class PartlyPublished(Exception):
    """A production whose documents were all made, but some of whose publications failed (a full
    disk): the others are published and stay so. Names what was published and what failed, and why."""

    def __init__(self, product: str, schooljaar: str, published: list[str], failed: list[tuple[str, str]]):
        super().__init__(product, schooljaar, list(published), list(failed))  # survives pickling
        self.product, self.schooljaar = product, schooljaar
        self.published, self.failed = list(published), list(failed)

    def __str__(self) -> str:
        failed = owners_with_why(self.failed)
        published = (f"gepubliceerd voor {len(self.published)} SWV('s) ({', '.join(self.published)}), maar "
                     if self.published else "")
        return (f"{self.product} {self.schooljaar}: {published}niet voor {failed}. Los dat op en draai de productie "
                "opnieuw: wat gepubliceerd is, blijft zoals het is.")


class ProductionsFailed(Exception):
    """Some productions of a day or a backfill failed (the others ran); names each with its reason."""

    def __init__(self, failed: list[str]):
        super().__init__(list(failed))  # in args, so that the exception survives pickling
        self.failed = list(failed)

    def __str__(self) -> str:
        return "niet gelukt:\n" + "\n".join(f"- {f}" for f in self.failed)
