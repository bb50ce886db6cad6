"""Exercise checks: each inspects the live engine and answers with a verdict and, on failure, a precise hint.

One module per notebook (``helpers/exercises/nn_topic.py``) holds that notebook's check functions; they all answer
through :func:`verdict`, so every check reads the same way. Solutions live in ``solutions/`` (out of the way).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import FrameType


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
    """Build the answer of a check; ``hint`` is shown only when the check did not pass.

    The answer is also recorded on the engine for the instructor's room view (:func:`helpers.records.record_verdict`:
    never fails, under a second), under the exercise that asked (:func:`exercise_of`).
    """
    answer = Verdict(passed, seen, "" if passed else hint)
    exercise = exercise_of(sys._getframe(1))  # noqa: SLF001 - who called: the check's module and function
    if exercise:
        from ..records import record_verdict

        record_verdict(exercise, passed, seen)
    return answer


def exercise_of(frame: FrameType | None) -> str | None:
    """The exercise a check belongs to, from the call stack: ``"03_db"`` for ``n03_db.check``,
    ``"01_image.check_collector_workdir"`` for another name; None outside ``helpers.exercises.nNN_*``."""
    found: tuple[str, str] | None = None
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        short = module.rsplit(".", 1)[-1]
        if module.startswith(__name__ + ".n") and short[1:3].isdigit():
            name = frame.f_code.co_name
            if found is None or not name.startswith("_"):
                found = (short[1:], name)  # the outermost public function of the module wins
        elif found is not None:
            break
        frame = frame.f_back
    if found is None:
        return None
    lesson, function = found
    return lesson if function == "check" or function.startswith("_") else f"{lesson}.{function}"
