"""Exercise checks: one module ``exNN_what.py`` per exercise, whose ``check`` inspects the live engine and answers
with a :class:`Verdict`; the exercise id, as the room view shows it, is the module's name without ``ex``."""

from __future__ import annotations

import html
import sys
import traceback
from dataclasses import dataclass

from docker.models.containers import Container

from ..containers import newest
from ..project import Project


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
        """The text exactly (escaped: ``<project>`` stays; pre-wrap: a YAML hint keeps its indent), coloured."""
        colour, word = ("#1a7f37", "PASSED") if self.passed else ("#9a6700", "NOT YET")
        hint = "" if self.passed else f"\n<b>Hint:</b> {html.escape(self.hint)}"
        return (f'<div style="border-left:4px solid {colour};padding:4px 8px;white-space:pre-wrap">'
                f"<b>{word}</b>: {html.escape(self.seen)}{hint}</div>")


def exercise_of(module: str) -> str | None:
    """The exercise id of a check module: ``"03_db_port"`` for ``helpers.checks.ex03_db_port``, else None."""
    prefix, _, short = module.rpartition(".")
    return short[2:] if prefix == __name__ and short.startswith("ex") and short[2:4].isdigit() else None


def verdict(passed: bool, seen: str, hint: str, exercise: str | None = None) -> Verdict:
    """The answer of a check (``hint`` only when it did not pass), recorded for the instructor's room view
    (:func:`helpers.records.record_verdict`: never fails, under a second) under ``exercise``, else under the nearest
    calling check module."""
    if exercise is None:
        frames = traceback.walk_stack(sys._getframe(1))  # noqa: SLF001 - who asked: a check, maybe through a helper
        exercise = next(filter(None, (exercise_of(str(f.f_globals.get("__name__", ""))) for f, _ in frames)), None)
    if exercise:
        from ..records import record_verdict

        record_verdict(exercise, passed, seen)
    return Verdict(passed, seen, "" if passed else hint)


def again(before: str = "Then") -> str:
    """The end of a hint: (``before``, e.g. what the check did to the containers) run the exercise cell again."""
    return f" {before} run the exercise cell again, and this check."


def running_container(project: Project, service: str) -> Container | None:
    """The newest running container of ``service`` in ``project``, or None."""
    return newest(c for c in project.containers(service) if c.status == "running")


def container_of(project: Project, service: str, starts: str, running: bool = False) -> Container | Verdict:
    """The newest (``running``: running) container of ``service``, or the NOT YET that says to run the cell."""
    found = running_container(project, service) if running else newest(project.containers(service))
    if found is not None:
        return found
    return verdict(False, f"there is no {'running ' if running else ''}{service} container in project "
                   f"{project.name}.", f"run the exercise cell (it starts {starts}), then this check.")
