"""How a production day or a backfill ends when some of its productions failed: not a refusal of
what was asked (production/refusals.py), but the sum of a run in which the others went on."""
from __future__ import annotations


class ProductionsFailed(Exception):
    """Some productions of a day or a backfill failed (the others ran); names each with its reason."""

    def __init__(self, failed: list[str]):
        super().__init__(list(failed))  # in args, so that the exception survives pickling
        self.failed = list(failed)

    def __str__(self) -> str:
        return "niet gelukt:\n" + "\n".join(f"- {f}" for f in self.failed)
