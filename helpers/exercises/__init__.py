"""Exercise checks: each inspects the live engine and answers with a verdict and, on failure, a precise hint.

One module per notebook (``helpers/exercises/nn_topic.py``) holds that notebook's check functions; they all answer
through :func:`verdict`, so every check reads the same way. Solutions live in ``solutions/`` (out of the way).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """The answer of a check: passed or not, what was seen, and what to do."""

    passed: bool
    seen: str
    hint: str = ""

    def __str__(self) -> str:
        if self.passed:
            return f"PASSED: {self.seen}"
        return f"NOT YET: {self.seen}\nHint: {self.hint}"

    def _repr_html_(self) -> str:
        colour, word = ("#1a7f37", "PASSED") if self.passed else ("#9a6700", "NOT YET")
        hint = "" if self.passed else f"<br><b>Hint:</b> {self.hint}"
        return f'<div style="border-left:4px solid {colour};padding:4px 8px"><b>{word}</b>: {self.seen}{hint}</div>'

    def __repr__(self) -> str:
        return str(self)


def verdict(passed: bool, seen: str, hint: str) -> Verdict:
    """Build the answer of a check; ``hint`` is shown only when the check did not pass."""
    return Verdict(passed, seen, "" if passed else hint)
