"""Exercise checks: each inspects the live engine and answers with a :class:`Verdict` (a precise hint on failure).

One module per exercise, ``exNN_what.py``, with one function ``check``; the exercise's id is the module's name
without ``ex`` (``ex03_db_port`` -> ``03_db_port``): the id the instructor's room view shows (:mod:`helpers.records`).
Solutions live in ``solutions/`` (out of the way).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """The answer of a check: passed or not, what was seen, and what to do."""

    passed: bool
    seen: str
    hint: str = ""

    def __str__(self) -> str:
        return f"PASSED: {self.seen}" if self.passed else f"NOT YET: {self.seen}\nHint: {self.hint}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, word = ("#1a7f37", "PASSED") if self.passed else ("#9a6700", "NOT YET")
        hint = "" if self.passed else f"<br><b>Hint:</b> {self.hint}"
        return f'<div style="border-left:4px solid {colour};padding:4px 8px"><b>{word}</b>: {self.seen}{hint}</div>'


def exercise_of(module: str) -> str | None:
    """The exercise id of a check module: ``"03_db_port"`` for ``helpers.checks.ex03_db_port``, else None."""
    prefix, _, short = module.rpartition(".")
    return short[2:] if prefix == __name__ and short.startswith("ex") and short[2:4].isdigit() else None


def verdict(passed: bool, seen: str, hint: str) -> Verdict:
    """The answer of a check (``hint`` only when it did not pass), recorded for the instructor's room view
    (:func:`helpers.records.record_verdict`: never fails, under a second) under the calling module's exercise."""
    exercise = exercise_of(str(sys._getframe(1).f_globals.get("__name__", "")))  # noqa: SLF001 - the check's module
    if exercise:
        from ..records import record_verdict

        record_verdict(exercise, passed, seen)
    return Verdict(passed, seen, "" if passed else hint)
